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

import os
import pickle
import struct
import threading
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


# Many domains are split across processes (one per CPU the process may run on, at most
# MAX_PROCESSES, each with at least DOMAINS_PER_PROCESS domains): verification is CPU-bound in
# Python (DNS messages, TLS handshakes, parsing: about 4-5 ms a domain), and threads share one
# interpreter lock. Each process has its own pools, so the bounds on connections hold per process.
MAX_PROCESSES = 8
DOMAINS_PER_PROCESS = 100


def process_count(domain_count, cpus=None):
    """How many processes verify ``domain_count`` domains on ``cpus`` CPUs (this process's by default)."""
    if cpus is None:
        try:
            cpus = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_PROCESSES, domain_count // DOMAINS_PER_PROCESS))


def split(items, parts):
    """``items`` in ``parts`` contiguous slices of sizes that differ by at most one, in order."""
    size, extra = divmod(len(items), parts)
    slices = []
    start = 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        slices.append(items[start:end])
        start = end
    return slices


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b''.join(chunks)
        chunks.append(chunk)


def _in_child(work):
    """Fork a process that runs ``work()`` and sends back its pickled result; returns (pid, fd)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is the result it sends
        status = 1
        try:
            os.close(read_fd)
            data = pickle.dumps(work(), protocol=2)
            view = memoryview(struct.pack('!Q', len(data)) + data)
            while view:
                view = view[os.write(write_fd, view):]
            status = 0
        finally:
            # Never back into the caller's code (Ansible's module, pytest): only the result goes back.
            os._exit(status)
    os.close(write_fd)
    return pid, read_fd


def _result_of(pid, fd):
    """The result the child ``pid`` sent on ``fd``, or None when it sent none (it failed or was killed)."""
    try:
        data = _read_all(fd)
    finally:
        os.close(fd)
        os.waitpid(pid, 0)
    if len(data) < 8 or struct.unpack('!Q', data[:8])[0] != len(data) - 8:
        return None
    return pickle.loads(data[8:])


def verify_domains(domains, options, workers=DEFAULT_WORKERS, probe_workers=DEFAULT_PROBE_WORKERS, probes=None,
                   processes=None):
    """Verify many domains, at most ``workers`` at a time; results in the order of ``domains``.

    ``domains`` holds names, or ``(name, expect[, policy])`` tuples whose ``expect`` and ``policy``
    (when not None) replace ``options['expect']`` and ``options['policy']`` for that domain. All probes of all domains share one pool of
    ``probe_workers`` threads, so the number of simultaneous connections stays bounded however many
    domains and MX hosts there are, and each MX address is probed once per call (``ProbeMemo``).

    With ``processes`` (``process_count`` by default) above 1 the domains are split in contiguous
    slices, each verified by a forked process of its own (the last one here) and sent back pickled;
    a slice whose process sends nothing back (killed, out of memory) is verified here after all.
    """
    entries = [(entry, None, None) if isinstance(entry, str) else (tuple(entry) + (None, None))[:3]
               for entry in domains]
    if processes is None:
        # A fork copies only the calling thread: with other threads alive (a caller's pool, a test
        # runner's), a lock one of them holds would stay held in the child forever.
        forkable = hasattr(os, 'fork') and threading.active_count() == 1
        processes = process_count(len(entries)) if forkable else 1
    if processes > 1 and len(entries) > 1:
        slices = split(entries, min(processes, len(entries)))

        def verify_slice(part):
            return verify_domains(part, options, workers, probe_workers, probes, processes=1)

        # Forked before this process starts any thread: a fork copies only the calling thread.
        children = [_in_child(lambda part=part: verify_slice(part)) for part in slices[:-1]]
        own = verify_slice(slices[-1])
        results = []
        for (pid, fd), part in zip(children, slices[:-1]):
            got = _result_of(pid, fd)
            results.extend(got if got is not None and len(got) == len(part) else verify_slice(part))
        return results + own
    probes = probes or PROBES
    options = settings(**options)
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
