# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""DNS through a chosen resolver: TXT, MX and addresses, CNAMEs followed, failures as ProbeError.

A lookup first goes by the lean wire path (``_core.dns_wire``: one UDP query, the plain answer read
without dnspython's message objects, which were most of the CPU of a verification); any other answer,
and every resolver that is not a plain dnspython one, goes through dnspython, whose handling and
messages are the reference.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import os
import socket
import struct
import time

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import dns_wire
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.libraries import Library
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import ProbeError

try:
    import dns.exception
    import dns.flags
    import dns.ipv4
    import dns.ipv6
    import dns.name
    import dns.rdatatype
    import dns.resolver
except ImportError:
    DNSPYTHON = Library.missing('dnspython')
else:
    DNSPYTHON = Library('dnspython')

MAX_CNAME_HOPS = 8
DEFAULT_PORT = 53
DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 3600


def resolver_option_problems(nameservers, port, timeout):
    """``[(option, message)]`` for resolver settings this client cannot use (pure; the options are named
    ``nameservers``, ``dns_port`` and ``timeout`` in every module that takes them)."""
    problems = []
    for server in nameservers or []:
        try:
            ipaddress.ip_address(server)
        except ValueError:
            problems.append(('nameservers', 'nameservers entry %r is not an IP address; give the addresses of '
                                            'the DNS servers to ask' % (server,)))
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535):
        problems.append(('dns_port', 'dns_port must be a port number from 1 to 65535, got %r' % (port,)))
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not 0 < timeout <= MAX_TIMEOUT):
        problems.append(('timeout', 'timeout must be a number of seconds greater than 0 and at most %d, got %r'
                                    % (MAX_TIMEOUT, timeout)))
    return problems


def make_resolver(nameservers=None, port=DEFAULT_PORT, timeout=DEFAULT_TIMEOUT):
    """A dnspython resolver asking ``nameservers`` (IPs) on ``port``, or the system's when None.

    ``timeout`` is the lifetime of one lookup, retries included. No cache: every run sees the
    live zone.
    """
    if nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = list(nameservers)
    else:
        resolver = dns.resolver.Resolver()
    resolver.port = int(port)
    resolver.timeout = float(timeout)
    resolver.lifetime = float(timeout)
    resolver.cache = None
    return resolver


def _servers(resolver):
    return ', '.join('%s:%s' % (server, resolver.port) for server in resolver.nameservers)


def _cname_target(response, qname):
    """The end of the CNAME chain starting at ``qname`` inside ``response``, or None."""
    target = None
    current = qname
    for dummy in range(MAX_CNAME_HOPS):
        rrset = None
        for candidate in response.answer:
            if candidate.name == current and candidate.rdtype == dns.rdatatype.CNAME:
                rrset = candidate
        if rrset is None:
            break
        current = target = list(rrset)[0].target
    return target


def _value(rdtype, rdata):
    """A dnspython rdata as the lookups hand it on: TXT its strings, MX ``(preference, host)`` (no trailing
    dot; '' for the root of a null MX), A and AAAA the address text."""
    if rdtype == 'TXT':
        return list(rdata.strings)
    if rdtype == 'MX':
        host = rdata.exchange.to_text(omit_final_dot=True)
        return int(rdata.preference), '' if host in ('', '.') else host
    return rdata.address


# Label bytes dnspython writes as they are (no escapes): only names made of these are taken from the wire.
_PLAIN_LABEL = frozenset(b'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_')
_PLAIN_NAME = frozenset(chr(byte) for byte in _PLAIN_LABEL) | frozenset('.')


def _wire_value(rdtype, value):
    """A ``dns_wire.lookup_answer`` value as ``_value`` gives it; WireError for a name that needs escapes."""
    if rdtype == 'TXT':
        return list(value)
    if rdtype == 'MX':
        preference, labels = value
        if any(not _PLAIN_LABEL.issuperset(label) for label in labels):
            raise dns_wire.WireError('MX exchange with characters dnspython escapes')
        return preference, '.'.join(label.decode('ascii') for label in labels)
    return dns.ipv4.inet_ntoa(value) if rdtype == 'A' else dns.ipv6.inet_ntoa(value)


def _wire_server(resolver):
    """``(address, port)`` the lean path asks for ``resolver``, or None when only dnspython may: a dnspython
    Resolver sending what the lean path sends (no EDNS, default flags, servers in order), whose first
    server is a plain address (not DNS over HTTPS, TLS or QUIC)."""
    if not isinstance(resolver, dns.resolver.Resolver) or resolver.edns != -1 or resolver.flags is not None \
            or resolver.rotate or resolver.timeout < resolver.lifetime:
        return None
    servers = resolver.nameservers
    if not servers or not isinstance(servers[0], str):
        return None
    address = _address(servers[0])
    return None if address is None else (address, int(resolver.port))


def _wire_lookup(resolver, name, rdtype, deadline):
    """The values of ``rdtype`` at ``name`` by one UDP query to the resolver's first server, or None where
    dnspython must answer (see ``_wire_server``; an answer that is not the plain case; a socket error).

    Like dnspython's, the query goes from a random port with a random id, and a datagram from elsewhere
    or with another id is not the answer (it is ignored). dnspython gives the first server the whole
    lifetime when ``timeout`` is not below it, so no answer by ``deadline`` is that lifetime's timeout.
    """
    server = _wire_server(resolver)
    qtype = dns_wire.LOOKUP_TYPES.get(rdtype)
    # Only names both paths read alike (dnspython gives '@', escapes and non-ASCII meanings of their own).
    if server is None or qtype is None or not _PLAIN_NAME.issuperset(name) or '..' in name or name.startswith('.'):
        return None
    try:
        qname_wire = dns_wire.name_to_wire(name)
    except dns_wire.WireError:
        return None
    address, port = server
    sent_to = (str(address), port)
    query_id = struct.unpack('!H', os.urandom(2))[0]
    try:
        sock = socket.socket(socket.AF_INET6 if address.version == 6 else socket.AF_INET, socket.SOCK_DGRAM)
    except OSError:
        return None
    try:
        try:
            sock.sendto(dns_wire.lookup_query(query_id, qname_wire, qtype), sent_to)
        except OSError:
            return None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _timeout(resolver, name, rdtype)
            sock.settimeout(remaining)
            try:
                wire, source = sock.recvfrom(65535)
            except socket.timeout:
                raise _timeout(resolver, name, rdtype)
            except OSError:
                return None
            if source[1] != port or wire[:2] != struct.pack('!H', query_id) \
                    or (source[0] != sent_to[0] and _address(source[0]) != address):
                continue
            try:
                return [_wire_value(rdtype, value) for value in dns_wire.lookup_answer(wire, query_id, qname_wire, qtype)]
            except dns_wire.WireError:
                return None
    finally:
        sock.close()


def _address(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _timeout(resolver, name, rdtype):
    return ProbeError('dns', 'no answer for %s %s from %s within %g s'
                      % (rdtype, name, _servers(resolver), resolver.lifetime))


def resolve(resolver, name, rdtype):
    """The records of ``rdtype`` at ``name`` (see ``_value``); [] for NXDOMAIN or no data.

    CNAMEs are followed, also when an authoritative server answers with a CNAME to a name it
    does not serve (the chain is asked for again by its target, at most ``MAX_CNAME_HOPS``).
    Any other failure (timeout, SERVFAIL, REFUSED, ...) raises ``ProbeError('dns', ...)``. The
    lookup has one deadline, the resolver's lifetime, whichever path answers.
    """
    deadline = time.monotonic() + resolver.lifetime
    values = _wire_lookup(resolver, name, rdtype, deadline)
    if values is not None:
        return values
    qname = dns.name.from_text(name)
    for dummy in range(MAX_CNAME_HOPS):
        try:
            answer = resolver.resolve(qname, rdtype, raise_on_no_answer=False, search=False,
                                      lifetime=max(deadline - time.monotonic(), 0.001))
        except dns.resolver.NXDOMAIN:
            return []
        except dns.resolver.LifetimeTimeout:
            raise _timeout(resolver, name, rdtype)
        except dns.resolver.NoNameservers as exc:
            raise ProbeError('dns', 'no usable answer for %s %s from %s: %s'
                             % (rdtype, name, _servers(resolver), exc))
        except dns.exception.DNSException as exc:
            raise ProbeError('dns', 'lookup of %s %s through %s failed: %s'
                             % (rdtype, name, _servers(resolver), exc))
        if answer.rrset is not None:
            return [_value(rdtype, rdata) for rdata in answer.rrset]
        target = _cname_target(answer.response, qname)
        if target is None:
            return []
        qname = target
    raise ProbeError('dns', 'more than %d CNAMEs in a row at %s' % (MAX_CNAME_HOPS, name))


def lookup_txt(resolver, name):
    """All TXT records at ``name``, each a list of its character strings (bytes)."""
    return resolve(resolver, name, 'TXT')


def lookup_mx(resolver, domain):
    """The MX RRset of ``domain`` as ``[(preference, host)]``, by preference then name.

    ``host`` has no trailing dot; a null MX (RFC 7505) shows as ``(0, '')``.
    """
    return sorted(resolve(resolver, domain, 'MX'))


def lookup_addresses(resolver, host):
    """The IPv4 then IPv6 addresses of ``host`` through ``resolver``."""
    addresses = []
    for rdtype in ('A', 'AAAA'):
        addresses.extend(resolve(resolver, host, rdtype))
    return addresses
