# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``_mta-sts`` (RFC 8461 3.1) and ``_smtp._tls`` (RFC 8460 3) TXT record grammars.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

A TXT record arrives as one or more character strings; they are joined with no separator before
anything else is looked at. Of all TXT records at the name, those that do not start with the
version tag are ignored; when not exactly one remains, the domain has no policy (or no TLSRPT).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.findings import ERROR, WARNING, Finding
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.names import domain_error

STS_VERSION = 'v=STSv1'
TLSRPT_VERSION = 'v=TLSRPTv1'
STS_PREFIX = '_mta-sts'
TLSRPT_PREFIX = '_smtp._tls'
# The record kinds the record modules publish: owner name prefix, version tag, and the field holding
# the record's content (also the name of the record modules' option for it). A DKIM key record
# (_core.dkim_key) has no fixed prefix (its name is <selector>._domainkey.<domain>) and no version
# tag to tell it from other TXT records: v=DKIM1 is optional (RFC 6376 3.6.1), and a key name holds
# key records only, so every TXT record there is of its kind (``is_kind``).
KINDS = {
    'sts': {'prefix': STS_PREFIX, 'version': STS_VERSION, 'field': 'id'},
    'tlsrpt': {'prefix': TLSRPT_PREFIX, 'version': TLSRPT_VERSION, 'field': 'rua'},
    'dkim': {'prefix': None, 'version': None, 'field': 'public_key'},
}
MAX_TXT_STRING = 255
MAX_TTL = 2147483647  # RFC 2181 8
DEFAULT_TTL = 3600

_FIELD_DELIM_RE = re.compile(r'[ \t]*;[ \t]*')
_EXT_NAME_RE = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,31}')
# sts-ext-value / tlsrpt-ext-value: visible ASCII except "=" and ";".
_EXT_VALUE_RE = re.compile(r'[\x21-\x3a\x3c\x3e-\x7e]+')
_STS_ID_RE = re.compile(r'[A-Za-z0-9]{1,32}')
_URI_SEPARATOR_RE = re.compile(r'[ \t]*,[ \t]*')
# What may stand in a URI at all (RFC 3986 unreserved, reserved and "%"), less the characters
# RFC 8460 3 wants percent-encoded inside a rua URI ("," "!" ";").
_URI_CHARS_RE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@$&'()*+=%]+")
_PERCENT_RE = re.compile(r'%(?![0-9A-Fa-f]{2})')


def record_name(prefix, domain):
    """The owner name of a policy domain's record, e.g. ``_mta-sts.example.com``."""
    return '%s.%s' % (prefix, domain)


def join_strings(strings):
    """One TXT record's value from its character strings (bytes or str), joined without separator."""
    if isinstance(strings, (str, bytes, bytearray)):
        strings = [strings]
    parts = []
    for part in strings:
        if isinstance(part, (bytes, bytearray)):
            part = bytes(part).decode('utf-8', 'replace')
        parts.append(part)
    return ''.join(parts)


def split_strings(value, limit=MAX_TXT_STRING):
    """``value`` cut into character strings of at most ``limit`` bytes each, for a TXT rdata.

    Cuts fall between UTF-8 characters, so every string decodes on its own.
    """
    data = value.encode('utf-8')
    strings = []
    while data:
        cut = min(limit, len(data))
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:
            cut -= 1
        strings.append(data[:cut].decode('utf-8'))
        data = data[cut:]
    return strings or ['']


def has_version(value, version):
    """Whether a joined TXT value is of this record kind: it starts with the version tag.

    The tag must be followed by the end, whitespace or ";", so ``v=STSv10`` is not an STSv1 record.
    """
    if not value.startswith(version):
        return False
    rest = value[len(version):]
    return rest == '' or rest[0] in ' \t;'


def is_kind(value, version):
    """Whether a joined TXT value belongs to the record kind of ``version`` (a version tag, or None
    for a kind that owns every TXT record at its name: the DKIM key record)."""
    return version is None or has_version(value, version)


def _fields(value, version, rule, findings):
    """The ``name=value`` fields after the version tag, as a list of (name, value) pairs."""
    if not has_version(value, version):
        findings.append(Finding(ERROR, rule, 'the record does not start with %r (case-sensitive)' % version))
        return None
    rest = value[len(version):]
    if rest.strip(' \t') == '':
        return []
    if not _FIELD_DELIM_RE.match(rest):
        findings.append(Finding(ERROR, rule, 'the version tag must be followed by ";", got %r' % rest[:20]))
        return None
    parts = _FIELD_DELIM_RE.split(rest)[1:]
    if parts and parts[-1] == '':
        parts.pop()
    fields = []
    for part in parts:
        name, sep, field_value = part.partition('=')
        if not sep or not _EXT_NAME_RE.fullmatch(name):
            findings.append(Finding(ERROR, rule, 'the field %r is not name=value with a valid name' % part[:40]))
            return None
        fields.append((name, field_value))
    return fields


def parse_sts(value):
    """Parse one joined ``_mta-sts`` TXT value. Returns ``({'id', 'extensions'} or None, findings)``."""
    findings = []
    fields = _fields(value, STS_VERSION, 'sts-record', findings)
    if fields is None:
        return None, findings
    record = {'id': None, 'extensions': {}}
    for name, field_value in fields:
        if name == 'id':
            if record['id'] is not None:
                findings.append(Finding(WARNING, 'sts-record', 'the record repeats id; senders use the first'))
            elif not _STS_ID_RE.fullmatch(field_value):
                findings.append(Finding(
                    ERROR, 'sts-id',
                    'id %r is not 1-32 letters and digits (RFC 8461 3.1)' % field_value[:64]))
                return None, findings
            else:
                record['id'] = field_value
        elif not _EXT_VALUE_RE.fullmatch(field_value):
            findings.append(Finding(
                ERROR, 'sts-record',
                'extension %s has an invalid value %r (RFC 8461 3.1)' % (name, field_value[:64])))
            return None, findings
        else:
            record['extensions'].setdefault(name, field_value)
    if record['id'] is None:
        findings.append(Finding(ERROR, 'sts-id', 'the record has no id field (RFC 8461 3.1)'))
        return None, findings
    return record, findings


def uri_error(uri):
    """Return why ``uri`` cannot be a TLSRPT rua destination (RFC 8460 3), or None."""
    if not isinstance(uri, str) or uri == '':
        return 'is empty'
    scheme, sep, rest = uri.partition(':')
    if not sep or scheme.lower() not in ('mailto', 'https'):
        return 'must be a mailto: or https: URI'
    for char, name in ((',', 'comma'), ('!', 'exclamation mark'), (';', 'semicolon')):
        if char in uri:
            return 'contains a %s; RFC 8460 3 wants it percent-encoded (%%%02X)' % (name, ord(char))
    if not _URI_CHARS_RE.fullmatch(uri):
        return 'contains characters not allowed in a URI (spaces, quotes, controls or non-ASCII)'
    if _PERCENT_RE.search(uri):
        return 'contains a "%" that does not start a percent-encoding (%XX)'
    if scheme.lower() == 'mailto':
        address = rest.split('?', 1)[0]
        local, at, domain = address.rpartition('@')
        if not at or not local or domain_error(domain) is not None:
            return 'is not mailto:local@domain'
    else:
        if not rest.startswith('//'):
            return 'is not https://host/...'
        host = rest[2:].split('/', 1)[0].split('?', 1)[0].rsplit('@', 1)[-1]
        host = re.sub(r':[0-9]+\Z', '', host)
        if domain_error(host) is not None:
            return 'has no valid host name after https://'
    return None


def parse_tlsrpt(value):
    """Parse one joined ``_smtp._tls`` TXT value. Returns ``({'rua', 'extensions'} or None, findings)``."""
    findings = []
    fields = _fields(value, TLSRPT_VERSION, 'tlsrpt-record', findings)
    if fields is None:
        return None, findings
    record = {'rua': None, 'extensions': {}}
    for name, field_value in fields:
        if name == 'rua':
            if record['rua'] is not None:
                findings.append(Finding(WARNING, 'tlsrpt-record', 'the record repeats rua; senders use the first'))
                continue
            uris = _URI_SEPARATOR_RE.split(field_value)
            for uri in uris:
                error = uri_error(uri)
                if error is not None:
                    findings.append(Finding(ERROR, 'tlsrpt-rua', 'rua %r %s (RFC 8460 3)' % (uri[:80], error)))
                    return None, findings
            record['rua'] = uris
        elif not _EXT_VALUE_RE.fullmatch(field_value):
            findings.append(Finding(
                ERROR, 'tlsrpt-record',
                'extension %s has an invalid value %r (RFC 8460 3)' % (name, field_value[:64])))
            return None, findings
        else:
            record['extensions'].setdefault(name, field_value)
    if record['rua'] is None:
        findings.append(Finding(ERROR, 'tlsrpt-rua', 'the record has no rua field (RFC 8460 3)'))
        return None, findings
    return record, findings


def _select(records, version, parse_one, kind, rule):
    """Apply the "exactly one record of this kind" rule to all TXT records at a name."""
    values = [join_strings(record) for record in records]
    ours = [value for value in values if has_version(value, version)]
    if not ours:
        return None, [Finding(ERROR, rule, 'no TXT record starting with %s; the domain has no %s' % (version, kind))]
    if len(ours) > 1:
        return None, [Finding(
            ERROR, rule,
            '%d TXT records start with %s; with more than one, senders treat the domain as having no %s'
            % (len(ours), version, kind))]
    return parse_one(ours[0])


def select_sts(records):
    """The ``_mta-sts`` record out of all TXT records at the name (each a list of strings)."""
    return _select(records, STS_VERSION, parse_sts, 'MTA-STS policy (RFC 8461 3.1)', 'sts-record')


def select_tlsrpt(records):
    """The ``_smtp._tls`` record out of all TXT records at the name (each a list of strings)."""
    return _select(records, TLSRPT_VERSION, parse_tlsrpt, 'TLS reporting (RFC 8460 3)', 'tlsrpt-record')


def render_sts(policy_id):
    """The ``_mta-sts`` TXT value for an id (validated with ``sts_id_error`` first)."""
    return '%s; id=%s;' % (STS_VERSION, policy_id)


def render_tlsrpt(rua):
    """The ``_smtp._tls`` TXT value for a list of rua URIs (validated with ``uri_error`` first)."""
    return '%s; rua=%s' % (TLSRPT_VERSION, ','.join(rua))


def sts_id_error(value):
    """Return why ``value`` cannot be an ``_mta-sts`` id (1-32 ALPHA/DIGIT), or None."""
    if not isinstance(value, str) or not _STS_ID_RE.fullmatch(value):
        return 'must be 1 to 32 letters and digits (RFC 8461 3.1)'
    return None
