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
import stat
import tempfile

_KINDS = ((stat.S_ISLNK, 'a symbolic link'), (stat.S_ISDIR, 'a directory'), (stat.S_ISFIFO, 'a fifo'),
          (stat.S_ISSOCK, 'a socket'), (stat.S_ISCHR, 'a character device'), (stat.S_ISBLK, 'a block device'))


class NotRegularFileError(OSError):
    """Something other than a regular file stands at a path the collection owns; it is never followed."""

    def __init__(self, path, kind):
        super(NotRegularFileError, self).__init__(errno.EINVAL, kind)
        self.path = path
        self.kind = kind

    def __str__(self):
        return ('%s is %s, not a regular file; the collection does not follow or replace it (it would read, back up '
                'or take the mode of what it points at): remove it, or give the path of a regular file'
                % (self.path, self.kind))


def file_kind(mode):
    """``'a symbolic link'``, ``'a fifo'``, ... for a non-regular ``st_mode``; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return 'not a regular file'


def check_regular(path):
    """The lstat of ``path`` when it is a regular file, None when nothing is there;
    NotRegularFileError for a symbolic link, fifo, directory, ... (never followed)."""
    try:
        info = os.lstat(path)
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    kind = file_kind(info.st_mode)
    if kind is not None:
        raise NotRegularFileError(path, kind)
    return info


def read_file(path, follow_links=False):
    """The bytes of ``path``, or None when it does not exist.

    A path the collection owns (the policy file, main.cf) is read without following a symbolic link
    (O_NOFOLLOW) and without blocking on a fifo; anything but a regular file raises
    NotRegularFileError. ``follow_links`` is for files it only reads and that are links by design
    (certbot's live/ certificates).
    """
    flags = os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0)
    if not follow_links:
        flags |= getattr(os, 'O_NOFOLLOW', 0)
    try:
        fd = os.open(path, flags)
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        if exc.errno == errno.ELOOP and not follow_links:
            raise NotRegularFileError(path, 'a symbolic link')
        raise
    with os.fdopen(fd, 'rb') as handle:
        kind = file_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotRegularFileError(path, kind)
        return handle.read()


def write_file(module, path, content):
    """Write ``content`` (bytes) to ``path`` atomically: a temp file in the same folder, then a rename.

    Readers (nginx serving the file) see either the old or the new content, never a partial one.
    Something other than a regular file at ``path`` raises NotRegularFileError: the rename would
    replace a link, but atomic_move would first give the new file the mode and owner of its target.
    """
    check_regular(path)
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
    """Remove ``path``; a file that is already gone is not an error, anything but a regular file is."""
    check_regular(path)
    try:
        os.unlink(path)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise
