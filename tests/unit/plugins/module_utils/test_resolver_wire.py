# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The resolver lookups' wire path (_core.dns_wire.lookup_query/lookup_answer, _client.resolver) against
dnspython as the reference: the query is the one dnspython's Resolver sends; what dnspython reads from
an answer the wire path reads alike, and everything else it refuses (WireError), so that dnspython
answers. Then the client over a UDP socket: the plain answer taken, every other one handed to
dnspython, datagrams that are not the answer ignored, one deadline for the whole lookup."""

import socket
import struct
import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.MX
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.resolver
import dns.rrset
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import resolver as _resolver
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import ProbeError
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import dns_wire

PLAIN_LABEL = st.from_regex(r'\A[A-Za-z0-9_][A-Za-z0-9_-]{0,20}\Z')
# Labels dnspython writes with escapes or reads specially: the wire path must hand those names on.
ODD_LABEL = st.sampled_from(['a b', 'x"y', 'at@', 'semi;colon', 'dollar$', '(p)', '*'])
NAMES = st.lists(PLAIN_LABEL, min_size=1, max_size=4).map(lambda labels: dns.name.from_text('.'.join(labels) + '.'))
EXCHANGES = st.one_of(
    NAMES, st.just(dns.name.root),
    st.tuples(ODD_LABEL, NAMES).map(lambda parts: dns.name.Name((parts[0].encode(),) + parts[1].labels)))
RDTYPES = ('A', 'AAAA', 'MX', 'TXT')
ADDRESSES_V4 = st.ip_addresses(v=4).map(str)
ADDRESSES_V6 = st.ip_addresses(v=6).map(str)


def rdata(rdtype, value):
    if rdtype == 'A':
        return dns.rdtypes.IN.A.A(dns.rdataclass.IN, dns.rdatatype.A, value)
    if rdtype == 'AAAA':
        return dns.rdtypes.IN.AAAA.AAAA(dns.rdataclass.IN, dns.rdatatype.AAAA, value)
    if rdtype == 'MX':
        return dns.rdtypes.ANY.MX.MX(dns.rdataclass.IN, dns.rdatatype.MX, value[0], value[1])
    return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, value)


def values_of(rdtype):
    if rdtype == 'A':
        return ADDRESSES_V4
    if rdtype == 'AAAA':
        return ADDRESSES_V6
    if rdtype == 'MX':
        return st.tuples(st.integers(0, 65535), EXCHANGES)
    return st.lists(st.binary(max_size=40), min_size=1, max_size=3)


@st.composite
def answers(draw):
    """``(query wire, query id, name, rdtype, answer wire)``: dnspython's answer with 0-4 records, in one
    RRset or two (the same RRset written twice is read as one), NOERROR or NXDOMAIN."""
    name, rdtype, query_id = draw(NAMES), draw(st.sampled_from(RDTYPES)), draw(st.integers(0, 65535))
    query = dns.message.make_query(name, rdtype)
    query.id = query_id
    response = dns.message.make_response(query)
    rcode = draw(st.sampled_from([dns.rcode.NOERROR, dns.rcode.NXDOMAIN]))
    response.set_rcode(rcode)
    response.flags |= draw(st.sampled_from([0, dns.flags.AA, dns.flags.RA]))
    if rcode == dns.rcode.NOERROR:
        for dummy in range(draw(st.integers(0, 2))):
            records = draw(st.lists(values_of(rdtype), min_size=1, max_size=3))
            response.answer.append(dns.rrset.from_rdata_list(name, draw(st.integers(0, 86400)),
                                                             [rdata(rdtype, value) for value in records]))
    if rcode == dns.rcode.NXDOMAIN or draw(st.booleans()):
        response.authority.append(dns.rrset.from_text(name.parent() if len(name) > 1 else name, 60, 'IN', 'SOA',
                                                      'ns.test. hostmaster.test. 1 2 3 4 5'))
    # Unshuffled: dnspython orders an RRset's records at random when it writes them.
    return query.to_wire(), query_id, name, rdtype, response.to_wire(want_shuffle=False)


def reference(answer_wire, name, rdtype):
    """What _client.resolver.resolve hands on from this answer by dnspython (plain cases)."""
    answer = dns.message.from_wire(answer_wire)
    if answer.rcode() == dns.rcode.NXDOMAIN:
        return []
    rrset = answer.get_rrset(answer.answer, name, dns.rdataclass.IN, dns.rdatatype.from_text(rdtype))
    return [] if rrset is None else [_resolver._value(rdtype, item) for item in rrset]


def wire_values(answer_wire, query_id, name, rdtype):
    return [_resolver._wire_value(rdtype, value) for value in dns_wire.lookup_answer(
        answer_wire, query_id, name.to_wire(), dns_wire.LOOKUP_TYPES[rdtype])]


@settings(max_examples=60, deadline=None)
@given(name=NAMES, rdtype=st.sampled_from(RDTYPES), query_id=st.integers(0, 65535))
def test_a_lookup_query_is_what_dnspythons_resolver_sends(name, rdtype, query_id):
    # The Resolver's request: make_query, EDNS as resolver.edns (-1: none), flags as resolver.flags (None: RD).
    request = dns.message.make_query(name, rdtype)
    request.id = query_id
    assert dns_wire.lookup_query(query_id, dns_wire.name_to_wire(name.to_text()), dns_wire.LOOKUP_TYPES[rdtype]) \
        == request.to_wire()


@settings(max_examples=300, deadline=None)
@given(case=answers())
def test_an_answer_reads_as_dnspython_reads_it_or_is_handed_on(case):
    dummy, query_id, name, rdtype, wire = case
    try:
        got = wire_values(wire, query_id, name, rdtype)
    except dns_wire.WireError:
        # Only a name dnspython would write with escapes is handed on from these plain answers.
        assert rdtype == 'MX'
        assert any(not _resolver._PLAIN_LABEL.issuperset(label) for item in dns.message.from_wire(wire).answer
                   for record in item for label in record.exchange.labels)
        return
    assert got == reference(wire, name, rdtype)


@settings(max_examples=40, deadline=None)
@given(case=answers(), data=st.data())
def test_a_changed_byte_is_refused_or_read_as_dnspython_reads_the_changed_answer(case, data):
    dummy, query_id, name, rdtype, wire = case
    position = data.draw(st.integers(0, len(wire) - 1))
    changed = wire[:position] + bytes([data.draw(st.integers(0, 255))]) + wire[position + 1:]
    try:
        got = wire_values(changed, query_id, name, rdtype)
    except dns_wire.WireError:
        return
    try:
        expected = reference(changed, name, rdtype)
    except Exception:  # pylint: disable=broad-except
        # dnspython refuses the message: only the contents of records other than the ones asked for
        # (the SOA after the answer section here) are read less strictly by the wire path
        # (_core.dns_wire's docstring).
        assert position >= answer_section_end(wire)
        return
    assert got == expected


def answer_section_end(wire):
    """The offset where the answer section of the (unchanged) message ``wire`` ends."""
    dummy, offset = dns_wire._read_name(wire, 12)  # pylint: disable=protected-access
    offset += 4
    for dummy in range(struct.unpack('!H', wire[6:8])[0]):
        offset = dns_wire._read_record(wire, offset)[5]  # pylint: disable=protected-access
    return offset


def plain_answer(rdtype='A', values=('192.0.2.1',), name='mx.test.', query_id=7, **changes):
    query = dns.message.make_query(name, rdtype)
    query.id = query_id
    response = dns.message.make_response(query)
    if values:
        response.answer.append(dns.rrset.from_text(name, 60, 'IN', rdtype, *values))
    for key, change in changes.items():
        change(response)
    return response.to_wire()


@pytest.mark.parametrize('what, change', [
    ('truncated', lambda wire: wire[:2] + struct.pack('!H', struct.unpack('!H', wire[2:4])[0] | 0x0200) + wire[4:]),
    ('another id', lambda wire: struct.pack('!H', 8) + wire[2:]),
    ('data after the records', lambda wire: wire + b'\x00'),
    ('short', lambda wire: wire[:11]),
])
def test_not_the_plain_answer_is_handed_on(what, change):
    with pytest.raises(dns_wire.WireError):
        wire_values(change(plain_answer()), 7, dns.name.from_text('mx.test.'), 'A')


@pytest.mark.parametrize('what, rcode, extra', [
    ('a CNAME', dns.rcode.NOERROR, lambda r: r.answer.insert(0, dns.rrset.from_text('mx.test.', 60, 'IN', 'CNAME', 'b.test.'))),
    ('another name', dns.rcode.NOERROR, lambda r: r.answer.append(dns.rrset.from_text('b.test.', 60, 'IN', 'A', '192.0.2.9'))),
    ('another type', dns.rcode.NOERROR, lambda r: r.answer.append(dns.rrset.from_text('mx.test.', 60, 'IN', 'AAAA', '::1'))),
    ('EDNS', dns.rcode.NOERROR, lambda r: r.use_edns(0)),
    ('SERVFAIL', dns.rcode.SERVFAIL, None),
    ('REFUSED', dns.rcode.REFUSED, None),
    ('NXDOMAIN with an answer', dns.rcode.NXDOMAIN, None),
])
def test_answers_dnspython_handles_are_handed_on(what, rcode, extra):
    query = dns.message.make_query('mx.test.', 'A')
    query.id = 7
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    response.answer.append(dns.rrset.from_text('mx.test.', 60, 'IN', 'A', '192.0.2.1'))
    if extra:
        extra(response)
    with pytest.raises(dns_wire.WireError):
        wire_values(response.to_wire(), 7, dns.name.from_text('mx.test.'), 'A')


# -- the client, over UDP on loopback

class Responder(object):
    """A UDP DNS server on 127.0.0.1 that answers each query with what ``reply(query)`` returns: a list
    of ``(datagram, from_other_socket)``, sent in order (an empty list: no answer)."""

    def __init__(self, reply):
        self.reply = reply
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.port = self.sock.getsockname()[1]
        self.queries = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                wire, source = self.sock.recvfrom(65535)
            except OSError:
                return
            query = dns.message.from_wire(wire)
            self.queries.append(query)
            for datagram, from_other in self.reply(query):
                if from_other:
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
                        other.sendto(datagram, source)
                else:
                    self.sock.sendto(datagram, source)

    def close(self):
        self.sock.close()


@pytest.fixture
def responder():
    made = []

    def make(reply):
        made.append(Responder(reply))
        return made[-1]
    yield make
    for item in made:
        item.close()


def answer(query, rdtype='A', values=('192.0.2.1',), rcode=dns.rcode.NOERROR):
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    if values:
        response.answer.append(dns.rrset.from_text(query.question[0].name, 60, 'IN', rdtype, *values))
    return response.to_wire(want_shuffle=False)  # the same order in every answer


class CountingResolver(dns.resolver.Resolver):
    """dnspython's Resolver, counting the lookups that went its way."""

    def __init__(self, *args, **kwargs):
        super(CountingResolver, self).__init__(*args, **kwargs)
        self.dnspython_lookups = 0

    def resolve(self, *args, **kwargs):  # pylint: disable=signature-differs
        self.dnspython_lookups += 1
        return super(CountingResolver, self).resolve(*args, **kwargs)


def resolver_for(server, lifetime=2.0):
    resolver = CountingResolver(configure=False)
    resolver.nameservers = ['127.0.0.1']
    resolver.port = server.port
    resolver.timeout = resolver.lifetime = lifetime
    resolver.cache = None
    return resolver


@pytest.mark.parametrize('rdtype, values', [
    ('MX', ['20 MX2.Example.', '10 mx1.test.', '0 .']),
    ('TXT', ['"v=STSv1; id=1"', '"two" "strings"']),
    ('A', ['192.0.2.1', '192.0.2.2']),
    ('AAAA', ['2001:db8::1', '::ffff:192.0.2.1']),
])
def test_the_plain_answer_is_taken_without_dnspython_and_read_alike(responder, rdtype, values):
    server = responder(lambda query: [(answer(query, rdtype, values), False)])
    resolver = resolver_for(server)
    got = _resolver.resolve(resolver, 'a.test', rdtype)
    assert resolver.dnspython_lookups == 0
    assert server.queries[0].flags & dns.flags.RD and server.queries[0].edns == -1
    by_dnspython = resolver.resolve('a.test.', rdtype, search=False)
    assert len(got) == len(values) and got == [_resolver._value(rdtype, item) for item in by_dnspython.rrset]


def test_a_cname_goes_to_dnspython_which_follows_it(responder):
    def reply(query):
        name = query.question[0].name.to_text()
        if name == 'mta-sts.a.test.':
            response = dns.message.make_response(query)
            response.answer.append(dns.rrset.from_text(name, 60, 'IN', 'CNAME', 'policy.b.test.'))
            return [(response.to_wire(), False)]
        return [(answer(query, values=['192.0.2.7']), False)]
    resolver = resolver_for(responder(reply))
    assert _resolver.resolve(resolver, 'mta-sts.a.test', 'A') == ['192.0.2.7']
    assert resolver.dnspython_lookups == 2  # the name, then the CNAME's target (an answer without it)


def test_a_servfail_goes_to_dnspython_and_keeps_its_message(responder):
    resolver = resolver_for(responder(lambda query: [(answer(query, values=(), rcode=dns.rcode.SERVFAIL), False)]))
    with pytest.raises(ProbeError) as caught:
        _resolver.resolve(resolver, 'a.test', 'TXT')
    assert 'no usable answer for TXT a.test from 127.0.0.1:' in caught.value.msg and 'SERVFAIL' in caught.value.msg
    assert resolver.dnspython_lookups == 1


def test_datagrams_that_are_not_the_answer_are_ignored(responder):
    def reply(query):
        wrong_id = dns.message.from_wire(answer(query, values=['192.0.2.66']))
        wrong_id.id = (query.id + 1) % 65536
        return [(wrong_id.to_wire(), False), (answer(query, values=['192.0.2.99']), True),
                (answer(query, values=['192.0.2.1']), False)]
    resolver = resolver_for(responder(reply))
    assert _resolver.resolve(resolver, 'mx.test', 'A') == ['192.0.2.1']
    assert resolver.dnspython_lookups == 0


def test_no_answer_is_the_lifetimes_timeout_once(responder):
    resolver = resolver_for(responder(lambda query: []), lifetime=0.5)
    started = time.monotonic()
    with pytest.raises(ProbeError) as caught:
        _resolver.resolve(resolver, 'mx.test', 'A')
    assert caught.value.msg == 'no answer for A mx.test from 127.0.0.1:%d within 0.5 s' % resolver.port
    # One lifetime, not the wire path's and then dnspython's.
    assert 0.45 < time.monotonic() - started < 0.9
    assert resolver.dnspython_lookups == 0


@pytest.mark.parametrize('name', ['xn--bcher-kva.test', 'a..test', '.a.test', 'a b.test', '@'])
def test_names_dnspython_reads_its_own_way_go_to_dnspython(responder, name):
    server = responder(lambda query: [(answer(query, values=()), False)])
    resolver = resolver_for(server)
    if name == 'xn--bcher-kva.test':  # plain: the wire path; its non-ASCII form is not
        assert _resolver.resolve(resolver, name, 'A') == [] and len(server.queries) == 1
        assert resolver.dnspython_lookups == 0
        name, server.queries[:] = u'b\u00fccher.test', []
    try:
        _resolver.resolve(resolver, name, 'A')
    except Exception:  # pylint: disable=broad-except
        pass  # dnspython's own answer to a name it refuses
    # Whatever reached the server came from dnspython (nothing, for a name it refuses to ask).
    assert len(server.queries) == resolver.dnspython_lookups


def test_a_resolver_the_wire_path_cannot_stand_for_goes_to_dnspython(responder):
    server = responder(lambda query: [(answer(query), False)])
    for change in (lambda r: r.use_edns(0), lambda r: setattr(r, 'rotate', True),
                   lambda r: setattr(r, 'timeout', 0.5)):
        resolver = resolver_for(server)
        change(resolver)
        assert _resolver.resolve(resolver, 'mx.test', 'A') == ['192.0.2.1']
        assert resolver.dnspython_lookups == 1
