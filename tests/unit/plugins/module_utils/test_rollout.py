# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The run's plan: held domains, warnings, and mode auto, from pre-flight results and report summaries."""

import datetime
import os

import pytest

from mailsec_testing import report_samples as samples
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import domains as _domains

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_parse
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_summary

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import rollout as _rollout

TODAY = datetime.date(2026, 12, 1)
DEFAULTS = {'mode': 'testing', 'mx': ['mx1.example.test'], 'max_age': 86400, 'tlsrpt_rua': ['mailto:tlsrpt@example.test'],
            'tlsrpt_reports': True, 'webroot': '/srv/mta-sts'}


def days_of(tmp_path, domain='example.test', days=14, **kwargs):
    """The report summary's days of ``days`` generated daily reports (the samples the other tests use)."""
    folder = samples.write_daily_reports(str(tmp_path / 'reports'), domain, days, today=TODAY, **kwargs)
    reports = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), 'rb') as handle:
            reports.extend(outcome['report'] for outcome in report_parse.parse_bytes(handle.read(), source=name))
    return report_summary.summarize(reports)[domain]['days']


def decide(days, served='testing', preflight=None, min_days=14, min_sessions=100):
    return _rollout.decide_auto('example.test', served, preflight, days, TODAY.isoformat(), min_days, min_sessions)


def check(name, status, msg='m', host=None):
    entry = {'name': name, 'status': status, 'msg': msg}
    if host:
        entry['host'] = host
    return entry


def result(domain='example.test', checks=(), served=None):
    return {'domain': domain, 'preflight': True, 'checks': list(checks),
            'passed': not any(entry['status'] == 'error' for entry in checks),
            'served': served or {'id': None, 'policy': None, 'error': None}}


def test_fourteen_clean_days_switch_to_enforce(tmp_path):
    decision = decide(days_of(tmp_path, days=14))
    assert decision['mode'] == 'enforce' and decision['missing'] == []
    assert 'switches to ENFORCE (14 days and 140 sessions' in decision['msg']


def test_thirteen_days_stay_in_testing_and_say_one_day_is_missing(tmp_path):
    decision = decide(days_of(tmp_path, days=13), min_sessions=10)
    assert decision['mode'] == 'testing'
    assert decision['missing'] == ['1 day missing (13 of 14 days with sessions under the testing policy)']
    assert 'testing; before enforce: 1 day missing' in decision['msg']


def test_too_few_sessions_are_counted_out(tmp_path):
    decision = decide(days_of(tmp_path, days=14, sessions=5))
    assert decision['mode'] == 'testing'
    assert decision['missing'] == ['30 sessions missing (70 of 100 sessions under the testing policy)']


def test_a_bounce_class_failure_restarts_the_count(tmp_path):
    days = days_of(tmp_path, days=20, failures={10: ('starttls-not-supported', 3)})
    decision = decide(days)
    assert decision['mode'] == 'testing'
    assert decision['missing'][0] == ('5 days missing (9 of 14 days with sessions under the testing policy since '
                                      'the last bounce-class failure (2026-11-21))')


def test_a_dane_failure_does_not_restart_the_count(tmp_path):
    days = days_of(tmp_path, days=14, failures={3: ('tlsa-invalid', 2)})
    assert decide(days)['mode'] == 'enforce'


def test_a_failing_enforce_preflight_keeps_testing_even_with_clean_reports(tmp_path):
    failing = result(checks=[check('certificate', 'error', 'mx1.example.test (127.0.0.1): expired', 'mx1.example.test')])
    decision = decide(days_of(tmp_path, days=14), preflight=failing)
    assert decision['mode'] == 'testing'
    assert 'a passing pre-flight of enforce (certificate: mx1.example.test (127.0.0.1): expired)' in decision['msg']


def test_enforce_is_kept_while_all_is_well(tmp_path):
    decision = decide(days_of(tmp_path, days=3, mode='enforce'), served='enforce', preflight=result())
    assert decision['mode'] == 'enforce' and not decision['rollback']


def test_enforce_goes_back_to_testing_when_the_preflight_fails(tmp_path):
    failing = result(checks=[check('certificate', 'error', 'expired', 'mx1.example.test')])
    decision = decide(days_of(tmp_path, days=30), served='enforce', preflight=failing)
    assert decision['mode'] == 'testing' and decision['rollback']
    assert 'goes BACK to testing: the pre-flight of enforce fails: certificate: expired' in decision['msg']


@pytest.mark.parametrize('ago, back', [(1, True), (2, True), (3, False)])
def test_enforce_goes_back_to_testing_on_failures_of_the_last_two_days(tmp_path, ago, back):
    days = days_of(tmp_path, days=30, mode='enforce', failures={ago: ('certificate-expired', 4)})
    decision = decide(days, served='enforce', preflight=result())
    assert decision['rollback'] is back
    if back:
        assert 'the TLS reports of the last 2 days show 4 failed sessions' in decision['msg']


def test_the_same_state_never_flips_a_domain_back_and_forth(tmp_path):
    days = days_of(tmp_path, days=14)
    first = decide(days)
    assert decide(days, served=first['mode'], preflight=result())['mode'] == first['mode'] == 'enforce'
    failing = days_of(tmp_path / 'b', days=14, failures={1: ('validation-failure', 1)})
    back = decide(failing, served='enforce', preflight=result())
    assert back['mode'] == 'testing'
    assert decide(failing, served=back['mode'], preflight=result())['mode'] == 'testing'


def items(*entries, **defaults):
    return _domains.complete_domains(list(entries), dict(DEFAULTS, **defaults))


def test_plan_holds_failing_enforce_domains_and_lets_the_others_go_on():
    domains = items({'domain': 'a.test', 'mode': 'enforce'}, {'domain': 'b.test', 'mode': 'enforce'},
                    {'domain': 'c.test', 'mode': 'testing'})
    mismatch = check('mx_match', 'error', 'MX host mx2.a.test matches none of the policy mx patterns (mx1.a.test)',
                     'mx2.a.test')
    results = [result('a.test', [mismatch]), result('b.test'),
               result('c.test', [check('starttls', 'warning', 'no STARTTLS; the policy is in mode testing')])]
    plan = _rollout.plan(domains, results, {}, today=TODAY.isoformat())
    assert plan['held_domains'] == ['a.test']
    assert plan['held'][0]['msg'].startswith('a.test is HELD (its policy file, certificate and records were left '
                                             'as they were: nothing new of it is served or published)')
    assert 'mx_match: MX host mx2.a.test matches none' in plan['held'][0]['msg']
    assert plan['preflight'] == {'a.test': 'held', 'b.test': 'passed', 'c.test': 'passed with warnings'}
    assert plan['warnings'] == ['c.test (mode testing) goes ahead with warnings: starttls: no STARTTLS; the policy '
                                'is in mode testing']
    assert plan['lines'][0] == 'a.test: HELD, nothing changes (published id stays none, served mode stays none)'
    assert plan['lines'][1].startswith('b.test: id none -> %s, mode none -> enforce' % domains[1]['policy_id'])


def test_plan_holds_a_testing_domain_only_when_a_lookup_failed():
    domains = items({'domain': 'a.test', 'mode': 'testing'})
    plan = _rollout.plan(domains, [result('a.test', [check('dns', 'error', 'SERVFAIL for a.test MX')])], {},
                         today=TODAY.isoformat())
    assert plan['held_domains'] == ['a.test']


def test_plan_says_nothing_for_an_unchanged_domain():
    domains = items({'domain': 'a.test', 'mode': 'enforce'})
    served = {'id': domains[0]['policy_id'], 'policy': {'mode': 'enforce'}, 'error': None}
    plan = _rollout.plan(domains, [result('a.test', served=served)], {}, today=TODAY.isoformat())
    assert plan['lines'] == [] and plan['preflight'] == {'a.test': 'passed'}


def test_plan_of_an_auto_domain(tmp_path):
    domains = items({'domain': 'example.test', 'mode': 'auto'})
    assert domains[0]['auto'] is True and domains[0]['mode'] == 'enforce'
    summary = {'example.test': {'days': days_of(tmp_path, days=13)}}
    failing = result(checks=[check('starttls', 'error', 'no STARTTLS', 'mx1.example.test')],
                     served={'id': 'x', 'policy': {'mode': 'testing'}, 'error': None})
    plan = _rollout.plan(domains, [failing], summary, today=TODAY.isoformat())
    # The enforce candidate fails and the reports are a day short: testing, going ahead with warnings.
    assert plan['modes'] == {'example.test': 'testing'}
    assert plan['held_domains'] == [] and plan['preflight'] == {'example.test': 'passed with warnings'}
    assert '1 day missing' in plan['rollout'][0]['msg']
    decided = _domains.complete_domains([{'domain': 'example.test', 'mode': 'auto'}], DEFAULTS, plan['modes'])
    assert decided[0]['mode'] == 'testing' and decided[0]['auto'] is True


@pytest.mark.parametrize('defaults, words', [
    ({'tlsrpt_reports': False}, 'set mta_sts_tlsrpt_reports_path'),
    ({'tlsrpt_rua': []}, 'has no tlsrpt_rua'),
])
def test_auto_without_reports_is_refused(defaults, words):
    with pytest.raises(_domains.DomainSpecError) as error:
        items({'domain': 'a.test', 'mode': 'auto'}, **defaults)
    assert 'mode auto needs TLS reports' in str(error.value) and words in str(error.value)


@pytest.mark.parametrize('settings, variable', [
    ({'rollout_min_days': 0}, 'mta_sts_rollout_min_days'),
    ({'rollout_min_sessions': -1}, 'mta_sts_rollout_min_sessions'),
    ({'rollout_min_days': 'many'}, 'mta_sts_rollout_min_days'),
])
def test_bad_rollout_settings_are_refused(settings, variable):
    with pytest.raises(_domains.DomainSpecError) as error:
        items({'domain': 'a.test'}, **settings)
    assert str(error.value).startswith(variable + ' must be a whole number')


def test_preflight_entry_follows_the_switches():
    on, off, withdrawn = items({'domain': 'a.test'}, {'domain': 'b.test', 'preflight': False},
                               {'domain': 'c.test', 'state': 'absent'})
    assert on['preflight_entry'] == {'domain': 'a.test', 'policy': {'mode': 'testing', 'mx': ['mx1.example.test'],
                                                                    'max_age': 86400}}
    assert off['preflight_entry'] is None and withdrawn['preflight_entry'] is None
    assert items({'domain': 'a.test'}, preflight=False)[0]['preflight_entry'] is None
