# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The STSv1 policy file (RFC 8461 section 3.2): parse, validate, render, identify.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

``parse()`` never raises on any input: it returns what a sender would take from the text plus a
list of findings. A finding of severity ``error`` means a strict RFC 8461 sender rejects the
policy; ``warning`` means the policy is usable but something about it is fragile or wrong.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import re

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.findings import ERROR, WARNING, Finding
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.mx import pattern_error

VERSION = 'STSv1'
MODES = ('enforce', 'testing', 'none')
# Where senders fetch a domain's policy (RFC 8461 3.3): https://mta-sts.<domain>/.well-known/mta-sts.txt
POLICY_HOST_PREFIX = 'mta-sts'
POLICY_PATH = '/.well-known/mta-sts.txt'
MAX_AGE_MAX = 31557600
FIELD_ORDER = ('version', 'mode', 'mx', 'max_age')

_FIELD_NAME_RE = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,31}')
_MAX_AGE_RE = re.compile(r'[0-9]{1,10}')
_WSP = ' \t'
# Characters that Python's str.splitlines() would also treat as line breaks; the policy
# grammar knows only LF and CRLF, so a sender's parser does not split on them.
_OTHER_LINE_BREAKS = '\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029'


def policy_host(domain):
    """The host that serves the policy of ``domain``: ``mta-sts.<domain>``."""
    return '%s.%s' % (POLICY_HOST_PREFIX, domain)


def policy_url(domain):
    """The URL senders fetch the policy of ``domain`` from."""
    return 'https://%s%s' % (policy_host(domain), POLICY_PATH)


def _decode(data, findings):
    """Text from bytes the way a sender reads a body: UTF-8, BOM reported, never raising."""
    if isinstance(data, str):
        text = data
    else:
        data = bytes(data)
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError as exc:
            findings.append(Finding(
                ERROR, 'encoding',
                'the policy is not valid UTF-8 (byte 0x%02x at offset %d); RFC 8461 3.2 wants UTF-8 text'
                % (data[exc.start], exc.start)))
            text = data.decode('utf-8', 'replace')
    if text.startswith('\ufeff'):
        findings.append(Finding(
            ERROR, 'bom',
            'the policy starts with a byte order mark; senders then read the first field name as '
            '"\\ufeffversion" and find no version (RFC 8461 3.2)'))
        text = text[1:]
    return text


def _split_lines(text, findings):
    """Split on LF and CRLF only, reporting bare CR, other breaks and LF-only endings."""
    if '\r' in text.replace('\r\n', ''):
        findings.append(Finding(
            ERROR, 'line-break',
            'the policy contains a bare CR; RFC 8461 3.2 ends lines with CRLF or LF only'))
    other = sorted(set(char for char in text if char in _OTHER_LINE_BREAKS))
    if other:
        findings.append(Finding(
            ERROR, 'line-break',
            'the policy contains line-break characters other than CRLF/LF (%s); '
            'RFC 8461 3.2 parsers do not split lines on them' % ', '.join('U+%04X' % ord(char) for char in other)))
    lf_count = text.count('\n')
    crlf_count = text.count('\r\n')
    if lf_count > crlf_count:
        findings.append(Finding(
            WARNING, 'crlf',
            '%d of %d line(s) end with LF instead of CRLF; RFC 8461 3.2 accepts LF but the '
            'policy is meant to be CRLF-separated, and some senders are strict about it'
            % (lf_count - crlf_count, lf_count)))
    lines = text.split('\n')
    lines = [line[:-1] if line.endswith('\r') else line for line in lines]
    if lines and lines[-1] == '':
        # The text ended with a line break: that is a terminator, not an empty line.
        lines.pop()
    return lines


def _check_characters(number, line, findings):
    if any(ord(char) > 127 for char in line):
        findings.append(Finding(
            WARNING, 'non-ascii',
            'line %d contains non-ASCII characters; only extension values may carry UTF-8 '
            '(RFC 8461 3.2)' % number))
    controls = [char for char in line if (ord(char) < 32 and char != '\t') or ord(char) == 127]
    controls = [char for char in controls if char not in _OTHER_LINE_BREAKS and char != '\r']
    if controls:
        findings.append(Finding(
            ERROR, 'control-character',
            'line %d contains control characters (%s); RFC 8461 3.2 allows none'
            % (number, ', '.join('0x%02x' % ord(char) for char in sorted(set(controls))))))


def _check_value(name, value, number, policy, seen, findings):
    """Validate one known field and record it in ``policy`` (first occurrence wins)."""
    if name == 'mx':
        error = pattern_error(value)
        if error is not None:
            findings.append(Finding(
                ERROR, 'mx',
                'line %d: mx %r %s (RFC 8461 3.2 wants ["*."] Domain)' % (number, value, error)))
        else:
            policy['mx'].append(value)
        return
    if name in seen:
        findings.append(Finding(
            WARNING, 'duplicate',
            'line %d repeats %s; senders use the first occurrence (RFC 8461 3.2)' % (number, name)))
        return
    seen.add(name)
    if name == 'version':
        if value != VERSION:
            findings.append(Finding(
                ERROR, 'version',
                'line %d: version is %r; RFC 8461 3.2 wants "STSv1" (case-sensitive)' % (number, value)))
        else:
            policy['version'] = value
    elif name == 'mode':
        if value not in MODES:
            hint = ''
            if value.lower() in MODES:
                hint = ' (values are case-sensitive)'
            findings.append(Finding(
                ERROR, 'mode',
                'line %d: mode is %r; RFC 8461 3.2 wants enforce, testing or none%s' % (number, value, hint)))
        else:
            policy['mode'] = value
    elif name == 'max_age':
        if not _MAX_AGE_RE.fullmatch(value):
            findings.append(Finding(
                ERROR, 'max_age',
                'line %d: max_age is %r; RFC 8461 3.2 wants 1 to 10 digits' % (number, value)))
        elif int(value) > MAX_AGE_MAX:
            findings.append(Finding(
                ERROR, 'max_age',
                'line %d: max_age is %s; RFC 8461 3.2 allows at most %d (one year)' % (number, value, MAX_AGE_MAX)))
        else:
            policy['max_age'] = int(value)


def parse(data):
    """Parse a policy body (str or bytes) the way a sending MTA does; never raises.

    Returns ``(policy, findings)``. ``policy`` is a dict with ``version``, ``mode``, ``max_age``
    (int) and ``mx`` (list of valid patterns in file order); a field that is missing or invalid
    is None. ``extensions`` maps unknown field names to their first value: they are ignored by
    senders and kept only so they can be reported.
    """
    findings = []
    text = _decode(data, findings)
    policy = {'version': None, 'mode': None, 'max_age': None, 'mx': [], 'extensions': {}}
    seen = set()
    for number, line in enumerate(_split_lines(text, findings), start=1):
        _check_characters(number, line, findings)
        if line.strip(_WSP) == '':
            findings.append(Finding(
                WARNING, 'empty-line',
                'line %d is empty; RFC 8461 3.2 has no empty lines, strict parsers reject them' % number))
            continue
        name, sep, value = line.partition(':')
        if not sep or not _FIELD_NAME_RE.fullmatch(name):
            findings.append(Finding(
                ERROR, 'syntax',
                'line %d is not a "name: value" field: %r (RFC 8461 3.2)' % (number, line[:80])))
            continue
        value = value.strip(_WSP)
        if name in FIELD_ORDER:
            _check_value(name, value, number, policy, seen, findings)
            continue
        if name.lower() in FIELD_ORDER:
            findings.append(Finding(
                WARNING, 'field-case',
                'line %d: field %r is not %r; field names are case-sensitive, so senders ignore it '
                '(RFC 8461 3.2)' % (number, name, name.lower())))
        policy['extensions'].setdefault(name, value)
    _check_required(policy, findings)
    return policy, findings


def _check_required(policy, findings):
    for name in ('version', 'mode', 'max_age'):
        if policy[name] is None and not any(f.rule == name for f in findings):
            findings.append(Finding(
                ERROR, name, 'the policy has no %s field; RFC 8461 3.2 requires it' % name))
    if not policy['mx']:
        if policy['mode'] == 'none':
            findings.append(Finding(
                WARNING, 'mx',
                'the policy has no valid mx line; mode none allows that, but RFC 8461 3.2 lists '
                'mx as one or more patterns and some senders reject a policy without one'))
        else:
            findings.append(Finding(
                ERROR, 'mx',
                'the policy has no valid mx line; in mode %s RFC 8461 3.2 needs at least one pattern'
                % (policy['mode'] or 'enforce/testing')))


def unique_mx(patterns):
    """mx patterns without repeats (compared case-insensitively), in the order given."""
    seen = set()
    result = []
    for pattern in patterns:
        key = pattern.lower()
        if key not in seen:
            seen.add(key)
            result.append(pattern)
    return result


def policy_problems(mode, mx, max_age):
    """Return a list of ``(option, message)`` for desired-policy values that are not allowed.

    This is the check made on module and role input before anything is written; every message
    names the option and the rule.
    """
    problems = []
    if mode not in MODES:
        problems.append(('mode', 'mode must be one of enforce, testing, none (RFC 8461 3.2), got %r' % (mode,)))
    if not isinstance(mx, (list, tuple)) or not mx:
        problems.append(('mx', 'mx must list at least one pattern (RFC 8461 3.2); keep the mx lines '
                               'even in mode none, some senders reject a policy without one'))
    else:
        for pattern in mx:
            error = pattern_error(pattern)
            if error is not None:
                problems.append(('mx', 'mx entry %r %s; each entry must be ["*."] Domain in A-labels '
                                       '(RFC 8461 3.2)' % (pattern, error)))
    if isinstance(max_age, bool) or not isinstance(max_age, int) or not 0 <= max_age <= MAX_AGE_MAX:
        problems.append(('max_age', 'max_age must be an integer from 0 to %d seconds (RFC 8461 3.2), got %r'
                         % (MAX_AGE_MAX, max_age)))
    return problems


def render(policy):
    """The canonical policy text: CRLF line ends, fields in the order version, mode, mx, max_age.

    ``policy`` needs ``mode``, ``mx`` and ``max_age``; mx patterns are de-duplicated
    case-insensitively in the order given. The caller checks first (see ``policy_problems()``).
    """
    lines = ['version: %s' % VERSION, 'mode: %s' % policy['mode']]
    lines.extend('mx: %s' % pattern for pattern in unique_mx(policy['mx']))
    lines.append('max_age: %d' % int(policy['max_age']))
    return ''.join(line + '\r\n' for line in lines)


def policy_id(policy):
    """A policy id derived from the canonical text alone: 32 hex digits, the same on every host.

    Any change to the canonical content changes the id, which is what RFC 8461 3.1 asks of it.
    """
    return hashlib.sha256(render(policy).encode('ascii')).hexdigest()[:32]
