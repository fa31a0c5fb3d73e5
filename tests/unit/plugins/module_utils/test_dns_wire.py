# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The TXT read's wire path (_core.dns_wire) against dnspython as the reference: what dnspython
signs and answers, the wire path reads alike; what it would not take, or any byte changed in a
signed answer, the wire path refuses (WireError), so the caller reads the name with dnspython."""

import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset
import dns.tsig
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import dns_wire
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.txt_update import TSIG_ALGORITHMS, make_key

SECRET = 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY='
LABEL = st.from_regex(r'\A[A-Za-z0-9_][A-Za-z0-9_-]{0,20}\Z')
NAMES = st.lists(LABEL, min_size=1, max_size=5).map(lambda labels: dns.name.from_text('.'.join(labels) + '.'))
STRINGS = st.lists(st.binary(max_size=40), min_size=1, max_size=3)
KEY_NAMES = st.sampled_from(['mailsec-key', 'Update.Key.Example', 'k'])


def dnspython_key(name, algorithm):
    return make_key(name, SECRET, algorithm)


def wire_key(key):
    return dns_wire.wire_key(key.name.to_wire(), key.algorithm.to_text(), key.secret)


def answer_to(query_wire, key, records=(), ttl=300, rcode=dns.rcode.NOERROR, authoritative=True, extra=None):
    """The server's side, by dnspython: the answer to ``query_wire``, TXT ``records`` at its name."""
    keyring = {key.name: key} if key is not None else None
    query = dns.message.from_wire(query_wire, keyring=keyring)
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    if authoritative:
        response.flags |= dns.flags.AA
    name = query.question[0].name
    if records:
        response.answer.append(dns.rrset.from_rdata_list(name, ttl, [
            dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, strings) for strings in records]))
    if rcode == dns.rcode.NXDOMAIN:
        response.authority.append(dns.rrset.from_text(name.parent(), 60, 'IN', 'SOA',
                                                      'ns. hostmaster. 1 2 3 4 5'))
    if extra is not None:
        extra(response)
    return response.to_wire()


def reference(answer_wire, query_wire, key, name):
    """What TxtUpdater._txt_of reads from the answer (dnspython), for the plain cases."""
    keyring = {key.name: key} if key is not None else None
    query = dns.message.from_wire(query_wire, keyring=keyring)
    answer = dns.message.from_wire(answer_wire, keyring=keyring, request_mac=query.mac if key else b'')
    if answer.rcode() == dns.rcode.NXDOMAIN:
        return [], None
    for rrset in answer.answer:
        if rrset.name == name and rrset.rdtype == dns.rdatatype.TXT:
            return [tuple(rdata.strings) for rdata in rrset], rrset.ttl
    return [], None


@settings(max_examples=60, deadline=None)
@given(name=NAMES, key_name=KEY_NAMES, algorithm=st.sampled_from(TSIG_ALGORITHMS), query_id=st.integers(0, 65535))
def test_a_query_is_what_dnspython_reads_and_verifies(name, key_name, algorithm, query_id):
    key = dnspython_key(key_name, algorithm)
    wire, mac = dns_wire.txt_query(query_id, name.to_wire(), wire_key(key), int(time.time()))
    query = dns.message.from_wire(wire, keyring={key.name: key})  # raises unless the MAC verifies
    assert query.had_tsig and query.mac == mac and query.id == query_id
    assert [(rrset.name, rrset.rdtype) for rrset in query.question] == [(name, dns.rdatatype.TXT)]
    assert not query.flags & dns.flags.RD and query.edns < 0


@settings(max_examples=80, deadline=None)
@given(name=NAMES, records=st.lists(STRINGS, max_size=4), ttl=st.integers(0, 2 ** 31 - 1),
       algorithm=st.sampled_from(TSIG_ALGORITHMS), key_name=KEY_NAMES,
       rcode=st.sampled_from([dns.rcode.NOERROR, dns.rcode.NXDOMAIN]), signed=st.booleans())
def test_an_answer_reads_as_dnspython_reads_it(name, records, ttl, algorithm, key_name, rcode, signed):
    key = dnspython_key(key_name, algorithm) if signed else None
    now = int(time.time())
    query, mac = dns_wire.txt_query(7, name.to_wire(), wire_key(key) if key else None, now)
    records = records if rcode == dns.rcode.NOERROR else []
    answer = answer_to(query, key, records, ttl, rcode)
    got = dns_wire.txt_answer(answer, 7, name.to_wire(), wire_key(key) if key else None, mac, now)
    assert got == reference(answer, query, key, name)
    if records:
        assert sorted(got[0]) == sorted(set(tuple(strings) for strings in records)) and got[1] == ttl


@settings(max_examples=15, deadline=None)
@given(name=NAMES, records=st.lists(STRINGS, min_size=1, max_size=2), algorithm=st.sampled_from(TSIG_ALGORITHMS))
def test_a_byte_changed_in_a_signed_answer_is_refused_or_reads_the_same(name, records, algorithm):
    """Every byte of the answer, changed in three ways: refused, except the letter case of the TSIG
    record's key and algorithm names (names compare without case; the MAC covers them in lower case)."""
    key = dnspython_key('mailsec-key', algorithm)
    now = int(time.time())
    query, mac = dns_wire.txt_query(99, name.to_wire(), wire_key(key), now)
    answer = answer_to(query, key, records)
    expected = dns_wire.txt_answer(answer, 99, name.to_wire(), wire_key(key), mac, now)
    key_name_at = answer.rindex(b'\x0bmailsec-key')
    algorithm_wire = wire_key(key).algorithm
    algorithm_at = answer.lower().rindex(algorithm_wire)
    for position, byte in enumerate(answer):
        for value in (byte ^ 0x01, byte ^ 0x20, (byte + 0x80) % 256):
            changed = answer[:position] + bytes([value]) + answer[position + 1:]
            try:
                got = dns_wire.txt_answer(changed, 99, name.to_wire(), wire_key(key), mac, now)
            except dns_wire.WireError:
                continue
            assert got == expected
            assert chr(value).lower() == chr(byte).lower()
            assert (key_name_at < position < key_name_at + 12
                    or algorithm_at < position < algorithm_at + len(algorithm_wire))


def test_a_wrong_secret_an_old_time_or_no_signature_is_refused():
    key = dnspython_key('mailsec-key', 'hmac-sha256')
    other = make_key('mailsec-key', 'c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0', 'hmac-sha256')
    name = dns.name.from_text('_mta-sts.example.')
    now = int(time.time())
    query, mac = dns_wire.txt_query(1, name.to_wire(), wire_key(key), now)
    answer = answer_to(query, key, [[b'v=STSv1; id=1;']])
    assert dns_wire.txt_answer(answer, 1, name.to_wire(), wire_key(key), mac, now) == ([(b'v=STSv1; id=1;',)], 300)
    for problem in (lambda: dns_wire.txt_answer(answer, 1, name.to_wire(), wire_key(other), mac, now),
                    lambda: dns_wire.txt_answer(answer, 1, name.to_wire(), wire_key(key), mac, now + 301),
                    lambda: dns_wire.txt_answer(answer, 1, name.to_wire(), wire_key(key), b'x' * 32, now),
                    lambda: dns_wire.txt_answer(answer, 2, name.to_wire(), wire_key(key), mac, now)):
        with pytest.raises(dns_wire.WireError):
            problem()
    unsigned_query, dummy = dns_wire.txt_query(1, name.to_wire(), None, now)
    unsigned = answer_to(unsigned_query, None, [[b'v=STSv1; id=1;']])
    with pytest.raises(dns_wire.WireError, match='unsigned'):
        dns_wire.txt_answer(unsigned, 1, name.to_wire(), wire_key(key), mac, now)
    with pytest.raises(dns_wire.WireError, match='unasked'):
        dns_wire.txt_answer(answer, 1, name.to_wire(), None, None, now)


@pytest.mark.parametrize('case', ['refused', 'servfail', 'not authoritative', 'cname', 'edns', 'another question'])
def test_what_dnspython_must_say_is_left_to_it(case):
    key = dnspython_key('mailsec-key', 'hmac-sha256')
    name = dns.name.from_text('_mta-sts.example.')
    now = int(time.time())
    query, mac = dns_wire.txt_query(5, name.to_wire(), wire_key(key), now)
    options = {
        'refused': dict(rcode=dns.rcode.REFUSED),
        'servfail': dict(rcode=dns.rcode.SERVFAIL),
        'not authoritative': dict(authoritative=False, records=[[b'v=STSv1; id=1;']]),
        'cname': dict(extra=lambda response: response.answer.append(
            dns.rrset.from_text(name, 60, 'IN', 'CNAME', 'elsewhere.example.'))),
        'edns': dict(extra=lambda response: response.use_edns(0)),
        'another question': dict(records=[[b'v=STSv1; id=1;']]),
    }[case]
    answer = answer_to(query, key, **options)
    asked = name.to_wire() if case != 'another question' else dns.name.from_text('_smtp._tls.example.').to_wire()
    with pytest.raises(dns_wire.WireError):
        dns_wire.txt_answer(answer, 5, asked, wire_key(key), mac, now)


def test_a_compression_loop_or_a_truncated_message_is_refused():
    name = dns.name.from_text('a.example.')
    query, dummy = dns_wire.txt_query(3, name.to_wire(), None, 0)
    answer = answer_to(query, None, [[b'x']])
    for broken in (answer[:-3], answer[:12] + b'\xc0\x0c' + answer[12 + len(name.to_wire()):], answer[:11]):
        with pytest.raises(dns_wire.WireError):
            dns_wire.txt_answer(broken, 3, name.to_wire(), None, None, 0)


def test_the_key_leaves_its_secret_out_of_its_repr_and_truncated_algorithms_out():
    key = wire_key(dnspython_key('mailsec-key', 'hmac-sha256'))
    assert key.secret not in repr(key).encode() and 'MDEy' not in repr(key) and 'mailsec-key' in repr(key)
    assert dns_wire.wire_key(b'\x01k\x00', 'hmac-sha256-128', b'secret') is None
    assert dns_wire.wire_key(b'\x01k\x00', 'HMAC-MD5.SIG-ALG.REG.INT.', b'secret').digest == 'md5'
