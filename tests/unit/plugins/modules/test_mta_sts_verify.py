# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mta_sts_verify run in-process (mailsec_testing.modules) without the lab: bad input fails naming every
option before any I/O, fail_on decides failing, check mode is a normal run. Verifying real deployments
(DNS, nginx, SMTP on loopback): tests/integration/test_verify.py.
"""

import pytest

from mailsec_testing.modules import WatchedPort, run_module

MODULE = 'mta_sts_verify'


@pytest.fixture
def resolver():
    with WatchedPort() as port:
        yield port


def test_bad_input_names_every_option_before_any_io(resolver, tmp_path):
    run = run_module(MODULE, {
        'domain': 'bad..example', 'nameservers': [resolver.host, 'ns.example.com'], 'dns_port': resolver.port,
        'smtp_port': 70000, 'timeout': 0, 'ca_path': str(tmp_path / 'none.pem'),
        'expect': {'id': 'bad id', 'mx': ['a..b'], 'max_age': -1, 'rua': ['ftp://x']},
        'policy': {'mode': 'enforce', 'mx': [], 'max_age': 86400}})
    assert run.failed
    # ca_path is not among them: whether it can be read is found out after the pure checks (test_verify).
    assert run.result['invalid_options'] == ['domain', 'expect', 'nameservers', 'policy', 'smtp_port', 'timeout']
    for words in ("domain 'bad..example' has an empty label", "nameservers entry 'ns.example.com' is not an IP address",
                  'smtp_port must be a port number from 1 to 65535, got 70000', 'timeout must be a number of seconds greater than 0',
                  "expect.id 'bad id' must be 1 to 32",
                  "expect.mx entry 'a..b'", 'expect.max_age must be 0 to 31557600, got -1',
                  "expect.rua entry 'ftp://x'", 'policy.mx must list at least one pattern'):
        assert words in run.msg
    assert not resolver.touched()


def test_bad_entries_of_domains_are_named_by_index(resolver):
    run = run_module(MODULE, {'domains': [{'domain': 'ok.example'}, {'domain': 'bad..example'},
                                          {'domain': 'x.example', 'expect': {'mode': 'testing', 'id': '!'}}],
                              'workers': 0, 'nameservers': [resolver.host], 'dns_port': resolver.port})
    assert run.failed
    assert run.result['invalid_options'] == ['domains', 'workers']
    assert "domains[1]: domain 'bad..example' has an empty label" in run.msg
    assert "domains[2]: expect.id '!' must be 1 to 32" in run.msg
    assert 'workers must be from 1 to 64, got 0' in run.msg
    assert not resolver.touched()


@pytest.mark.parametrize('args, words', [
    ({}, 'one of the following is required: domain, domains'),
    ({'domain': 'a.example', 'domains': [{'domain': 'b.example'}]}, 'mutually exclusive: domain|domains'),
    ({'domain': 'a.example', 'checks': ['record', 'dane']}, 'value of checks must be one or more of'),
    ({'domain': 'a.example', 'fail_on': 'always'}, 'value of fail_on must be one of: error, warning, never'),
])
def test_ansible_checks_name_the_options(args, words):
    run = run_module(MODULE, args)
    assert run.failed
    assert words in run.msg


def unanswered(resolver, **extra):
    values = {'domain': 'example.com', 'nameservers': [resolver.host], 'dns_port': resolver.port, 'timeout': 0.5,
              'checks': ['record', 'tlsrpt']}
    values.update(extra)
    return values


def test_fail_on_never_reports_errors_without_failing_and_check_mode_is_the_same(resolver):
    normal = run_module(MODULE, unanswered(resolver, fail_on='never'))
    checked = run_module(MODULE, unanswered(resolver, fail_on='never'), check=True, diff=True)
    for run in (normal, checked):
        assert not run.failed and not run.changed
        assert run.result['passed'] is False
        assert [(check['name'], check['status']) for check in run.result['checks']] == [('dns', 'error')] * 2
        assert run.msg == 'example.com: 0 check(s) ok, 0 warning(s), 2 error(s)'
        assert 'diff' not in run.result
    assert normal.result['checks'] == checked.result['checks']
    assert resolver.touched()


def test_an_unanswered_domain_fails_with_its_findings(resolver):
    run = run_module(MODULE, unanswered(resolver))
    assert run.failed
    assert run.msg == ('example.com fails MTA-STS verification (2 error(s), 0 warning(s)): dns: no answer for TXT '
                       '_mta-sts.example.com from 127.0.0.1:{0} within 0.5 s | dns: no answer for TXT '
                       '_smtp._tls.example.com from 127.0.0.1:{0} within 0.5 s'.format(resolver.port))
    assert run.result['domain'] == 'example.com'


def test_many_domains_name_the_failing_ones(resolver):
    run = run_module(MODULE, {'domains': [{'domain': 'a.example'}, {'domain': 'b.example'}], 'workers': 2,
                              'nameservers': [resolver.host], 'dns_port': resolver.port, 'timeout': 0.5,
                              'checks': ['record']})
    assert run.failed
    assert run.result['failed_domains'] == ['a.example', 'b.example']
    assert run.result['passed'] is False
    assert [result['domain'] for result in run.result['results']] == ['a.example', 'b.example']
    assert run.msg.startswith('2 of 2 domain(s) fail MTA-STS verification: a.example fails')
