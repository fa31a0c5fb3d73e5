# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The verify orchestration without a network: pure evaluation, option checks, and the worker pools."""

import copy
import json
import os
import subprocess
import sys
import threading
import time

import pytest
import yaml

from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify import evaluate as verify_evaluate
from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify import gather as verify_gather
from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify import options as verify_options
from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify import run as verify_run

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import mta_sts_verify as _verify_module
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import ProbeError
from ansible_collections.mailsec.mta_sts.plugins.modules import mta_sts_verify

DOMAIN = 'example.test'
POLICY = b'version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmx: *.example.test\r\nmax_age: 86400\r\n'


def smtp_ok(address, **changes):
    probe = {'address': address, 'starttls': True, 'tls_version': 'TLSv1.3', 'cert_not_after': '2030-01-01T00:00:00Z',
             'cert_days_left': 300, 'cert_names': ['x'], 'error_kind': None, 'cert_problem': None, 'error': None}
    probe.update(changes)
    return probe


def good():
    return {
        'sts_txt': [[b'v=spf1 -all'], [b'v=STSv1; id=abc123;']],
        'tlsrpt_txt': [[b'v=TLSRPTv1; rua=mailto:tls@example.test']],
        'fetch': {'addresses': ['192.0.2.80'], 'response': {
            'address': '192.0.2.80', 'status': 200, 'reason': 'OK', 'content_type': 'text/plain', 'location': None,
            'body': POLICY, 'too_large': False, 'length': len(POLICY), 'tls_version': 'TLSv1.3',
            'cert_not_after': '2030-01-01T00:00:00Z', 'cert_days_left': 300}},
        'mx': [(10, 'mx1.example.test'), (20, 'mx2.example.test')],
        'mx_addresses': {'mx1.example.test': ['192.0.2.1'], 'mx2.example.test': ['192.0.2.2', '2001:db8::2']},
        'smtp': {('mx1.example.test', '192.0.2.1'): smtp_ok('192.0.2.1'),
                 ('mx2.example.test', '192.0.2.2'): smtp_ok('192.0.2.2'),
                 ('mx2.example.test', '2001:db8::2'): smtp_ok('2001:db8::2')},
    }


def evaluate(observations, **options):
    return verify_evaluate.evaluate(DOMAIN, observations, options)


def bad(result):
    return sorted(set((entry['name'], entry['status']) for entry in result['checks'] if entry['status'] != 'ok'))


def test_good_domain():
    result = evaluate(good())
    assert result['passed'] and bad(result) == []
    assert [entry['name'] for entry in result['checks']] == [
        'record', 'policy_fetch', 'policy', 'mx', 'mx_match', 'starttls', 'certificate', 'mx_match',
        'starttls', 'certificate', 'starttls', 'certificate', 'tlsrpt']
    assert result['record'] == {'id': 'abc123'}
    assert result['policy'] == {'version': 'STSv1', 'mode': 'enforce', 'max_age': 86400,
                                'mx': ['mx1.example.test', '*.example.test']}
    assert result['tlsrpt'] == {'rua': ['mailto:tls@example.test']}
    assert result['mx_hosts'][1] == {
        'name': 'mx2.example.test', 'preference': 20, 'addresses': ['192.0.2.2', '2001:db8::2'],
        'matches_policy': True, 'starttls': True, 'tls_version': 'TLSv1.3', 'cert_not_after': '2030-01-01T00:00:00Z',
        'certificates': [{'address': '192.0.2.2', 'cert_not_after': '2030-01-01T00:00:00Z'},
                         {'address': '2001:db8::2', 'cert_not_after': '2030-01-01T00:00:00Z'}],
        'error': None}
    hosts = set(entry.get('host') for entry in result['checks'] if entry['name'] in ('starttls', 'certificate'))
    assert hosts == {'mx1.example.test', 'mx2.example.test'}


def fetched(**changes):
    observations = good()
    observations['fetch']['response'].update(changes)
    return observations


def with_policy(text):
    return fetched(body=text.encode('utf-8'), length=len(text))


def with_probe(**changes):
    observations = good()
    observations['smtp'][('mx1.example.test', '192.0.2.1')].update(changes)
    return observations


def with_(key, value):
    observations = good()
    observations[key] = value
    return observations


TESTING = POLICY.decode().replace('enforce', 'testing')

CASES = [
    ('two sts', with_('sts_txt', [[b'v=STSv1; id=a;'], [b'v=STSv1; id=b;']]), False, [('record', 'error')]),
    ('no sts', with_('sts_txt', [[b'v=spf1 -all']]), False, [('record', 'error')]),
    ('id 33', with_('sts_txt', [[b'v=STSv1; id=' + b'a' * 33]]), False, [('record', 'error')]),
    ('split', with_('sts_txt', [[b'v=STSv1; ', b'id=abc;']]), True, []),
    ('redirect', fetched(status=302, location='https://x.test/', body=None), False, [('policy_fetch', 'error')]),
    ('404', fetched(status=404, body=None), False, [('policy_fetch', 'error')]),
    ('html', fetched(content_type='text/html'), False, [('policy_fetch', 'error')]),
    ('no type', fetched(content_type=None), False, [('policy_fetch', 'error')]),
    ('type params', fetched(content_type='Text/Plain; charset="UTF-8"; format=flowed'), True, []),
    ('latin1', fetched(content_type='text/plain; charset=iso-8859-1'), True, [('policy_fetch', 'warning')]),
    ('too large', fetched(body=None, too_large=True, length=1 << 20), False, [('policy_fetch', 'error')]),
    ('cert soon', fetched(cert_days_left=3), True, [('policy_fetch', 'warning')]),
    ('timeout', with_('fetch', {'addresses': ['192.0.2.80'], 'response': ProbeError('timeout', 'slow')}), False,
     [('policy_fetch', 'error')]),
    ('no address', with_('fetch', {'addresses': [], 'response': None}), False, [('policy_fetch', 'error')]),
    ('dns for host', with_('fetch', {'addresses': ProbeError('dns', 'no answer'), 'response': None}), False,
     [('dns', 'error')]),
    ('lf', with_policy(POLICY.decode().replace('\r\n', '\n')), True, [('policy', 'warning')]),
    ('max_age', with_policy(POLICY.decode().replace('86400', '31557601')), False, [('policy', 'error')]),
    ('mode doubt', with_policy(POLICY.decode().replace('enforce', 'doubt')), False, [('policy', 'error')]),
    ('Mode', with_policy(POLICY.decode().replace('mode:', 'Mode:')), False, [('policy', 'error'), ('policy', 'warning')]),
    ('no mx', with_policy('version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\n'), False, [('policy', 'error')]),
    ('mx nomatch', with_policy(POLICY.decode().replace('*.example.test', 'mx9.example.test')), False,
     [('mx_match', 'error')]),
    ('mx nomatch testing', with_policy(TESTING.replace('*.example.test', 'mx9.example.test')), True,
     [('mx_match', 'warning')]),
    ('no mx rrset', with_('mx', []), False, [('mx', 'error')]),
    ('null mx', with_('mx', [(0, '')]), False, [('mx', 'error')]),
    ('mx dns', with_('mx', ProbeError('dns', 'no answer')), False, [('dns', 'error')]),
    ('no starttls', with_probe(starttls=False, tls_version=None), False, [('starttls', 'error')]),
    ('no starttls testing', dict(with_policy(TESTING), smtp=with_probe(starttls=False)['smtp']), True,
     [('starttls', 'warning')]),
    ('old tls', with_probe(error_kind='tls', error='the TLS handshake failed (x)'), False, [('starttls', 'error')]),
    ('smtp timeout', with_probe(error_kind='timeout', starttls=None, error='slow'), False, [('starttls', 'error')]),
    ('cert name', with_probe(error_kind='certificate', cert_problem='name', error='not valid for mx1'), False,
     [('certificate', 'error')]),
    ('cert soon', with_probe(cert_days_left=13), True, [('certificate', 'warning')]),
    ('tlsrpt absent', with_('tlsrpt_txt', []), True, [('tlsrpt', 'warning')]),
    ('tlsrpt no rua', with_('tlsrpt_txt', [[b'v=TLSRPTv1;']]), False, [('tlsrpt', 'error')]),
    ('tlsrpt ftp', with_('tlsrpt_txt', [[b'v=TLSRPTv1; rua=ftp://x.test/r']]), False, [('tlsrpt', 'error')]),
    ('tlsrpt two', with_('tlsrpt_txt', [[b'v=TLSRPTv1; rua=mailto:a@x.test'], [b'v=TLSRPTv1; rua=mailto:b@x.test']]),
     False, [('tlsrpt', 'error')]),
    ('tlsrpt dns', with_('tlsrpt_txt', ProbeError('dns', 'refused')), False, [('dns', 'error')]),
]


@pytest.mark.parametrize('observations, passed, expected', [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_cases(observations, passed, expected):
    result = evaluate(observations)
    assert result['passed'] is passed, result['checks']
    assert bad(result) == sorted(expected), result['checks']


@pytest.mark.parametrize('observations, words', [
    (fetched(status=301, location='https://elsewhere.test/p', body=None), ['301', 'https://elsewhere.test/p', '3.3']),
    (fetched(content_type='text/html; charset=utf-8'), ['policy served as text/html; RFC 8461 3.3 wants text/plain']),
    (with_policy(POLICY.decode().replace('*.example.test', '*.b.example.test').replace('mx1.', 'mx9.')),
     ['mx1.example.test matches none', '*.b.example.test']),
    (with_('mx', [(10, 'a.b.example.test')]), ['exactly one label left of example.test, not a.b.example.test']),
    (dict(with_policy(TESTING), smtp=with_probe(starttls=False)['smtp']),
     ['does not offer STARTTLS', 'mode testing', 'under mode enforce they would not deliver']),
    (with_probe(error_kind='certificate', cert_problem='name', error='bad', cert_names=['other.test']),
     ['it names other.test', 'wildcard only as the whole left-most label']),
])
def test_messages_say_what_was_seen_and_what_is_wanted(observations, words):
    text = ' | '.join(entry['msg'] for entry in evaluate(observations)['checks'] if entry['status'] != 'ok')
    for word in words:
        assert word in text


def test_mx_hosts_carry_the_errors():
    observations = with_probe(starttls=False, tls_version=None)
    observations['mx_addresses']['mx2.example.test'] = []
    hosts = evaluate(observations)['mx_hosts']
    assert hosts[0]['starttls'] is False and 'STARTTLS' in hosts[0]['error']
    assert hosts[1]['addresses'] == [] and hosts[1]['starttls'] is None and 'no A or AAAA' in hosts[1]['error']


def test_no_policy_means_no_mx_match_but_starttls_still_checked():
    result = evaluate(fetched(status=404, body=None))
    names = [entry['name'] for entry in result['checks']]
    assert 'mx_match' not in names and 'starttls' in names
    assert all(host['matches_policy'] is None for host in result['mx_hosts'])


def test_checks_option_limits_what_is_reported():
    result = evaluate(with_('tlsrpt_txt', []), checks=['record', 'tlsrpt'])
    assert [entry['name'] for entry in result['checks']] == ['record', 'tlsrpt']


@pytest.mark.parametrize('expect, problems', [
    ({'id': 'abc123', 'mode': 'enforce', 'mx': ['*.EXAMPLE.test', 'mx1.example.test'], 'max_age': 86400,
      'rua': ['mailto:tls@example.test']}, []),
    ({'id': 'other'}, ['expected id other, the live domain has abc123']),
    ({'mode': 'testing', 'max_age': 1}, ['expected mode testing', 'expected max_age 1']),
    ({'mx': ['mx1.example.test']}, ['expected mx mx1.example.test, the live domain has mx1.example.test, *.example.test']),
])
def test_expect(expect, problems):
    result = evaluate(good(), expect=expect)
    entries = [entry for entry in result['checks'] if entry['name'] == 'expect']
    if not problems:
        assert [entry['status'] for entry in entries] == ['ok'] and result['passed']
    else:
        assert not result['passed']
        assert all(any(word in entry['msg'] for entry in entries) for word in problems)


def test_expect_against_a_missing_policy():
    result = evaluate(fetched(status=404, body=None), expect={'mode': 'enforce'})
    assert ('expect', 'error') in bad(result)
    assert 'has none' in [entry for entry in result['checks'] if entry['name'] == 'expect'][0]['msg']


@pytest.mark.parametrize('observations, fail_on, fails', [
    (good(), 'error', False), (good(), 'warning', False),
    (with_('tlsrpt_txt', []), 'error', False), (with_('tlsrpt_txt', []), 'warning', True),
    (fetched(status=404, body=None), 'error', True), (fetched(status=404, body=None), 'never', False),
])
def test_fails_and_summary(observations, fail_on, fails):
    result = evaluate(observations)
    assert verify_evaluate.fails(result, fail_on) is fails
    text = verify_evaluate.summary(result, fail_on)
    if fails:
        assert text.startswith('example.test fails MTA-STS verification') and ': ' in text
    else:
        assert 'check(s) ok' in text


def test_evaluate_is_pure():
    observations = good()
    before = copy.deepcopy(observations)
    assert evaluate(observations) == evaluate(observations)
    assert observations == before


@pytest.mark.parametrize('domains, options, bad_options', [
    (['example.test'], {}, []),
    (['exa mple.test', 'ok.test'], {}, ['domain']),
    (['example.test'], {'nameservers': ['192.0.2.1', '2001:db8::1', 'ns.example.test']}, ['nameservers']),
    (['example.test'], {'timeout': 0, 'smtp_port': 0, 'dns_port': 70000}, ['dns_port', 'smtp_port', 'timeout']),
    (['example.test'], {'checks': ['record', 'dane']}, ['checks']),
    (['example.test'], {'expect': {'id': 'a-b', 'mx': ['*.'], 'max_age': -1, 'rua': ['ftp://x.test']}}, ['expect']),
])
def test_validate(domains, options, bad_options):
    problems = verify_options.domain_problems(domains) + verify_options.setting_problems(options)
    assert sorted(set(option for option, dummy in problems)) == bad_options
    for option, message in problems:
        assert option.split('_')[0] in message


class _Failed(Exception):
    pass


class _Module(object):
    def __init__(self, **params):
        self.params = params

    def fail_json(self, **result):
        raise _Failed(result)


def test_an_unreadable_ca_path_fails_before_any_lookup():
    params = dict((name, option.get('default')) for name, option in _verify_module.argument_spec().items())
    params.update(domain='example.test', ca_path='/nonexistent/ca.pem', nameservers=['127.0.0.1'], dns_port=9)
    with pytest.raises(_Failed) as failed:
        _verify_module.run_module(_Module(**params))
    assert failed.value.args[0]['invalid_options'] == ['ca_path']
    assert '/nonexistent/ca.pem is not a readable file' in failed.value.args[0]['msg']


def test_the_module_checks_the_resolver_options_once():
    params = dict((name, option.get('default')) for name, option in _verify_module.argument_spec().items())
    params.update(domain='example.test', timeout=0, nameservers=['ns.example.test'])
    problems = _verify_module.option_problems(params)
    assert sorted(option for option, dummy in problems) == ['nameservers', 'timeout']


def test_argument_spec_matches_the_documentation():
    documented = yaml.safe_load(mta_sts_verify.DOCUMENTATION)['options']
    spec = _verify_module.argument_spec()
    assert sorted(documented) == sorted(spec)
    for name, option in spec.items():
        assert documented[name]['type'] == option['type'], name
        assert documented[name].get('default') == option.get('default'), name
        assert documented[name].get('choices') == option.get('choices'), name
    assert sorted(documented['expect']['suboptions']) == sorted(spec['expect']['options'])


# -- gather and the pools, with fake probes

class FakeProbes(object):
    """Stands in for _probe: every MX host of ``mx-N.example.test`` answers after ``delay`` s."""

    ProbeError = ProbeError

    def __init__(self, mx_count=5, delay=0.3):
        self.mx_count = mx_count
        self.delay = delay
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.calls = []

    def make_resolver(self, nameservers, port, timeout):
        return 'resolver'

    def tls_context(self, ca_path):
        return 'context'

    def lookup_txt(self, resolver, name):
        self.calls.append(('txt', name))
        if name.startswith('_mta-sts.'):
            return [[b'v=STSv1; id=abc;']]
        return [[b'v=TLSRPTv1; rua=mailto:r@example.test']]

    def lookup_mx(self, resolver, domain):
        self.calls.append(('mx', domain))
        return [(10 * (index + 1), 'mx-%d.%s' % (index, domain)) for index in range(self.mx_count)]

    def lookup_addresses(self, resolver, host):
        self.calls.append(('addresses', host))
        return ['192.0.2.%d' % (len(host) % 250)]

    def fetch_policy(self, domain, address, context, timeout, port):
        body = ('version: STSv1\r\nmode: enforce\r\nmx: *.%s\r\nmax_age: 86400\r\n' % domain).encode()
        return {'address': address, 'status': 200, 'reason': 'OK', 'content_type': 'text/plain', 'location': None,
                'body': body, 'too_large': False, 'length': len(body), 'tls_version': 'TLSv1.3',
                'cert_not_after': None, 'cert_days_left': None}

    def probe_smtp(self, host, address, context, timeout, port, ehlo_name):
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(self.delay)
        with self.lock:
            self.active -= 1
        return smtp_ok(address)


def test_mx_hosts_are_probed_concurrently():
    probes = FakeProbes(mx_count=5, delay=0.3)
    started = time.monotonic()
    result = verify_run.verify_domain(DOMAIN, {}, probes=probes)
    elapsed = time.monotonic() - started
    assert result['passed'], result['checks']
    assert len(result['mx_hosts']) == 5 and probes.peak == 5
    assert elapsed < 0.6, elapsed


def test_many_domains_keep_order_and_bound_connections():
    probes = FakeProbes(mx_count=3, delay=0.05)
    domains = ['d%d.example.test' % index for index in range(12)]
    results = verify_run.verify_domains(domains, {}, workers=4, probe_workers=5, probes=probes)
    assert [result['domain'] for result in results] == domains
    assert all(result['passed'] for result in results)
    assert probes.peak <= 5


def in_fresh_process(code):
    """The JSON that ``code`` prints last, run in a new interpreter with this file's names (``ns``):
    one thread, as a module's process has, where verify_domains forks. This pytest worker has
    execnet's threads, and a fork beside threads may deadlock (Python warns of it)."""
    script = 'import json, os, runpy\nns = runpy.run_path(%r)\nvr = ns["verify_run"]\n' % __file__ + code
    done = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, check=True,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    return json.loads(done.stdout.splitlines()[-1])


def test_many_domains_split_across_processes_give_what_one_process_gives():
    """240 domains, processes as the module decides (one per CPU, 100 domains each at least): forked
    children and this process each verify a contiguous slice; the results, in order, are one
    process's, and this process probed only its own (the last) slice."""
    found = in_fresh_process(
        'domains = ["p%d.example.test" % i for i in range(239)] + [["expect.example.test", {"mode": "testing"}]]\n'
        'alone = vr.verify_domains(domains, {}, probes=ns["FakeProbes"](mx_count=2, delay=0), processes=1)\n'
        'probes = ns["FakeProbes"](mx_count=2, delay=0)\n'
        'split = vr.verify_domains(domains, {}, probes=probes)\n'
        'last = vr.split(domains, vr.process_count(len(domains)))[-1]\n'
        'print(json.dumps([split == alone, [r["passed"] for r in alone], vr.process_count(len(domains)),\n'
        '                  sorted(n for k, n in probes.calls if k == "mx"),\n'
        '                  sorted(d if isinstance(d, str) else d[0] for d in last)]))\n')
    same, passed, processes, probed_here, last_slice = found
    assert same and passed == [True] * 239 + [False]
    assert probed_here == last_slice and len(last_slice) == 240 // processes


def test_a_slice_whose_process_sends_nothing_is_verified_here():
    """A child killed (out of memory, say) sends nothing back: its slice is verified in this process."""
    found = in_fresh_process(
        'real = vr._in_child\n'
        'vr._in_child = lambda work: real(lambda: os._exit(9))\n'
        'domains = ["k%d.example.test" % i for i in range(6)]\n'
        'probes = ns["FakeProbes"](mx_count=1, delay=0)\n'
        'results = vr.verify_domains(domains, {}, probes=probes, processes=2)\n'
        'print(json.dumps([[r["domain"] for r in results], [r["passed"] for r in results],\n'
        '                  len([k for k, n in probes.calls if k == "mx"])]))\n')
    assert found == [['k%d.example.test' % index for index in range(6)], [True] * 6, 6]


@pytest.mark.parametrize('count, cpus, expected', [(1, 8, 1), (199, 8, 1), (200, 8, 2), (20000, 2, 2),
                                                   (20000, 64, verify_run.MAX_PROCESSES), (5000, 1, 1)])
def test_processes_follow_the_domains_and_the_cpus(count, cpus, expected):
    assert verify_run.process_count(count, cpus) == expected


def test_split_keeps_order_and_sizes_within_one():
    items = list(range(11))
    parts = verify_run.split(items, 3)
    assert [len(part) for part in parts] == [4, 4, 3] and sum(parts, []) == items


def test_only_what_the_checks_need_is_looked_up():
    probes = FakeProbes(mx_count=1, delay=0)
    verify_run.verify_domain(DOMAIN, {'checks': ['tlsrpt']}, probes=probes)
    assert probes.calls == [('txt', '_smtp._tls.example.test')]
    probes = FakeProbes(mx_count=1, delay=0)
    result = verify_run.verify_domain(DOMAIN, {'checks': ['mx']}, probes=probes)
    assert set(kind for kind, dummy in probes.calls) == {'mx', 'addresses'} and probes.peak == 0
    assert [entry['name'] for entry in result['checks']] == ['mx', 'mx_match']


def test_the_policy_is_fetched_from_every_address_and_one_refusing_fails():
    class TwoAddresses(FakeProbes):
        def lookup_addresses(self, resolver, host):
            return ['192.0.2.1', '192.0.2.2']

        def fetch_policy(self, domain, address, context, timeout, port):
            if address == '192.0.2.1':
                raise ProbeError('connect', 'refused')
            return FakeProbes.fetch_policy(self, domain, address, context, timeout, port)

    result = verify_run.verify_domain(DOMAIN, {'checks': ['policy']}, probes=TwoAddresses())
    assert not result['passed']
    assert [(entry['address'], entry['served']) for entry in result['policy_addresses']] == [
        ('192.0.2.1', False), ('192.0.2.2', True)]
    assert ('mta-sts.example.test: the policy could not be fetched from 192.0.2.1 while 192.0.2.2 served it'
            in ' '.join(entry['msg'] for entry in result['checks']))
    # The later checks still parse what the address that answered serves.
    assert result['policy']['mode'] == 'enforce'


def response(address, body=POLICY, **changes):
    fetched_response = dict(good()['fetch']['response'], address=address, body=body, length=len(body or b''))
    fetched_response.update(changes)
    return fetched_response


def every_address(*responses):
    observations = good()
    observations['fetch'] = {'addresses': [item['address'] if isinstance(item, dict) else address
                                           for address, item in responses],
                             'responses': dict(responses), 'response': responses[0][1]}
    return observations


def test_two_addresses_serving_the_same_policy_pass():
    result = evaluate(every_address(('192.0.2.80', response('192.0.2.80')),
                                    ('2001:db8::80', response('2001:db8::80', POLICY.replace(b'\r\n', b'\n')))))
    assert result['passed'] and bad(result) == []
    assert [entry['address'] for entry in result['policy_addresses']] == ['192.0.2.80', '2001:db8::80']
    assert all(entry['served'] and entry['policy']['mode'] == 'enforce' for entry in result['policy_addresses'])
    assert [entry['name'] for entry in result['checks']].count('policy_fetch') == 2


def test_two_addresses_serving_different_policies_fail_naming_them():
    stale = POLICY.replace(b'mode: enforce', b'mode: testing')
    result = evaluate(every_address(('192.0.2.80', response('192.0.2.80')),
                                    ('192.0.2.81', response('192.0.2.81', stale)),
                                    ('192.0.2.82', response('192.0.2.82'))))
    assert not result['passed']
    errors = [entry['msg'] for entry in result['checks'] if entry['status'] == 'error']
    assert errors == [
        'mta-sts.example.test serves different policies: 192.0.2.80, 192.0.2.82 serve mode enforce, max_age 86400, '
        'mx mx1.example.test, *.example.test; 192.0.2.81 serves mode testing, max_age 86400, mx mx1.example.test, '
        '*.example.test; a sender caches the policy of whichever address it reaches (RFC 8461 3.3), so every '
        'address must serve the same file']
    assert result['policy']['mode'] == 'enforce'
    assert result['policy_addresses'][1]['sha256'] != result['policy_addresses'][0]['sha256']


def test_one_address_answering_404_fails_naming_it():
    result = evaluate(every_address(('192.0.2.80', response('192.0.2.80')),
                                    ('192.0.2.81', response('192.0.2.81', status=404, reason='Not Found', body=None))))
    assert not result['passed']
    msgs = ' | '.join(entry['msg'] for entry in result['checks'] if entry['status'] == 'error')
    assert 'https://mta-sts.example.test/.well-known/mta-sts.txt (192.0.2.81) answered 404' in msgs
    assert 'could not be fetched from 192.0.2.81 while 192.0.2.80 served it' in msgs
    assert result['policy_addresses'][1]['served'] is False


def test_every_address_failing_is_one_error_per_address():
    result = evaluate(every_address(('192.0.2.80', ProbeError('timeout', 'no answer from 192.0.2.80 within 1 s')),
                                    ('192.0.2.81', ProbeError('connect', 'refused'))))
    errors = [entry['msg'] for entry in result['checks'] if entry['status'] == 'error']
    assert len(errors) == 2 and '(192.0.2.81)' in errors[1] and '(192.0.2.80)' not in errors[0]
    assert result['policy']['mode'] is None


def test_every_address_is_fetched_side_by_side_within_one_deadline():
    class SlowAddresses(FakeProbes):
        def lookup_addresses(self, resolver, host):
            return ['192.0.2.%d' % index for index in range(1, 6)]

        def fetch_policy(self, domain, address, context, timeout, port):
            time.sleep(0.3)
            return FakeProbes.fetch_policy(self, domain, address, context, timeout, port)

    started = time.monotonic()
    result = verify_run.verify_domain(DOMAIN, {'checks': ['policy']}, probes=SlowAddresses())
    assert time.monotonic() - started < 1.0
    assert result['passed'] and len(result['policy_addresses']) == 5


# ---------------------------------------------------------------- pre-flight (a candidate policy)

CANDIDATE = {'mode': 'enforce', 'mx': ['mx1.example.test', 'mx2.example.test'], 'max_age': 86400}


def preflight(observations, **candidate):
    policy = dict(CANDIDATE, **candidate)
    return evaluate(observations, policy=policy, checks=['record', 'policy', 'mx', 'starttls'])


def test_preflight_checks_the_candidate_not_the_served_policy():
    # The served policy (mx1 and *.example.test) matches both hosts; the candidate drops mx2.
    result = preflight(good(), mx=['mx1.example.test'])
    assert result['preflight'] is True and result['passed'] is False
    assert result['policy'] == {'version': 'STSv1', 'mode': 'enforce', 'max_age': 86400, 'mx': ['mx1.example.test']}
    assert result['served'] == {'id': 'abc123', 'error': None, 'policy': {
        'mode': 'enforce', 'max_age': 86400, 'mx': ['mx1.example.test', '*.example.test']}}
    assert bad(result) == [('mx_match', 'error')]
    assert [entry['host'] for entry in result['checks'] if entry['status'] == 'error'] == ['mx2.example.test']


def test_preflight_of_a_good_candidate_passes_and_grades_nothing_served():
    observations = with_('sts_txt', [[b'v=spf1 -all']])
    observations['fetch'] = {'addresses': [], 'response': None}  # nothing served yet: not a finding
    result = preflight(observations)
    assert result['passed'] and bad(result) == []
    assert result['served'] == {'id': None, 'policy': None,
                                'error': result['served']['error']} and 'no A or AAAA' in result['served']['error']
    assert set(entry['name'] for entry in result['checks']) == {'policy', 'mx', 'mx_match', 'starttls', 'certificate'}


@pytest.mark.parametrize('sts_txt, fetched', [
    ([], False),                                       # no record: senders fetch nothing
    ([[b'v=spf1 -all']], False),                       # TXT at the name, but no MTA-STS record
    ([[b'v=STSv1; id=abc;']], True),                   # published: what senders cached matters
    (ProbeError('timeout', 'no answer'), True),        # not known: look
])
def test_preflight_fetches_the_served_policy_only_under_a_published_record(sts_txt, fetched):
    class Probes(FakeProbes):
        def lookup_txt(self, resolver, name):
            self.calls.append(('txt', name))
            if isinstance(sts_txt, ProbeError):
                raise sts_txt
            return sts_txt

        def fetch_policy(self, domain, address, context, timeout, port):
            self.calls.append(('fetch', address))
            return FakeProbes.fetch_policy(self, domain, address, context, timeout, port)

    probes = Probes(mx_count=1, delay=0)
    options = {'checks': ['record', 'policy', 'mx', 'starttls'], 'policy': dict(CANDIDATE, mx=['*.example.test'])}
    result = verify_run.verify_domain(DOMAIN, options, probes=probes)
    assert any(call[0] == 'fetch' for call in probes.calls) is fetched
    assert (result['served']['policy'] is not None) is fetched
    # Served policy or not, the candidate is checked against the live MX set the same way.
    assert [entry['name'] for entry in result['checks'] if entry['name'] == 'mx_match'] == ['mx_match']
    # Outside pre-flight the policy is always fetched: it is what is graded.
    probes = Probes(mx_count=1, delay=0)
    verify_run.verify_domain(DOMAIN, {'checks': ['record', 'policy']}, probes=probes)
    assert any(call[0] == 'fetch' for call in probes.calls)


def test_preflight_safe_order_message_when_the_only_matching_pattern_is_dropped():
    observations = good()
    result = preflight(observations, mx=['mx1.example.test', 'mx3.example.test'])
    message = [entry['msg'] for entry in result['checks'] if entry['status'] == 'error'][0]
    assert 'MX host mx2.example.test is matched by the pattern *.example.test of the policy served now' in message
    assert '1. add the pattern of the new MX host and keep *.example.test' in message
    assert '2. wait max_age (86400 s)' in message and '3. move the MX record' in message
    assert '4. only then remove *.example.test' in message


def test_preflight_without_a_served_policy_gives_the_plain_mismatch():
    observations = good()
    observations['fetch']['response'] = dict(observations['fetch']['response'], status=404, body=None)
    result = preflight(observations, mx=['mx1.example.test'])
    message = [entry['msg'] for entry in result['checks'] if entry['status'] == 'error'][0]
    assert message.startswith('MX host mx2.example.test matches none of the policy mx patterns (mx1.example.test)')


@pytest.mark.parametrize('probe, check', [
    (dict(starttls=False, tls_version=None), 'starttls'),
    (dict(error_kind='certificate', cert_problem='expired', error='the certificate has expired'), 'certificate'),
    (dict(error_kind='certificate', cert_problem='name', error='not valid for mx1'), 'certificate'),
])
@pytest.mark.parametrize('mode, status, passed', [('enforce', 'error', False), ('testing', 'warning', True)])
def test_preflight_mx_tls_problems_are_errors_in_enforce_and_warnings_in_testing(probe, check, mode, status, passed):
    result = preflight(with_probe(**probe), mode=mode)
    assert result['passed'] is passed
    assert bad(result) == [(check, status)]


@pytest.mark.parametrize('mode', ['enforce', 'testing'])
def test_preflight_an_mx_set_that_cannot_be_resolved_is_an_error_in_every_mode(mode):
    result = preflight(with_('mx', ProbeError('dns', 'no answer from 192.0.2.53 within 2 s')), mode=mode)
    assert result['passed'] is False and bad(result) == [('dns', 'error')]


def test_preflight_candidate_is_validated_before_any_io():
    problems = verify_options.setting_problems({'policy': {'mode': 'enforce', 'mx': ['*.'], 'max_age': -1}})
    assert sorted(set(option for option, dummy in problems)) == ['policy']
    assert any('policy.mx entry' in message for dummy, message in problems)
    assert any('policy.max_age must be an integer' in message for dummy, message in problems)


def test_preflight_needs_no_tlsrpt_lookup():
    needs = verify_gather._needs(verify_options.settings(policy=CANDIDATE, checks=['mx', 'starttls']))
    assert needs == {'record': False, 'tlsrpt': False, 'policy': False, 'mx': True, 'starttls': True}
