# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The tlsrpt_report_info module's backend: find the report files and messages, read them within
bounds, hand the bytes to ``_report``, and return reports, rejections and the per-domain summary.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

The backend contract is in ``common``. Uses from the AnsibleModule: ``params``, ``fail_json``, ``exit_json``, ``warn``, ``check_mode``, ``atomic_move``. Writes
nothing but O(metrics_path) (and that not in check mode).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import errno
import glob
import os
import re
import stat

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_parse
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_decode
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_summary
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import metrics
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import files
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.findings import ERROR, Finding
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.time import format_timestamp, utc_now
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.grammar import character_error

# Files a folder is read for; a file named directly (or by a glob) is read whatever its name.
FOLDER_SUFFIXES = ('.json', '.gz', '.eml')
_GLOB_CHARS = re.compile(r'[*?[]')
_RELATIVE = re.compile(r'[ \t]*([0-9]{1,6})[ \t]*([smhdw])[ \t]*')
_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}


def argument_spec():
    """The tlsrpt_report_info options; DOCUMENTATION in plugins/modules/tlsrpt_report_info.py mirrors it."""
    return dict(
        path=dict(type='list', elements='path'),
        maildir=dict(type='list', elements='path'),
        mbox=dict(type='list', elements='path'),
        recurse=dict(type='bool', default=False),
        domain=dict(type='list', elements='str'),
        since=dict(type='str'),
        max_size=dict(type='int', default=report_decode.MAX_SIZE),
        max_uncompressed_size=dict(type='int', default=report_decode.MAX_UNCOMPRESSED_SIZE),
        return_reports=dict(type='bool', default=True),
        metrics_path=dict(type='path'),
    )


MODULE_KWARGS = dict(supports_check_mode=True, required_one_of=[('path', 'maildir', 'mbox')])
LIBRARIES = ()


class SourceError(Exception):
    """A source named in the options does not exist or is not what the option says; fails the module."""

    def __init__(self, option, msg):
        super(SourceError, self).__init__(msg)
        self.option = option
        self.msg = msg


def parse_since(value, now=None):
    """The ``since`` option as ``YYYY-MM-DDTHH:MM:SSZ``: an RFC 3339 date or date-time (no zone = UTC),
    or an age such as ``30d`` (units s, m, h, d, w) counted back from ``now``. ValueError when neither."""
    # Report dates tolerate surrounding white space (parse_datetime); an option value has no line breaks.
    error = character_error(value.replace(' ', 'x'))
    if error is not None:
        raise ValueError('since: %r %s; give a date (2026-05-01), a date-time or an age (30d)' % (value, error))
    match = _RELATIVE.fullmatch(value)
    if match:
        moment = (now or utc_now()) - datetime.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
        return format_timestamp(moment)
    try:
        moment, dummy = report_parse.parse_datetime(value)
    except (ValueError, OverflowError):
        raise ValueError('since: %r is neither a date (2026-05-01), a date-time (2026-05-01T00:00:00Z) nor an age '
                         '(30d, 12h, 2w)' % value)
    return format_timestamp(moment)


def option_problems(params):
    """``[(option, message)]`` for every option value that breaks a rule (before any file is read). Pure."""
    problems = []
    for option in ('max_size', 'max_uncompressed_size'):
        if params[option] < 1:
            problems.append((option, '%s: must be a positive number of bytes, got %d' % (option, params[option])))
    for name in params['domain'] or ():
        if not report_parse.domain_key(name):
            problems.append(('domain', 'domain: %r is not a domain name' % name))
    if params['since'] is not None:
        try:
            parse_since(params['since'])
        except ValueError as exc:
            problems.append(('since', str(exc)))
    problems.extend(files.metrics_path_problems(params['metrics_path']))
    if params['metrics_path'] and not params['domain']:
        problems.append(('metrics_path', 'metrics_path: needs domain, the domains to write metrics for; a report names '
                                         'whatever domain its sender writes, and only your list keeps the metrics '
                                         '(one series per domain) bounded'))
    for option in ('path', 'maildir', 'mbox'):
        for item in params[option] or ():
            if not item:
                problems.append((option, '%s: an empty entry names no file' % option))
    return problems


# ---------------------------------------------------------------- finding the inputs

def _folder_files(folder, recurse):
    found = []
    if recurse:
        for top, dirs, names in os.walk(folder):
            dirs[:] = sorted(name for name in dirs if not name.startswith('.'))
            found.extend(os.path.join(top, name) for name in sorted(names)
                         if not name.startswith('.') and name.lower().endswith(FOLDER_SUFFIXES))
        return found
    for name in sorted(os.listdir(folder)):
        full = os.path.join(folder, name)
        # lstat: a symbolic link is listed (and refused by read_bounded, with a finding), never followed.
        if not name.startswith('.') and name.lower().endswith(FOLDER_SUFFIXES) and not stat.S_ISDIR(os.lstat(full).st_mode):
            found.append(full)
    return found


def expand_paths(paths, recurse=False):
    """``(files, warnings)`` for the ``path`` option: files, folders (their .json/.gz/.eml files) and globs.

    A literal path that does not exist raises SourceError; a glob matching nothing is only a warning
    (no reports have arrived yet). The same file reached twice is listed once.
    """
    files = []
    warnings = []
    seen = set()
    for item in paths:
        if _GLOB_CHARS.search(item):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                warnings.append('path: %s matches no file' % item)
        elif os.path.lexists(item):
            matches = [item]
        else:
            raise SourceError('path', 'path: %s does not exist' % item)
        for match in matches:
            try:
                listed = _folder_files(match, recurse) if os.path.isdir(match) else [match]
            except OSError as exc:
                raise SourceError('path', 'path: cannot list %s: %s' % (match, exc.strerror or exc))
            for name in listed:
                key = os.path.realpath(name)
                if key not in seen:
                    seen.add(key)
                    files.append(name)
    return files, warnings


def maildir_files(folder):
    """The message files of a Maildir (``new/`` then ``cur/``, sorted); SourceError if it is not one."""
    subs = [os.path.join(folder, sub) for sub in ('new', 'cur')]
    if not any(os.path.isdir(sub) for sub in subs):
        raise SourceError('maildir', 'maildir: %s is not a Maildir (it has no new/ or cur/ folder)' % folder)
    files = []
    for sub in subs:
        if os.path.isdir(sub):
            try:
                files.extend(os.path.join(sub, name) for name in sorted(os.listdir(sub)) if not name.startswith('.'))
            except OSError as exc:
                raise SourceError('maildir', 'maildir: cannot list %s: %s' % (sub, exc.strerror or exc))
    return files


# ---------------------------------------------------------------- reading within bounds

def open_report(path):
    """A binary file object for the regular file at ``path``, opened without following a symbolic link
    (O_NOFOLLOW) and without blocking on a fifo (O_NONBLOCK); ReportError for anything else.

    Anyone who can write into a reports folder (the rua mailbox's delivery agent) could otherwise
    point the reader, often root, at any file of the host.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_NONBLOCK', 0))
    except (IOError, OSError) as exc:
        if exc.errno == errno.ELOOP:
            raise report_decode.ReportError('file', 'is a symbolic link; links in a reports folder are not followed')
        raise report_decode.ReportError('file', 'cannot read the file: %s' % (exc.strerror or exc))
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise report_decode.ReportError('file', 'not a regular file')
    return os.fdopen(fd, 'rb'), info


def read_bounded(path, max_size):
    """The bytes of a regular file of at most ``max_size`` bytes; ReportError otherwise (never fails the module)."""
    handle, info = open_report(path)
    with handle:
        if info.st_size > max_size:
            raise report_decode.ReportError('size', 'the file has %d bytes, more than max_size (%d); not read'
                                            % (info.st_size, max_size))
        try:
            data = handle.read(max_size + 1)
        except (IOError, OSError) as exc:
            raise report_decode.ReportError('file', 'cannot read the file: %s' % (exc.strerror or exc))
    if len(data) > max_size:
        raise report_decode.ReportError('size', 'the file grew past max_size (%d) while being read; not read' % max_size)
    return data


def _unquote(line):
    # mboxrd: ">From " -> "From ", ">>From " -> ">From ".
    if line.startswith(b'>') and line.lstrip(b'>').startswith(b'From '):
        return line[1:]
    return line


def mbox_messages(path, max_size):
    """``(source, bytes or ReportError)`` for each message of an mbox file, read as a stream.

    A message over ``max_size`` is skipped without being held in memory; lines are read in pieces of
    at most ``max_size + 1`` bytes, so a file without line ends cannot exhaust memory either.
    """
    try:
        handle, dummy = open_report(path)
    except report_decode.ReportError as exc:
        raise SourceError('mbox', 'mbox: %s: %s' % (path, exc.msg))
    with handle:
        number = 0
        lines = []
        size = 0
        oversized = False
        started = False
        at_line_start = True
        while True:
            line = handle.readline(max_size + 1)
            separator = not line or (at_line_start and line.startswith(b'From '))
            if separator and started:
                source = '%s#%d' % (path, number)
                if oversized:
                    yield source, report_decode.ReportError(
                        'size', 'the message is larger than max_size (%d); not read' % max_size)
                else:
                    # The blank line before the next "From " line belongs to the mbox, not the message.
                    if lines and lines[-1] in (b'\n', b'\r\n'):
                        lines.pop()
                    yield source, b''.join(lines)
            if not line:
                return
            at_line_start = line.endswith(b'\n')
            if separator:
                number += 1
                started = True
                lines = []
                size = 0
                oversized = False
                continue
            if not started:
                # Not an mbox: there is no "From " line before the first message.
                raise SourceError('mbox', 'mbox: %s is not an mbox file (it does not start with a "From " line)' % path)
            if oversized:
                continue
            size += len(line)
            if size > max_size:
                oversized = True
                lines = []
                continue
            lines.append(_unquote(line))


# ---------------------------------------------------------------- the module

def collect(params):
    """``(outcomes, warnings)`` from every source in the options; SourceError for a missing source."""
    max_size = params['max_size']
    max_uncompressed = params['max_uncompressed_size']
    outcomes = []
    warnings = []

    def parse(source, data, hint=None, email_only=False):
        if isinstance(data, report_decode.ReportError):
            outcomes.append(report_parse.outcome(source, None, [Finding(ERROR, data.rule, data.msg)]))
        elif email_only:
            outcomes.extend(report_parse.parse_email(data, source, hint, max_uncompressed))
        else:
            outcomes.extend(report_parse.parse_bytes(data, source, hint, max_uncompressed))

    def from_file(name, **kwargs):
        try:
            data = read_bounded(name, max_size)
        except report_decode.ReportError as exc:
            data = exc
        parse(name, data, **kwargs)

    if params['path']:
        files, warnings = expand_paths(params['path'], params['recurse'])
        for name in files:
            from_file(name, hint=report_parse.domain_from_filename(name))
    for folder in params['maildir'] or ():
        for name in maildir_files(folder):
            from_file(name, email_only=True)
    for path in params['mbox'] or ():
        if not os.path.isfile(path) and not os.path.islink(path):
            raise SourceError('mbox', 'mbox: %s is not a file' % path)
        for source, data in mbox_messages(path, max_size):
            parse(source, data, email_only=True)
    return outcomes, warnings


def evaluate(outcomes, domains=None, since=None, return_reports=True):
    """The module result (without ``changed``) from parse outcomes; pure."""
    reports = []
    rejected = []
    for item in outcomes:
        if item['report'] is None:
            rejected.append(report_parse.rejection(item))
        else:
            reports.append(item['report'])
    unique, duplicates = report_summary.deduplicate(reports)
    wanted = [report_parse.domain_key(name) for name in domains] if domains else None
    kept, other_domain, before_since = report_summary.filter_reports(unique, wanted, since)
    result = {
        'summary': report_summary.summarize(kept),
        'rejected': rejected,
        'excluded': {'duplicates': duplicates, 'other_domains': other_domain, 'before_since': before_since},
    }
    if return_reports:
        result['reports'] = [report_summary.public_report(report) for report in kept]
    return result


def run_module(module):
    """Read the reports named by the options and exit with the result; never changes anything."""
    params = module.params
    if params['metrics_path']:
        problem = files.metrics_target_problem(params['metrics_path'])
        if problem:
            module.fail_json(msg=problem, invalid_options=['metrics_path'])
    since = parse_since(params['since']) if params['since'] is not None else None
    try:
        outcomes, warnings = collect(params)
    except SourceError as exc:
        module.fail_json(msg=exc.msg, invalid_options=[exc.option])
    for warning in warnings:
        module.warn(warning)
    result = evaluate(outcomes, params['domain'], since, params['return_reports'])
    result['changed'] = False
    if params['metrics_path']:
        text = metrics.report_metrics(result['summary'], [report_parse.domain_key(name) for name in params['domain']])
        result['changed'] = files.write_metrics(module, params['metrics_path'], text)
    module.exit_json(**result)
