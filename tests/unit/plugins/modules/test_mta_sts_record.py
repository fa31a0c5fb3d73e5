# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mta_sts_record run in-process (mailsec_testing.modules) without a DNS server: bad input fails naming
the option before any network I/O, and a server that is not there is named. Creating, changing and
removing records (normal runs, check mode, diff) on BIND, Knot and PowerDNS: tests/integration/test_dns_records.py.
"""

import pytest

from mailsec_testing.modules import TEST_TSIG_SECRET as SECRET, record_args, run_module

MODULE = 'mta_sts_record'


@pytest.fixture(autouse=True)
def no_secret_from_the_environment(monkeypatch):
    # key_secret falls back to MAILSEC_TSIG_SECRET; these tests give it or leave it out on purpose.
    monkeypatch.delenv('MAILSEC_TSIG_SECRET', raising=False)


def args(watched, **extra):
    return record_args(watched, {'domain': 'example.com', 'id': '20260101T000000'}, extra)


@pytest.mark.parametrize('check', [False, True])
@pytest.mark.parametrize('bad, options, words', [
    ({'id': 'not-valid!'}, ['id'], 'id: must be 1 to 32 letters and digits (RFC 8461 3.1)'),
    ({'id': None}, ['id'], 'id: required when state is present'),
    ({'domain': 'bad..example'}, ['domain'], "domain: 'bad..example'"),
    ({'ttl': -5, 'domain': 'example.com.'}, ['domain', 'ttl'], 'ttl: must be a number of seconds from 0 to 2147483647'),
    ({'port': 0}, ['port'], 'port: must be a TCP port number from 1 to 65535'),
    ({'timeout': 0}, ['timeout'], 'timeout: must be a number of seconds greater than 0 and at most 3600'),
    ({'zone': 'other.example'}, ['zone'], 'zone: _mta-sts.example.com is not inside the zone other.example'),
    ({'key_secret': 'not base64'}, ['key_secret'], 'key_secret: must be the base64 secret of the TSIG key'),
    ({'key_secret': None}, ['key_secret'], 'key_secret: required when key_name is set (or give key_secret_file)'),
    ({'key_name': None}, ['key_name'], 'key_name: required when key_secret or key_secret_file is set'),
])
def test_bad_input_fails_naming_the_option_before_any_network_io(server, bad, options, words, check):
    run = run_module(MODULE, args(server, **bad), check=check, diff=True)
    assert run.failed
    assert run.result['invalid_options'] == options
    assert words in run.msg
    assert 'diff' not in run.result
    assert not server.touched()


def test_records_entries_are_named_by_index(server):
    run = run_module(MODULE, args(server, domain=None, id=None, records=[
        {'domain': 'a.example', 'id': 'one'}, {'domain': 'b.example', 'id': 'bad id'},
        {'domain': 'A.example.', 'id': 'two'}, {'domain': 'c.example'}]))
    assert run.failed
    assert run.result['invalid_options'] == ['records']
    assert 'records[1].id: must be 1 to 32 letters and digits' in run.msg
    assert 'records[2].domain: A.example. is also given at records[0]' in run.msg
    assert 'records[3].id: required when state is present' in run.msg
    assert not server.touched()


def test_absent_needs_no_id_and_policy_id_is_an_alias(server):
    # Both get past the option checks and reach the (silent) server: the options were accepted.
    server.close()  # nothing listens now: the module must say so, naming server and port
    for extra in ({'id': None, 'state': 'absent'}, {'id': None, 'policy_id': 'abc'}):
        run = run_module(MODULE, args(server, timeout=2, **extra))
        assert run.failed
        assert 'invalid_options' not in run.result
        assert run.msg == ('finding the zone of _mta-sts.example.com: connection refused by 127.0.0.1 port %d: no DNS '
                           'server listens there; check server and port' % server.port)


@pytest.mark.parametrize('args_given, words', [
    ({}, 'missing required arguments: server'),
    ({'server': '127.0.0.1'}, 'one of the following is required: domain, records'),
    ({'server': '127.0.0.1', 'domain': 'example.com', 'records': [{'domain': 'example.com'}]},
     'parameters are mutually exclusive: domain|records'),
    ({'server': '127.0.0.1', 'domain': 'example.com', 'id': 'a', 'key_algorithm': 'md5'},
     'value of key_algorithm must be one of'),
])
def test_ansible_checks_name_the_options(args_given, words):
    run = run_module(MODULE, args_given)
    assert run.failed
    assert words in run.msg


def test_a_silent_server_is_a_timeout_naming_it_and_the_secret_is_not_shown(server):
    run = run_module(MODULE, args(server, timeout=0.5), check=True)
    assert run.failed
    assert run.msg == ("finding the zone of _mta-sts.example.com: no answer from 127.0.0.1 port %d within 0.5 seconds "
                       "(timeout); check that server is the zone's primary and reachable over TCP, or raise timeout"
                       % server.port)
    assert SECRET not in repr(run.result)
    # The connection was made (the kernel accepted it), and nothing was answered.
    assert server.touched()
    connection, dummy = server.tcp.accept()
    connection.close()
