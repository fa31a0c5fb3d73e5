# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mta_sts_record_info run in-process (mailsec_testing.modules) without a DNS server: bad input fails
naming the option before any query, a resolver that does not answer is named, check mode is a normal
run. What it reads from real servers (BIND, Knot, PowerDNS): tests/integration/test_dns_records.py.
"""

import pytest

from mailsec_testing.modules import WatchedPort, run_module

MODULE = 'mta_sts_record_info'
GOOD = [{'name': '_mta-sts.example.com', 'value': 'v=STSv1; id=20260101T000000;'},
        {'name': '_smtp._tls.example.com', 'state': 'absent'}]


@pytest.fixture
def resolver():
    with WatchedPort() as port:
        yield port


def args(watched, **extra):
    values = {'records': GOOD, 'nameservers': [watched.host], 'dns_port': watched.port, 'timeout': 0.5}
    values.update(extra)
    return values


@pytest.mark.parametrize('bad, options, words', [
    ({'records': [{'name': '_mta-sts.example.com', 'value': 'x'}]}, ['records'],
     "records[0].value: 'x' must start with v=STSv1, the kind of record at _mta-sts.example.com"),
    ({'records': [{'name': 'example.com', 'value': 'v=STSv1; id=a;'}]}, ['records'],
     "records[0].name: 'example.com' must start with _mta-sts. or _smtp._tls."),
    ({'ttl': -1}, ['ttl'], 'ttl: must be a number of seconds from 0 to 2147483647 (RFC 2181 8)'),
    ({'dns_port': 0}, ['dns_port'], 'dns_port must be a port number from 1 to 65535'),
    ({'timeout': 0}, ['timeout'], 'timeout must be a number of seconds greater than 0 and at most 3600'),
    ({'timeout': 3601, 'ttl': 2 ** 31}, ['timeout', 'ttl'], 'timeout must be a number of seconds'),
])
def test_bad_input_fails_naming_the_option_before_any_query(resolver, bad, options, words):
    run = run_module(MODULE, args(resolver, **bad))
    assert run.failed
    assert run.result['invalid_options'] == options
    assert words in run.msg
    assert not resolver.touched()


@pytest.mark.parametrize('check', [False, True])
def test_a_silent_resolver_is_named_in_check_mode_too(resolver, check):
    run = run_module(MODULE, args(resolver), check=check, diff=True)
    assert run.failed
    assert run.msg == ('reading the TXT records: no answer for TXT _mta-sts.example.com from 127.0.0.1:%d within 0.5 s'
                       % resolver.port)
    assert 'invalid_options' not in run.result and 'diff' not in run.result
    assert resolver.touched()


def test_records_is_required():
    run = run_module(MODULE, {})
    assert run.failed and run.msg == 'missing required arguments: records'
