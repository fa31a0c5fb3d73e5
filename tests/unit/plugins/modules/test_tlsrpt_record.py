# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tlsrpt_record run in-process (mailsec_testing.modules) without a DNS server: bad rua and the shared DNS
update options fail naming the option before any network I/O. Normal runs, check mode and diff on the
lab's three DNS servers: tests/integration/test_dns_records.py.
"""

import pytest

from mailsec_testing.modules import record_args, run_module

MODULE = 'tlsrpt_record'


@pytest.fixture(autouse=True)
def no_secret_from_the_environment(monkeypatch):
    monkeypatch.delenv('MAILSEC_TSIG_SECRET', raising=False)


def args(watched, **extra):
    return record_args(watched, {'domain': 'example.com', 'rua': ['mailto:tlsrpt@example.com']}, extra)


@pytest.mark.parametrize('check', [False, True])
@pytest.mark.parametrize('bad, options, words', [
    ({'rua': ['mailto:a,b@example.com']}, ['rua'],
     "rua[0]: 'mailto:a,b@example.com' contains a comma; RFC 8460 3 wants it percent-encoded (%2C)"),
    ({'rua': ['ftp://example.com/']}, ['rua'], "rua[0]: 'ftp://example.com/' must be a mailto: or https: URI"),
    ({'rua': []}, ['rua'], 'rua: give at least one mailto: or https: URI (RFC 8460 3)'),
    ({'rua': None}, ['rua'], 'rua: give at least one mailto: or https: URI (RFC 8460 3)'),
    ({'domain': '-bad.example', 'server': ' 127.0.0.1'}, ['domain', 'server'], 'server: must be the IP address'),
    ({'zone': 'other.example'}, ['zone'], 'zone: _smtp._tls.example.com is not inside the zone other.example'),
])
def test_bad_input_fails_naming_the_option_before_any_network_io(server, bad, options, words, check):
    run = run_module(MODULE, args(server, **bad), check=check, diff=True)
    assert run.failed
    assert run.result['invalid_options'] == options
    assert words in run.msg
    assert 'diff' not in run.result
    assert not server.touched()


def test_one_bad_entry_of_records_sends_nothing(server):
    run = run_module(MODULE, args(server, domain=None, rua=None, records=[
        {'domain': 'a.example', 'rua': ['mailto:tlsrpt@example.com']},
        {'domain': 'b.example', 'rua': ['ftp://example.com/']},
        {'domain': 'c.example', 'state': 'absent'}]))
    assert run.failed
    assert run.result['invalid_options'] == ['records']
    assert run.msg.startswith("records[1].rua[0]: 'ftp://example.com/' must be a mailto: or https: URI")
    assert not server.touched()


def test_absent_needs_no_rua_and_a_closed_port_is_named(server):
    server.close()
    run = run_module(MODULE, args(server, rua=None, state='absent', timeout=2))
    assert run.failed
    assert 'invalid_options' not in run.result
    assert run.msg == ('finding the zone of _smtp._tls.example.com: connection refused by 127.0.0.1 port %d: no DNS '
                       'server listens there; check server and port' % server.port)


def test_rua_and_records_are_exclusive():
    run = run_module(MODULE, {'server': '127.0.0.1', 'rua': ['mailto:a@example.com'],
                              'records': [{'domain': 'example.com', 'rua': ['mailto:a@example.com']}]})
    assert run.failed
    assert 'mutually exclusive: rua|records' in run.msg
