# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS reports: tolerant parsing, strict structure, bounded input, summaries and the enforce readiness rule."""

import copy
import datetime
import gzip
import json
import os
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_parse
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_decode
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_summary

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import tlsrpt_report_info as _report_module
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.findings import ERROR, WARNING

from mailsec_testing import report_samples as samples
from mailsec_testing.report_samples import dumps, gz, report
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.time import format_timestamp

MIB = 1024 * 1024


def one(data, source='test', hint=None, **kwargs):
    results = report_parse.parse_bytes(data, source, hint, **kwargs)
    assert len(results) == 1
    return results[0]


def rules(result, severity=None):
    return sorted(set(f.rule for f in result['findings'] if severity is None or f.severity == severity))


def accepted(value, hint=None):
    result = one(dumps(value), hint=hint)
    assert result['report'] is not None, [f.msg for f in result['findings']]
    return result['report']


def sts_policy(domain='example.com', mode='testing', ok=100, failed=0, details=None, policy_type='sts'):
    entry = {
        'policy': {'policy-type': policy_type, 'policy-domain': domain,
                   'policy-string': ['version: STSv1', 'mode: %s' % mode, 'mx: mail.%s' % domain, 'max_age: 86400']},
        'summary': {'total-successful-session-count': ok, 'total-failure-session-count': failed},
    }
    if policy_type != 'sts':
        entry['policy'].pop('policy-string')
    if details is not None:
        entry['failure-details'] = [{'result-type': kind, 'failed-session-count': count,
                                     'receiving-mx-hostname': 'mail.%s' % domain} for kind, count in details]
    return entry


def make_report(policies, organization='Sender Inc.', report_id='r1', start='2026-05-01T00:00:00Z',
                end='2026-05-01T23:59:59Z'):
    return {'organization-name': organization, 'report-id': report_id, 'contact-info': 'ops@sender.example',
            'date-range': {'start-datetime': start, 'end-datetime': end}, 'policies': policies}


def summary_of(*values):
    reports = [accepted(value) for value in values]
    return report_summary.summarize(report_summary.deduplicate(reports)[0])


# ---------------------------------------------------------------- the samples

def test_rfc8460_example_normalized_exactly():
    result = one(dumps(samples.RFC8460), source='rfc.json')
    assert result['findings'] == []
    assert result['report'] == {
        'source': 'rfc.json',
        'organization_name': 'Company-X',
        'contact_info': 'sts-reporting@company-x.example',
        'report_id': '5065427c-23d3-47ca-b6e0-946ea0e8c4be',
        'start': '2016-04-01T00:00:00Z',
        'end': '2016-04-01T23:59:59Z',
        'policies': [{
            'policy_type': 'sts',
            'policy_domain': 'company-y.example',
            'policy_string': ['version: STSv1', 'mode: testing', 'mx: *.mail.company-y.example', 'max_age: 86400'],
            'mode': 'testing',
            'mx_host': ['*.mail.company-y.example'],
            'total_successful_session_count': 5326,
            'total_failure_session_count': 303,
            'failure_details': [{
                'result_type': 'certificate-expired', 'failed_session_count': 100,
                'sending_mta_ip': '2001:db8:abcd:0012::1', 'receiving_mx_hostname': 'mx1.mail.company-y.example',
                'receiving_mx_helo': None, 'receiving_ip': None, 'additional_information': None,
                'failure_reason_code': None,
            }, {
                'result_type': 'starttls-not-supported', 'failed_session_count': 200,
                'sending_mta_ip': '2001:db8:abcd:0013::1', 'receiving_mx_hostname': 'mx2.mail.company-y.example',
                'receiving_mx_helo': None, 'receiving_ip': '203.0.113.56',
                'additional_information': samples.RFC8460['policies'][0]['failure-details'][1]['additional-information'],
                'failure_reason_code': None,
            }, {
                'result_type': 'validation-failure', 'failed_session_count': 3,
                'sending_mta_ip': '198.51.100.62', 'receiving_mx_hostname': 'mx-backup.mail.company-y.example',
                'receiving_mx_helo': None, 'receiving_ip': '203.0.113.58', 'additional_information': None,
                'failure_reason_code': 'X509_V_ERR_PROOF_OF_POSSESSION_MISMATCH',
            }],
        }],
        'findings': [],
    }


def test_google_article_report_takes_the_domain_from_the_file_name():
    hint = report_parse.domain_from_filename('/srv/tlsrpt/' + samples.GOOGLE_NO_POLICY_NAME)
    assert hint == 'example.org'
    result = one(dumps(samples.GOOGLE_NO_POLICY), hint=hint)
    assert rules(result) == ['report-id']
    assert rules(result, ERROR) == []
    policy = result['report']['policies'][0]
    assert policy['policy_domain'] == 'example.org'
    assert policy['total_failure_session_count'] == 0
    assert result['report']['contact_info'] == ''


def test_google_article_report_without_any_hint_counts_under_unknown():
    result = one(dumps(samples.GOOGLE_NO_POLICY))
    assert 'policy-domain' in rules(result, WARNING)
    assert list(report_summary.summarize([result['report']])) == [report_parse.UNKNOWN_DOMAIN]


def test_google_sts_report_from_gzip():
    result = one(gz(samples.GOOGLE_STS))
    assert result['findings'] == []
    policy = result['report']['policies'][0]
    assert policy['mx_host'] == ['mail.example.com', '*.mx.example.net']
    assert policy['mode'] == 'testing'


def test_microsoft_report_without_zones_is_utc_with_warnings():
    result = one(gz(samples.MICROSOFT_STS))
    assert rules(result) == ['datetime-zone']
    assert rules(result, ERROR) == []
    assert result['report']['start'] == '2026-05-02T00:00:00Z'
    assert result['report']['end'] == '2026-05-02T23:59:59Z'
    assert result['report']['contact_info'] is None
    assert result['report']['policies'][0]['mode'] == 'testing'
    assert 'x-microsoft-tenant' not in json.dumps(result['report'])


@pytest.mark.parametrize('gzipped, media_type', [
    (True, None),                      # application/tlsrpt+gzip, the RFC 8460 5.3 form
    (False, None),                     # application/tlsrpt+json
    (True, 'octet-stream'),            # found by its .json.gz name
])
def test_email_wrapped_report(gzipped, media_type):
    name = samples.MAILED_NAME if gzipped else samples.MAILED_NAME[:-3]
    message = samples.email_report(samples.MAILED, name, gzipped=gzipped, media_type=media_type)
    assert b'multipart/report' in message and b'report-type="tlsrpt"' in message
    result = one(message, source='mail.eml')
    assert result['findings'] == []
    assert result['source'] == 'mail.eml'
    assert result['report']['start'] == '2026-05-02T22:00:00Z'
    assert [p['policy_type'] for p in result['report']['policies']] == ['sts', 'tlsa']
    assert result['report']['policies'][1]['failure_details'][0]['receiving_mx_hostname'] == 'mail.example.com'


def test_email_subject_names_a_missing_policy_domain():
    message = samples.email_report(samples.GOOGLE_NO_POLICY, 'report_parse.json', domain='example.net', gzipped=False)
    result = one(message)
    assert result['report']['policies'][0]['policy_domain'] == 'example.net'


def test_email_with_two_reports_names_each_attachment():
    from email.mime.application import MIMEApplication
    from email.mime.multipart import MIMEMultipart
    message = MIMEMultipart('report', report_type='tlsrpt')
    for number, value in enumerate((samples.GOOGLE_STS, samples.RFC8460)):
        part = MIMEApplication(gz(value), 'tlsrpt+gzip')
        part.add_header('Content-Disposition', 'attachment', filename='r%d.json.gz' % number)
        message.attach(part)
    results = report_parse.parse_bytes(message.as_bytes(), 'two.eml')
    assert [r['source'] for r in results] == ['two.eml#r0.json.gz', 'two.eml#r1.json.gz']
    assert all(r['report'] is not None for r in results)


@pytest.mark.parametrize('data, rule', [
    (b'From: a@b.example\r\nSubject: hello\r\n\r\nno attachment here\r\n', 'email'),
    (samples.BROKEN['not-json.json'], 'email'),
    (b'{"organization-name": ', 'json'),
    (b'{"a": NaN}', 'json'),
    (b'{"a": 1' + b'0' * 30 + b'}', 'json'),
    (b'\xff\xfe{\x00}\x00', 'organization-name'),   # UTF-16 JSON is read
    (b'{}\x80', 'json'),
    (samples.BROKEN['array.json'], 'json'),
    (samples.BROKEN['no-organization.json'], 'organization-name'),
    (samples.BROKEN['bad-date.json'], 'date-range'),
    (samples.BROKEN['no-policies.json'], 'policies'),
    (samples.BROKEN['negative-count.json'], 'summary'),
    (samples.BROKEN['truncated.json.gz'], 'gzip'),
    (b'\x1f\x8b' + b'garbage' * 10, 'gzip'),
    (gz(samples.RFC8460) + b'trailing', 'gzip'),
])
def test_broken_inputs_are_rejected_with_a_reason(data, rule):
    result = one(data, source='broken')
    assert result['report'] is None
    assert rule in rules(result, ERROR)
    rejected = report_parse.rejection(result)
    assert rejected['source'] == 'broken' and rejected['reason']


# ---------------------------------------------------------------- strict structure

def _without(path):
    value = copy.deepcopy(samples.RFC8460)
    target = value
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return value


def _with(path, item):
    value = copy.deepcopy(samples.RFC8460)
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = item
    return value


@pytest.mark.parametrize('value, rule', [
    (_without(['organization-name']), 'organization-name'),
    (_with(['organization-name'], ''), 'organization-name'),
    (_with(['organization-name'], 42), 'organization-name'),
    (_without(['report-id']), 'report-id'),
    (_with(['report-id'], None), 'report-id'),
    (_with(['report-id'], 7), 'report-id'),
    (_without(['date-range']), 'date-range'),
    (_with(['date-range'], '2016-04-01'), 'date-range'),
    (_without(['date-range', 'start-datetime']), 'date-range'),
    (_without(['date-range', 'end-datetime']), 'date-range'),
    (_with(['date-range', 'end-datetime'], '2016-03-31T00:00:00Z'), 'date-range'),
    (_with(['date-range', 'start-datetime'], '2016-02-30T00:00:00Z'), 'date-range'),
    (_without(['policies']), 'policies'),
    (_with(['policies'], 'none'), 'policies'),
    (_with(['policies'], [7]), 'policies'),
    (_without(['policies', 0, 'policy']), 'policy'),
    (_with(['policies', 0, 'policy'], []), 'policy'),
    (_without(['policies', 0, 'policy', 'policy-type']), 'policy-type'),
    (_with(['policies', 0, 'policy', 'policy-type'], ''), 'policy-type'),
    (_with(['policies', 0, 'policy', 'policy-domain'], ['a.example']), 'policy-domain'),
    (_without(['policies', 0, 'summary']), 'summary'),
    (_with(['policies', 0, 'summary'], {}), 'summary'),
    (_with(['policies', 0, 'summary', 'total-successful-session-count'], '5326'), 'summary'),
    (_with(['policies', 0, 'summary', 'total-successful-session-count'], True), 'summary'),
    (_with(['policies', 0, 'summary', 'total-failure-session-count'], 1.5), 'summary'),
    (_with(['policies', 0, 'summary', 'total-failure-session-count'], -3), 'summary'),
])
def test_required_structure_is_strict(value, rule):
    result = one(dumps(value))
    assert result['report'] is None
    assert rule in rules(result, ERROR), [f.msg for f in result['findings']]


def test_every_problem_gets_its_own_finding():
    value = make_report([{'policy': {}, 'summary': {}}], organization=None, report_id=None, start='x', end=None)
    result = one(dumps(value))
    assert set(rules(result, ERROR)) >= {'organization-name', 'report-id', 'date-range', 'policy-type', 'summary'}
    assert len(result['findings']) >= 6


# ---------------------------------------------------------------- tolerance

@pytest.mark.parametrize('change, check', [
    ({'contact-info': None}, lambda r: r['contact_info'] is None),
    ({'contact-info': 12}, lambda r: r['contact_info'] is None),
    ({'x-unknown': {'deep': [1, 2]}}, lambda r: r['organization_name'] == 'Company-X'),
    ({'report-id': '  id-with-spaces  '}, lambda r: r['report_id'] == 'id-with-spaces'),
])
def test_tolerated_top_level_quirks(change, check):
    value = report(samples.RFC8460)
    value.update(change)
    result = one(dumps(value))
    assert result['report'] is not None
    assert check(result['report'])


def test_missing_contact_info_is_fine():
    value = _without(['contact-info'])
    result = one(dumps(value))
    assert result['findings'] == []
    assert result['report']['contact_info'] is None


@pytest.mark.parametrize('mx_host, expected', [
    ('mx.example.com', ['mx.example.com']),
    (['a.example.com', 'b.example.com'], ['a.example.com', 'b.example.com']),
    (['a.example.com', 7], ['a.example.com']),
    (None, []),
    (42, []),
])
def test_mx_host_string_or_list(mx_host, expected):
    result = one(dumps(_with(['policies', 0, 'policy', 'mx-host'], mx_host)))
    assert result['report']['policies'][0]['mx_host'] == expected


def test_policy_string_as_one_string_still_gives_the_mode():
    value = _with(['policies', 0, 'policy', 'policy-string'], 'version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1')
    policy = accepted(value)['policies'][0]
    assert policy['mode'] == 'enforce'
    assert len(policy['policy_string']) == 1


@pytest.mark.parametrize('summary, successful, failed', [
    ({'total-successful-session-count': 3}, 3, 0),
    ({'total-failure-session-count': 2}, 0, 2),
    ({'total-successful-session-count': 0, 'total-failure-session-count': 0}, 0, 0),
])
def test_one_missing_count_is_zero(summary, successful, failed):
    policy = accepted(_with(['policies', 0, 'summary'], summary))['policies'][0]
    assert (policy['total_successful_session_count'], policy['total_failure_session_count']) == (successful, failed)


@pytest.mark.parametrize('detail', [
    'not an object',
    {'failed-session-count': 3},
    {'result-type': 'certificate-expired'},
    {'result-type': 'certificate-expired', 'failed-session-count': '3'},
    {'result-type': 'certificate-expired', 'failed-session-count': -1},
])
def test_bad_failure_details_are_skipped_with_a_warning(detail):
    value = _with(['policies', 0, 'failure-details'], [detail])
    result = one(dumps(value))
    assert result['report'] is not None
    assert rules(result) == ['failure-details']
    assert result['report']['policies'][0]['failure_details'] == []


def test_failure_details_not_a_list_is_ignored():
    result = one(dumps(_with(['policies', 0, 'failure-details'], {'result-type': 'x'})))
    assert rules(result) == ['failure-details']


def test_more_detailed_failures_than_the_total_is_a_warning():
    result = one(dumps(_with(['policies', 0, 'summary', 'total-failure-session-count'], 10)))
    assert rules(result) == ['summary']
    assert result['report'] is not None


def test_unknown_policy_type_is_a_warning():
    result = one(dumps(_with(['policies', 0, 'policy', 'policy-type'], 'future-type')))
    assert rules(result) == ['policy-type']


def test_empty_policies_is_a_warning():
    result = one(dumps(_with(['policies'], [])))
    assert rules(result) == ['policies']
    assert result['report']['policies'] == []


def test_policy_domain_from_the_report_s_other_entries():
    value = make_report([sts_policy('example.com'), {'policy': {'policy-type': 'no-policy-found'},
                                                     'summary': {'total-successful-session-count': 4}}])
    result = one(dumps(value), hint='other.example')
    assert [p['policy_domain'] for p in result['report']['policies']] == ['example.com', 'example.com']
    assert result['findings'] == []


def test_sts_policy_without_domain_takes_the_hint_with_a_warning():
    value = _without(['policies', 0, 'policy', 'policy-domain'])
    result = one(dumps(value), hint='Company-Y.Example.')
    assert result['report']['policies'][0]['policy_domain'] == 'company-y.example'
    assert rules(result) == ['policy-domain']


@pytest.mark.parametrize('value, expected, zoned', [
    ('2016-04-01T00:00:00Z', '2016-04-01T00:00:00Z', True),
    ('2016-04-01t00:00:00z', '2016-04-01T00:00:00Z', True),
    ('2016-04-01T02:00:00+02:00', '2016-04-01T00:00:00Z', True),
    ('2016-04-01T00:00:00-0500', '2016-04-01T05:00:00Z', True),
    ('2016-04-01 23:59:59.9999999Z', '2016-04-01T23:59:59Z', True),
    ('2016-04-01T23:59:59,5 UTC', '2016-04-01T23:59:59Z', True),
    ('2016-12-31T23:59:60Z', '2016-12-31T23:59:59Z', True),
    ('2016-04-01T00:00:00', '2016-04-01T00:00:00Z', False),
    ('2016-04-01T00:00', '2016-04-01T00:00:00Z', False),
    ('2016-04-01', '2016-04-01T00:00:00Z', False),
    (' 2016-04-01T00:00:00Z ', '2016-04-01T00:00:00Z', True),
])
def test_datetimes(value, expected, zoned):
    moment, has_zone = report_parse.parse_datetime(value)
    assert format_timestamp(moment) == expected
    assert has_zone == zoned


@pytest.mark.parametrize('value', [
    'yesterday', '2016-13-01T00:00:00Z', '2016-04-01T25:00:00Z', '2016-04-01T00:00:00+24:00', '16-04-01',
    '2016-04-01T00:00:00 PST', 1459468800, None, '0000-01-01T00:00:00Z', '2016-04-01T00:00:00Z\n2016',
])
def test_bad_datetimes(value):
    with pytest.raises((ValueError, OverflowError)):
        report_parse.parse_datetime(value)


def test_a_datetime_before_year_one_after_the_zone_is_a_finding_not_a_crash():
    value = _with(['date-range', 'start-datetime'], '0001-01-01T00:00:00+05:00')
    result = one(dumps(value))
    assert 'date-range' in rules(result, ERROR)


@pytest.mark.parametrize('lines, mode', [
    (['version: STSv1', 'mode: testing'], 'testing'),
    (['mode:enforce'], 'enforce'),
    (['version: STSv1\r\nmode: none\r\n'], 'none'),
    (['Mode: enforce'], None),
    (['mode:'], None),
    ([], None),
    (None, None),
])
def test_policy_mode(lines, mode):
    assert report_parse.policy_mode(lines) == mode


@pytest.mark.parametrize('name, domain', [
    ('google.com!example.com!1556150400!1556236799!001.json.gz', 'example.com'),
    ('/a/b/microsoft.com!Example.ORG!1!2.json', 'example.org'),
    ('report_parse.json', None),
    ('a!b!c.json', None),
    ('', None),
    (None, None),
])
def test_domain_from_filename(name, domain):
    assert report_parse.domain_from_filename(name) == domain


@pytest.mark.parametrize('subject, domain', [
    ('Report Domain: example.com Submitter: google.com Report-ID: <1>', 'example.com'),
    ('report domain:Example.NET.', 'example.net'),
    ('Hello', None),
    (None, None),
])
def test_domain_from_subject(subject, domain):
    assert report_parse.domain_from_subject(subject) == domain


# ---------------------------------------------------------------- bounded input

def test_gunzip_handles_members_and_trailing_zeros():
    data = gzip.compress(b'{"a":') + gzip.compress(b'1}') + b'\0' * 16
    assert report_decode.gunzip(data) == b'{"a":1}'


def test_gunzip_limit_is_exact():
    data = gzip.compress(b'x' * 1000)
    assert len(report_decode.gunzip(data, 1000)) == 1000
    with pytest.raises(report_decode.ReportError) as info:
        report_decode.gunzip(data, 999)
    assert info.value.rule == 'size'


def test_raw_json_over_the_uncompressed_limit_is_refused():
    result = one(dumps(samples.RFC8460), max_uncompressed=100)
    assert rules(result) == ['size']


def test_gzip_bomb_builder_is_valid():
    import zlib
    assert zlib.decompress(samples.gzip_bomb(8 * MIB), 16 + zlib.MAX_WBITS) == bytes(8 * MIB)


def _measure(function):
    tracemalloc.start()
    started = time.monotonic()
    try:
        value = function()
        return value, time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize('limit', [report_decode.MAX_UNCOMPRESSED_SIZE, MIB])
def test_one_gib_gzip_bomb_is_refused_quickly_with_bounded_memory(limit):
    bomb = samples.gzip_bomb(1 << 30)
    assert len(bomb) < 2 * MIB
    result, seconds, peak = _measure(lambda: one(bomb, max_uncompressed=limit))
    assert rules(result) == ['size']
    assert seconds < 2.0
    assert peak < limit + 16 * MIB


def test_multi_member_bomb_is_refused():
    member = gzip.compress(bytes(MIB))
    result, seconds, peak = _measure(lambda: one(member * 1024, max_uncompressed=4 * MIB))
    assert rules(result) == ['size']
    assert peak < 24 * MIB


def test_bomb_inside_an_email_is_refused():
    from email.mime.application import MIMEApplication
    from email.mime.multipart import MIMEMultipart
    message = MIMEMultipart('report', report_type='tlsrpt')
    part = MIMEApplication(samples.gzip_bomb(256 * MIB), 'tlsrpt+gzip')
    part.add_header('Content-Disposition', 'attachment', filename='bomb.json.gz')
    message.attach(part)
    result, seconds, peak = _measure(lambda: one(message.as_bytes(), max_uncompressed=8 * MIB))
    assert rules(result) == ['size']
    assert peak < 48 * MIB


@pytest.mark.parametrize('data', [
    b'[' * 200000 + b']' * 200000,
    b'{"a":' * 100000 + b'1' + b'}' * 100000,
])
def test_deep_json_is_refused(data):
    result = one(data)
    assert rules(result) == ['json']


def test_json_with_millions_of_values_is_refused_before_it_is_built():
    data = b'[' + b'[],' * 2000000 + b'[]]'
    result, seconds, peak = _measure(lambda: one(data))
    assert rules(result) == ['json']
    assert peak < 32 * MIB


# ---------------------------------------------------------------- many reports

def test_the_same_report_twice_is_counted_once():
    first = accepted(samples.GOOGLE_STS)
    again = accepted(samples.GOOGLE_STS)
    other_sender = accepted(report(samples.GOOGLE_STS, organization_name='Other Org'))
    unique, dropped = report_summary.deduplicate([first, again, other_sender])
    assert dropped == 1 and len(unique) == 2
    summary = report_summary.summarize(unique)
    assert summary['example.com']['total_successful_session_count'] == 2 * 1289
    assert summary['example.com']['report_count'] == 2


def test_empty_report_ids_are_told_apart_by_content():
    day1 = accepted(samples.GOOGLE_NO_POLICY, hint='example.org')
    day1_again = accepted(samples.GOOGLE_NO_POLICY, hint='example.org')
    next_day = {'start-datetime': '2019-04-13T00:00:00Z', 'end-datetime': '2019-04-13T23:59:59Z'}
    day2 = accepted(report(samples.GOOGLE_NO_POLICY, date_range=next_day), hint='example.org')
    unique, dropped = report_summary.deduplicate([day1, day1_again, day2])
    assert dropped == 1 and len(unique) == 2
    assert all('_content_key' not in report_summary.public_report(item) for item in unique)


def test_sample_summary():
    summary = summary_of(samples.RFC8460, samples.GOOGLE_STS, samples.MICROSOFT_STS, samples.MAILED, samples.GOOGLE_STS)
    assert sorted(summary) == ['company-y.example', 'example.com']
    company = summary['company-y.example']
    assert company['failures_by_result_type'] == {'certificate-expired': 100, 'starttls-not-supported': 200,
                                                  'validation-failure': 3}
    assert company['failures_by_receiving_mx'] == {'mx1.mail.company-y.example': 100,
                                                   'mx2.mail.company-y.example': 200,
                                                   'mx-backup.mail.company-y.example': 3}
    assert company['ready_for_enforce'] is False
    assert company['blocking_failure_session_count'] == 303
    example = summary['example.com']
    assert example == {
        'total_successful_session_count': 1289 + 412 + 57 + 20,
        'total_failure_session_count': 2,
        'failures_by_result_type': {'tlsa-invalid': 2},
        'failures_by_receiving_mx': {'mail.example.com': 2},
        'organizations': ['Google Inc.', 'Mail Provider B.V.', 'Microsoft Corporation'],
        'report_count': 3,
        'start': '2026-05-01T00:00:00Z',
        'end': '2026-05-03T21:59:59Z',
        'policy_types': {'sts': 1289 + 412 + 57, 'tlsa': 22},
        'sts_modes': {'testing': 1289 + 412 + 57},
        # Per day of each report's start: sessions under the testing policy, and tlsa failures (which
        # do not keep an STS domain from enforce) are not counted as blocking.
        'days': {'2026-05-01': {'sts_testing': 1289, 'sts_enforce': 0, 'blocking': 0},
                 '2026-05-02': {'sts_testing': 412 + 57, 'sts_enforce': 0, 'blocking': 0}},
        'blocking_failure_session_count': 0,
        'ready_for_enforce': True,
        'reason': example['reason'],
    }
    assert example['reason'].startswith('1758 sessions from 3 organizations between 2026-05-01 and 2026-05-03')


@pytest.mark.parametrize('policies, ready, words', [
    ([sts_policy()], True, 'none failed'),
    ([sts_policy(mode='testing'), sts_policy(mode='enforce')], True, 'testing policy'),
    ([sts_policy(failed=5, details=[('certificate-expired', 5)])], False, 'certificate-expired: 5'),
    ([sts_policy(failed=5, details=[('starttls-not-supported', 2), ('sts-policy-fetch-error', 3)])], False,
     'sts-policy-fetch-error: 3'),
    ([sts_policy(failed=4, details=[('some-new-type', 4)])], False, 'some-new-type: 4'),
    ([sts_policy(failed=7, details=[('certificate-expired', 2)])], False, 'not detailed: 5'),
    ([sts_policy(failed=2, details=[('tlsa-invalid', 2)])], True, 'none failed'),
    ([sts_policy(), sts_policy(policy_type='tlsa', failed=9, details=[('dnssec-invalid', 9)])], True, 'none failed'),
    ([sts_policy(), sts_policy(policy_type='no-policy-found', failed=1, details=[('starttls-not-supported', 1)])],
     False, 'starttls-not-supported: 1'),
    ([sts_policy(), sts_policy(policy_type='no-policy-found', ok=50)], True, 'none failed'),
    ([sts_policy(policy_type='no-policy-found', ok=50)], False, 'no-policy-found: 50'),
    ([sts_policy(mode='enforce')], False, 'already in enforce mode'),
    ([sts_policy(mode='none')], False, 'none: 100'),
    ([sts_policy(ok=0)], False, 'No sessions'),
    ([], None, None),
])
def test_ready_for_enforce_rule(policies, ready, words):
    summary = summary_of(make_report(policies))
    if ready is None:
        assert summary == {}
        return
    entry = summary['example.com']
    assert entry['ready_for_enforce'] is ready, entry['reason']
    assert words in entry['reason']
    assert entry['reason'].endswith('.') and entry['reason'].count('. ') == 0


def test_ready_needs_a_known_testing_mode():
    value = make_report([sts_policy()])
    del value['policies'][0]['policy']['policy-string']
    entry = summary_of(value)['example.com']
    assert entry['sts_modes'] == {'unknown': 100}
    assert entry['ready_for_enforce'] is False
    assert 'unknown: 100' in entry['reason']


def test_one_failing_day_among_clean_ones_blocks():
    clean = [make_report([sts_policy()], report_id='d%d' % day, start='2026-05-%02dT00:00:00Z' % day,
                         end='2026-05-%02dT23:59:59Z' % day) for day in range(1, 8)]
    bad = make_report([sts_policy(failed=1, details=[('certificate-host-mismatch', 1)])], organization='Other',
                      report_id='bad')
    entry = summary_of(*(clean + [bad]))['example.com']
    assert entry['ready_for_enforce'] is False
    assert entry['start'] == '2026-05-01T00:00:00Z' and entry['end'] == '2026-05-07T23:59:59Z'


def test_filters():
    reports = [accepted(value) for value in (samples.RFC8460, samples.GOOGLE_STS, samples.MAILED)]
    kept, other, before = report_summary.filter_reports(reports, ['example.com'], None)
    assert (len(kept), other, before) == (2, 1, 0)
    kept, other, before = report_summary.filter_reports(reports, None, '2026-05-02T00:00:00Z')
    assert (len(kept), other, before) == (1, 0, 2)
    two_domains = accepted(make_report([sts_policy('a.example'), sts_policy('b.example')]))
    kept, other, before = report_summary.filter_reports([two_domains], ['b.example'], None)
    assert [p['policy_domain'] for p in kept[0]['policies']] == ['b.example']
    assert len(two_domains['policies']) == 2


# ---------------------------------------------------------------- the module backend's pure parts

NOW = datetime.datetime(2026, 5, 10, 12, 0, 0)


@pytest.mark.parametrize('value, expected', [
    ('30d', '2026-04-10T12:00:00Z'),
    ('2w', '2026-04-26T12:00:00Z'),
    (' 12 h ', '2026-05-10T00:00:00Z'),
    ('2026-05-01', '2026-05-01T00:00:00Z'),
    ('2026-05-01T02:00:00+02:00', '2026-05-01T00:00:00Z'),
])
def test_parse_since(value, expected):
    assert _report_module.parse_since(value, NOW) == expected


@pytest.mark.parametrize('value', ['yesterday', '30 days', '-1d', '1y', ''])
def test_parse_since_refuses(value):
    with pytest.raises(ValueError, match='since'):
        _report_module.parse_since(value, NOW)


def _params(**changes):
    params = dict((name, spec.get('default')) for name, spec in _report_module.argument_spec().items())
    params.update(changes)
    return params


@pytest.mark.parametrize('changes, options', [
    ({'max_size': 0}, ['max_size']),
    ({'max_uncompressed_size': -1}, ['max_uncompressed_size']),
    ({'domain': ['ok.example', ' ']}, ['domain']),
    ({'since': 'soon'}, ['since']),
    ({'path': ['']}, ['path']),
    ({'path': ['/x'], 'domain': ['Example.COM.'], 'since': '7d'}, []),
])
def test_validate(changes, options):
    assert sorted(set(o for o, dummy in _report_module.option_problems(_params(**changes)))) == options


def test_expand_paths(tmp_path):
    (tmp_path / 'a.json').write_bytes(b'{}')
    (tmp_path / 'b.json.gz').write_bytes(b'')
    (tmp_path / 'c.eml').write_bytes(b'')
    (tmp_path / 'notes.txt').write_bytes(b'')
    (tmp_path / '.hidden.json').write_bytes(b'')
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'd.JSON').write_bytes(b'')
    folder = str(tmp_path)
    files, warnings = _report_module.expand_paths([folder])
    assert [os.path.basename(f) for f in files] == ['a.json', 'b.json.gz', 'c.eml']
    files, warnings = _report_module.expand_paths([folder], recurse=True)
    assert [os.path.basename(f) for f in files] == ['a.json', 'b.json.gz', 'c.eml', 'd.JSON']
    files, warnings = _report_module.expand_paths([folder + '/*.txt', folder + '/a.json', folder])
    assert [os.path.basename(f) for f in files] == ['notes.txt', 'a.json', 'b.json.gz', 'c.eml']
    files, warnings = _report_module.expand_paths([folder + '/**/*.JSON'])
    assert [os.path.basename(f) for f in files] == ['d.JSON']
    files, warnings = _report_module.expand_paths([folder + '/*.none'])
    assert files == [] and warnings == ['path: %s/*.none matches no file' % folder]
    with pytest.raises(_report_module.SourceError, match='does not exist'):
        _report_module.expand_paths([folder + '/missing.json'])


def test_read_bounded(tmp_path):
    small = tmp_path / 'small.json'
    small.write_bytes(b'{}')
    assert _report_module.read_bounded(str(small), 2) == b'{}'
    with pytest.raises(report_decode.ReportError, match='more than max_size'):
        _report_module.read_bounded(str(small), 1)
    fifo = tmp_path / 'fifo.json'
    os.mkfifo(str(fifo))
    with pytest.raises(report_decode.ReportError, match='not a regular file'):
        _report_module.read_bounded(str(fifo), 100)


def test_mbox_messages_stream_and_bounds(tmp_path):
    good = samples.email_report(samples.GOOGLE_STS, samples.GOOGLE_STS_NAME)
    quoted = b'Subject: x\n\nFrom the start\n>From quoted\n'
    big = b'Subject: big\n\n' + b'y' * 5000 + b'\n'
    path = tmp_path / 'mbox'
    samples.write_mbox(str(path), [good, quoted, big, good])
    messages = list(_report_module.mbox_messages(str(path), 4096))
    assert [source for source, dummy in messages] == ['%s#%d' % (path, n) for n in (1, 2, 3, 4)]
    assert messages[1][1] == quoted
    assert isinstance(messages[2][1], report_decode.ReportError)
    assert one(messages[0][1])['report']['organization_name'] == 'Google Inc.'

    no_newline = tmp_path / 'long'
    no_newline.write_bytes(b'From x\n' + b'z' * 100000)
    messages = list(_report_module.mbox_messages(str(no_newline), 1000))
    assert len(messages) == 1 and isinstance(messages[0][1], report_decode.ReportError)

    not_mbox = tmp_path / 'plain'
    not_mbox.write_bytes(b'hello\nFrom x\n')
    with pytest.raises(_report_module.SourceError, match='not an mbox'):
        list(_report_module.mbox_messages(str(not_mbox), 1000))
    empty = tmp_path / 'empty'
    empty.write_bytes(b'')
    assert list(_report_module.mbox_messages(str(empty), 1000)) == []


def test_maildir_files(tmp_path):
    samples.write_maildir(str(tmp_path / 'md'), [b'a', b'b'])
    (tmp_path / 'md' / 'cur' / 'old:2,S').write_bytes(b'c')
    files = _report_module.maildir_files(str(tmp_path / 'md'))
    assert [os.path.basename(f) for f in files] == ['1777700000.M0P1.lab', '1777700000.M1P1.lab', 'old:2,S']
    with pytest.raises(_report_module.SourceError, match='not a Maildir'):
        _report_module.maildir_files(str(tmp_path))


def test_evaluate_counts_what_was_left_out():
    outcomes = [report_parse.parse_json(dumps(value), name) for name, value in (
        ('rfc', samples.RFC8460), ('g', samples.GOOGLE_STS), ('g2', samples.GOOGLE_STS), ('old', samples.GOOGLE_NO_POLICY))]
    outcomes.append(one(b'nonsense', source='bad'))
    result = _report_module.evaluate(outcomes, ['EXAMPLE.com.'], '2017-01-01T00:00:00Z', return_reports=True)
    assert result['excluded'] == {'duplicates': 1, 'other_domains': 1, 'before_since': 1}
    assert [r['source'] for r in result['reports']] == ['g']
    assert [r['source'] for r in result['rejected']] == ['bad']
    assert list(result['summary']) == ['example.com']
    assert 'reports' not in _report_module.evaluate(outcomes, return_reports=False)


# ---------------------------------------------------------------- hypothesis: never crashes

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2 ** 40, max_value=2 ** 40) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20)

KEY_PATHS = [
    ('organization-name',), ('report-id',), ('contact-info',), ('date-range',), ('date-range', 'start-datetime'),
    ('date-range', 'end-datetime'), ('policies',), ('policies', 0), ('policies', 0, 'policy'),
    ('policies', 0, 'policy', 'policy-type'), ('policies', 0, 'policy', 'policy-domain'),
    ('policies', 0, 'policy', 'policy-string'), ('policies', 0, 'policy', 'mx-host'), ('policies', 0, 'summary'),
    ('policies', 0, 'summary', 'total-successful-session-count'),
    ('policies', 0, 'summary', 'total-failure-session-count'), ('policies', 0, 'failure-details'),
    ('policies', 0, 'failure-details', 0), ('policies', 0, 'failure-details', 0, 'result-type'),
    ('policies', 0, 'failure-details', 0, 'failed-session-count'),
    ('policies', 0, 'failure-details', 1, 'receiving-mx-hostname'),
]


def _check_outcome(result):
    assert set(result) == {'source', 'report', 'findings'}
    if result['report'] is None:
        assert any(f.severity == ERROR for f in result['findings'])
        assert report_parse.rejection(result)['reason']
    else:
        assert all(f.severity == WARNING for f in result['findings'])
        json.dumps(report_summary.public_report(result['report']))
        summary = report_summary.summarize([result['report']])
        for entry in summary.values():
            assert entry['total_successful_session_count'] >= 0
            assert isinstance(entry['ready_for_enforce'], bool)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash(data):
    for result in report_parse.parse_bytes(data, 'fuzz', max_uncompressed=64 * 1024):
        _check_outcome(result)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=500))
def test_arbitrary_bytes_behind_a_gzip_magic_or_an_email_never_crash(data):
    for prefix in (b'\x1f\x8b', b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03', b'Content-Type: multipart/report; '
                   b'boundary=b\r\n\r\n--b\r\nContent-Type: application/tlsrpt+gzip\r\n'
                   b'Content-Transfer-Encoding: base64\r\n\r\n'):
        for result in report_parse.parse_bytes(prefix + data, 'fuzz', max_uncompressed=64 * 1024):
            _check_outcome(result)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_arbitrary_json_never_crashes(value):
    _check_outcome(one(dumps(value)))
    _check_outcome(one(gz(value)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(KEY_PATHS), st.one_of(st.just(KeyError), json_values)), min_size=1,
                max_size=4),
       st.sampled_from([samples.RFC8460, samples.GOOGLE_NO_POLICY, samples.MICROSOFT_STS, samples.MAILED]))
def test_mutated_real_reports_never_crash(changes, base):
    value = copy.deepcopy(base)
    for path, item in changes:
        target = value
        try:
            for key in path[:-1]:
                target = target[key]
            if item is KeyError:
                del target[path[-1]]
            else:
                target[path[-1]] = item
        except (KeyError, IndexError, TypeError):
            continue
    _check_outcome(one(dumps(value), hint='hint.example'))


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime.datetime(1000, 1, 2), max_value=datetime.datetime(9999, 12, 30)),
       st.integers(min_value=-23 * 60, max_value=23 * 60))
def test_datetime_with_any_offset_round_trips_to_utc(moment, offset_minutes):
    moment = moment.replace(microsecond=0)
    sign = '+' if offset_minutes >= 0 else '-'
    local = moment + datetime.timedelta(minutes=offset_minutes)
    text = local.strftime('%Y-%m-%dT%H:%M:%S') if local.year >= 1000 else None
    if text is None:
        return
    text = '%s%s%02d:%02d' % (text, sign, abs(offset_minutes) // 60, abs(offset_minutes) % 60)
    parsed, zoned = report_parse.parse_datetime(text)
    assert zoned and parsed == moment


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(['a.example', 'b.example']),
                          st.sampled_from(['sts', 'tlsa', 'no-policy-found']),
                          st.sampled_from(['testing', 'enforce']),
                          st.integers(min_value=0, max_value=1000),
                          st.lists(st.tuples(st.sampled_from(report_parse.BLOCKING_FAILURES + report_parse.DANE_FAILURES),
                                             st.integers(min_value=0, max_value=50)), max_size=3)),
                min_size=1, max_size=6))
def test_summary_totals_add_up(entries):
    reports = []
    for number, (domain, kind, mode, ok, details) in enumerate(entries):
        failed = sum(count for dummy, count in details)
        reports.append(accepted(make_report([sts_policy(domain, mode, ok, failed, details, kind)],
                                            report_id=str(number))))
    summary = report_summary.summarize(reports)
    for domain, entry in summary.items():
        mine = [e for e in entries if e[0] == domain]
        assert entry['total_successful_session_count'] == sum(e[3] for e in mine)
        assert entry['total_failure_session_count'] == sum(sum(c for dummy, c in e[4]) for e in mine)
        assert sum(entry['failures_by_result_type'].values()) == entry['total_failure_session_count']
        assert sum(entry['policy_types'].values()) == (entry['total_successful_session_count']
                                                       + entry['total_failure_session_count'])
        if entry['ready_for_enforce']:
            assert entry['blocking_failure_session_count'] == 0
            assert entry['sts_modes'].get('testing')
