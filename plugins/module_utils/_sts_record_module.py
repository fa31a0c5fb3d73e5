# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mta_sts_record module's backend: the _mta-sts TXT record of each domain, by RFC 2136 UPDATE.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

The backend contract is in ``_backend``; the work, shared with the tlsrpt_record backend, in
``_record_update``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailsec.mta_sts.plugins.module_utils import _dns, _record_update
from ansible_collections.mailsec.mta_sts.plugins.module_utils._backend import check_libraries, fail_on_problems

KIND = 'sts'
MODULE_KWARGS = _record_update.record_module_kwargs(KIND)
LIBRARIES = (_dns.DNSPYTHON,)


def argument_spec():
    """The mta_sts_record options; DOCUMENTATION in plugins/modules/mta_sts_record.py mirrors it."""
    return _record_update.record_argument_spec(KIND)


def option_problems(params):
    """``(option, message)`` for every rule the options break. Pure."""
    return _record_update.record_option_problems(params, KIND)


def run_module(module):
    """Bring the _mta-sts records to the wanted state; exits the module."""
    fail_on_problems(module, option_problems(module.params))
    check_libraries(module, LIBRARIES)
    _record_update.update_records(module, KIND)
