# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""TXT records of one kind kept up to date on a primary name server with RFC 2136 UPDATE and TSIG.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

The flow is read, compute, apply:

* ``TxtUpdater.read_txt(name)`` reads the TXT RRset at a name from the server over TCP;
* ``compute_txt_change()`` (pure) replaces the strings of one kind (``v=STSv1`` or ``v=TLSRPTv1``)
  and keeps every other TXT string; ``plan_change()`` turns that into a ``TxtChange``;
* ``build_update()`` (pure) puts any number of changes of one zone into ONE UPDATE message, each
  guarded by a prerequisite on exactly the RRset that was read (RFC 2136 2.4.2 "RRset exists
  (value dependent)", or 2.4.3 "RRset does not exist" when there was none), so a concurrent writer
  makes the whole update fail (``ConcurrentChange``) instead of being overwritten;
* ``TxtUpdater.apply()`` sends it and translates every failure into a ``DNSError`` whose message
  says what happened and what to do. No message ever contains the TSIG secret.

A TXT record is handled as a tuple of its character strings (``bytes``, at most 255 each), exactly
as on the wire, so nothing is ever quoted or escaped on the way.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import select
import socket
import struct
import time

from ansible_collections.mailsec.mta_sts.plugins.module_utils._libraries import Library
from ansible_collections.mailsec.mta_sts.plugins.module_utils._mx import domain_error
from ansible_collections.mailsec.mta_sts.plugins.module_utils._records import (
    has_version,
    join_strings,
    split_strings,
)

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

# The HMAC TSIG algorithms that both dnspython and BIND know, by the names used in key files.
# (dnspython's truncated variants, e.g. hmac-sha256-128, are left out: BIND sends truncated MACs
# under the untruncated algorithm name, so they would not interoperate.)
TSIG_ALGORITHMS = ('hmac-sha256', 'hmac-sha224', 'hmac-sha384', 'hmac-sha512', 'hmac-sha1', 'hmac-md5')
DEFAULT_TSIG_ALGORITHM = 'hmac-sha256'
SECRET_ENV = 'MAILSEC_TSIG_SECRET'
DEFAULT_PORT = 53
DEFAULT_TIMEOUT = 10.0
MAX_TTL = 2147483647  # RFC 2181 8
# A DNS message over TCP is at most 65535 bytes; leave room for the TSIG record.
MAX_UPDATE_SIZE = 65535 - 512

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


# ------------------------------------------------------------------------- what servers mean
# BIND 9, Knot DNS and PowerDNS say "this key may not do that" in different ways (measured with
# BIND 9.18, Knot 3.2 and PowerDNS 4.7): BIND answers REFUSED, signed; Knot answers BADKEY, also to
# a key it knows but whose acl does not allow the action; PowerDNS answers a failed TSIG check
# (key name, secret or algorithm) with NOTAUTH and no TSIG record at all, and a key that
# TSIG-ALLOW-DNSUPDATE does not list with REFUSED. These pure functions turn that into one message.

HOW_TO_ALLOW_UPDATES = ('BIND: the zone\'s update-policy or allow-update; Knot: an acl with action update for '
                        'the key in the zone\'s acl list; PowerDNS: dnsupdate=yes, the zone\'s TSIG-ALLOW-DNSUPDATE '
                        'metadata and allow-dnsupdate-from or ALLOW-DNSUPDATE-FROM')


def refused_update_reason(key_name):
    """Why an UPDATE signed with ``key_name`` was REFUSED, and what to do."""
    return ('the key %s may not update it (%s), or the server is not its primary'
            % (key_name, HOW_TO_ALLOW_UPDATES))


def tsig_failure_message(what, where, key_text, failure, rcode=None, key_worked=False, update=False):
    """The message and cause for an answer saying the TSIG key was not accepted.

    ``what``: the step ("updating zone example.com"); ``where``: the server; ``key_text``: the key
    name and algorithm (never the secret); ``failure``: ``BADKEY``, ``BADSIG``, ``BADTIME`` or
    ``unsigned`` (an answer without a TSIG record, whose code is ``rcode``); ``key_worked``: a
    signed answer with this key was already received from this server; ``update``: the request
    was an UPDATE. Returns ``(msg, cause)``. Pure.
    """
    if failure == 'BADKEY' and update and key_worked:
        return ('%s: %s knows the TSIG key %s (it answered a signed read with it) but does not allow it to update '
                'the zone (BADKEY: Knot\'s answer when no acl of the zone gives the key the action update); allow '
                'the key to update the zone (%s)' % (what, where, key_text, HOW_TO_ALLOW_UPDATES), 'key-not-allowed')
    if failure == 'BADKEY':
        return ('%s: %s does not know the TSIG key %s (BADKEY); key_name and key_algorithm must match a key in the '
                'server\'s configuration (Knot also answers BADKEY for a key that no acl of the zone lists)'
                % (what, where, key_text), 'BADKEY')
    if failure == 'BADSIG':
        return ('%s: %s rejected the TSIG signature (BADSIG); key_secret is not the secret the server has for the '
                'key %s' % (what, where, key_text), 'BADSIG')
    if failure == 'BADTIME':
        return ('%s: %s rejected the TSIG time (BADTIME) of the key %s; the clocks of this host and the server '
                'differ by more than 5 minutes' % (what, where, key_text), 'BADTIME')
    if key_worked:
        return ('%s: %s refused to sign its answer (%s without a TSIG record) although it accepted the key %s for a '
                'read just before: the key is not allowed here (%s), or the server does not serve the zone; its log '
                'says which' % (what, where, rcode or 'no answer code', key_text, HOW_TO_ALLOW_UPDATES),
                'key-not-allowed')
    return ('%s: %s refused to sign its answer (%s without a TSIG record): it did not accept the TSIG key %s. Usual '
            'causes: key_name is not a key the server knows, key_secret is not that key\'s secret, key_algorithm is '
            'not its algorithm, or the key is not allowed to update the zone (PowerDNS: TSIG-ALLOW-DNSUPDATE, '
            'allow-dnsupdate-from); the server\'s log says which' % (what, where, rcode or 'no answer code', key_text),
            'unsigned-answer')


# ------------------------------------------------------------------------------------ options

def update_option_problems(params):
    """Why the shared DNS update options in ``params`` cannot be used, as ``(option, message)`` pairs.

    Pure: no I/O. Messages never contain the value of ``key_secret``.
    """
    errors = []
    server = params.get('server')
    if not server or not isinstance(server, str) or server.strip() != server or ' ' in server:
        errors.append(('server', 'server: must be the IP address or host name of the primary name server'))
    port = params.get('port', DEFAULT_PORT)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        errors.append(('port', 'port: must be a TCP port number from 1 to 65535'))
    zone = params.get('zone')
    if zone is not None:
        problem = domain_error(zone[:-1] if isinstance(zone, str) and zone.endswith('.') else zone)
        if problem is not None:
            errors.append(('zone', 'zone: %r %s' % (zone, problem)))
    timeout = params.get('timeout', DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 3600:
        errors.append(('timeout', 'timeout: must be a number of seconds greater than 0 and at most 3600'))
    ttl = params.get('ttl')
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= MAX_TTL):
        errors.append(('ttl', 'ttl: must be a number of seconds from 0 to %d (RFC 2181 8)' % MAX_TTL))
    algorithm = params.get('key_algorithm') or DEFAULT_TSIG_ALGORITHM
    if algorithm not in TSIG_ALGORITHMS:
        errors.append(('key_algorithm', 'key_algorithm: must be one of %s' % ', '.join(TSIG_ALGORITHMS)))
    key_name = params.get('key_name')
    key_secret = params.get('key_secret')
    if key_name is not None:
        if not isinstance(key_name, str) or _key_name_error(key_name):
            errors.append(('key_name', 'key_name: must be a DNS name, as in the server\'s key statement'))
        if not key_secret:
            errors.append(('key_secret', 'key_secret: required when key_name is set (or set %s)' % SECRET_ENV))
    if key_secret:
        if key_name is None:
            errors.append(('key_name', 'key_name: required when key_secret is set (or %s is set)' % SECRET_ENV))
        if secret_bytes(key_secret) is None:
            errors.append(('key_secret', 'key_secret: must be the base64 secret of the TSIG key, '
                                         'as in the server\'s key file (the value is not shown)'))
    return errors


def _key_name_error(name):
    bare = name[:-1] if name.endswith('.') else name
    if bare == '' or '..' in bare or len(bare) > 253:
        return True
    return any(len(label) > 63 or char in ' \t\r\n"\\()' for label in bare.split('.') for char in label)


def secret_bytes(secret):
    """The decoded TSIG secret, or None when ``secret`` is not valid base64 (never echoed)."""
    try:
        data = base64.b64decode(''.join(secret.split()).encode('ascii'), validate=True)
    except (binascii.Error, ValueError, UnicodeError, AttributeError):
        return None
    return data or None


def make_key(key_name, key_secret, key_algorithm=DEFAULT_TSIG_ALGORITHM):
    """A dnspython TSIG key whose repr never shows the secret (None without a key name)."""
    if not key_name:
        return None
    algorithm = dns.tsig.HMAC_MD5 if key_algorithm == 'hmac-md5' else dns.name.from_text(key_algorithm)
    return _quiet_key_class()(dns.name.from_text(key_name), secret_bytes(key_secret), algorithm)


_QUIET_KEY = []


def _quiet_key_class():
    if not _QUIET_KEY:
        class QuietKey(dns.tsig.Key):
            """dns.tsig.Key, except that repr() leaves the secret out (dnspython's shows it)."""

            def __repr__(self):
                return '<TSIG key %s (%s)>' % (self.name, self.algorithm)

            __str__ = __repr__
        _QUIET_KEY.append(QuietKey)
    return _QUIET_KEY[0]


# ------------------------------------------------------------------------- pure computation

def to_strings(value):
    """A TXT value as the tuple of character strings to publish (UTF-8, cut at 255 bytes)."""
    return tuple(part.encode('utf-8') for part in split_strings(value))


def compute_txt_change(current, version, desired_value):
    """The TXT records a name should have: ``current`` with the records of one kind replaced.

    ``current`` is a list of records, each a tuple of character strings (bytes) as read.
    Records whose joined value starts with ``version`` (the kind: ``v=STSv1`` / ``v=TLSRPTv1``)
    are removed, except one already equal to ``desired_value`` (kept as it is, however it is cut
    into strings); every other record stays, in its order. When ``desired_value`` is not None and
    no record equals it, it is appended, cut into strings of at most 255 bytes.
    """
    others = [record for record in current if not has_version(join_strings(record), version)]
    if desired_value is None:
        return others
    for record in current:
        if join_strings(record) == desired_value:
            return others + [tuple(record)]
    return others + [to_strings(desired_value)]


class TxtChange(object):
    """The TXT RRset at one name: as read (``before``, ``before_ttl``) and as wanted (``after``, ``ttl``)."""

    __slots__ = ('name', 'before', 'before_ttl', 'after', 'ttl')

    def __init__(self, name, before, before_ttl, after, ttl):
        self.name = name
        self.before = [tuple(record) for record in before]
        self.before_ttl = before_ttl
        self.after = [tuple(record) for record in after]
        self.ttl = ttl

    @property
    def changed(self):
        """Whether the zone must change: other records, or the same ones with another TTL."""
        if set(self.before) != set(self.after):
            return True
        return bool(self.after) and self.before_ttl != self.ttl

    def values(self, which='after'):
        """The joined TXT values before or after, for diffs and return values."""
        return [join_strings(record) for record in getattr(self, which)]

    def diff(self):
        """``{before, after}`` for Ansible's diff mode: TXT values and TTL at the name."""
        before = {'values': self.values('before'), 'ttl': self.before_ttl if self.before else None}
        after = {'values': self.values('after'), 'ttl': self.ttl if self.after else None}
        name = str(self.name).rstrip('.')
        return {'before': before, 'after': after,
                'before_header': '%s TXT' % name, 'after_header': '%s TXT' % name}


def plan_change(name, current, current_ttl, version, desired_value, ttl):
    """The ``TxtChange`` that puts ``desired_value`` (None: nothing) of one kind at ``name``.

    The TTL is per RRset: when a record is published, every TXT record at the name gets ``ttl``;
    when one is only removed, the others keep ``current_ttl``.
    """
    after = compute_txt_change(current, version, desired_value)
    new_ttl = ttl if desired_value is not None else current_ttl
    return TxtChange(name, current, current_ttl, after, new_ttl)


def _txt_rdata(strings):
    return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, tuple(strings))


def build_update(zone, changes, key=None):
    """ONE UPDATE message for ``zone`` applying every changed ``TxtChange`` atomically.

    For each name: the prerequisite is the RRset exactly as read ("RRset exists (value
    dependent)"), or "RRset does not exist" when nothing was read; the update deletes the TXT
    RRset and adds the wanted records with the wanted TTL. Names must be distinct.
    """
    message = dns.update.UpdateMessage(_name(zone))
    seen = set()
    for change in changes:
        if not change.changed:
            continue
        name = _name(change.name)
        if name in seen:
            raise ValueError('%s appears twice in one update; merge its changes first' % name)
        seen.add(name)
        if change.before:
            message.present(name, *[_txt_rdata(record) for record in change.before])
        else:
            message.absent(name, dns.rdatatype.TXT)
        message.delete(name, dns.rdatatype.TXT)
        if change.after:
            message.add(name, change.ttl, *[_txt_rdata(record) for record in change.after])
    if key is not None:
        message.use_tsig(key)
    return message


def _fits(message, max_size):
    """Whether ``message`` encodes in ``max_size`` bytes; dnspython refuses (TooBig) past 64 KiB."""
    try:
        return len(message.to_wire()) <= max_size
    except dns.exception.TooBig:
        return False


def build_updates(zone, changes, key=None, max_size=MAX_UPDATE_SIZE):
    """As ``build_update``, cut into as few messages as fit in a TCP DNS message (usually one).

    Every name's change stays guarded by its own prerequisite; only atomicity across names is
    lost when more than one message is needed (hundreds of names).
    """
    changed = [change for change in changes if change.changed]
    if not changed:
        return []
    if len(changed) == 1 or _fits(build_update(zone, changed, key=None), max_size):
        return [build_update(zone, changed, key)]
    half = len(changed) // 2
    return build_updates(zone, changed[:half], key, max_size) + build_updates(zone, changed[half:], key, max_size)


def _algorithm_text(algorithm):
    if algorithm == dns.tsig.HMAC_MD5:
        return 'hmac-md5'
    return str(algorithm).rstrip('.').lower()


def _name(name):
    if isinstance(name, str):
        return dns.name.from_text(name)
    return name


# ------------------------------------------------------------------------------- the server

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
        (length,) = struct.unpack('!H', _read_exactly(self._sock, 2, expiration))
        wire = _read_exactly(self._sock, length, expiration)
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
        key_text = ('%s with algorithm %s' % (str(key.name).rstrip('.'), _algorithm_text(key.algorithm))
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

    def _query(self, name, rdtype, what=None):
        query = dns.message.make_query(name, rdtype)
        query.flags &= ~dns.flags.RD
        if self.key is not None:
            query.use_tsig(self.key)
        return self._exchange(query, what or 'reading %s %s' % (str(name).rstrip('.'), dns.rdatatype.to_text(rdtype)))

    # -- reads

    def find_zone(self, name):
        """The zone that holds ``name`` on this server, by walking up its labels asking for SOA."""
        target = _name(name)
        what = 'finding the zone of %s' % str(target).rstrip('.')
        candidate = target
        while True:
            response = self._query(candidate, dns.rdatatype.SOA, what)
            if response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) and response.flags & dns.flags.AA:
                for rrset in response.answer:
                    if rrset.rdtype == dns.rdatatype.SOA and rrset.name == candidate:
                        return candidate
                for rrset in response.authority:
                    if rrset.rdtype == dns.rdatatype.SOA and target.is_subdomain(rrset.name):
                        return rrset.name
            if candidate == dns.name.root:
                break
            candidate = candidate.parent()
        raise DNSError('%s: %s is not authoritative for any zone that contains it; set zone, and point server at '
                       'that zone\'s primary' % (what, self._where()), cause='no-zone')

    def read_txt(self, name):
        """The TXT RRset at ``name``: ``(records, ttl)``, records as tuples of bytes; ``([], None)`` if none."""
        name = _name(name)
        what = 'reading %s TXT' % str(name).rstrip('.')
        response = self._query(name, dns.rdatatype.TXT)
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
        for name, version, desired_value, ttl in wanted:
            owner = _name(name)
            if owner not in changes:
                records, current_ttl = self.read_txt(owner)
                changes[owner] = TxtChange(name, records, current_ttl, records, current_ttl)
                order.append(owner)
            change = changes[owner]
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
        messages = build_updates(zone, changes, self.key)
        changed = [change for change in changes if change.changed]
        for message in messages:
            names = sorted(set(str(rrset.name).rstrip('.') for rrset in message.prerequisite))
            in_message = [change for change in changed if str(_name(change.name)).rstrip('.') in names]
            response = self._exchange(message, 'updating zone %s' % zone_text, retry=False)
            try:
                self._check_update(response, zone_text, names)
            except ConcurrentChange:
                if not self._written_meanwhile(in_message):
                    raise
        return len(messages)

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

    def _check_update(self, response, zone, names):
        rcode = dns.rcode.to_text(response.rcode())
        if rcode == 'NOERROR':
            return
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
