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


def refresh_file(module, path, content):
    """Write ``content`` to ``path`` atomically even when it is already there; return whether it differed.

    For files another program polls (the metrics for node_exporter's textfile collector): the new
    modification time says the content was confirmed now, so a reader can tell a stopped writer from
    an unchanged state.
    """
    changed = read_file(path) != content
    write_file(module, path, content)
    return changed


def write_metrics(module, path, text):
    """Write the metrics ``text`` to ``path`` (``refresh_file``), nothing in check mode; return ``changed``."""
    content = text.encode('utf-8')
    if module.check_mode:
        return read_file(path) != content
    return refresh_file(module, path, content)


def metrics_path_problems(path):
    """``[(option, message)]`` for ``metrics_path``; checks the name only (pure)."""
    if path is None:
        return []
    if not path.endswith('.prom'):
        return [('metrics_path', 'metrics_path: %s does not end in .prom; node_exporter\'s textfile collector reads '
                                 'only *.prom files, so it would never see these metrics' % path)]
    return []


def metrics_target_problem(path):
    """The message when the folder of ``path`` cannot take the file, else None (looks at the file system)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return 'metrics_path: the folder %s does not exist; create it (the textfile collector\'s directory)' % folder
    if not os.access(folder, os.W_OK | os.X_OK):
        return 'metrics_path: the folder %s is not writable for this user; the file is written there atomically' % folder
    return None


def remove_file(path):
    """Remove ``path``; a file that is already gone is not an error."""
    try:
        os.unlink(path)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise
