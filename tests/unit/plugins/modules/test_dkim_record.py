# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""dkim_record run in-process (mailsec_testing.modules) without a DNS server: a bad key, selector or DNS option
fails naming the option before any network I/O. Normal runs, check mode and diff on the lab's three DNS
servers: tests/integration/test_dns_records.py.
"""

import base64
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mailsec_testing.modules import TEST_TSIG_SECRET as SECRET, record_args, run_module

MODULE = 'dkim_record'
KEY = base64.b64encode(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()


def args(watched, **extra):
    return record_args(watched, {'domain': 'example.com', 'selector': 'tlsrpt', 'public_key': KEY}, extra)


def short(value):
    """A test id from a parameter: the keys are made anew in each process (each xdist worker), so an id must
    not hold any part of one (the workers would collect different tests): a key is named by its length."""
    if isinstance(value, str) and len(value) > 40 and re.fullmatch(r'[A-Za-z0-9+/=!]+', value):
        return 'base64-%d' % len(value)
    return value[:40] if isinstance(value, str) else None


@pytest.mark.parametrize('check', [False, True])
@pytest.mark.parametrize('bad, options, words', [
    ({'public_key': ''}, ['public_key'], 'an empty p= revokes the key (RFC 6376 3.6.1)'),
    ({'public_key': None}, ['public_key'], 'public_key: required when state is present'),
    ({'public_key': 'QUJD'}, ['public_key'], "public_key: 'QUJD' is not an RSA public key in DER"),
    ({'public_key': KEY + '!'}, ['public_key'], 'is not base64'),
    ({'public_key_type': 'ed25519'}, ['public_key'], 'an ed25519 key (RFC 8463 4.2) is the base64 of its 32 raw bytes'),
    ({'selector': '_x'}, ['selector'], "selector: '_x' has the label '_x'"),
    ({'selector': None}, ['selector'], 'selector: required; the record is at <selector>._domainkey.<domain>'),
    ({'domain': 'example.com.', 'key_secret': 'not base64!'}, ['domain', 'key_secret'], 'ends with a dot'),
    ({'zone': 'other.example'}, ['zone'], 'zone: tlsrpt._domainkey.example.com is not inside the zone other.example'),
], ids=short)
def test_bad_input_fails_naming_the_option_before_any_network_io(server, bad, options, words, check):
    run = run_module(MODULE, args(server, **bad), check=check, diff=True)
    assert run.failed
    assert run.result['invalid_options'] == options
    assert words in run.msg
    assert SECRET not in run.msg and KEY[20:60] not in run.msg
    assert not server.touched()


def test_one_bad_entry_of_records_sends_nothing(server):
    run = run_module(MODULE, args(server, domain=None, selector=None, public_key=None, records=[
        {'domain': 'a.example', 'selector': 's1', 'public_key': KEY},
        {'domain': 'a.example', 'selector': 's2', 'public_key': ''},
        {'domain': 'a.example', 'selector': 's1', 'state': 'absent'}]))
    assert run.failed
    assert run.result['invalid_options'] == ['records']
    assert run.msg.startswith("records[1].public_key: '' is empty; an empty p= revokes the key")
    assert 'records[2].domain: s1._domainkey.a.example is also given at records[0]' in run.msg
    assert not server.touched()


def test_absent_needs_no_key_and_a_closed_port_is_named(server):
    server.close()
    run = run_module(MODULE, args(server, public_key=None, state='absent', timeout=2))
    assert run.failed
    assert 'invalid_options' not in run.result
    assert run.msg == ('finding the zone of tlsrpt._domainkey.example.com: connection refused by 127.0.0.1 port %d: '
                       'no DNS server listens there; check server and port' % server.port)


def test_public_key_and_records_are_exclusive():
    run = run_module(MODULE, {'server': '127.0.0.1', 'public_key': KEY,
                              'records': [{'domain': 'example.com', 'selector': 's', 'public_key': KEY}]})
    assert run.failed
    assert 'mutually exclusive: public_key|records' in run.msg
