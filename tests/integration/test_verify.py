# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mta_sts_verify against the lab: a good domain and every hostile case a real deployment gets wrong.

Each case is a subdomain ``v-<case>.mailsec.test`` of the lab zone, with its records set by TSIG
UPDATE, its policy host on an address of its own in 127.0.90.0/24 (nginx for the good domain, a
hostile Python server from hostile.py for the rest) and, where the MX is what is tested, its own
SMTP listener in 127.0.91.0/24 (the lab's smtp_listener.py). All cases are verified together with
``verify_run.verify_domains`` (the many-domain path), then each asserts its verdict and the check
name and status of its finding. A few run the module itself, in-process.
"""

import collections
import datetime
import time

import pytest

import hostile
import mailsec_lab as lablib

from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify import run as verify_run
from mailsec_testing.modules import run_module

pytestmark = pytest.mark.lab

ZONE = 'mailsec.test'
TIMEOUT = 3.0
HTTPS_NET = '127.%d.90.' % lablib.LAB_NET
SMTP_NET = '127.%d.91.' % lablib.LAB_NET
SILENT_DNS = '127.%d.99.53' % lablib.LAB_NET

POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: *.mailsec.test\r\nmax_age: 86400\r\n'
STS = 'v=STSv1; id=20261128a;'
TLSRPT = 'v=TLSRPTv1; rua=mailto:tlsrpt@mailsec.test'
LAB_MX = [(10, 'mx1.mailsec.test'), (20, 'mx2.mailsec.test')]

# https: (behaviour, params) for hostile.HTTPSServer, or 'nginx'; cert: which certificate the
# policy host shows; mx: the MX RRset, 'own' meaning one MX host served by an SMTP
# listener of this case (mx-<case>.mailsec.test) with a certificate as smtp_cert says (None = no
# STARTTLS).
Case = collections.namedtuple('Case', 'label passed check status sts tlsrpt policy https cert mx smtp_cert')


def case(label, passed, check, status, sts=(STS,), tlsrpt=(TLSRPT,), policy=POLICY, https=('policy', {}),
         cert='good', mx=None, smtp_cert='good'):
    return Case(label, passed, check, status, list(sts), list(tlsrpt), policy, https, cert, mx or LAB_MX, smtp_cert)


CASES = [
    case('good', True, 'policy_fetch', 'ok', https='nginx',
         policy='version: STSv1\r\nmode: enforce\r\nmx: mx1.mailsec.test\r\nmx: mx2.mailsec.test\r\nmax_age: 604800\r\n'),
    case('two-sts', False, 'record', 'error', sts=[STS, 'v=STSv1; id=other2;']),
    case('id33', False, 'record', 'error', sts=['v=STSv1; id=%s;' % ('a' * 33)]),
    case('redirect', False, 'policy_fetch', 'error',
         https=('redirect', {'location': 'https://mta-sts.v-good.mailsec.test/.well-known/mta-sts.txt'})),
    case('404', False, 'policy_fetch', 'error', https=('status', {'status': 404})),
    case('html', False, 'policy_fetch', 'error', https=('html', {})),
    case('huge', False, 'policy_fetch', 'error', https=('huge', {'size': 1024 * 1024})),
    case('drip', False, 'policy_fetch', 'error', https=('drip', {'interval': 1.0})),
    case('silent', False, 'policy_fetch', 'error', https=('silent', {})),
    case('wrong-name', False, 'policy_fetch', 'error', cert='other-name'),
    case('expired', False, 'policy_fetch', 'error', cert='expired'),
    case('untrusted', False, 'policy_fetch', 'error', cert='untrusted'),
    case('lf', True, 'policy', 'warning', policy=POLICY.replace('\r\n', '\n'), https=('chunked', {})),
    case('max-age', False, 'policy', 'error', policy=POLICY.replace('86400', '31557601')),
    case('mode-doubt', False, 'policy', 'error', policy=POLICY.replace('mode: enforce', 'mode: doubt')),
    case('mode-case', False, 'policy', 'error', policy=POLICY.replace('mode: enforce', 'Mode: enforce')),
    case('no-mx', False, 'policy', 'error', policy='version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\n'),
    case('mx-nomatch', False, 'mx_match', 'error',
         policy=POLICY.replace('*.mailsec.test', 'mx1.mailsec.test'), mx=[(10, 'mx2.mailsec.test')]),
    case('wild', False, 'mx_match', 'error', policy=POLICY.replace('*.mailsec.test', '*.v-wild.mailsec.test'),
         mx=[(10, 'a.b.v-wild.mailsec.test')]),
    case('no-starttls', False, 'starttls', 'error', mx='own', smtp_cert=None),
    case('testing-no-starttls', True, 'starttls', 'warning', mx='own', smtp_cert=None,
         policy=POLICY.replace('enforce', 'testing')),
    case('mx-name', False, 'certificate', 'error', mx='own', smtp_cert='other-name'),
    case('mx-soon', True, 'certificate', 'warning', mx='own', smtp_cert='soon'),
    case('split', True, 'record', 'ok', sts=[['v=STSv1; ', 'id=split123;']]),
    case('rua-missing', False, 'tlsrpt', 'error', tlsrpt=['v=TLSRPTv1;']),
    case('rua-ftp', False, 'tlsrpt', 'error', tlsrpt=['v=TLSRPTv1; rua=ftp://reports.mailsec.test/tlsrpt']),
    case('two-tlsrpt', False, 'tlsrpt', 'error', tlsrpt=[TLSRPT, 'v=TLSRPTv1; rua=mailto:other@mailsec.test']),
]
CASES_BY_LABEL = dict((item.label, item) for item in CASES)


def domain_of(label):
    return 'v-%s.%s' % (label, ZONE)


def own_mx(label):
    # One label below the zone, so the default policy's *.mailsec.test matches it.
    return 'mx-%s.%s' % (label, ZONE)


def options_for(lab_info, **overrides):
    options = dict(nameservers=[lab_info['dns']['server']], dns_port=int(lab_info['dns']['port']),
                   ca_path=lab_info['ca_path'], timeout=TIMEOUT)
    options.update(overrides)
    return options


def _certificate(lab_info, kind, name, untrusted_ca):
    now = datetime.datetime.now(datetime.timezone.utc)
    if kind == 'good':
        return lablib.issue_cert([name], ca=lab_info)
    if kind == 'other-name':
        return lablib.issue_cert(['other.mailsec.test'], ca=lab_info)
    if kind == 'expired':
        return lablib.issue_cert([name], not_before=now - datetime.timedelta(days=30),
                                 not_after=now - datetime.timedelta(days=1), ca=lab_info)
    if kind == 'soon':
        return lablib.issue_cert([name], not_before=now - datetime.timedelta(days=30),
                                 not_after=now + datetime.timedelta(days=5), ca=lab_info)
    if kind == 'untrusted':
        return lablib.issue_cert([name], ca=untrusted_ca)
    raise ValueError(kind)


@pytest.fixture(scope='module')
def deployment(lab, tmp_path_factory):
    """Publish every case in the lab zone and start its servers; stopped after the module."""
    work = tmp_path_factory.mktemp('verify-cases')
    untrusted_ca = lablib.new_ca()
    servers = []
    pids = []
    listeners = []
    nginx_blocks = []
    try:
        for index, item in enumerate(CASES, start=1):
            domain = domain_of(item.label)
            https_address = HTTPS_NET + str(index)
            policy_host = 'mta-sts.' + domain
            cert, key = _certificate(lab, item.cert, policy_host, untrusted_ca)
            body = item.policy.encode('utf-8')
            if item.https == 'nginx':
                root = work / item.label
                (root / '.well-known').mkdir(parents=True)
                (root / '.well-known' / 'mta-sts.txt').write_bytes(body)
                nginx_blocks.append(lablib.render_tls_server(https_address, policy_host, cert, key, root))
            else:
                behaviour, params = item.https
                servers.append(hostile.HTTPSServer(https_address, cert, key, behaviour, body, **params))
            lablib.dns_update(lab, policy_host, 'A', [https_address])
            lablib.dns_update(lab, '_mta-sts.' + domain, 'TXT', item.sts)
            lablib.dns_update(lab, '_smtp._tls.' + domain, 'TXT', item.tlsrpt)
            mx = item.mx
            if mx == 'own':
                mx = [(10, own_mx(item.label))]
            for dummy, host in mx:
                if host not in dict(LAB_MX).values():
                    address = SMTP_NET + str(index)
                    lablib.dns_update(lab, host, 'A', [address])
                    listener = {'address': address, 'port': 25, 'hostname': host}
                    if item.smtp_cert:
                        listener['cert'], listener['key'] = _certificate(lab, item.smtp_cert, host, untrusted_ca)
                    listeners.append(listener)
            lablib.dns_update(lab, domain, 'MX', ['%d %s.' % entry for entry in mx])
        if nginx_blocks:
            pids.append(lablib.start_nginx(''.join(nginx_blocks), work / 'nginx'))
        pids.append(lablib.start_smtp(listeners, work / 'smtp.log'))
        yield lab
    finally:
        for server in servers:
            server.close()
        for pid in pids:
            lablib.stop_pid(pid)


@pytest.fixture(scope='module')
def results(deployment):
    """Every case verified in one verify_domains call, keyed by label, with the wall time."""
    started = time.monotonic()
    found = verify_run.verify_domains([domain_of(item.label) for item in CASES], options_for(deployment), workers=8)
    elapsed = time.monotonic() - started
    return dict((item.label, result) for item, result in zip(CASES, found)), elapsed


def _describe(result):
    return '\n'.join('%s %s: %s' % (entry['status'], entry['name'], entry['msg']) for entry in result['checks'])


@pytest.mark.parametrize('label', [item.label for item in CASES])
def test_case_verdict_and_finding(results, label):
    item = CASES_BY_LABEL[label]
    result = results[0][label]
    assert result['passed'] is item.passed, _describe(result)
    statuses = [entry['status'] for entry in result['checks'] if entry['name'] == item.check]
    assert item.status in statuses, _describe(result)
    if item.passed:
        assert 'error' not in [entry['status'] for entry in result['checks']], _describe(result)
    if item.status != 'ok':
        # The case's finding is the reason: no other check name carries an error or warning.
        others = set(entry['name'] for entry in result['checks'] if entry['status'] != 'ok')
        assert others == {item.check}, _describe(result)


def test_good_domain_reports_every_check_ok(results):
    result = results[0]['good']
    assert result['passed'], _describe(result)
    assert [entry['status'] for entry in result['checks']] == ['ok'] * len(result['checks'])
    names = set(entry['name'] for entry in result['checks'])
    assert names == {'record', 'policy_fetch', 'policy', 'mx', 'mx_match', 'starttls', 'certificate', 'tlsrpt'}
    assert result['record'] == {'id': '20261128a'}
    assert result['policy'] == {'version': 'STSv1', 'mode': 'enforce', 'max_age': 604800,
                                'mx': ['mx1.mailsec.test', 'mx2.mailsec.test']}
    assert result['tlsrpt'] == {'rua': ['mailto:tlsrpt@mailsec.test']}
    assert [(host['name'], host['preference'], host['addresses'], host['matches_policy'], host['starttls'])
            for host in result['mx_hosts']] == [
        ('mx1.mailsec.test', 10, [lablib.MX_HOSTS[0][1]], True, True), ('mx2.mailsec.test', 20, [lablib.MX_HOSTS[1][1]], True, True)]
    assert all(host['tls_version'] in ('TLSv1.2', 'TLSv1.3') and host['cert_not_after'] and host['error'] is None
               for host in result['mx_hosts'])


@pytest.mark.parametrize('label, words', [
    ('redirect', ['301', 'https://mta-sts.v-good.mailsec.test/.well-known/mta-sts.txt', 'RFC 8461 3.3']),
    ('404', ['404', 'RFC 8461 3.3 wants status 200']),
    ('html', ['policy served as text/html; RFC 8461 3.3 wants text/plain']),
    ('huge', ['larger than 65536 bytes', 'reading stopped there']),
    ('drip', ['3 s deadline']),
    ('silent', ['3 s deadline', 'TLS handshake']),
    ('wrong-name', ['does not name mta-sts.v-wrong-name.mailsec.test', 'RFC 8461 3.3']),
    ('expired', ['has expired', 'in date']),
    ('untrusted', ['does not chain to a trusted root', 'root the sender trusts']),
    ('lf', ['LF instead of CRLF']),
    ('mode-doubt', ["'doubt'"]),
    ('mode-case', ["'Mode'", 'no mode field']),
    ('wild', ['a.b.v-wild.mailsec.test', 'exactly one label']),
    ('no-starttls', ['does not offer STARTTLS']),
    ('testing-no-starttls', ['mode testing', 'under mode enforce']),
    ('mx-name', ['does not name mx-mx-name.mailsec.test', 'it names other.mailsec.test']),
    ('mx-soon', ['expires in', 'renew']),
    ('rua-ftp', ['ftp://', 'mailto: or https:']),
])
def test_finding_says_what_was_seen_and_what_the_rfc_wants(results, label, words):
    item = CASES_BY_LABEL[label]
    messages = ' | '.join(entry['msg'] for entry in results[0][label]['checks'] if entry['name'] == item.check)
    for word in words:
        assert word in messages


def test_hostile_servers_cannot_hold_the_run(results):
    # drip and silent each hold a connection for ever; with concurrent probes the whole
    # batch of cases costs about one deadline, not one per hostile server.
    assert results[1] < 2.5 * TIMEOUT, results[1]


@pytest.mark.parametrize('label', ['drip', 'silent'])
def test_one_deadline_per_fetch(deployment, label):
    started = time.monotonic()
    result = verify_run.verify_domain(domain_of(label), options_for(deployment, checks=['policy']))
    elapsed = time.monotonic() - started
    assert not result['passed']
    assert [entry['name'] for entry in result['checks']] == ['policy_fetch']
    assert TIMEOUT - 0.2 < elapsed < TIMEOUT + 1.0, elapsed


def test_dns_server_not_answering(deployment):
    server = hostile.SilentDNS(SILENT_DNS)
    try:
        started = time.monotonic()
        result = verify_run.verify_domain(domain_of('good'), options_for(deployment, nameservers=[SILENT_DNS]))
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert not result['passed']
    assert set(entry['name'] for entry in result['checks']) == {'dns'}
    assert all(entry['status'] == 'error' and SILENT_DNS in entry['msg'] for entry in result['checks'])
    assert elapsed < TIMEOUT + 1.5, elapsed  # the lookups run concurrently


def test_mx_hosts_of_failing_mx(results):
    host = results[0]['no-starttls']['mx_hosts'][0]
    assert host['starttls'] is False and host['tls_version'] is None and 'STARTTLS' in host['error']
    host = results[0]['mx-name']['mx_hosts'][0]
    assert host['starttls'] is True and host['cert_not_after'] and 'does not name' in host['error']
    assert results[0]['wild']['mx_hosts'][0]['matches_policy'] is False


# ---------------------------------------------------------------------------------------------
# The module, run in-process (mailsec_testing.modules)

def _module_args(lab_info, label, **extra):
    args = dict(domain=domain_of(label), nameservers=[lab_info['dns']['server']],
                dns_port=int(lab_info['dns']['port']), ca_path=lab_info['ca_path'], timeout=TIMEOUT)
    args.update(extra)
    return args


@pytest.mark.parametrize('check_mode', [False, True])
def test_module_good_domain(deployment, check_mode):
    run = run_module('mta_sts_verify', _module_args(deployment, 'good'), check=check_mode)
    assert not run.failed, run.result
    assert not run.changed
    assert run.result['passed'] is True
    assert run.result['policy']['mode'] == 'enforce'
    assert [host['name'] for host in run.result['mx_hosts']] == ['mx1.mailsec.test', 'mx2.mailsec.test']
    assert '0 error(s)' in run.msg


@pytest.mark.parametrize('label, extra, failed, check', [
    ('html', {}, True, 'policy_fetch'),
    ('mx-name', {}, True, 'certificate'),
    ('html', {'fail_on': 'never'}, False, 'policy_fetch'),
    ('lf', {'fail_on': 'warning'}, True, 'policy'),
    ('good', {'expect': {'id': '20261128a', 'mode': 'testing', 'mx': ['MX2.mailsec.test', 'mx1.mailsec.test']}},
     True, 'expect'),
])
def test_module_failures(deployment, label, extra, failed, check):
    run = run_module('mta_sts_verify', _module_args(deployment, label, **extra))
    assert run.failed is failed, run.result
    assert not run.changed
    bad = [entry for entry in run.result['checks'] if entry['status'] != 'ok']
    assert check in [entry['name'] for entry in bad]
    if failed:
        assert check + ':' in run.msg


def test_module_dns_not_answering(deployment):
    server = hostile.SilentDNS(SILENT_DNS)
    try:
        run = run_module('mta_sts_verify', _module_args(deployment, 'good', nameservers=[SILENT_DNS]))
    finally:
        server.close()
    assert run.failed and run.result['passed'] is False
    assert 'dns:' in run.msg


def test_module_bad_parameters_fail_before_any_io(deployment):
    run = run_module('mta_sts_verify', {'domain': 'bad..domain', 'nameservers': ['not-an-ip'],
                                        'expect': {'id': 'x' * 33}})
    assert run.failed
    assert run.result['invalid_options'] == ['domain', 'expect', 'nameservers']
    assert 'checks' not in run.result


def test_module_many_domains_in_one_call(deployment):
    args = _module_args(deployment, 'good', fail_on='error', workers=3)
    del args['domain']
    args['domains'] = [
        {'domain': domain_of('good'), 'expect': {'mode': 'enforce'}},
        {'domain': domain_of('html')},
        {'domain': domain_of('lf'), 'expect': {'mode': 'enforce'}},
        {'domain': domain_of('good'), 'expect': {'mode': 'testing'}},
    ]
    run = run_module('mta_sts_verify', args)
    assert run.failed
    assert not run.changed
    assert [result['domain'] for result in run.result['results']] == [entry['domain'] for entry in args['domains']]
    assert [result['passed'] for result in run.result['results']] == [True, False, True, False]
    assert run.result['failed_domains'] == [domain_of('html'), domain_of('good')]
    assert run.result['passed'] is False
    assert run.msg.startswith('2 of 4 domain(s) fail MTA-STS verification')
    assert 'expect' in [entry['name'] for entry in run.result['results'][3]['checks'] if entry['status'] == 'error']


def test_module_many_domains_bad_entry_fails_before_any_io(deployment):
    run = run_module('mta_sts_verify', {'domains': [{'domain': 'ok.mailsec.test'}, {'domain': 'bad..name'}],
                                        'workers': 0})
    assert run.failed
    assert run.result['invalid_options'] == ['domains', 'workers']
    assert 'domains[1]: domain' in run.msg
    assert 'results' not in run.result
