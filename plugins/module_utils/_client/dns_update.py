# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The RFC 2136 client: TXT RRsets read over TCP from the primary, one guarded UPDATE per zone sent.

``TxtUpdater.read_txt(name)`` reads the TXT RRset at a name; ``TxtUpdater.apply()`` sends the
UPDATE built by ``_core.txt_update`` and translates every failure into a ``DNSError`` whose message
says what happened and what to do (``_core.dns_messages``). No message ever contains the TSIG secret.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random
import select
import socket
import struct
import time

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.libraries import Library

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdataclass
    import dns.rdatatype
    import dns.rdtypes.ANY.TXT
    import dns.tsig
    import dns.update
except ImportError:
    DNSPYTHON = Library.missing('dnspython')
else:
    DNSPYTHON = Library('dnspython')

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import dns_wire
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.dns_messages import refused_update_reason, tsig_failure_message
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.txt_update import (
    DEFAULT_PORT, DEFAULT_TIMEOUT, DEFAULT_TSIG_ALGORITHM, TxtChange, algorithm_text, dns_name,
    make_key, plan_change, update_batches,
)

# Queries in flight at once on the connection when many names are read (``read_txt_many``): enough
# to hide the round trip, few enough that no server's TCP buffers or per-connection limits matter.
PIPELINE = 64

# Batches the wire path (``_core.dns_wire``) may give back to dnspython before it is left for the run:
# one CNAME among thousands of names costs one batch; a server whose answers it never takes, three.
WIRE_FAILURES = 3

# Why an UPDATE's prerequisite failed (RFC 2136 2.4): someone changed the name after we read it.
_PREREQUISITE_RCODES = ('YXDOMAIN', 'NXDOMAIN', 'YXRRSET', 'NXRRSET')


class DNSError(Exception):
    """A DNS operation failed; ``msg`` says why and what to do, ``cause`` is a short code for it."""

    def __init__(self, msg, cause='error'):
        super(DNSError, self).__init__(msg)
        self.msg = msg
        self.cause = cause


class ConcurrentChange(DNSError):
    """An UPDATE prerequisite failed: the records changed between read and write; nothing was written."""

    def __init__(self, msg, names):
        super(ConcurrentChange, self).__init__(msg, cause='concurrent-change')
        self.names = names


class UnsignedAnswer(Exception):
    """The server answered a signed request without a TSIG record (``rcode``: its answer code)."""

    def __init__(self, rcode):
        super(UnsignedAnswer, self).__init__(rcode)
        self.rcode = rcode


def _read_exactly(sock, count, expiration):
    """``count`` bytes from the non-blocking ``sock`` before ``expiration`` (time.time())."""
    data = b''
    while len(data) < count:
        timeout = expiration - time.time()
        if timeout <= 0 or not select.select([sock], [], [], timeout)[0]:
            raise dns.exception.Timeout
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError('the server closed the connection')
        data += chunk
    return data


def _write_all(sock, data, expiration):
    """Send all of ``data`` on the non-blocking ``sock`` before ``expiration`` (time.time())."""
    view = memoryview(data)
    while view:
        timeout = expiration - time.time()
        if timeout <= 0 or not select.select([], [sock], [], timeout)[1]:
            raise dns.exception.Timeout
        view = view[sock.send(view):]


def resolve_server(server, port):
    """The IP address to talk to for ``server`` (an IP address, or a name for the system resolver)."""
    try:
        infos = socket.getaddrinfo(server, port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DNSError('server: cannot resolve %r to an address (%s); give an IP address or a name this host '
                       'can resolve' % (server, getattr(exc, 'strerror', None) or exc), cause='server-name')
    return infos[0][4][0]


class TxtUpdater(object):
    """Reads and updates TXT RRsets on one primary server, over TCP, signed with one TSIG key.

    One TCP connection is reused for every query and the update, so planning many names costs one
    round trip each, not one connection each. Use as a context manager, or call ``close()``.
    """

    def __init__(self, address, port=DEFAULT_PORT, timeout=DEFAULT_TIMEOUT, key=None, server=None):
        self.address = address
        self.port = port
        self.timeout = timeout
        self.key = key
        self.server = server or address
        self._sock = None
        self._key_worked = False  # a signed answer with the key came back: it is known, its secret right
        self._wire_key = None if key is None else dns_wire.wire_key(key.name.to_wire(), key.algorithm.to_text(),
                                                                    key.secret)
        self._wire_failures = 0 if key is None or self._wire_key is not None else WIRE_FAILURES
        self.wire_answers = 0  # answers the wire path read (the tests see that it was taken)

    @classmethod
    def from_options(cls, params):
        """An updater from the shared module options (``update_option_problems(params)`` must be empty)."""
        port = params.get('port') or DEFAULT_PORT
        key = make_key(params.get('key_name'), params.get('key_secret'),
                       params.get('key_algorithm') or DEFAULT_TSIG_ALGORITHM)
        return cls(resolve_server(params['server'], port), port=port,
                   timeout=params.get('timeout') or DEFAULT_TIMEOUT, key=key, server=params['server'])

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    # -- transport

    def _where(self):
        if self.server != self.address:
            return '%s (%s) port %d' % (self.server, self.address, self.port)
        return '%s port %d' % (self.address, self.port)

    def _connect(self):
        family = socket.AF_INET6 if ':' in self.address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect((self.address, self.port))
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        return sock

    def _tcp(self, message):
        """One request and its answer on the open connection (as ``dns.query.tcp``, except that an
        answer without the TSIG record a signed request needs raises ``UnsignedAnswer`` with its
        answer code, and an unsigned REFUSED is returned: a refusal carries no data to trust)."""
        expiration = time.time() + self.timeout
        dns.query.send_tcp(self._sock, message, expiration)
        return self._answer(message, self._receive(expiration))

    def _receive(self, expiration):
        """The next DNS message on the connection, as wire bytes."""
        (length,) = struct.unpack('!H', _read_exactly(self._sock, 2, expiration))
        return _read_exactly(self._sock, length, expiration)

    @staticmethod
    def _answer(message, wire):
        """The answer ``wire`` to ``message``, parsed and its TSIG checked (see ``_tcp``)."""
        try:
            response = dns.message.from_wire(wire, keyring=message.keyring, request_mac=message.mac)
        except dns.exception.FormError:
            if message.keyring is None:
                raise
            try:
                unsigned = dns.message.from_wire(wire, keyring=False)
            except dns.exception.DNSException:
                raise dns.exception.FormError('malformed answer')
            if unsigned.had_tsig:
                raise
            if unsigned.rcode() != dns.rcode.REFUSED:
                raise UnsignedAnswer(dns.rcode.to_text(unsigned.rcode()))
            response = unsigned
        if not message.is_response(response):
            raise dns.query.BadResponse
        return response

    def _pipelined(self, queries):
        """The answers to ``queries``, all sent before the first answer is read, matched by id.

        RFC 7766 6.2.1.1: a client may send several queries on one TCP connection without waiting,
        and a server may answer them in any order. Reading 20,000 names one round trip each took
        most of a run that changed nothing; pipelined, the round trips overlap. A failure of any
        kind is raised as it comes (the caller reads those names again one by one, which names it).
        """
        if self._sock is None:
            self._sock = self._connect()
        expiration = time.time() + self.timeout
        waiting = {}
        wire = []
        for query in queries:
            while query.id in waiting:
                query.id = (query.id + 1) % 65536
            waiting[query.id] = query
            message = query.to_wire()
            wire.append(struct.pack('!H', len(message)) + message)
        # All of them in one write: a write per query is a segment per query.
        _write_all(self._sock, b''.join(wire), expiration)
        answers = {}
        while waiting:
            wire = self._receive(expiration)
            if len(wire) < 2:
                raise dns.exception.FormError('short answer')
            query = waiting.pop(struct.unpack('!H', wire[:2])[0], None)
            if query is None:
                raise dns.query.BadResponse
            answers[query.id] = self._answer(query, wire)
            if self.key is not None and answers[query.id].had_tsig:
                self._key_worked = True
        return [answers[query.id] for query in queries]

    def _exchange(self, message, what, retry=True):
        """Send one message and return the answer; every failure becomes a ``DNSError``."""
        try:
            try:
                reused = self._sock is not None
                if not reused:
                    self._sock = self._connect()
                response = self._tcp(message)
            except (EOFError, ConnectionResetError, BrokenPipeError):
                self.close()
                if not (reused and retry):
                    raise
                # The server closed an idle connection we kept: once more on a new one.
                self._sock = self._connect()
                response = self._tcp(message)
        except Exception as exc:
            self.close()
            raise self._translate(exc, what, update=isinstance(message, dns.update.UpdateMessage))
        if self.key is not None and response.had_tsig:
            self._key_worked = True
        return response

    def _translate(self, exc, what, update=False):
        where = self._where()
        key = self.key
        key_text = ('%s with algorithm %s' % (str(key.name).rstrip('.'), algorithm_text(key.algorithm))
                    if key else '')
        if isinstance(exc, DNSError):
            return exc
        if isinstance(exc, ConnectionRefusedError):
            return DNSError('%s: connection refused by %s: no DNS server listens there; check server and port'
                            % (what, where), cause='connection-refused')
        if isinstance(exc, (dns.exception.Timeout, socket.timeout)):
            return DNSError('%s: no answer from %s within %s seconds (timeout); check that server is the zone\'s '
                            'primary and reachable over TCP, or raise timeout' % (what, where, self.timeout),
                            cause='timeout')
        failure = None
        if isinstance(exc, UnsignedAnswer):
            failure = 'unsigned'
        elif isinstance(exc, dns.tsig.PeerBadKey):
            failure = 'BADKEY'
        elif isinstance(exc, dns.tsig.PeerBadSignature):
            failure = 'BADSIG'
        elif isinstance(exc, dns.tsig.PeerBadTime):
            failure = 'BADTIME'
        if failure is not None:
            msg, cause = tsig_failure_message(what, where, key_text, failure, rcode=getattr(exc, 'rcode', None),
                                              key_worked=self._key_worked, update=update)
            return DNSError(msg, cause=cause)
        if isinstance(exc, (dns.tsig.BadSignature, dns.tsig.PeerError, dns.message.UnknownTSIGKey)):
            return DNSError('%s: the TSIG signature of the answer from %s does not verify (%s); check key_secret '
                            'and key_algorithm' % (what, where, type(exc).__name__), cause='tsig')
        if isinstance(exc, EOFError):
            return DNSError('%s: %s closed the connection without answering; check its log' % (what, where),
                            cause='eof')
        if isinstance(exc, OSError):
            return DNSError('%s: cannot talk to %s: %s' % (what, where, exc.strerror or type(exc).__name__),
                            cause='network')
        if isinstance(exc, dns.exception.DNSException):
            return DNSError('%s: bad answer from %s: %s' % (what, where, type(exc).__name__), cause='bad-answer')
        return exc

    def _make_query(self, name, rdtype):
        query = dns.message.make_query(name, rdtype)
        query.flags &= ~dns.flags.RD
        if self.key is not None:
            query.use_tsig(self.key)
        return query

    def _query(self, name, rdtype, what=None):
        return self._exchange(self._make_query(name, rdtype),
                              what or 'reading %s %s' % (str(name).rstrip('.'), dns.rdatatype.to_text(rdtype)))

    # -- reads

    def find_zone(self, name):
        """The zone that holds ``name`` on this server, by walking up its labels asking for SOA."""
        target = dns_name(name)
        what = 'finding the zone of %s' % str(target).rstrip('.')
        candidate = target
        while True:
            zone = self._zone_in(target, candidate, self._query(candidate, dns.rdatatype.SOA, what))
            if zone is not None:
                return zone
            if candidate == dns.name.root:
                break
            candidate = candidate.parent()
        raise DNSError('%s: %s is not authoritative for any zone that contains it; set zone, and point server at '
                       'that zone\'s primary' % (what, self._where()), cause='no-zone')

    @staticmethod
    def _zone_in(target, candidate, response):
        """The zone of ``target`` that the answer to the SOA query for ``candidate`` shows, or None."""
        if response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) and response.flags & dns.flags.AA:
            for rrset in response.answer:
                if rrset.rdtype == dns.rdatatype.SOA and rrset.name == candidate:
                    return candidate
            for rrset in response.authority:
                if rrset.rdtype == dns.rdatatype.SOA and target.is_subdomain(rrset.name):
                    return rrset.name
        return None

    def find_zones(self, names):
        """``find_zone`` of each of ``names``: the first SOA query of every name pipelined (it answers
        for almost every name), the walk up the labels only for the names it did not answer."""
        def zone_of(target, answer):
            zone = self._zone_in(target, target, answer)
            return zone if zone is not None else self.find_zone(target)

        return self._pipelined_each([dns_name(name) for name in names], dns.rdatatype.SOA, zone_of, self.find_zone)

    def read_txt(self, name):
        """The TXT RRset at ``name``: ``(records, ttl)``, records as tuples of bytes; ``([], None)`` if none."""
        name = dns_name(name)
        return self._txt_of(name, self._query(name, dns.rdatatype.TXT))

    def read_txt_many(self, names):
        """``read_txt`` of each of ``names``, in order, PIPELINE queries at a time on the connection.

        Each batch goes by the wire path first (``_wire_txt``); a batch it does not take goes through
        dnspython, and a batch that fails there in any way is read again one name at a time, so that
        the failure and its message are exactly those of ``read_txt``.
        """
        names = [dns_name(name) for name in names]
        results = []
        for start in range(0, len(names), PIPELINE):
            batch = names[start:start + PIPELINE]
            done = self._wire_txt(batch) if self._wire_failures < WIRE_FAILURES else None
            if done is None:
                done = self._pipelined_each(batch, dns.rdatatype.TXT, self._txt_of, self.read_txt)
            results.extend(done)
        return results

    def _wire_txt(self, names):
        """``read_txt`` of each of ``names`` by ``_core.dns_wire`` (queries built and answers checked
        without dnspython, a tenth of its CPU), or None when any answer is not the plain case."""
        try:
            if self._sock is None:
                self._sock = self._connect()
            now = int(time.time())
            expiration = time.time() + self.timeout
            waiting = {}
            wire = []
            for query_id, name in zip(random.sample(range(65536), len(names)), names):
                qname = name.to_wire()
                message, mac = dns_wire.txt_query(query_id, qname, self._wire_key, now)
                waiting[query_id] = (qname, mac)
                wire.append(struct.pack('!H', len(message)) + message)
            _write_all(self._sock, b''.join(wire), expiration)
            answers = {}
            while len(answers) < len(waiting):
                message = self._receive(expiration)
                query_id = struct.unpack('!H', message[:2])[0] if len(message) >= 2 else None
                if query_id not in waiting or query_id in answers:
                    raise dns_wire.WireError('an answer to no query of this batch')
                qname, mac = waiting[query_id]
                answers[query_id] = dns_wire.txt_answer(message, query_id, qname, self._wire_key, mac,
                                                        int(time.time()))
        except Exception:  # pylint: disable=broad-except
            # Whatever it was, dnspython reads these names again and says it, if it is a failure.
            self.close()
            self._wire_failures += 1
            return None
        if self.key is not None:
            self._key_worked = True
        self.wire_answers += len(names)
        return [answers[query_id] for query_id in waiting]

    def _pipelined_each(self, names, rdtype, interpret, alone):
        """``interpret(name, answer)`` for the answer to the ``rdtype`` query of each of ``names``,
        PIPELINE queries at a time; the names of a batch that fails in any way go through
        ``alone(name)`` one at a time instead."""
        results = []
        for start in range(0, len(names), PIPELINE):
            batch = names[start:start + PIPELINE]
            try:
                answers = self._pipelined([self._make_query(name, rdtype) for name in batch])
                done = [interpret(name, answer) for name, answer in zip(batch, answers)]
            except Exception:  # pylint: disable=broad-except
                self.close()
                done = [alone(name) for name in batch]
            results.extend(done)
        return results

    def _txt_of(self, name, response):
        """``read_txt``'s result from the answer to the TXT query for ``name``; DNSError when it cannot be used."""
        what = 'reading %s TXT' % str(name).rstrip('.')
        rcode = response.rcode()
        if rcode == dns.rcode.NXDOMAIN:
            return [], None
        if rcode != dns.rcode.NOERROR:
            raise DNSError('%s: %s answered %s; it must be the primary of the zone that holds the name, and allow '
                           'queries from this host' % (what, self._where(), dns.rcode.to_text(rcode)),
                           cause=dns.rcode.to_text(rcode))
        if not response.flags & dns.flags.AA:
            raise DNSError('%s: the answer of %s is not authoritative; point server at the zone\'s primary'
                           % (what, self._where()), cause='not-authoritative')
        for rrset in response.answer:
            if rrset.name == name and rrset.rdtype == dns.rdatatype.CNAME:
                raise DNSError('%s: the name is a CNAME to %s, so it cannot hold TXT records; publish at the CNAME '
                               'target or remove the CNAME' % (what, str(rrset[0].target).rstrip('.')), cause='cname')
        for rrset in response.answer:
            if rrset.name == name and rrset.rdtype == dns.rdatatype.TXT:
                return [tuple(rdata.strings) for rdata in rrset], rrset.ttl
        return [], None

    def plan(self, wanted):
        """Read every name once and compute its change.

        ``wanted`` is a list of ``(name, version, desired_value or None, ttl)``; several kinds at
        one name are combined into one ``TxtChange``. Returns the changes in first-seen name order.
        """
        changes = {}
        order = []
        for name, dummy, dummy, dummy in wanted:
            owner = dns_name(name)
            if owner not in changes:
                changes[owner] = name
                order.append(owner)
        for owner, (records, current_ttl) in zip(order, self.read_txt_many(order)):
            changes[owner] = TxtChange(changes[owner], records, current_ttl, records, current_ttl)
        for name, version, desired_value, ttl in wanted:
            change = changes[dns_name(name)]
            step = plan_change(name, change.after, change.ttl, version, desired_value, ttl)
            change.after, change.ttl = step.after, step.ttl
        return [changes[owner] for owner in order]

    # -- the write

    def apply(self, zone, changes):
        """Send the changed ones of ``changes`` to ``zone`` in one UPDATE (more only beyond 64 KiB).

        Returns the number of messages sent (0 when nothing changed). Raises ``ConcurrentChange``
        when a prerequisite failed: then nothing of that message was written. Except when another
        writer (a second web host of the same play, forks > 1) has meanwhile put exactly the wanted
        records there: the names are read again, and if every one of them already holds what this
        message would write, that is success, and those changes are marked as found, not made
        (``changed`` false).
        """
        zone_text = str(zone).rstrip('.')
        batches = update_batches(zone, changes, self.key)
        for message, in_message in batches:
            # Each UPDATE on a connection of its own: PowerDNS closes a TCP connection that has been
            # open a few seconds without a new query (tcp-idle-timeout, 5 s), which the reads or the
            # previous UPDATEs of thousands of names take, and an UPDATE that meets a closed connection
            # is not sent again blindly (was it applied?). A connection costs less than an UPDATE.
            self.close()
            response = self._exchange(message, 'updating zone %s' % zone_text, retry=False)
            try:
                self._check_update(response, zone_text, in_message)
            except ConcurrentChange:
                if not self._written_meanwhile(in_message):
                    raise
        return len(batches)

    def _written_meanwhile(self, changes):
        """After a failed prerequisite: whether every name of ``changes`` now holds exactly its wanted
        records (and TTL). If so the changes are rebased on what was read (so they count as unchanged)."""
        current = [self.read_txt(change.name) for change in changes]
        for change, (records, ttl) in zip(changes, current):
            if set(tuple(record) for record in records) != set(change.after):
                return False
            if change.after and ttl != change.ttl:
                return False
        for change, (records, ttl) in zip(changes, current):
            change.before, change.before_ttl = [tuple(record) for record in records], ttl
        return True

    def _check_update(self, response, zone, changes):
        """Nothing when the UPDATE of ``changes`` was applied; else the error its answer code means."""
        rcode = dns.rcode.to_text(response.rcode())
        if rcode == 'NOERROR':
            return
        # The names the messages below give: worked out only for an UPDATE that failed (a message holds hundreds).
        names = sorted(set(str(dns_name(change.name)).rstrip('.') for change in changes))
        if rcode in _PREREQUISITE_RCODES:
            raise ConcurrentChange(
                'updating zone %s: the TXT records at %s changed after they were read (prerequisite failed: %s); '
                'nothing was written. Run again to apply the change on top of the current records'
                % (zone, ', '.join(names), rcode), names)
        if rcode == 'REFUSED':
            if self.key is None:
                why = 'it does not accept unsigned updates from this host; set key_name and key_secret'
            else:
                why = refused_update_reason(str(self.key.name).rstrip('.'))
            raise DNSError('updating zone %s: %s refused the update (REFUSED): %s' % (zone, self._where(), why),
                           cause='REFUSED')
        if rcode == 'NOTAUTH':
            raise DNSError('updating zone %s: %s is not authoritative for it (NOTAUTH); set zone to the zone that '
                           'holds the name and server to its primary' % (zone, self._where()), cause='NOTAUTH')
        if rcode == 'NOTZONE':
            raise DNSError('updating zone %s: %s is outside the zone (NOTZONE); set zone to the zone that holds it'
                           % (zone, ', '.join(names)), cause='NOTZONE')
        if rcode == 'SERVFAIL':
            raise DNSError('updating zone %s: %s failed to apply the update (SERVFAIL); see the server\'s log '
                           '(for example, an unwritable zone journal)' % (zone, self._where()), cause='SERVFAIL')
        raise DNSError('updating zone %s: %s answered %s' % (zone, self._where(), rcode), cause=rcode)
