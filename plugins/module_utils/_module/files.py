# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Safe file reads and writes for modules: read bytes, write atomically, back up, set attributes.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
Modelled on community.crypto's plugins/module_utils/_io.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import tempfile


def read_file(path):
    """The bytes of ``path``, or None when it does not exist."""
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def write_file(module, path, content):
    """Write ``content`` (bytes) to ``path`` atomically: a temp file in the same folder, then a rename.

    Readers (nginx serving the file) see either the old or the new content, never a partial one.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_name = tempfile.mkstemp(prefix='.mta_sts.', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(content)
    except Exception:
        os.unlink(tmp_name)
        raise
    module.atomic_move(tmp_name, os.path.abspath(path))


def remove_file(path):
    """Remove ``path``; a file that is already gone is not an error."""
    try:
        os.unlink(path)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise
