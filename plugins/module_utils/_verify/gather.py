# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Gather: everything a sender would look at for a domain, probed concurrently (the network part).

The lookups, the policy fetch from every address and every MX address are probed on a bounded pool
(domain workers only wait on probe tasks, probe tasks never wait, so the pools cannot deadlock).
gather() returns raw observations, ProbeError objects standing in for what failed.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading
from concurrent.futures import Future
from typing import Any, Dict, List, Optional, Tuple, TypedDict, Union

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import https, resolver as _resolver, smtp, tls
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.policy import policy_host
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import ProbeError
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.records import (
    STS_PREFIX, TLSRPT_PREFIX, record_name, select_sts,
)
from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify.options import address_rule, settings
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.https import PolicyResponse
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.smtp import SmtpProbe


class PolicyFetches(TypedDict):
    """The policy as fetched from every address of mta-sts.<domain>."""

    addresses: List[str]
    responses: Dict[str, Union[PolicyResponse, ProbeError]]
    response: Optional[Union[PolicyResponse, ProbeError]]  # the first address's: what a sender gets first


class Observations(TypedDict, total=False):
    """What ``gather()`` hands to ``evaluate()``: raw answers, a ProbeError where a probe failed."""

    sts_txt: Union[List[List[bytes]], ProbeError]
    tlsrpt_txt: Union[List[List[bytes]], ProbeError]
    fetch: Union[PolicyFetches, ProbeError]
    mx: Union[List[Tuple[int, str]], ProbeError]
    mx_addresses: Dict[str, Union[List[str], ProbeError]]
    smtp: Dict[Tuple[str, str], SmtpProbe]


class Probes(object):
    """The network clients gather() uses, by name; tests pass stand-ins with the same names."""

    make_resolver = staticmethod(_resolver.make_resolver)
    lookup_txt = staticmethod(_resolver.lookup_txt)
    lookup_mx = staticmethod(_resolver.lookup_mx)
    lookup_addresses = staticmethod(_resolver.lookup_addresses)
    tls_context = staticmethod(tls.tls_context)
    fetch_policy = staticmethod(https.fetch_policy)
    probe_smtp = staticmethod(smtp.probe_smtp)


PROBES = Probes()


def _attempt(function, *args):
    """``function(*args)``, or the ProbeError it raised."""
    try:
        return function(*args)
    except ProbeError as exc:
        return exc


def _needs(options):
    checks = set(options['checks'])
    expect = dict((key, value) for key, value in (options.get('expect') or {}).items() if value is not None)
    if options.get('policy'):
        # Pre-flight: the candidate replaces the served policy; what is served and published is only
        # looked at (for the safe-order message and the plan), and the MX set is always checked.
        return {
            'record': 'record' in checks,
            'tlsrpt': False,
            'policy': 'policy' in checks,
            'mx': True,
            'starttls': 'starttls' in checks,
        }
    return {
        'record': 'record' in checks or 'id' in expect,
        'tlsrpt': 'tlsrpt' in checks or 'rua' in expect,
        'policy': bool(checks & set(('policy', 'mx', 'starttls'))) or bool(set(expect) & set(('mode', 'mx', 'max_age'))),
        'mx': bool(checks & set(('mx', 'starttls'))),
        'starttls': 'starttls' in checks,
    }


def allowed_addresses(host, addresses, options):
    """``[(address, None or ProbeError)]``: the addresses of ``host`` to connect to, each with the reason
    it must not be, checked before any connection.

    An address in ``deny_networks`` gets a ``denied`` ProbeError naming the address and the range; of
    more than ``max_addresses_per_host`` addresses the first that many are kept and the next one
    stands for the rest (DNS of a domain you do not control can point anywhere, and at many places).
    """
    limit = options.get('max_addresses_per_host') or len(addresses)
    result = []
    for address in addresses[:limit]:
        rule = address_rule(address, options.get('deny_networks'))
        if rule is None:
            result.append((address, None))
        else:
            result.append((address, ProbeError('denied', '%s of %s is in %s (deny_networks); not connected'
                                               % (address, host, rule))))
    if len(addresses) > limit:
        result.append((addresses[limit], ProbeError(
            'denied', '%s has %d addresses; the first %d were probed, this one and the %d after it were not '
                      '(max_addresses_per_host)' % (host, len(addresses), limit, len(addresses) - limit - 1))))
    return result


def _done(value):
    """A finished stand-in for a future (what a refused address gets instead of a probe)."""
    future = Future()
    future.set_result(value)
    return future


def _refused_probe(address, error):
    """What ``probe_smtp`` returns, for an address that was not connected to."""
    return {'address': address, 'starttls': None, 'tls_version': None, 'cert_not_after': None, 'cert_days_left': None,
            'cert_names': [], 'error_kind': error.kind, 'cert_problem': None, 'error': error.msg}


def _start_fetches(pool, probes, resolver, context, domain, options):
    """Pool task: resolve mta-sts.<domain>, then start one policy fetch per address on ``pool``.

    It only submits, never waits (probe tasks never wait, so the pool cannot deadlock); every
    fetch has the same total deadline and they run side by side, so all addresses together take
    about as long as one. Returns ``(addresses, [(address, future)])``.
    """
    addresses = _attempt(probes.lookup_addresses, resolver, policy_host(domain))
    if isinstance(addresses, ProbeError):
        return addresses, []
    allowed = allowed_addresses(policy_host(domain), list(addresses), options)
    return [address for address, dummy in allowed], [
        (address, _done(refused) if refused else pool.submit(_attempt, probes.fetch_policy, domain, address, context,
                                                             options['timeout'], options['https_port']))
        for address, refused in allowed]


class _PolicyFetches(object):
    """The policy fetched from every address of mta-sts.<domain>; ``result()`` waits for all of them.

    The observation: ``{'addresses', 'responses': {address: response or ProbeError}, 'response'}``,
    ``response`` being the first address's (what a sender trying the addresses in order gets first).
    """

    def __init__(self, future):
        self.future = future

    def result(self) -> PolicyFetches:
        addresses, started = self.future.result()
        responses = dict((address, future.result()) for address, future in started)
        first = responses[addresses[0]] if started else None
        return {'addresses': addresses, 'responses': responses, 'response': first}


class ProbeMemo(object):
    """Probes shared by the domains of one run: each MX address is resolved and probed once.

    A hosting provider's thousands of domains usually share a few MX hosts; probing each of them
    once per domain would multiply the connections (and the time) by the number of domains.
    """

    def __init__(self, pool):
        self.pool = pool
        self._futures = {}
        self._lock = threading.Lock()

    def submit(self, key, function, *args):
        """The future of ``function(*args)``, started on the pool the first time ``key`` is asked for."""
        with self._lock:
            future = self._futures.get(key)
            if future is None:
                future = self._futures[key] = self.pool.submit(function, *args)
            return future


def gather(domain: str, options: Dict[str, Any], pool, probes=None, resolver=None, context=None,
           memo: Optional['ProbeMemo'] = None) -> Observations:
    """Everything a sender would look at for ``domain``, probed concurrently on ``pool``.

    Returns a dict of observations (``sts_txt``, ``tlsrpt_txt``, ``fetch``, ``mx``,
    ``mx_addresses``, ``smtp``); a failed probe is stored as its ProbeError. ``fetch`` holds the
    policy as fetched from every A and AAAA address of mta-sts.<domain> (``_PolicyFetches``).
    """
    probes = probes or PROBES
    options = settings(**options)
    needs = _needs(options)
    if resolver is None:
        resolver = probes.make_resolver(options['nameservers'], options['dns_port'], options['timeout'])
    if context is None:
        context = probes.tls_context(options['ca_path'])
    futures = {}
    if needs['record']:
        futures['sts_txt'] = pool.submit(_attempt, probes.lookup_txt, resolver, record_name(STS_PREFIX, domain))
    if needs['tlsrpt']:
        futures['tlsrpt_txt'] = pool.submit(_attempt, probes.lookup_txt, resolver,
                                            record_name(TLSRPT_PREFIX, domain))
    # Pre-flight looks at the policy served now only where a published record makes senders fetch it.
    unpublished = needs['record'] and options.get('policy') and _unpublished(futures['sts_txt'].result())
    if needs['policy'] and not unpublished:
        futures['fetch'] = _PolicyFetches(pool.submit(_start_fetches, pool, probes, resolver, context, domain, options))
    observations = {}
    if needs['mx']:
        observations.update(_gather_mx(domain, options, memo or ProbeMemo(pool), probes, resolver, context,
                                       needs['starttls']))
    for key, future in futures.items():
        observations[key] = future.result()
    return observations


def _unpublished(records):
    """Pre-flight: whether the ``_mta-sts`` lookup found no record a sender would act on. Then the policy served
    now is not fetched: a sender fetches a policy only for a record it sees, so nothing is served to senders yet
    (a first deployment of 20,000 domains saved a TLS handshake each). A failed lookup is not an answer: then
    the policy is fetched."""
    if isinstance(records, ProbeError):
        return False
    record, dummy = select_sts(records)
    return record is None


def _gather_mx(domain, options, memo, probes, resolver, context, starttls):
    mx = _attempt(probes.lookup_mx, resolver, domain)
    observations = {'mx': mx, 'mx_addresses': {}, 'smtp': {}}
    if isinstance(mx, ProbeError):
        return observations
    hosts = []
    for dummy, host in mx:
        if host and host not in hosts:
            hosts.append(host)
    resolving = dict((host, memo.submit(('addresses', host), _attempt, probes.lookup_addresses, resolver, host))
                     for host in hosts)
    probing = {}
    for host in hosts:
        addresses = resolving[host].result()
        allowed = [] if isinstance(addresses, ProbeError) else allowed_addresses(host, list(addresses), options)
        observations['mx_addresses'][host] = (addresses if isinstance(addresses, ProbeError)
                                              else [address for address, dummy in allowed])
        if starttls:
            for address, refused in allowed:
                probing[(host, address)] = _done(_refused_probe(address, refused)) if refused else memo.submit(
                    ('smtp', host, address), probes.probe_smtp, host, address, context, options['timeout'],
                    options['smtp_port'], options['ehlo_name'])
    for key, future in probing.items():
        observations['smtp'][key] = future.result()
    return observations
