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


def remove_file(path):
    """Remove ``path``; a file that is already gone is not an error, anything but a regular file is."""
    check_regular(path)
    try:
        os.unlink(path)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise
