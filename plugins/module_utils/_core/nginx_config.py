# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The nginx_config module's decisions, without I/O: which files change, their diff, and nginx's words.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

A set of nginx configuration files is one transaction: written together, checked together with
``nginx -t``, and put back together when nginx refuses them. Which of them change, and how, is
decided here from what the backend read (``plan()``); the backend only reads, writes and runs nginx.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

_OCTAL_MODE = re.compile(r'0?[0-7]{3}')


def file_mode(value):
    """The permission bits of a file's ``mode`` option, or None when it is not set.

    An int is taken as the bits themselves (YAML reads an unquoted ``0644`` as the number 420, which
    is exactly 0o644); a string as octal digits (``'0644'`` or ``'644'``). Raises ValueError otherwise.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError('got %r' % value)
    if isinstance(value, int):
        if not 0 <= value <= 0o777:
            raise ValueError('got the number %d, which is no permission between 0 and 0o777' % value)
        return value
    if isinstance(value, str) and _OCTAL_MODE.fullmatch(value):
        return int(value, 8)
    raise ValueError('got %r' % (value,))


def file_problems(files):
    """``(option, message)`` for every rule the O(files) entries break. Pure."""
    problems = []
    seen = {}
    if not files:
        problems.append(('files', 'files is empty: give at least one file (path and content) to write'))
    for index, entry in enumerate(files or []):
        label = 'files[%d]' % index
        path = entry['path']
        if not os.path.isabs(path):
            problems.append((label + '.path', '%s.path: %s is relative; nginx reads its files by absolute path, '
                             'so give the absolute one' % (label, path)))
        elif path.endswith('/'):
            problems.append((label + '.path', '%s.path: %s names a folder; give the file name' % (label, path)))
        else:
            normal = os.path.normpath(path)
            if normal in seen:
                problems.append((label + '.path', '%s.path: %s is also given as %s.path; each file once'
                                 % (label, path, seen[normal])))
            seen.setdefault(normal, label)
        try:
            file_mode(entry.get('mode'))
        except ValueError as exc:
            problems.append((label + '.mode', "%s.mode: %s; give octal permissions as a quoted string such as "
                             "'0644'" % (label, exc)))
    return problems


def plan(files, current):
    """What changes, per file: ``[{path, content, mode, before, before_mode, changed, created}]``.

    ``files``: the O(files) entries; ``current``: ``{path: (bytes, mode bits)}`` as read, with
    ``(None, None)`` for a file that does not exist. A file changes when its content differs, or
    when O(files[].mode) is given and differs; a new file always changes.
    """
    steps = []
    for entry in files:
        path = entry['path']
        wanted = entry['content'].encode('utf-8')
        mode = file_mode(entry.get('mode'))
        before, before_mode = current[path]
        content_changed = before != wanted
        mode_changed = mode is not None and before is not None and before_mode != mode
        steps.append({
            'path': path,
            'content': wanted,
            'mode': mode,
            'before': before,
            'before_mode': before_mode,
            'changed': content_changed or mode_changed,
            'content_changed': content_changed,
            'created': before is None,
        })
    return steps


def _text(data):
    return data.decode('utf-8', 'replace') if data is not None else ''


def _mode_label(mode):
    return '' if mode is None else ' (mode %04o)' % mode


def diffs(steps):
    """The ``diff`` list (one ``{before, after, *_header}`` per changed file) for Ansible's diff mode."""
    result = []
    for step in steps:
        if not step['changed']:
            continue
        after_mode = step['mode'] if step['mode'] is not None else step['before_mode']
        result.append({
            'before_header': step['path'] + ('' if step['created'] else _mode_label(step['before_mode'])),
            'after_header': step['path'] + _mode_label(after_mode),
            'before': _text(step['before']),
            'after': _text(step['content']),
        })
    return result


def nginx_words(rc, out, err):
    """nginx's own message from one run: its stderr (where nginx writes), else stdout, else the exit status.

    Lines of ``nginx: [emerg] ...`` are kept as they are: they name the file and line nginx refused.
    """
    lines = [line.strip() for line in ((err or '') + '\n' + (out or '')).splitlines() if line.strip()]
    return ' '.join(lines) or 'exit status %d and no message' % rc


def refusal_message(paths, words, broken_before=None):
    """The failure message when ``nginx -t`` refused the configuration with the new files in ``paths``.

    ``broken_before``: nginx's words for the configuration once the previous files were back, when
    it refused that too (the fault is then not, or not only, in the new files).
    """
    message = ('nginx -t refused the configuration with the new %s, so the previous files were put back and nginx '
               'was not reloaded: %s' % (', '.join(paths), words))
    if broken_before is not None:
        message += ('. nginx -t refuses the configuration without them too, so the fault is (also) elsewhere in '
                    "the host's configuration; fix that first: %s" % broken_before)
    return message
