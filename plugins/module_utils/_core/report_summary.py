# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Many TLS reports: deduplicated, filtered, summarized per domain, and each domain's readiness for enforce.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.report_parse import (
    BLOCKING_FAILURES, DANE_FAILURES, UNKNOWN_DOMAIN,
)


def report_key(report):
    """Two deliveries of the same report share this key: organization and report-id (or content)."""
    return (report['organization_name'], report['report_id'] or report.get('_content_key', ''))


def deduplicate(reports):
    """``(unique reports, number dropped)``; the first delivery of each report is kept."""
    seen = set()
    unique = []
    for report in reports:
        key = report_key(report)
        if key in seen:
            continue
        seen.add(key)
        unique.append(report)
    return unique, len(reports) - len(unique)


def filter_reports(reports, domains=None, since=None):
    """``(kept, other_domain, before_since)``: reports ending at or after ``since`` (a ``...Z`` string),
    with only the policies for ``domains`` (lower case); reports left with no policy are dropped."""
    kept = []
    other_domain = before_since = 0
    wanted = set(domains) if domains else None
    for report in reports:
        if since is not None and report['end'] < since:
            before_since += 1
            continue
        if wanted is not None:
            policies = [policy for policy in report['policies'] if policy['policy_domain'] in wanted]
            if not policies:
                other_domain += 1
                continue
            if len(policies) != len(report['policies']):
                report = dict(report, policies=policies)
        kept.append(report)
    return kept, other_domain, before_since


def public_report(report):
    """The report as the module returns it (no internal keys)."""
    return dict((key, value) for key, value in report.items() if not key.startswith('_'))


def _blocking_sessions(policy):
    """``{result-type: sessions}`` of the failures in one policy entry that keep its domain from enforce."""
    blocking = {}
    policy_type = policy['policy_type']
    if policy_type == 'tlsa':
        return blocking
    detailed = 0
    for detail in policy['failure_details']:
        result_type = detail['result_type']
        detailed += detail['failed_session_count']
        counts = result_type in BLOCKING_FAILURES
        if policy_type == 'sts' and result_type not in DANE_FAILURES:
            counts = True
        if counts and detail['failed_session_count']:
            blocking[result_type] = blocking.get(result_type, 0) + detail['failed_session_count']
    if policy_type == 'sts' and policy['total_failure_session_count'] > detailed:
        blocking['not detailed'] = policy['total_failure_session_count'] - detailed
    return blocking


def _add(counter, key, amount):
    counter[key] = counter.get(key, 0) + amount


def _day(stamp):
    return stamp[:10]


def readiness(entry, blocking, modes):
    """``(ready_for_enforce, reason)`` for one domain's summary ``entry``; the rule is in the module docs."""
    sessions = entry['total_successful_session_count'] + entry['total_failure_session_count']
    sts_sessions = entry['policy_types'].get('sts', 0)
    testing = modes.get('testing', 0)
    if not sessions:
        return False, 'No sessions were reported for this domain, so there is nothing to judge the switch by.'
    blocked = sum(blocking.values())
    if blocked:
        listed = ', '.join('%s: %d' % (name, blocking[name]) for name in sorted(blocking))
        return False, ('%d sessions failed in ways that enforce would turn into bounces (%s); fix them and wait for '
                       'clean reports before switching to enforce.' % (blocked, listed))
    if not sts_sessions:
        kinds = ', '.join('%s: %d' % (name, count) for name, count in sorted(entry['policy_types'].items()))
        return False, ('No sender reported a session under an MTA-STS policy (%s); publish the policy in testing mode '
                       'and collect reports first.' % kinds)
    if not testing:
        kinds = ', '.join('%s: %d' % (name, count) for name, count in sorted(modes.items()))
        if set(modes) == {'enforce'}:
            return False, ('The policy is already in enforce mode for all %d reported STS sessions (none failed), '
                           'so there is no testing period to judge.' % sts_sessions)
        return False, ('No session was made under the policy in testing mode (%s), so there is nothing to judge '
                       'the switch by.' % kinds)
    organizations = len(entry['organizations'])
    return True, ('%d sessions from %d organization%s between %s and %s were made under the testing policy and none '
                  'failed in a way that enforce would turn into a bounce.'
                  % (testing, organizations, '' if organizations == 1 else 's', _day(entry['start']), _day(entry['end'])))


def summarize(reports):
    """The per-domain summary of normalized, de-duplicated reports: ``{domain: {...}}``."""
    entries = {}
    blocking = {}
    modes = {}
    days = {}
    for report in reports:
        for policy in report['policies']:
            domain = policy['policy_domain'] or UNKNOWN_DOMAIN
            entry = entries.get(domain)
            if entry is None:
                entry = entries[domain] = {
                    'total_successful_session_count': 0,
                    'total_failure_session_count': 0,
                    'failures_by_result_type': {},
                    'failures_by_receiving_mx': {},
                    'organizations': set(),
                    'report_ids': set(),
                    'start': report['start'],
                    'end': report['end'],
                    'policy_types': {},
                }
                blocking[domain] = {}
                modes[domain] = {}
                days[domain] = {}
            successful = policy['total_successful_session_count']
            failed = policy['total_failure_session_count']
            entry['total_successful_session_count'] += successful
            entry['total_failure_session_count'] += failed
            entry['organizations'].add(report['organization_name'])
            entry['report_ids'].add(report_key(report))
            entry['start'] = min(entry['start'], report['start'])
            entry['end'] = max(entry['end'], report['end'])
            _add(entry['policy_types'], policy['policy_type'], successful + failed)
            day = days[domain].setdefault(_day(report['start']), {'sts_testing': 0, 'sts_enforce': 0, 'blocking': 0})
            if policy['policy_type'] == 'sts':
                _add(modes[domain], policy['mode'] or 'unknown', successful + failed)
                if policy['mode'] in ('testing', 'enforce'):
                    day['sts_' + policy['mode']] += successful + failed
            for detail in policy['failure_details']:
                _add(entry['failures_by_result_type'], detail['result_type'], detail['failed_session_count'])
                host = detail['receiving_mx_hostname'] or detail['receiving_ip']
                if host:
                    _add(entry['failures_by_receiving_mx'], host, detail['failed_session_count'])
            for result_type, count in _blocking_sessions(policy).items():
                _add(blocking[domain], result_type, count)
                day['blocking'] += count

    summary = {}
    for domain in sorted(entries):
        entry = entries[domain]
        entry['organizations'] = sorted(entry['organizations'])
        entry['report_count'] = len(entry.pop('report_ids'))
        entry['sts_modes'] = modes[domain]
        entry['days'] = days[domain]
        entry['blocking_failure_session_count'] = sum(blocking[domain].values())
        entry['ready_for_enforce'], entry['reason'] = readiness(entry, blocking[domain], modes[domain])
        summary[domain] = entry
    return summary


def add_discards(summary, discarded):
    """Add to every domain of ``summary`` how many reports counted (``accepted_count``) and how many
    were discarded and why (``discarded_count``, ``discarded_reasons``: ``{reason: count}``).

    ``discarded`` is ``[(report, reason)]``, de-duplicated and filtered like the accepted reports. A
    domain with discarded reports only gets an entry too, not ready for enforce, whose reason says so:
    a domain that is silent and one whose reports were all thrown away are different problems.
    """
    by_domain = {}
    for report, reason in discarded:
        for domain in sorted(set(policy['policy_domain'] or UNKNOWN_DOMAIN for policy in report['policies'])):
            entry = by_domain.setdefault(domain, {'reasons': {}, 'start': report['start'], 'end': report['end'],
                                                  'organizations': set()})
            _add(entry['reasons'], reason, 1)
            entry['start'] = min(entry['start'], report['start'])
            entry['end'] = max(entry['end'], report['end'])
            entry['organizations'].add(report['organization_name'])
    for domain, entry in summary.items():
        entry['accepted_count'] = entry['report_count']
        entry['discarded_count'] = 0
        entry['discarded_reasons'] = {}
    for domain in sorted(by_domain):
        found = by_domain[domain]
        count = sum(found['reasons'].values())
        entry = summary.get(domain)
        if entry is None:
            listed = ', '.join('%s: %d' % (name, found['reasons'][name]) for name in sorted(found['reasons']))
            entry = summary[domain] = {
                'total_successful_session_count': 0, 'total_failure_session_count': 0,
                'failures_by_result_type': {}, 'failures_by_receiving_mx': {},
                'organizations': sorted(found['organizations']), 'start': found['start'], 'end': found['end'],
                'policy_types': {}, 'report_count': 0, 'sts_modes': {}, 'days': {},
                'blocking_failure_session_count': 0, 'ready_for_enforce': False, 'accepted_count': 0,
                'reason': ('No report for this domain counted: all %d were discarded (%s); only DKIM-verified reports '
                           'from a signer related to the report count (see discarded).' % (count, listed)),
            }
        entry['discarded_count'] = count
        entry['discarded_reasons'] = dict(found['reasons'])
    return dict((domain, summary[domain]) for domain in sorted(summary))
