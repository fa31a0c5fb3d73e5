# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How a pure module says that an optional library could not be imported.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Each pure module imports the library parts it uses itself (dnspython's resolver costs a module
call 75 ms, its UPDATE parts 40 ms more, cryptography 80 ms: a module pays only for its own) and
records the outcome as one ``Library``::

    try:
        import dns.resolver
    except ImportError:
        DNSPYTHON = Library.missing('dnspython')
    else:
        DNSPYTHON = Library('dnspython')

A backend names the libraries it needs and ``_module.common.check_libraries`` fails the module with
``missing_required_lib`` and the import's traceback. No AnsibleModule here.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import traceback


class Library(object):
    """An optional library: ``name`` as pip knows it, ``import_error`` the traceback of the failed
    import (None when it was imported)."""

    __slots__ = ('name', 'import_error')

    def __init__(self, name, import_error=None):
        self.name = name
        self.import_error = import_error

    @property
    def found(self):
        return self.import_error is None

    @classmethod
    def missing(cls, name):
        """The Library for ``name``, called inside the ``except ImportError`` block that caught it."""
        return cls(name, traceback.format_exc())
