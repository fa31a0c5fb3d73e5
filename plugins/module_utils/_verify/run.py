# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A sender's-eye verification of MTA-STS domains: gather (network, concurrent), then evaluate (pure).

verify_domains() checks many domains with a bounded pool of domain workers; inside a domain,
the lookups, the policy fetch and every MX address are probed concurrently on a second bounded
pool, shared by all domains, each MX address probed once per call.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.mx import normalize_host
from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify.evaluate import evaluate
from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify.gather import PROBES, ProbeMemo, gather
from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify.options import DEFAULT_PROBE_WORKERS, DEFAULT_WORKERS, settings


def verify_domain(domain, options, pool=None, probes=None, resolver=None, context=None, memo=None):
    """Verify one domain; probes run concurrently on ``pool`` (a private one when None)."""
    if pool is None:
        with ThreadPoolExecutor(max_workers=DEFAULT_PROBE_WORKERS) as own_pool:
            return verify_domain(domain, options, own_pool, probes, resolver, context, memo)
    domain = normalize_host(domain)
    return evaluate(domain, gather(domain, options, pool, probes, resolver, context, memo), options)


def verify_domains(domains, options, workers=DEFAULT_WORKERS, probe_workers=DEFAULT_PROBE_WORKERS, probes=None):
    """Verify many domains, at most ``workers`` at a time; results in the order of ``domains``.

    ``domains`` holds names, or ``(name, expect[, policy])`` tuples whose ``expect`` and ``policy``
    (when not None) replace ``options['expect']`` and ``options['policy']`` for that domain. All probes of all domains share one pool of
    ``probe_workers`` threads, so the number of simultaneous connections stays bounded however many
    domains and MX hosts there are, and each MX address is probed once per call (``ProbeMemo``).
    """
    probes = probes or PROBES
    options = settings(**options)
    entries = [(entry, None, None) if isinstance(entry, str) else (tuple(entry) + (None, None))[:3]
               for entry in domains]
    resolver = probes.make_resolver(options['nameservers'], options['dns_port'], options['timeout'])
    context = probes.tls_context(options['ca_path'])

    def one(entry):
        domain, expect, policy = entry
        domain_options = options
        if expect is not None:
            domain_options = dict(domain_options, expect=expect)
        if policy is not None:
            domain_options = dict(domain_options, policy=policy)
        return verify_domain(domain, domain_options, pool, probes, resolver, context, memo)

    with ThreadPoolExecutor(max_workers=max(1, probe_workers)) as pool:
        memo = ProbeMemo(pool)
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(entries) or 1))) as domain_pool:
            return list(domain_pool.map(one, entries))
