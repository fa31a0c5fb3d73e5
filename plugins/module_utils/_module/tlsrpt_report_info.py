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
import email.parser
import errno
import glob
import os
import re
import stat

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_parse
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_decode
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_summary
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import metrics
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_dkim
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import dkim as _dkim
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import imap as _imap
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import resolver as _resolver
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import ProbeError
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import files
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.argspec import resolver_options
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import check_libraries
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.findings import ERROR, Finding
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.time import format_timestamp, utc_now
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.grammar import character_error

# Files a folder is read for; a file named directly (or by a glob) is read whatever its name.
FOLDER_SUFFIXES = ('.json', '.gz', '.eml')
_GLOB_CHARS = re.compile(r'[*?[]')
_RELATIVE = re.compile(r'[ \t]*([0-9]{1,6})[ \t]*([smhdw])[ \t]*')
_UNITS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}


def _imap_options():
    return dict(
        server=dict(type='str', required=True),
        port=dict(type='int'),
        security=dict(type='str', default='tls', choices=list(_imap.SECURITY)),
        ca_path=dict(type='path'),
        user=dict(type='str', required=True),
        password=dict(type='str', no_log=True),
        password_file=dict(type='path'),
        folder=dict(type='str', default='INBOX'),
        processed_folder=dict(type='str'),
        other_folder=dict(type='str'),
        read_only=dict(type='bool', default=True),
        max_messages=dict(type='int', default=_imap.DEFAULT_MAX_MESSAGES),
        max_message_bytes=dict(type='int', default=_imap.DEFAULT_MAX_MESSAGE_BYTES),
        timeout=dict(type='float', default=_imap.DEFAULT_TIMEOUT),
    )


def argument_spec():
    """The tlsrpt_report_info options; DOCUMENTATION in plugins/modules/tlsrpt_report_info.py mirrors it."""
    return dict(
        imap=dict(type='dict', options=_imap_options(), mutually_exclusive=[('password', 'password_file')],
                  required_one_of=[('password', 'password_file')]),
        require_dkim=dict(type='bool'),
        trust_files=dict(type='bool', default=False),
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
        **resolver_options().spec()
    )


MODULE_KWARGS = dict(supports_check_mode=True, required_one_of=[('path', 'maildir', 'mbox', 'imap')])
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
    problems.extend(resolver_options().problems(params))
    problems.extend(imap_problems(params.get('imap')))
    return problems


def imap_problems(imap):
    """``[(option, message)]`` for the ``imap`` suboptions. Pure."""
    if not imap:
        return []
    problems = []
    port = imap.get('port')
    if port is not None and not 1 <= port <= 65535:
        problems.append(('imap', 'imap.port: must be a port number from 1 to 65535, got %d' % port))
    for option in ('max_messages', 'max_message_bytes'):
        if imap[option] < 1:
            problems.append(('imap', 'imap.%s: must be a positive number, got %d' % (option, imap[option])))
    if not 0 < imap['timeout'] <= _resolver.MAX_TIMEOUT:
        problems.append(('imap', 'imap.timeout: the whole IMAP session\'s deadline, must be greater than 0 and at most '
                                 '%d seconds, got %g' % (_resolver.MAX_TIMEOUT, imap['timeout'])))
    for option in ('folder', 'processed_folder', 'other_folder'):
        value = imap.get(option)
        if value is not None and (not value.strip() or any(ord(char) < 0x20 for char in value)):
            problems.append(('imap', 'imap.%s: %r is not a folder name (empty, or control characters)' % (option, value)))
    for option in ('processed_folder', 'other_folder'):
        if imap.get(option) and imap[option] == imap['folder']:
            problems.append(('imap', 'imap.%s: is the folder read (%s); moving a message into the folder it is in '
                                     'does nothing' % (option, imap['folder'])))
    if not imap['read_only'] and not (imap.get('processed_folder') or imap.get('other_folder')):
        problems.append(('imap', 'imap.read_only: false moves messages, but neither imap.processed_folder nor '
                                 'imap.other_folder names where to; set one, or leave read_only true'))
    if imap['read_only'] and (imap.get('processed_folder') or imap.get('other_folder')):
        problems.append(('imap', 'imap.processed_folder and imap.other_folder: are only used with imap.read_only: '
                                 'false (the default, true, changes nothing in the mailbox); set read_only: false to '
                                 'move messages'))
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


# ---------------------------------------------------------------- DKIM

def require_dkim(params):
    """The effective ``require_dkim``: as given, else true when the IMAP mailbox is read."""
    if params.get('require_dkim') is not None:
        return params['require_dkim']
    return bool(params.get('imap'))


def make_judge(resolver):
    """``judge(data, results, is_mail, trusted)``: the DKIM verdict of one input, as a dict
    ``{'verdict', 'detail', 'signers'}`` (``verdict`` one of ``report_dkim.ACCEPTED`` or the discard reasons)."""
    def judge(data, results, is_mail, trusted):
        is_report = any(result['report'] is not None for result in results)
        if is_report and trusted:
            return {'verdict': report_dkim.ACCEPTED, 'detail': 'read from a file source the user trusts (trust_files)',
                    'signers': []}
        if not is_report:
            return {'verdict': report_dkim.NOT_A_REPORT, 'detail': 'no TLS report in it', 'signers': []}
        if not is_mail:
            return {'verdict': report_dkim.NO_SIGNATURE,
                    'detail': 'a report file is not mail and carries no DKIM signature; nothing vouches for how it got '
                              'there (set trust_files: true if you do)', 'signers': []}
        try:
            headers = email.parser.BytesHeaderParser().parsebytes(data)
            from_header = str(headers.get('From', ''))
            submitter = str(headers.get('TLS-Report-Submitter', ''))
        except Exception:  # pylint: disable=broad-except
            from_header = submitter = ''
        contacts = [result['report'].get('contact_info') for result in results if result['report'] is not None]
        claimed = report_dkim.claimed_domains(from_header, submitter, contacts)
        try:
            signatures = _dkim.verify_signatures(data, resolver)
        except ProbeError as exc:
            raise SourceError('nameservers', 'DKIM key lookup failed, so no report can be judged: %s; check '
                                             'nameservers, dns_port and timeout' % exc.msg)
        verdict, detail = report_dkim.decide(True, signatures, claimed)
        return {'verdict': verdict, 'detail': detail,
                'signers': sorted(set(signature['domain'] for signature in signatures if signature['domain']))}
    return judge


# ---------------------------------------------------------------- the module

def collect(params, judge=None, mailbox=None):
    """``(outcomes, warnings)`` from every source in the options; SourceError for a missing source.

    With ``judge`` (``make_judge``) every input gets its DKIM verdict in ``outcome['dkim']``.
    ``mailbox``, a dict, receives what was read from and done in the IMAP mailbox (``read_mailbox``).
    """
    max_size = params['max_size']
    max_uncompressed = params['max_uncompressed_size']
    trusted = params.get('trust_files', False)
    outcomes = []
    warnings = []

    def parse(source, data, hint=None, email_only=False, from_files=True):
        if isinstance(data, report_decode.ReportError):
            results = [report_parse.outcome(source, None, [Finding(ERROR, data.rule, data.msg)])]
            outcomes.extend(results)
            return results
        is_mail = email_only or report_parse.sniff(data) == 'email'
        if is_mail:
            results = report_parse.parse_email(data, source, hint, max_uncompressed)
        else:
            results = report_parse.parse_bytes(data, source, hint, max_uncompressed)
        if judge is not None:
            verdict = judge(data, results, is_mail, trusted and from_files)
            for result in results:
                result['dkim'] = verdict
        outcomes.extend(results)
        return results

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
    if params.get('imap'):
        info = read_mailbox(params, parse, warnings)
        if mailbox is not None:
            mailbox.update(info)
    return outcomes, warnings


def _password(imap):
    if imap.get('password') is not None:
        return imap['password']
    try:
        with open(imap['password_file'], 'rb') as handle:
            text = handle.read(65536).decode('utf-8')
    except (IOError, OSError) as exc:
        raise SourceError('imap', 'imap.password_file: cannot read %s: %s'
                          % (imap['password_file'], exc.strerror or exc))
    except UnicodeDecodeError:
        raise SourceError('imap', 'imap.password_file: %s is not UTF-8 text' % imap['password_file'])
    # A file written by an editor or `echo` ends in a line break that is no part of the password.
    return text.rstrip('\r\n')


def message_goes_to(results, dkim_required):
    """``'processed'`` when the message's reports count, else ``'other'``. Pure."""
    reports = [result for result in results if result['report'] is not None]
    if not reports:
        return 'other'
    if not dkim_required:
        return 'processed'
    return 'processed' if all(result.get('dkim', {}).get('verdict') == report_dkim.ACCEPTED
                              for result in reports) else 'other'


def read_mailbox(params, parse, warnings):
    """Read the IMAP folder within its bounds, parse every message with ``parse``, and move the messages
    only after all were read (a session that breaks before that leaves the mailbox as it was).
    Returns ``{'read', 'skipped_too_large', 'left_for_next_run', 'moved': {folder: count}}``."""
    imap = params['imap']
    password = _password(imap)
    resolver = _resolver.make_resolver(params.get('nameservers'), params.get('dns_port') or _resolver.DEFAULT_PORT,
                                       params.get('timeout') or _resolver.DEFAULT_TIMEOUT)
    moving = not imap['read_only']
    # Check mode: the folder is opened read-only and nothing moves, but the result says what would.
    dry_run = bool(params.get('_check_mode'))
    info = {'read': 0, 'skipped_too_large': 0, 'left_for_next_run': 0, 'moved': {}}
    session = _imap.ImapSession(imap['server'], imap.get('port'), imap['security'], imap.get('ca_path'),
                                imap['timeout'], resolver)
    dkim_required = require_dkim(params)
    try:
        with session:
            session.open(imap['user'], password)
            session.select(imap['folder'], read_only=not moving or dry_run)
            uids = session.uids()
            if len(uids) > imap['max_messages']:
                info['left_for_next_run'] = len(uids) - imap['max_messages']
                warnings.append('imap: %d messages in %s, more than imap.max_messages (%d): the oldest %d were read, the '
                                'rest wait for the next run' % (len(uids), imap['folder'], imap['max_messages'],
                                                                imap['max_messages']))
                uids = uids[:imap['max_messages']]
            sizes = session.sizes(uids)
            plan = {'processed': [], 'other': []}
            for uid in uids:
                source = 'imap://%s@%s/%s;UID=%d' % (imap['user'], imap['server'], imap['folder'], uid)
                size = sizes.get(uid)
                if size is None or size > imap['max_message_bytes']:
                    info['skipped_too_large'] += 1
                    parse(source, report_decode.ReportError(
                        'size', 'the message has %s bytes, more than imap.max_message_bytes (%d); not fetched, left in '
                                '%s' % (size if size is not None else 'an unknown number of', imap['max_message_bytes'],
                                        imap['folder'])))
                    continue
                data = session.fetch(uid, imap['max_message_bytes'])
                if data is None:
                    continue
                info['read'] += 1
                results = parse(source, data, email_only=True, from_files=False)
                plan[message_goes_to(results, dkim_required)].append(uid)
            if moving:
                for key, option in (('processed', 'processed_folder'), ('other', 'other_folder')):
                    folder = imap.get(option)
                    if folder and plan[key] and dry_run:
                        info['moved'][folder] = len(plan[key])
                    elif folder and plan[key]:
                        if not session.folder_exists(folder):
                            session.create(folder)
                        session.move(plan[key], folder)
                        info['moved'][folder] = len(plan[key])
    except _imap.ImapError as exc:
        moved = ''
        if info['moved']:
            moved = ' (already moved: %s)' % ', '.join(
                '%d to %s' % (count, folder) for folder, count in sorted(info['moved'].items()))
        raise SourceError('imap', 'imap: %s%s' % (exc.msg, moved))
    return info


def evaluate(outcomes, domains=None, since=None, return_reports=True, dkim_required=False):
    """The module result (without ``changed``) from parse outcomes; pure."""
    reports = []
    rejected = []
    discarded = []
    counts = {}
    for item in outcomes:
        verdict = item.get('dkim')
        if verdict is not None:
            counts[verdict['verdict']] = counts.get(verdict['verdict'], 0) + 1
        if item['report'] is None:
            rejected.append(report_parse.rejection(item))
        elif dkim_required and (verdict is None or verdict['verdict'] != report_dkim.ACCEPTED):
            discarded.append((item, verdict or {'verdict': report_dkim.NO_SIGNATURE, 'detail': 'not checked',
                                                'signers': []}))
        else:
            reports.append(item['report'])
    unique, duplicates = report_summary.deduplicate(reports)
    wanted = [report_parse.domain_key(name) for name in domains] if domains else None
    kept, other_domain, before_since = report_summary.filter_reports(unique, wanted, since)
    summary = report_summary.summarize(kept)
    discards = []
    seen = set()
    for item, verdict in discarded:
        key = report_summary.report_key(item['report'])
        if key in seen:
            continue
        seen.add(key)
        kept_discard, dummy, dummy2 = report_summary.filter_reports([item['report']], wanted, since)
        if kept_discard:
            discards.append((item, verdict, kept_discard[0]))
    result = {
        'summary': report_summary.add_discards(summary, [(report, verdict['verdict'])
                                                         for dummy, verdict, report in discards]),
        'rejected': rejected,
        'discarded': [{'source': item['source'], 'reason': verdict['verdict'], 'detail': verdict['detail'],
                       'signers': verdict['signers'], 'organization_name': report['organization_name'],
                       'report_id': report['report_id'],
                       'policy_domains': sorted(set(policy['policy_domain'] or report_summary.UNKNOWN_DOMAIN
                                                    for policy in report['policies']))}
                      for item, verdict, report in discards],
        'dkim_counts': counts,
        'excluded': {'duplicates': duplicates, 'other_domains': other_domain, 'before_since': before_since},
    }
    if return_reports:
        result['reports'] = [report_summary.public_report(report) for report in kept]
    return result


def run_module(module):
    """Read the reports named by the options and exit with the result; changes nothing but O(metrics_path)
    and, with ``imap.read_only: false``, where messages are in the mailbox."""
    params = module.params
    if params['metrics_path']:
        problem = files.metrics_target_problem(params['metrics_path'])
        if problem:
            module.fail_json(msg=problem, invalid_options=['metrics_path'])
    dkim_required = require_dkim(params)
    if dkim_required or params.get('imap'):
        check_libraries(module, [_resolver.DNSPYTHON] + ([_dkim.DKIMPY] if dkim_required else []))
    since = parse_since(params['since']) if params['since'] is not None else None
    judge = None
    if dkim_required:
        judge = make_judge(_resolver.make_resolver(params['nameservers'], params['dns_port'], params['timeout']))
    mailbox = {}
    try:
        outcomes, warnings = collect_for(module, params, judge, mailbox)
    except SourceError as exc:
        module.fail_json(msg=exc.msg, invalid_options=[exc.option])
    for warning in warnings:
        module.warn(warning)
    result = evaluate(outcomes, params['domain'], since, params['return_reports'], dkim_required)
    result['require_dkim'] = dkim_required
    result['changed'] = False
    if params.get('imap'):
        result['imap'] = mailbox
        result['changed'] = bool(mailbox['moved'])
    if params['metrics_path']:
        text = metrics.report_metrics(result['summary'], [report_parse.domain_key(name) for name in params['domain']])
        result['changed'] = files.write_metrics(module, params['metrics_path'], text) or result['changed']
    module.exit_json(**result)


def collect_for(module, params, judge, mailbox):
    """``collect`` with the module's check mode passed to the mailbox (nothing moves in check mode)."""
    return collect(dict(params, _check_mode=module.check_mode), judge, mailbox)
