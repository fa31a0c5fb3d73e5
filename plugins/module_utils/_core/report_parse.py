# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One SMTP TLS report (RFC 8460 section 4): tolerant parse and normalization, from JSON, gzip or e-mail.

Pure functions, no AnsibleModule and no file access. Input arrives as bytes (raw JSON, gzip, or an
e-mail message) and leaves as *outcomes*: ``{'source', 'report', 'findings'}`` where ``report`` is
the normalized report (snake_case keys, datetimes as ``YYYY-MM-DDTHH:MM:SSZ``) or ``None`` when an
error finding makes it unusable. Parsing never raises on hostile input: every problem is a Finding.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import email
import hashlib
import json
import re

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.findings import ERROR, WARNING, Finding
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.report_decode import (
    clip, MAX_UNCOMPRESSED_SIZE, ReportError, decode, sniff,
)
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.time import format_timestamp

POLICY_TYPES = ('sts', 'tlsa', 'no-policy-found')
# RFC 8460 4.3.1: the sender could not negotiate an authenticated TLS session with the MX host.
NEGOTIATION_FAILURES = ('starttls-not-supported', 'certificate-host-mismatch', 'certificate-expired',
                        'certificate-not-trusted', 'validation-failure')
# RFC 8460 4.3.2.2: the MTA-STS policy could not be fetched or used.
STS_POLICY_FAILURES = ('sts-policy-fetch-error', 'sts-policy-invalid', 'sts-webpki-invalid')
# RFC 8460 4.3.2.1: DANE; a sender using DANE does not apply MTA-STS (RFC 8461 section 2).
DANE_FAILURES = ('tlsa-invalid', 'dnssec-invalid', 'dane-required')
# Failures that keep a domain from being ready for mode enforce (see readiness()).
BLOCKING_FAILURES = NEGOTIATION_FAILURES + STS_POLICY_FAILURES
UNKNOWN_DOMAIN = '(unknown)'

_DATETIME = re.compile(
    r'\s*(\d{4})-(\d{2})-(\d{2})'
    r'(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?'
    r'\s*(?:([Zz]|UTC|GMT)|([+-])(\d{2}):?(\d{2}))?\s*')
_SUBJECT_DOMAIN = re.compile(r'Report[ \t]+Domain:[ \t]*([^\s;]+)', re.IGNORECASE)
_REPORT_MEDIA_TYPES = ('application/tlsrpt+gzip', 'application/tlsrpt+json', 'application/gzip',
                       'application/x-gzip', 'application/json')
_REPORT_SUFFIXES = ('.json', '.json.gz', '.gz')
# A report mail is a text part and one attachment; bounds on what one message may cost (issue 21).
MAX_MIME_PARTS = 200
MAX_REPORT_PARTS = 20

# ---------------------------------------------------------------- hints from names and mail


def domain_from_filename(name):
    """The policy domain in an RFC 8460 5.1 file name ``sender!policy-domain!begin!end[!id].json[.gz]``, or None."""
    if not name:
        return None
    base = re.split(r'[\\/]', name)[-1]
    fields = base.split('!')
    if len(fields) < 4:
        return None
    domain = domain_key(fields[1])
    return domain or None


def domain_from_subject(subject):
    """The domain in an RFC 8460 5.3 subject ``Report Domain: <domain> Submitter: ...``, or None."""
    match = _SUBJECT_DOMAIN.search(subject or '')
    if not match:
        return None
    return domain_key(match.group(1)) or None


def domain_key(name):
    """A domain name as reports are matched on it: lower case, no trailing dot; '' for anything that
    is not a plausible name."""
    if not isinstance(name, str):
        return ''
    name = name.strip().rstrip('.').lower()
    if not name or len(name) > 253 or any(ch.isspace() for ch in name):
        return ''
    return name


# ---------------------------------------------------------------- datetimes

def parse_datetime(value):
    """``(datetime in UTC, zone_given)`` from an RFC 3339 date-time, tolerating a missing zone; ValueError if not one."""
    if not isinstance(value, str):
        raise ValueError('not a string')
    match = _DATETIME.fullmatch(value)
    if not match:
        raise ValueError('not an RFC 3339 date-time')
    year, month, day, hour, minute, second, fraction, zulu, sign, zone_hours, zone_minutes = match.groups()
    second = int(second or 0)
    # A leap second (23:59:60) is the end of that minute.
    moment = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), min(second, 59))
    if fraction:
        moment += datetime.timedelta(microseconds=int((fraction + '000000')[:6]))
    if sign:
        offset = datetime.timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
        if offset >= datetime.timedelta(hours=24):
            raise ValueError('zone offset out of range')
        moment = moment - offset if sign == '+' else moment + offset
    return moment, bool(zulu or sign)


# ---------------------------------------------------------------- one report

def _describe(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, (int, float)):
        return 'a number'
    if isinstance(value, str):
        return 'a string'
    if isinstance(value, list):
        return 'a list'
    return 'an object'


def _wrong(value, present, expected):
    """'missing' or 'a string, not an object'."""
    return 'missing' if not present else '%s, not %s' % (_describe(value), expected)


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _not_a_count(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return 'negative (%d)' % value
    return _describe(value) + ', not a count'


def _string_list(value):
    """A list of strings from a string or a list (non-strings dropped); None if neither."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return None


def policy_mode(policy_strings):
    """The ``mode`` of an STSv1 policy given as lines (RFC 8460 ``policy-string``); None if absent."""
    for line in policy_strings or ():
        # A sender may put the whole policy in one string.
        for part in re.split(r'\r?\n', line):
            key, sep, value = part.partition(':')
            if sep and key.strip() == 'mode':
                value = value.strip()
                return value if value else None
    return None


def _parse_datetime_field(date_range, key, findings):
    value = date_range.get(key)
    if value is None:
        findings.append(Finding(ERROR, 'date-range', 'date-range.%s is missing' % key))
        return None
    try:
        moment, zoned = parse_datetime(value)
    except (ValueError, OverflowError) as exc:
        findings.append(Finding(ERROR, 'date-range', 'date-range.%s %s is not a date-time (%s)'
                                % (key, clip(json.dumps(value)), exc)))
        return None
    if not zoned:
        findings.append(Finding(WARNING, 'datetime-zone', 'date-range.%s %s has no time zone; taken as UTC'
                                % (key, clip(value))))
    return moment


def _normalize_failure(index, detail, prefix, findings):
    where = '%s.failure-details[%d]' % (prefix, index)
    if not isinstance(detail, dict):
        findings.append(Finding(WARNING, 'failure-details', '%s is %s, not an object; ignored' % (where, _describe(detail))))
        return None
    result_type = detail.get('result-type')
    count = detail.get('failed-session-count')
    if not isinstance(result_type, str) or not result_type:
        findings.append(Finding(WARNING, 'failure-details', '%s has no result-type; ignored' % where))
        return None
    if not _count(count):
        findings.append(Finding(WARNING, 'failure-details', '%s failed-session-count is %s; ignored'
                                % (where, 'missing' if count is None else _not_a_count(count))))
        return None

    def text(key, lower=False):
        value = detail.get(key)
        if not isinstance(value, str):
            return None
        return value.strip().rstrip('.').lower() if lower else value

    return {
        'result_type': result_type.strip().lower(),
        'failed_session_count': count,
        'sending_mta_ip': text('sending-mta-ip'),
        'receiving_mx_hostname': text('receiving-mx-hostname', lower=True),
        'receiving_mx_helo': text('receiving-mx-helo'),
        'receiving_ip': text('receiving-ip'),
        'additional_information': text('additional-information'),
        'failure_reason_code': text('failure-reason-code') or text('failure-error-code'),
    }


def _policy_fields(prefix, entry, findings):
    """``(policy_type, policy_domain, policy_strings, mx_hosts, ok)`` of one policies[] entry's
    ``policy`` object; ``ok`` is False after an error finding."""
    policy = entry.get('policy')
    ok = True
    if not isinstance(policy, dict):
        findings.append(Finding(ERROR, 'policy', '%s.policy is %s' % (prefix, _wrong(policy, 'policy' in entry, 'an object'))))
        policy = {}
        ok = False
    policy_type = policy.get('policy-type')
    if ok and (not isinstance(policy_type, str) or not policy_type.strip()):
        findings.append(Finding(ERROR, 'policy-type', '%s.policy.policy-type is %s' % (
            prefix, 'missing' if policy_type is None else _describe(policy_type) + ', not a name')))
        ok = False
    elif ok:
        policy_type = policy_type.strip().lower()
        if policy_type not in POLICY_TYPES:
            findings.append(Finding(WARNING, 'policy-type', '%s.policy.policy-type %s is not one of %s'
                                    % (prefix, clip(policy_type, 60), ', '.join(POLICY_TYPES))))

    domain = policy.get('policy-domain')
    if domain is not None and not isinstance(domain, str):
        findings.append(Finding(ERROR, 'policy-domain', '%s.policy.policy-domain is %s, not a name' % (prefix, _describe(domain))))
        ok = False
    domain = domain_key(domain) or None

    policy_strings = policy.get('policy-string')
    strings = _string_list(policy_strings) if policy_strings is not None else []
    if strings is None:
        findings.append(Finding(WARNING, 'policy-string', '%s.policy.policy-string is %s; ignored' % (prefix, _describe(policy_strings))))
        strings = []
    mx_host = policy.get('mx-host')
    hosts = _string_list(mx_host) if mx_host is not None else []
    if hosts is None:
        findings.append(Finding(WARNING, 'mx-host', '%s.policy.mx-host is %s; ignored' % (prefix, _describe(mx_host))))
        hosts = []
    return policy_type, domain, strings, hosts, ok


def _session_counts(prefix, entry, findings):
    """``(successful, failed, ok)`` from one policies[] entry's ``summary`` (None: not given)."""
    summary = entry.get('summary')
    if not isinstance(summary, dict):
        findings.append(Finding(ERROR, 'summary', '%s.summary is %s' % (prefix, _wrong(summary, 'summary' in entry, 'an object'))))
        return None, None, False
    ok = True
    successful = summary.get('total-successful-session-count')
    failed = summary.get('total-failure-session-count')
    if successful is None and failed is None:
        findings.append(Finding(ERROR, 'summary', '%s.summary has neither total-successful-session-count nor '
                                'total-failure-session-count' % prefix))
        ok = False
    for key, value in (('total-successful-session-count', successful), ('total-failure-session-count', failed)):
        if value is not None and not _count(value):
            findings.append(Finding(ERROR, 'summary', '%s.summary.%s is %s' % (prefix, key, _not_a_count(value))))
            ok = False
    return successful, failed, ok


def _failure_details(prefix, entry, findings):
    """The usable entries of one policies[] entry's ``failure-details``; the others are warnings."""
    raw_details = entry.get('failure-details')
    if raw_details is not None and not isinstance(raw_details, list):
        findings.append(Finding(WARNING, 'failure-details', '%s.failure-details is %s, not a list; ignored'
                                % (prefix, _describe(raw_details))))
        return []
    details = [_normalize_failure(number, detail, prefix, findings) for number, detail in enumerate(raw_details or [])]
    return [detail for detail in details if detail is not None]


def _normalize_policy(index, entry, findings):
    """One policies[] entry as the module returns it, or None after an error finding."""
    prefix = 'policies[%d]' % index
    if not isinstance(entry, dict):
        findings.append(Finding(ERROR, 'policies', '%s is %s, not an object' % (prefix, _describe(entry))))
        return None
    policy_type, domain, strings, hosts, policy_ok = _policy_fields(prefix, entry, findings)
    successful, failed, counts_ok = _session_counts(prefix, entry, findings)
    details = _failure_details(prefix, entry, findings)
    if not (policy_ok and counts_ok):
        return None
    failed = failed or 0
    detailed = sum(detail['failed_session_count'] for detail in details)
    if detailed > failed:
        findings.append(Finding(WARNING, 'summary', '%s failure-details count %d failed sessions, more than '
                                'total-failure-session-count %d' % (prefix, detailed, failed)))
    return {
        'policy_type': policy_type,
        'policy_domain': domain,
        'policy_string': strings,
        'mode': policy_mode(strings) if policy_type == 'sts' else None,
        'mx_host': hosts,
        'total_successful_session_count': successful or 0,
        'total_failure_session_count': failed,
        'failure_details': details,
    }


def _report_fields(data, findings):
    """``(organization, report_id, contact)`` of a report; None for one that is broken."""
    organization = data.get('organization-name')
    if not isinstance(organization, str) or not organization.strip():
        findings.append(Finding(ERROR, 'organization-name', 'organization-name is %s' % (
            'missing' if organization is None else ('empty' if isinstance(organization, str) else _describe(organization)))))
        organization = None

    report_id = data.get('report-id')
    if not isinstance(report_id, str):
        findings.append(Finding(ERROR, 'report-id', 'report-id is %s' % (
            'missing' if report_id is None else _describe(report_id) + ', not a string')))
        report_id = None
    elif not report_id.strip():
        findings.append(Finding(WARNING, 'report-id', 'report-id is empty; repeats of this report are recognized by content'))

    contact = data.get('contact-info')
    if contact is not None and not isinstance(contact, str):
        findings.append(Finding(WARNING, 'contact-info', 'contact-info is %s, not a string; ignored' % _describe(contact)))
        contact = None
    return organization, report_id, contact


def _date_range(data, findings):
    """``(start, end)`` datetimes of a report's date-range (None where broken)."""
    date_range = data.get('date-range')
    if not isinstance(date_range, dict):
        findings.append(Finding(ERROR, 'date-range', 'date-range is %s' % _wrong(date_range, date_range is not None, 'an object')))
        return None, None
    start = _parse_datetime_field(date_range, 'start-datetime', findings)
    end = _parse_datetime_field(date_range, 'end-datetime', findings)
    if start is not None and end is not None and end < start:
        findings.append(Finding(ERROR, 'date-range', 'date-range ends (%s) before it starts (%s)'
                                % (format_timestamp(end), format_timestamp(start))))
    return start, end


def _policies(data, findings):
    raw_policies = data.get('policies')
    if not isinstance(raw_policies, list):
        findings.append(Finding(ERROR, 'policies', 'policies is %s' % _wrong(raw_policies, raw_policies is not None, 'a list')))
        return []
    if not raw_policies:
        findings.append(Finding(WARNING, 'policies', 'policies is empty: the report counts no sessions'))
    policies = [_normalize_policy(index, entry, findings) for index, entry in enumerate(raw_policies)]
    return [policy for policy in policies if policy is not None]


def _fill_policy_domains(policies, domain_hint, findings):
    """Give a policy without policy-domain (common for no-policy-found) the domain the report's
    other policies name when they agree, else the file name's or mail subject's (``domain_hint``)."""
    known = set(policy['policy_domain'] for policy in policies if policy['policy_domain'])
    fallback = known.pop() if len(known) == 1 else domain_key(domain_hint) or None
    for index, policy in enumerate(policies):
        if policy['policy_domain'] is None:
            policy['policy_domain'] = fallback
            if fallback is None:
                findings.append(Finding(WARNING, 'policy-domain', 'policies[%d] names no policy-domain; counted under %s'
                                        % (index, UNKNOWN_DOMAIN)))
            elif policy['policy_type'] != 'no-policy-found':
                findings.append(Finding(WARNING, 'policy-domain', 'policies[%d] names no policy-domain; taken as %s'
                                        % (index, fallback)))


def normalize(data, source=None, domain_hint=None):
    """``(report, findings)`` from decoded report JSON; ``report`` is None when any finding is an error.

    ``domain_hint`` (from the file name or the mail subject) stands in for a missing ``policy-domain``.
    """
    findings = []
    if not isinstance(data, dict):
        findings.append(Finding(ERROR, 'json', 'the report is %s, not a JSON object' % _describe(data)))
        return None, findings
    organization, report_id, contact = _report_fields(data, findings)
    start, end = _date_range(data, findings)
    policies = _policies(data, findings)
    if any(finding.severity == ERROR for finding in findings):
        return None, findings
    _fill_policy_domains(policies, domain_hint, findings)

    report = {
        'source': source,
        'organization_name': organization.strip(),
        'contact_info': contact,
        'report_id': report_id.strip(),
        'start': format_timestamp(start),
        'end': format_timestamp(end),
        'policies': policies,
        'findings': [finding.as_dict() for finding in findings],
    }
    if not report['report_id']:
        report['_content_key'] = hashlib.sha256(json.dumps(data, sort_keys=True).encode('utf-8')).hexdigest()
    return report, findings


def outcome(source, report, findings):
    return {'source': source, 'report': report, 'findings': findings}


def _refused(source, rule, msg):
    return [outcome(source, None, [Finding(ERROR, rule, msg)])]


def parse_json(data, source=None, domain_hint=None, max_uncompressed=MAX_UNCOMPRESSED_SIZE):
    """One outcome from raw JSON or gzip JSON bytes (or text)."""
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogatepass')
    try:
        value = decode(data, max_uncompressed)
    except ReportError as exc:
        return outcome(source, None, [Finding(ERROR, exc.rule, exc.msg)])
    report, findings = normalize(value, source, domain_hint)
    return outcome(source, report, findings)


def _report_parts(message):
    """``(filename, payload bytes)`` for each part that carries a TLS report, by media type or file name.

    At most ``MAX_MIME_PARTS`` parts are looked at and ``MAX_REPORT_PARTS`` reports taken: a report mail
    has one attachment, and each report costs a JSON parse (ReportError beyond either).
    """
    found = []
    for number, part in enumerate(message.walk(), start=1):
        if number > MAX_MIME_PARTS:
            raise ReportError('email', 'the message has more than %d MIME parts; a report mail has a few, refused'
                              % MAX_MIME_PARTS)
        if part.is_multipart():
            continue
        media_type = part.get_content_type().lower()
        try:
            filename = part.get_filename() or ''
        except (TypeError, ValueError, LookupError, AttributeError):
            filename = ''
        if not isinstance(filename, str):
            filename = str(filename)
        if media_type in _REPORT_MEDIA_TYPES or filename.lower().endswith(_REPORT_SUFFIXES):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                found.append((filename, payload))
                if len(found) > MAX_REPORT_PARTS:
                    raise ReportError('email', 'the message has more than %d TLS report attachments; refused'
                                      % MAX_REPORT_PARTS)
    return found


def parse_email(data, source=None, domain_hint=None, max_uncompressed=MAX_UNCOMPRESSED_SIZE):
    """The outcomes of the TLS report attachments of one e-mail message (bytes).

    Any message is searched, not only ``multipart/report; report-type="tlsrpt"``: forwarding and
    list software rewrite the top-level type. Parts count by media type (``application/tlsrpt+gzip``,
    ``application/tlsrpt+json``, ``application/gzip``, ``application/json``) or by a ``.json``,
    ``.json.gz`` or ``.gz`` file name.
    """
    data = bytes(data)
    # The e-mail parser builds every part before any can be counted (about 1 s per MiB of tiny
    # parts): lines that can open a part are counted first, in C.
    if data.count(b'\n--') > 5 * MAX_MIME_PARTS:
        return _refused(source, 'email', 'the message has more than %d MIME parts; a report mail has a few, refused'
                        % MAX_MIME_PARTS)
    try:
        message = email.message_from_bytes(data)
        subject = message.get('Subject', '')
        parts = _report_parts(message)
    except ReportError as exc:
        return _refused(source, exc.rule, exc.msg)
    except Exception as exc:  # pylint: disable=broad-except
        # The e-mail package is lenient, but hostile MIME has found odd corners before.
        return _refused(source, 'email', 'cannot read the e-mail message: %s' % clip(exc))
    if not parts:
        return _refused(source, 'email', 'no TLS report found: not JSON, not gzip, and not an e-mail message with a '
                                         'TLSRPT attachment (application/tlsrpt+gzip or a .json/.json.gz file)')
    hint = domain_hint or domain_from_subject(subject if isinstance(subject, str) else str(subject))
    results = []
    for filename, payload in parts:
        name = source if len(parts) == 1 or not filename else '%s#%s' % (source, filename)
        results.append(parse_json(payload, name, domain_from_filename(filename) or hint, max_uncompressed))
    return results


def parse_bytes(data, source=None, domain_hint=None, max_uncompressed=MAX_UNCOMPRESSED_SIZE):
    """The outcomes of one input, recognized by content: gzip, JSON, or an e-mail message."""
    kind = sniff(data)
    if kind == 'email':
        return parse_email(data, source, domain_hint, max_uncompressed)
    return [parse_json(data, source, domain_hint, max_uncompressed)]


def rejection(result):
    """``{source, reason}`` for an outcome without a report: its error findings in one sentence."""
    reasons = [finding.msg for finding in result['findings'] if finding.severity == ERROR]
    return {'source': result['source'], 'reason': '; '.join(reasons) or 'not a TLS report'}
