# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""DNS queries and their answers as wire bytes: TSIG-signed TXT reads (RFC 1035, RFC 8945), and a stub
resolver's TXT, MX, A and AAAA lookups.

The fast path of ``_client.dns_update.TxtUpdater.read_txt_many``: a run that changes nothing
reads the ``_mta-sts`` and ``_smtp._tls`` names of every domain, and dnspython spends about
0.7 ms of CPU on each query and answer (building, signing, parsing, checking), which at 20,000
domains was half of such a run. Here a query is a few byte strings and one HMAC, and an answer
is read only as far as a TXT read needs.

This path only ever answers the plain case: a signed (or, without a key, unsigned) authoritative
NOERROR or NXDOMAIN answer to exactly the question asked, whose MAC verifies. Anything else
(another answer code, a CNAME, truncation, EDNS, a TSIG error, a MAC that does not verify, a
time outside the fudge, a malformed message) raises ``WireError``, and the caller reads those
names again with dnspython, whose handling and messages are the reference. The one thing read
less strictly than dnspython does is the data of records that are not the TXT asked for (an
NXDOMAIN's SOA, say): their bounds are checked, their contents are not used.

The lookups (``lookup_query``, ``lookup_answer``) are the same idea for ``_client.resolver``: a
verification asks a resolver five names per domain, and dnspython's message objects were most of
the CPU of verifying 20,000 domains. Only the plain answer is taken: NOERROR or NXDOMAIN to exactly
the question asked, every answer record the type asked at the name asked (no CNAME), nothing
truncated, no EDNS; anything else goes to dnspython.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hmac
import struct

TYPE_A = 1
TYPE_MX = 15
TYPE_TXT = 16
TYPE_AAAA = 28
TYPE_CNAME = 5
TYPE_OPT = 41
TYPE_TSIG = 250
CLASS_IN = 1
CLASS_ANY = 255
FUDGE = 300

_FLAG_QR = 0x8000
_FLAG_AA = 0x0400
_FLAG_TC = 0x0200
_FLAG_RD = 0x0100
_OPCODE_MASK = 0x7800
_RCODE_MASK = 0x000F
RCODE_NOERROR = 0
RCODE_NXDOMAIN = 3

# The untruncated HMAC algorithms (the collection's TSIG_ALGORITHMS): name -> hashlib name.
HASHES = {
    'hmac-md5.sig-alg.reg.int': 'md5',
    'hmac-sha1': 'sha1',
    'hmac-sha224': 'sha224',
    'hmac-sha256': 'sha256',
    'hmac-sha384': 'sha384',
    'hmac-sha512': 'sha512',
}


class WireKey(object):
    """A TSIG key as the wire needs it: its name as written in the TSIG record and in canonical
    (lower case) form for the MAC, the algorithm's canonical name, the secret, the hashlib name.
    Its repr leaves the secret out."""

    __slots__ = ('name', 'canonical_name', 'algorithm', 'secret', 'digest')

    def __init__(self, name, canonical_name, algorithm, secret, digest):
        self.name = name
        self.canonical_name = canonical_name
        self.algorithm = algorithm
        self.secret = secret
        self.digest = digest

    def __repr__(self):
        return '<TSIG key %r (%s)>' % (self.name, self.digest)

    __str__ = __repr__


class WireError(Exception):
    """This answer is not for the fast path; read the name with dnspython instead."""


def name_to_wire(text):
    """The uncompressed wire form of the absolute name ``text`` ('a.b.' or 'a.b'; no escapes)."""
    labels = text.rstrip('.').split('.') if text.strip('.') else []
    wire = b''
    for label in labels:
        raw = label.encode('ascii')
        if not 0 < len(raw) < 64 or b'\\' in raw:
            raise WireError('label %r cannot be written without escapes' % label)
        wire += struct.pack('!B', len(raw)) + raw
    return wire + b'\x00'


def wire_key(name_wire, algorithm_text, secret):
    """The ``WireKey`` for a key named ``name_wire`` (wire form), or None for an algorithm this
    path does not sign (the caller then keeps to dnspython)."""
    digest = HASHES.get(algorithm_text.lower().rstrip('.'))
    if digest is None:
        return None
    return WireKey(name_wire, name_wire.lower(), name_to_wire(algorithm_text.lower()), secret, digest)


def _tsig_variables(key, time_signed, fudge=FUDGE, error=0, other=b''):
    """RFC 8945 4.3.3: what the MAC covers after the message, for ``key`` at ``time_signed``."""
    return (key.canonical_name + struct.pack('!HI', CLASS_ANY, 0) + key.algorithm
            + struct.pack('!HIHHH', (time_signed >> 32) & 0xFFFF, time_signed & 0xFFFFFFFF, fudge, error, len(other))
            + other)


def txt_query(query_id, qname_wire, key=None, now=0):
    """``(wire, mac)``: the query for the TXT RRset at ``qname_wire`` with id ``query_id``, no
    recursion wanted and no EDNS, signed with ``key`` at time ``now`` (mac None without a key)."""
    question = qname_wire + struct.pack('!HH', TYPE_TXT, CLASS_IN)
    if key is None:
        return struct.pack('!HHHHHH', query_id, 0, 1, 0, 0, 0) + question, None
    unsigned = struct.pack('!HHHHHH', query_id, 0, 1, 0, 0, 0) + question
    mac = hmac.new(key.secret, unsigned + _tsig_variables(key, now), key.digest).digest()
    rdata = (key.algorithm + struct.pack('!HIHH', (now >> 32) & 0xFFFF, now & 0xFFFFFFFF, FUDGE, len(mac)) + mac
             + struct.pack('!HHH', query_id, 0, 0))
    tsig = key.name + struct.pack('!HHIH', TYPE_TSIG, CLASS_ANY, 0, len(rdata)) + rdata
    return struct.pack('!HHHHHH', query_id, 0, 1, 0, 0, 1) + question + tsig, mac


def _read_name(wire, offset):
    """``(lower-case wire form, offset after it)`` of the possibly compressed name at ``offset``."""
    labels, offset = _read_labels(wire, offset)
    return (b''.join(struct.pack('!B', len(label)) + label for label in labels) + b'\x00').lower(), offset


def _read_labels(wire, offset):
    """``(labels as written, offset after the name)`` of the possibly compressed name at ``offset``."""
    labels = []
    size = 1
    end = None
    jumps = 0
    while True:
        if offset >= len(wire):
            raise WireError('name runs past the message')
        length = wire[offset]
        if length >= 0xC0:
            if offset + 1 >= len(wire):
                raise WireError('pointer runs past the message')
            target = ((length & 0x3F) << 8) | wire[offset + 1]
            if end is None:
                end = offset + 2
            # A pointer points back (RFC 1035 4.1.4); forward or self pointers could loop.
            if target >= offset or jumps > 127:
                raise WireError('bad compression pointer')
            jumps += 1
            offset = target
            continue
        if length > 63:
            raise WireError('unknown label type')
        if length == 0:
            offset += 1
            break
        if offset + 1 + length > len(wire):
            raise WireError('label runs past the message')
        labels.append(bytes(wire[offset + 1:offset + 1 + length]))
        size += 1 + length
        offset += 1 + length
    if size > 255:
        raise WireError('name longer than 255 octets')
    return labels, (end if end is not None else offset)


def _read_record(wire, offset):
    """``(name, type, class, ttl, rdata offset, rdata end)`` of the resource record at ``offset``."""
    name, offset = _read_name(wire, offset)
    if offset + 10 > len(wire):
        raise WireError('record header runs past the message')
    rdtype, rdclass, ttl, rdlength = struct.unpack('!HHIH', wire[offset:offset + 10])
    start = offset + 10
    if start + rdlength > len(wire):
        raise WireError('record data runs past the message')
    return name, rdtype, rdclass, ttl, start, start + rdlength


def _txt_strings(wire, start, end):
    """The character-strings of the TXT RDATA between ``start`` and ``end``."""
    strings = []
    offset = start
    while offset < end:
        length = wire[offset]
        if offset + 1 + length > end:
            raise WireError('TXT string runs past its record')
        strings.append(bytes(wire[offset + 1:offset + 1 + length]))
        offset += 1 + length
    if not strings:
        raise WireError('empty TXT record')
    return tuple(strings)


def _check_tsig(wire, tsig_start, rdata_start, rdata_end, key, request_mac, now):
    """Raise WireError unless the TSIG record at ``tsig_start`` carries a MAC of ``key`` over the
    answer that verifies, no error, and a time within its fudge of ``now``."""
    offset = rdata_start
    algorithm, offset = _read_name(wire, offset)
    if algorithm != key.algorithm or offset + 10 > rdata_end:
        raise WireError('TSIG of another algorithm')
    upper, lower, fudge, mac_size = struct.unpack('!HIHH', wire[offset:offset + 10])
    offset += 10
    mac = wire[offset:offset + mac_size]
    offset += mac_size
    if offset + 6 > rdata_end:
        raise WireError('short TSIG record')
    original_id, error, other_len = struct.unpack('!HHH', wire[offset:offset + 6])
    other = wire[offset + 6:offset + 6 + other_len]
    if offset + 6 + other_len != rdata_end or error != 0:
        raise WireError('TSIG error or bad TSIG length')
    time_signed = (upper << 32) | lower
    (arcount,) = struct.unpack('!H', wire[10:12])
    signed = (struct.pack('!H', len(request_mac)) + request_mac + struct.pack('!H', original_id) + wire[2:10]
              + struct.pack('!H', arcount - 1) + wire[12:tsig_start])
    expected = hmac.new(key.secret, signed + _tsig_variables(key, time_signed, fudge, error, bytes(other)),
                        key.digest).digest()
    if mac_size != len(expected) or not hmac.compare_digest(expected, bytes(mac)):
        raise WireError('the MAC does not verify')
    if abs(time_signed - now) > fudge:
        raise WireError('signed outside the fudge')


def _answer_start(wire, query_id, qname_wire, rdtype):
    """``(flags, ancount, nscount, arcount, question name, offset of the first record)`` of ``wire``;
    WireError unless it answers the query ``query_id`` for ``rdtype`` at ``qname_wire`` (one question,
    opcode QUERY, not truncated)."""
    if len(wire) < 12:
        raise WireError('short message')
    answer_id, flags, qdcount, ancount, nscount, arcount = struct.unpack('!HHHHHH', wire[:12])
    if answer_id != query_id or not flags & _FLAG_QR or flags & (_OPCODE_MASK | _FLAG_TC) or qdcount != 1:
        raise WireError('not the answer to this query')
    qname, offset = _read_name(wire, 12)
    if qname != qname_wire.lower() or wire[offset:offset + 4] != struct.pack('!HH', rdtype, CLASS_IN):
        raise WireError('another question')
    return flags, ancount, nscount, arcount, qname, offset + 4


def txt_answer(wire, query_id, qname_wire, key=None, request_mac=None, now=0):
    """What the TXT read of ``qname_wire`` gets from the answer ``wire`` to the query ``txt_query``
    made: ``(records, ttl)``, records as tuples of bytes in answer order without repeats, or
    ``([], None)`` for NXDOMAIN or no TXT RRset. WireError for anything but the plain case."""
    flags, ancount, nscount, arcount, qname, offset = _answer_start(wire, query_id, qname_wire, TYPE_TXT)
    rcode = flags & _RCODE_MASK
    if rcode not in (RCODE_NOERROR, RCODE_NXDOMAIN) or not flags & _FLAG_AA:
        raise WireError('not an authoritative NOERROR or NXDOMAIN')
    records = []
    ttl = None
    for index in range(ancount + nscount + arcount):
        start = offset
        name, rdtype, rdclass, rr_ttl, rdata_start, offset = _read_record(wire, offset)
        if rdtype in (TYPE_OPT, TYPE_CNAME):
            raise WireError('EDNS or a CNAME')
        if rdtype == TYPE_TSIG:
            if index != ancount + nscount + arcount - 1 or key is None or name != key.canonical_name:
                raise WireError('TSIG not last, unasked or of another key')
            if rdclass != CLASS_ANY or rr_ttl != 0:
                raise WireError('TSIG of another class or with a TTL')
            _check_tsig(wire, start, rdata_start, offset, key, request_mac, now)
            if offset != len(wire):
                raise WireError('data after the TSIG record')
            return (records, ttl) if rcode == RCODE_NOERROR else ([], None)
        if index < ancount and name == qname and rdtype == TYPE_TXT:
            if rdclass != CLASS_IN:
                raise WireError('TXT of another class')
            strings = _txt_strings(wire, rdata_start, offset)
            if strings not in records:
                records.append(strings)
            ttl = rr_ttl if ttl is None else min(ttl, rr_ttl)
    if key is not None or offset != len(wire):
        raise WireError('unsigned answer, or data after the records')
    return (records, ttl) if rcode == RCODE_NOERROR else ([], None)


LOOKUP_TYPES = {'A': TYPE_A, 'MX': TYPE_MX, 'TXT': TYPE_TXT, 'AAAA': TYPE_AAAA}
_ADDRESS_SIZES = {TYPE_A: 4, TYPE_AAAA: 16}


def lookup_query(query_id, qname_wire, rdtype):
    """The query a stub resolver sends for ``rdtype`` (a number of ``LOOKUP_TYPES``) at ``qname_wire``:
    recursion desired, no EDNS (what dnspython's Resolver sends unless told otherwise)."""
    return struct.pack('!HHHHHH', query_id, _FLAG_RD, 1, 0, 0, 0) + qname_wire + struct.pack('!HH', rdtype, CLASS_IN)


def _lookup_value(wire, rdtype, start, end):
    """One answer record's data: TXT its strings; MX ``(preference, labels)``; A and AAAA the packed address."""
    if rdtype == TYPE_TXT:
        return _txt_strings(wire, start, end)
    if rdtype == TYPE_MX:
        if end - start < 3:
            raise WireError('short MX record')
        labels, after = _read_labels(wire, start + 2)
        if after != end:
            raise WireError('MX exchange does not end its record')
        return struct.unpack('!H', wire[start:start + 2])[0], tuple(labels)
    if end - start != _ADDRESS_SIZES[rdtype]:
        raise WireError('address of the wrong size')
    return bytes(wire[start:end])


def _same_record(rdtype, value):
    """What makes two records of ``rdtype`` the same one (an RRset holds each once; names compare
    without case)."""
    if rdtype == TYPE_MX:
        return value[0], tuple(label.lower() for label in value[1])
    return value


def lookup_answer(wire, query_id, qname_wire, rdtype):
    """The records of ``rdtype`` at ``qname_wire`` in the answer ``wire`` to ``lookup_query``, in answer
    order without repeats (see ``_lookup_value``); [] for NXDOMAIN or no data. WireError for anything but
    the plain case: another id or question, truncation, another answer code, a CNAME or any other
    record in the answer section, EDNS or TSIG, a malformed message."""
    flags, ancount, nscount, arcount, qname, offset = _answer_start(wire, query_id, qname_wire, rdtype)
    rcode = flags & _RCODE_MASK
    if rcode not in (RCODE_NOERROR, RCODE_NXDOMAIN) or (rcode == RCODE_NXDOMAIN and ancount):
        raise WireError('not a plain NOERROR or NXDOMAIN')
    values, seen = [], set()
    for index in range(ancount + nscount + arcount):
        name, record_type, record_class, dummy, start, offset = _read_record(wire, offset)
        if record_type in (TYPE_OPT, TYPE_TSIG):
            raise WireError('EDNS or TSIG')
        if index >= ancount:
            continue
        if name != qname or record_type != rdtype or record_class != CLASS_IN:
            raise WireError('a CNAME or another record in the answer')
        value = _lookup_value(wire, rdtype, start, offset)
        key = _same_record(rdtype, value)
        if key not in seen:
            seen.add(key)
            values.append(value)
    if offset != len(wire):
        raise WireError('data after the records')
    return values
