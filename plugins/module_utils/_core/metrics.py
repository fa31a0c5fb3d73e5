# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Verification results and the TLS report summary as Prometheus metrics text (pure).

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

The text is what node_exporter's textfile collector reads: the Prometheus text format 0.0.4, one
HELP and one TYPE line per family, ended by ``# EOF`` (OpenMetrics' end marker, a comment to the
text-format parser, so the same file also reads as a complete OpenMetrics exposition apart from counter
naming: the text format wants the ``_total`` suffix on the TYPE line, which the collector needs).

Conventions (https://prometheus.io/docs/practices/naming/): every name starts with ``mailsec_mta_sts_``
and carries its unit; labels take only bounded values (domain, check, mx_host, address, mode,
result_type), never a message. A certificate's expiry and a report's date are exported as Unix
timestamps, not as "seconds left": a timestamp stays right while the file is not rewritten, and the
alert rules compute ``... - time()``. Everything is sorted, so a run that sees the same state writes
the same bytes.

Every family is declared once in FAMILIES (name, type, help); ``METRIC_NAMES`` is what the shipped
alert rules and dashboard may use (tests/unit checks them against it).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.report_parse import (
    DANE_FAILURES, NEGOTIATION_FAILURES, STS_POLICY_FAILURES, UNKNOWN_DOMAIN,
)
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.findings import ERROR
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.time import epoch_of_timestamp

PREFIX = 'mailsec_mta_sts_'
END = '# EOF\n'

# The result types RFC 8460 4.3 defines; any other value a sender writes is counted as ``other``, so a
# report cannot create label values without bound.
RESULT_TYPES = NEGOTIATION_FAILURES + STS_POLICY_FAILURES + DANE_FAILURES
OTHER_RESULT_TYPE = 'other'

FAMILIES = (
    # mta_sts_verify
    ('verify_passed', 'gauge', 'Whether no check of the domain is an error (1) or some is (0), as mta_sts_verify passed.'),
    ('check_passed', 'gauge', 'Per check name (record, policy_fetch, policy, mx, mx_match, starttls, certificate, '
                              'tlsrpt, dns, expect): 1 when none of its findings is an error, 0 when one is.'),
    ('policy_info', 'gauge', 'The mode of the policy senders fetch, as the label mode (value always 1).'),
    ('policy_max_age_seconds', 'gauge', 'The max_age of the policy senders fetch.'),
    ('policy_addresses_consistent', 'gauge', 'Whether every address of mta-sts.<domain> serves the same policy (1) '
                                             'or one fails or serves another (0).'),
    ('policy_id_matches', 'gauge', 'Whether the published _mta-sts id is the id derived from the served policy '
                                   '(1) or not (0); meaningful where the id is made by this collection.'),
    ('policy_certificate_expiry_timestamp_seconds', 'gauge',
     'When the certificate of mta-sts.<domain> shown at that address expires (Unix time).'),
    ('mx_certificate_expiry_timestamp_seconds', 'gauge',
     'When the certificate an MX host shows at that address expires (Unix time).'),
    # tlsrpt_report_info
    ('tlsrpt_reports_total', 'counter', 'TLS reports read for the domain (duplicates dropped).'),
    ('tlsrpt_newest_report_timestamp_seconds', 'gauge', 'The end of the newest TLS report for the domain (Unix time).'),
    ('tlsrpt_successful_sessions_total', 'counter', 'Sessions the reports count as successful.'),
    ('tlsrpt_failed_sessions_total', 'counter', 'Sessions the reports count as failed.'),
    ('tlsrpt_failed_sessions_by_result_type_total', 'counter',
     'Failed sessions in the failure details, by RFC 8460 result type (other: a type RFC 8460 does not define).'),
)
_FAMILY = dict((name, (kind, text)) for name, kind, text in FAMILIES)
METRIC_NAMES = tuple(PREFIX + name for name, dummy, dummy2 in FAMILIES)


def _escape(value):
    return str(value).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def _number(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def render(samples):
    """The exposition text of ``samples``: ``[(family, {label: value}, number)]``, families in FAMILIES order,
    samples sorted by labels; families without samples are left out; always ends with ``# EOF``."""
    by_family = {}
    for family, labels, value in samples:
        if family not in _FAMILY:
            raise ValueError('unknown metric family %r' % family)
        by_family.setdefault(family, []).append((tuple(sorted(labels.items())), value))
    lines = []
    for name, kind, text in FAMILIES:
        if name not in by_family:
            continue
        full = PREFIX + name
        lines.append('# HELP %s %s' % (full, text))
        lines.append('# TYPE %s %s' % (full, kind))
        for labels, value in sorted(by_family[name]):
            shown = ','.join('%s="%s"' % (key, _escape(item)) for key, item in labels)
            lines.append('%s{%s} %s' % (full, shown, _number(value)))
    return ''.join(line + '\n' for line in lines) + END


def _expiry(text):
    try:
        return epoch_of_timestamp(text) if text else None
    except ValueError:
        return None


def verify_samples(result):
    """The samples of one mta_sts_verify result (one domain)."""
    domain = result['domain']
    samples = [('verify_passed', {'domain': domain}, bool(result['passed']))]
    verdicts = {}
    for entry in result['checks']:
        verdicts[entry['name']] = verdicts.get(entry['name'], True) and entry['status'] != ERROR
    samples.extend(('check_passed', {'domain': domain, 'check': name}, ok) for name, ok in verdicts.items())
    policy = result.get('policy') or {}
    # A pre-flight result's policy is a candidate nobody serves yet: not a fact about the live domain.
    if policy.get('mode') and not result.get('preflight'):
        samples.append(('policy_info', {'domain': domain, 'mode': policy['mode']}, 1))
        if policy.get('max_age') is not None:
            samples.append(('policy_max_age_seconds', {'domain': domain}, policy['max_age']))
    if result.get('policy_addresses_agree') is not None:
        samples.append(('policy_addresses_consistent', {'domain': domain}, result['policy_addresses_agree']))
    if result.get('id_matches_policy') is not None:
        samples.append(('policy_id_matches', {'domain': domain}, result['id_matches_policy']))
    for entry in result.get('policy_addresses') or ():
        expiry = _expiry(entry.get('cert_not_after'))
        if expiry is not None:
            samples.append(('policy_certificate_expiry_timestamp_seconds',
                            {'domain': domain, 'address': entry['address']}, expiry))
    for host in result.get('mx_hosts') or ():
        for certificate in host.get('certificates') or ():
            expiry = _expiry(certificate['cert_not_after'])
            if expiry is not None:
                samples.append(('mx_certificate_expiry_timestamp_seconds',
                                {'domain': domain, 'mx_host': host['name'], 'address': certificate['address']}, expiry))
    return samples


def verify_metrics(results):
    """The metrics text of mta_sts_verify ``results`` (a list of per-domain results)."""
    samples = []
    for result in results:
        samples.extend(verify_samples(result))
    return render(samples)


def bounded_result_type(result_type):
    """``result_type`` when RFC 8460 defines it, else ``other``."""
    return result_type if result_type in RESULT_TYPES else OTHER_RESULT_TYPE


def report_samples(summary, domains):
    """The samples of tlsrpt_report_info's ``summary`` for ``domains`` only (lower case): a report names
    whatever domain its sender writes, and only the operator's list keeps the domain label bounded."""
    samples = []
    for domain in sorted(set(domains)):
        entry = summary.get(domain)
        if entry is None or domain == UNKNOWN_DOMAIN:
            continue
        labels = {'domain': domain}
        samples.append(('tlsrpt_reports_total', labels, entry['report_count']))
        end = _expiry(entry['end'])
        if end is not None:
            samples.append(('tlsrpt_newest_report_timestamp_seconds', labels, end))
        samples.append(('tlsrpt_successful_sessions_total', labels, entry['total_successful_session_count']))
        samples.append(('tlsrpt_failed_sessions_total', labels, entry['total_failure_session_count']))
        by_type = {}
        for result_type, count in entry['failures_by_result_type'].items():
            key = bounded_result_type(result_type)
            by_type[key] = by_type.get(key, 0) + count
        samples.extend(('tlsrpt_failed_sessions_by_result_type_total', dict(labels, result_type=key), count)
                       for key, count in by_type.items())
    return samples


def report_metrics(summary, domains):
    """The metrics text of a tlsrpt_report_info ``summary`` for ``domains``."""
    return render(report_samples(summary, domains))
