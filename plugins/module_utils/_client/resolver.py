# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""DNS through a chosen resolver (dnspython): TXT, MX and addresses, CNAMEs followed, failures as ProbeError.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress


from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.libraries import Library
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import ProbeError

try:
    import dns.exception
    import dns.flags
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


def resolve(resolver, name, rdtype):
    """The rdatas of ``rdtype`` at ``name``; [] for NXDOMAIN or no data.

    CNAMEs are followed, also when an authoritative server answers with a CNAME to a name it
    does not serve (the chain is asked for again by its target, at most ``MAX_CNAME_HOPS``).
    Any other failure (timeout, SERVFAIL, REFUSED, ...) raises ``ProbeError('dns', ...)``.
    """
    qname = dns.name.from_text(name)
    for dummy in range(MAX_CNAME_HOPS):
        try:
            answer = resolver.resolve(qname, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            return []
        except dns.resolver.LifetimeTimeout:
            raise ProbeError('dns', 'no answer for %s %s from %s within %g s'
                             % (rdtype, name, _servers(resolver), resolver.lifetime))
        except dns.resolver.NoNameservers as exc:
            raise ProbeError('dns', 'no usable answer for %s %s from %s: %s'
                             % (rdtype, name, _servers(resolver), exc))
        except dns.exception.DNSException as exc:
            raise ProbeError('dns', 'lookup of %s %s through %s failed: %s'
                             % (rdtype, name, _servers(resolver), exc))
        if answer.rrset is not None:
            return list(answer.rrset)
        target = _cname_target(answer.response, qname)
        if target is None:
            return []
        qname = target
    raise ProbeError('dns', 'more than %d CNAMEs in a row at %s' % (MAX_CNAME_HOPS, name))


def lookup_txt(resolver, name):
    """All TXT records at ``name``, each a list of its character strings (bytes)."""
    return [list(rdata.strings) for rdata in resolve(resolver, name, 'TXT')]


def lookup_mx(resolver, domain):
    """The MX RRset of ``domain`` as ``[(preference, host)]``, by preference then name.

    ``host`` has no trailing dot; a null MX (RFC 7505) shows as ``(0, '')``.
    """
    records = []
    for rdata in resolve(resolver, domain, 'MX'):
        host = rdata.exchange.to_text(omit_final_dot=True)
        records.append((int(rdata.preference), '' if host in ('', '.') else host))
    return sorted(records)


def lookup_addresses(resolver, host):
    """The IPv4 then IPv6 addresses of ``host`` through ``resolver``."""
    addresses = []
    for rdtype in ('A', 'AAAA'):
        addresses.extend(rdata.address for rdata in resolve(resolver, host, rdtype))
    return addresses
