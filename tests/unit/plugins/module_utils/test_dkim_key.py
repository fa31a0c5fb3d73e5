# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The DKIM key record (RFC 6376 3.6.1): the key checks, render, parse back, the 255-byte strings; and that
dkimpy (the verifier the reports meet) reads what we render."""

import base64
import re

import dkim.util
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import dkim_key, records, txt_update


def rsa_public(bits, form='spki'):
    if bits < 1024:  # cryptography does not generate such keys; any odd modulus of that size will do
        key = rsa.RSAPublicNumbers(65537, (1 << (bits - 1)) | 12345).public_key()
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    if form == 'pkcs1':
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    else:
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


RSA_2048 = rsa_public(2048)
RSA_4096 = rsa_public(4096)
ED25519 = base64.b64encode(ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
    serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def short(value):
    """A test id from a parameter: the keys are made anew in each process (each xdist worker), so an id must
    not hold any part of one (the workers would collect different tests): a key is named by its length."""
    if isinstance(value, str) and len(value) > 40 and re.fullmatch(r'[A-Za-z0-9+/=!]+', value):
        return 'base64-%d' % len(value)
    return value[:40] if isinstance(value, str) else None


@pytest.mark.parametrize('public_key, key_type, bits', [
    (RSA_2048, 'rsa', 2048),
    (RSA_4096, 'rsa', 4096),
    (rsa_public(1024, 'pkcs1'), 'rsa', 1024),
], ids=short)
def test_rsa_keys_are_accepted_and_their_size_read(public_key, key_type, bits):
    assert dkim_key.public_key_error(public_key, key_type) is None
    assert dkim_key.rsa_modulus_bits(base64.b64decode(public_key)) == bits


def test_pem_and_whitespace_are_accepted_and_normalized():
    pem = '-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n' % '\n'.join(
        RSA_2048[i:i + 64] for i in range(0, len(RSA_2048), 64))
    assert dkim_key.public_key_error(pem) is None
    assert dkim_key.normalize_public_key(pem) == RSA_2048
    assert dkim_key.render_dkim(' %s \n' % RSA_2048) == 'v=DKIM1; k=rsa; p=' + RSA_2048


@pytest.mark.parametrize('public_key, key_type, words', [
    ('', 'rsa', 'an empty p= revokes the key (RFC 6376 3.6.1)'),
    ('   ', 'rsa', 'an empty p= revokes the key'),
    ('not base64!', 'rsa', 'is not base64'),
    ('QUJD', 'rsa', 'is not an RSA public key in DER'),
    (rsa_public(512), 'rsa', 'is a 512-bit RSA key; RFC 8301 3.2 wants at least 1024 bits'),
    (RSA_2048[:-8], 'rsa', 'is not an RSA public key in DER'),
    (RSA_2048, 'ed25519', 'an ed25519 key (RFC 8463 4.2) is the base64 of its 32 raw bytes'),
    (ED25519, 'rsa', 'is not an RSA public key in DER'),
    (ED25519, 'dsa', 'the key type must be one of rsa, ed25519'),
    (None, 'rsa', 'must be a string'),
], ids=short)
def test_bad_keys_are_refused_with_the_rule(public_key, key_type, words):
    problem = dkim_key.public_key_error(public_key, key_type)
    assert problem is not None and words in problem


@pytest.mark.parametrize('public_key, key_type', [(RSA_2048, 'rsa'), (RSA_4096, 'rsa'), (ED25519, 'ed25519')], ids=short)
def test_rendered_record_parses_back_and_dkimpy_reads_it(public_key, key_type):
    value = dkim_key.render_dkim(public_key, key_type)
    assert value.startswith('v=DKIM1; ')
    parsed, findings = dkim_key.parse_dkim(value)
    assert findings == []
    assert (parsed['key_type'], parsed['public_key']) == (key_type, public_key)
    # dkimpy's own reading of a key record, as at verification: the same tags.
    tags = dkim.util.parse_tag_value(value.encode())
    assert tags[b'v'] == b'DKIM1' and tags[b'k'] == key_type.encode() and tags[b'p'] == public_key.encode()


def test_a_long_record_is_cut_into_255_byte_strings_that_join_back():
    value = dkim_key.render_dkim(RSA_4096)
    strings = txt_update.to_strings(value)
    assert len(value) > 700 and len(strings) == -(-len(value) // 255)
    assert all(len(part) <= 255 for part in strings)
    assert records.join_strings(strings) == value


@pytest.mark.parametrize('value, rule, words', [
    ('v=DKIM1; k=rsa; p=', 'dkim-key', 'the key is revoked'),
    ('v=DKIM1; k=rsa', 'dkim-key', 'no p= tag'),
    ('k=rsa; v=DKIM1; p=' + RSA_2048, 'dkim-record', 'v= must be the first tag'),
    ('v=DKIM2; p=' + RSA_2048, 'dkim-record', 'exactly DKIM1'),
    ('v=DKIM1; p=%s; p=%s' % (RSA_2048, RSA_2048), 'dkim-record', 'given twice'),
    ('v=DKIM1; 1k=rsa; p=' + RSA_2048, 'dkim-record', 'tag name'),
    ('v=DKIM1; k=rsa; p=' + rsa_public(512), 'dkim-key', '512-bit'),
    ('v=DKIM1; k=ed25519; p=' + RSA_2048, 'dkim-key', '32 raw bytes'),
], ids=short)
def test_bad_records_are_refused(value, rule, words):
    parsed, findings = dkim_key.parse_dkim(value)
    assert parsed is None
    assert [finding.rule for finding in findings] == [rule]
    assert words in findings[0].msg


def test_record_without_version_and_with_whitespace_parses():
    # v= is optional (RFC 6376 3.6.1), whitespace around tags and inside p= is allowed (FWS).
    value = ' k = rsa ;\tp= %s %s ; ' % (RSA_2048[:100], RSA_2048[100:])
    parsed, findings = dkim_key.parse_dkim(value)
    assert findings == [] and parsed['public_key'] == RSA_2048 and parsed['key_type'] == 'rsa'


def test_every_txt_record_at_a_key_name_is_of_the_dkim_kind():
    current = [(b'v=spf1 -all',), (b'k=rsa; p=old',), (b'v=DKIM1; k=rsa; p=', b'older')]
    value = dkim_key.render_dkim(RSA_2048)
    after = txt_update.compute_txt_change(current, records.KINDS['dkim']['version'], value)
    assert [records.join_strings(record) for record in after] == [value]
    assert txt_update.compute_txt_change(current, None, None) == []


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.sampled_from(['', ' ', '\n', '\t ']))
def test_any_ed25519_key_round_trips(raw, space):
    public_key = base64.b64encode(raw).decode()
    spaced = space.join(public_key[i:i + 7] for i in range(0, len(public_key), 7))
    assert dkim_key.public_key_error(spaced, 'ed25519') is None
    value = dkim_key.render_dkim(spaced, 'ed25519')
    parsed, findings = dkim_key.parse_dkim(value)
    assert findings == [] and base64.b64decode(parsed['public_key']) == raw
    assert records.join_strings(txt_update.to_strings(value)) == value


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_crash_the_key_check(data):
    problem = dkim_key.public_key_error(base64.b64encode(data).decode(), 'rsa')
    assert problem is None or isinstance(problem, str)
    assert dkim_key.rsa_modulus_bits(data) is None or dkim_key.rsa_modulus_bits(data) > 0


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e) | st.sampled_from('\t\r\n'), max_size=80))
def test_arbitrary_values_parse_or_are_refused_without_crashing(value):
    parsed, findings = dkim_key.parse_dkim(value)
    assert (parsed is None) == bool(findings)


@pytest.mark.parametrize('selector, ok', [
    ('tlsrpt', True), ('s2026.tlsrpt', True), ('a-b', True), ('_tlsrpt', False), ('-a', False), ('', False),
    ('a..b', False),
])
def test_selector_grammar(selector, ok):
    assert (dkim_key.selector_error(selector) is None) == ok
