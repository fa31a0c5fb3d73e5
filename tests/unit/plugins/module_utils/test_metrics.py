# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verification results and report summaries as Prometheus text (plugins/module_utils/_core/metrics.py).

The results come from the real evaluate() on hand-made observations (test_verify.py's), and the report summary
from the real parser on the sample reports, so a change in either shows here.
"""

import calendar
import copy
import datetime
import re

import pytest

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import metrics, report_summary
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_parse
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.policy import policy_id
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import tlsrpt_report_info

from mailsec_testing import report_samples as samples
import test_verify as verify_cases

EXPIRY_2030 = calendar.timegm(datetime.datetime(2030, 1, 1).timetuple())
LINE = re.compile(r'^(mailsec_mta_sts_[a-z_]+)\{([^}]*)\} (-?[0-9.e+]+)$')


def sample_lines(text):
    """``{(name, frozenset(labels)): value}`` of every sample line (fails on a line of any other shape)."""
    found = {}
    for line in text.splitlines():
        if line.startswith('#'):
            continue
        match = LINE.match(line)
        assert match, line
        labels = frozenset(tuple(item.split('=', 1)) for item in re.findall(r'[a-z_]+="[^"]*"', match.group(2)))
        labels = frozenset((key, value.strip('"')) for key, value in labels)
        found[(match.group(1), labels)] = float(match.group(3))
    return found


def value(found, name, **labels):
    return found[('mailsec_mta_sts_' + name, frozenset(labels.items()))]


def good_result(observations=None):
    return verify_cases.evaluate(observations or verify_cases.good())


def test_a_good_domain_gives_every_family_with_its_values():
    text = metrics.verify_metrics([good_result()])
    found = sample_lines(text)
    domain = verify_cases.DOMAIN
    assert value(found, 'verify_passed', domain=domain) == 1
    for check in ('record', 'policy_fetch', 'policy', 'mx', 'mx_match', 'starttls', 'certificate', 'tlsrpt'):
        assert value(found, 'check_passed', domain=domain, check=check) == 1
    assert value(found, 'policy_info', domain=domain, mode='enforce') == 1
    assert value(found, 'policy_max_age_seconds', domain=domain) == 86400
    assert value(found, 'policy_certificate_expiry_timestamp_seconds', domain=domain, address='192.0.2.80') == EXPIRY_2030
    assert value(found, 'mx_certificate_expiry_timestamp_seconds', domain=domain, mx_host='mx2.example.test',
                 address='2001:db8::2') == EXPIRY_2030
    assert value(found, 'policy_addresses_consistent', domain=domain) == 1
    # The record's id (abc123) is not the id this collection derives from the policy.
    assert value(found, 'policy_id_matches', domain=domain) == 0
    assert len([key for key in found if key[0] == 'mailsec_mta_sts_mx_certificate_expiry_timestamp_seconds']) == 3


def test_text_shape_help_type_eof_and_sorted():
    text = metrics.verify_metrics([good_result()])
    assert text.endswith('\n# EOF\n')
    lines = text.splitlines()
    names = [line.split()[2] for line in lines if line.startswith('# TYPE')]
    assert names == [line.split()[2] for line in lines if line.startswith('# HELP')]
    assert len(names) == len(set(names))
    assert set(names) <= set(metrics.METRIC_NAMES)
    # Same state, same bytes: the file changes only when the state does.
    assert metrics.verify_metrics([good_result()]) == text


def test_the_id_derived_from_the_served_policy_matches():
    observations = verify_cases.good()
    parsed = {'mode': 'enforce', 'mx': ['mx1.example.test', '*.example.test'], 'max_age': 86400}
    observations['sts_txt'] = [[('v=STSv1; id=%s;' % policy_id(parsed)).encode()]]
    result = good_result(observations)
    assert result['id_matches_policy'] is True and result['policy_id'] == policy_id(parsed)
    assert value(sample_lines(metrics.verify_metrics([result])), 'policy_id_matches', domain=verify_cases.DOMAIN) == 1


def test_failing_checks_drift_and_expiry():
    observations = verify_cases.good()
    other = verify_cases.POLICY.replace(b'86400', b'604800')
    first = dict(observations['fetch']['response'])
    second = dict(first, address='192.0.2.81', body=other, length=len(other), cert_not_after='2026-12-10T00:00:00Z')
    observations['fetch'] = {'addresses': ['192.0.2.80', '192.0.2.81'],
                             'responses': {'192.0.2.80': first, '192.0.2.81': second}, 'response': first}
    probe = observations['smtp'][('mx1.example.test', '192.0.2.1')]
    probe.update(starttls=False, tls_version=None, cert_not_after=None)
    result = good_result(observations)
    assert result['policy_addresses_agree'] is False
    found = sample_lines(metrics.verify_metrics([result]))
    domain = verify_cases.DOMAIN
    assert value(found, 'verify_passed', domain=domain) == 0
    assert value(found, 'check_passed', domain=domain, check='policy_fetch') == 0
    assert value(found, 'check_passed', domain=domain, check='starttls') == 0
    assert value(found, 'check_passed', domain=domain, check='certificate') == 1
    assert value(found, 'policy_addresses_consistent', domain=domain) == 0
    assert value(found, 'policy_certificate_expiry_timestamp_seconds', domain=domain, address='192.0.2.81') == \
        calendar.timegm(datetime.datetime(2026, 12, 10).timetuple())
    # No certificate seen on mx1: no expiry sample for it (not a made-up 0).
    assert not [key for key in found if ('mx_host', 'mx1.example.test') in key[1]]


def test_no_policy_no_mode_and_a_dns_failure_is_a_failed_check():
    observations = verify_cases.good()
    observations['fetch'] = {'addresses': verify_cases.ProbeError('dns', 'timeout asking 192.0.2.53'),
                             'responses': {}, 'response': None}
    result = good_result(observations)
    found = sample_lines(metrics.verify_metrics([result]))
    assert value(found, 'check_passed', domain=verify_cases.DOMAIN, check='dns') == 0
    assert not [key for key in found if key[0] in ('mailsec_mta_sts_policy_info', 'mailsec_mta_sts_policy_id_matches',
                                                   'mailsec_mta_sts_policy_addresses_consistent')]


def test_label_values_are_escaped():
    text = metrics.render([('verify_passed', {'domain': 'a"b\\c\nd'}, True)])
    assert 'mailsec_mta_sts_verify_passed{domain="a\\"b\\\\c\\nd"} 1' in text


def test_an_unknown_family_is_a_programming_error():
    with pytest.raises(ValueError):
        metrics.render([('seconds_left', {}, 1)])


def summary_of_samples(tmp_path):
    outcomes, dummy = tlsrpt_report_info.collect({
        'path': [samples.write_sample_dir(str(tmp_path / 'reports'))], 'maildir': None, 'mbox': None, 'recurse': False,
        'max_size': 10 ** 7, 'max_uncompressed_size': 10 ** 8})
    return tlsrpt_report_info.evaluate(outcomes)['summary']


def test_report_metrics_only_for_the_listed_domains(tmp_path):
    summary = summary_of_samples(tmp_path)
    text = metrics.report_metrics(summary, ['example.com', 'company-y.example', 'absent.example'])
    found = sample_lines(text)
    assert set(dict(key[1])['domain'] for key in found) == {'example.com', 'company-y.example'}
    entry = summary['example.com']
    assert value(found, 'tlsrpt_successful_sessions_total', domain='example.com') == \
        entry['total_successful_session_count']
    assert value(found, 'tlsrpt_failed_sessions_total', domain='company-y.example') == \
        summary['company-y.example']['total_failure_session_count']
    assert value(found, 'tlsrpt_reports_total', domain='example.com') == entry['report_count'] == 3
    moment, dummy = report_parse.parse_datetime(entry['end'])
    assert value(found, 'tlsrpt_newest_report_timestamp_seconds', domain='example.com') == \
        calendar.timegm(moment.timetuple())
    assert value(found, 'tlsrpt_failed_sessions_by_result_type_total', domain='company-y.example',
                 result_type='certificate-expired') == 100
    assert 'example.org' not in text


def test_result_types_a_sender_makes_up_are_other(tmp_path):
    summary = copy.deepcopy(summary_of_samples(tmp_path))
    summary['example.com']['failures_by_result_type'] = {'x-made-up-1': 2, 'x-made-up-2': 3, 'dane-required': 1}
    found = sample_lines(metrics.report_metrics(summary, ['example.com']))
    by_type = dict((dict(key[1])['result_type'], number) for key, number in found.items()
                   if key[0] == 'mailsec_mta_sts_tlsrpt_failed_sessions_by_result_type_total')
    assert by_type == {'other': 5, 'dane-required': 1}


def test_no_reports_is_an_empty_but_complete_file():
    assert metrics.report_metrics(report_summary.summarize([]), ['example.com']) == '# EOF\n'
