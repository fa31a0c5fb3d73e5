# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The options of a verification: defaults, and the rules they must follow (checked before any I/O).

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import os

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.https import HTTPS_PORT
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.smtp import SMTP_PORT
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.mx import pattern_error
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.names import domain_error
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.policy import (
    MAX_AGE_MAX, MODES, policy_problems, unique_mx,
)
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.records import sts_id_error, uri_error

CHECK_GROUPS = ('record', 'policy', 'mx', 'starttls', 'tlsrpt')
# Which check names each group of the ``checks`` option reports.
GROUP_NAMES = {
    'record': ('record',),
    'policy': ('policy_fetch', 'policy'),
    'mx': ('mx', 'mx_match'),
    'starttls': ('starttls', 'certificate'),
    'tlsrpt': ('tlsrpt',),
}
FAIL_ON = ('error', 'warning', 'never')
DEFAULT_WORKERS = 4
MAX_WORKERS = 64
DEFAULT_PROBE_WORKERS = 16
DEFAULTS = {
    'nameservers': None, 'dns_port': 53, 'ca_path': None, 'timeout': 10.0, 'smtp_port': SMTP_PORT,
    'checks': list(CHECK_GROUPS), 'expect': None, 'https_port': HTTPS_PORT, 'ehlo_name': None,
    'policy': None, 'deny_networks': [], 'max_addresses_per_host': 16,
}
# deny_networks entry that stands for every address that is not globally reachable (loopback,
# private, link-local, shared, documentation, ...: ipaddress's is_global false).
NON_GLOBAL = 'non-global'
MAX_ADDRESSES_PER_HOST = 16


def address_rule(address, deny_networks):
    """The ``deny_networks`` entry that ``address`` falls in, or None (then it may be connected to)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    for entry in deny_networks or ():
        if entry == NON_GLOBAL:
            if not ip.is_global:
                return entry
        else:
            network = ipaddress.ip_network(entry, strict=False)
            if ip.version == network.version and ip in network:
                return entry
    return None


def settings(**options):
    """The verification options with defaults filled in (keys as in ``DEFAULTS``)."""
    result = dict(DEFAULTS)
    result.update((key, value) for key, value in options.items() if value is not None)
    result['checks'] = list(result['checks'])
    return result


def option_problems(domains, options):
    """``[(option, message)]`` for values that break a rule; checked before any I/O."""
    problems = []
    for domain in domains:
        error = domain_error(domain) if isinstance(domain, str) else 'must be a string'
        if error is not None:
            problems.append(('domain', 'domain %r %s; give the mail domain as a host name in A-labels' % (domain, error)))
    for server in options.get('nameservers') or []:
        try:
            ipaddress.ip_address(server)
        except ValueError:
            problems.append(('nameservers', 'nameservers entry %r is not an IP address; give the addresses of '
                                            'the DNS servers to ask' % (server,)))
    for option in ('dns_port', 'smtp_port', 'https_port'):
        value = options.get(option)
        if value is not None and not 1 <= value <= 65535:
            problems.append((option, '%s must be a port number from 1 to 65535, got %r' % (option, value)))
    timeout = options.get('timeout')
    if timeout is not None and not timeout > 0:
        problems.append(('timeout', 'timeout must be a positive number of seconds, got %r' % (timeout,)))
    ca_path = options.get('ca_path')
    if ca_path and not os.access(ca_path, os.R_OK):
        problems.append(('ca_path', 'ca_path %s is not a readable file; give a PEM bundle of trusted roots' % ca_path))
    for entry in options.get('deny_networks') or []:
        if entry != NON_GLOBAL:
            try:
                ipaddress.ip_network(entry, strict=False)
            except (TypeError, ValueError):
                problems.append(('deny_networks', 'deny_networks entry %r is neither an address range (10.0.0.0/8, '
                                                  'fc00::/7) nor %s' % (entry, NON_GLOBAL)))
    limit = options.get('max_addresses_per_host')
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1024):
        problems.append(('max_addresses_per_host', 'max_addresses_per_host must be from 1 to 1024, got %r' % (limit,)))
    unknown = [group for group in options.get('checks') or [] if group not in CHECK_GROUPS]
    if unknown:
        problems.append(('checks', 'checks %s unknown; choose from %s' % (', '.join(unknown), ', '.join(CHECK_GROUPS))))
    problems.extend(_expect_problems(options.get('expect') or {}))
    problems.extend(_candidate_problems(options.get('policy')))
    return problems


def entry_problems(entries, options, workers):
    """Like ``option_problems()`` for the module's O(domains) entries and O(workers), with the entry named."""
    problems = option_problems([], options)
    for index, entry in enumerate(entries):
        found = (option_problems([entry['domain']], {}) + _expect_problems(entry.get('expect') or {})
                 + _candidate_problems(entry.get('policy')))
        problems.extend(('domains', 'domains[%d]: %s' % (index, message)) for dummy, message in found)
    if not 1 <= workers <= MAX_WORKERS:
        problems.append(('workers', 'workers must be from 1 to %d, got %r' % (MAX_WORKERS, workers)))
    return problems


def _candidate_problems(policy):
    if not policy:
        return []
    return [('policy', 'policy.%s' % message) for dummy, message in
            policy_problems(policy.get('mode'), policy.get('mx') or [], policy.get('max_age'))]


def candidate_policy(policy):
    """The candidate ``policy`` option as the policy dict ``evaluate()`` checks, or None."""
    if not policy:
        return None
    return {'version': 'STSv1', 'mode': policy['mode'], 'max_age': policy['max_age'],
            'mx': unique_mx(policy.get('mx') or [])}


def _expect_problems(expect):
    problems = []
    if expect.get('id') is not None and sts_id_error(expect['id']):
        problems.append(('expect', 'expect.id %r %s' % (expect['id'], sts_id_error(expect['id']))))
    if expect.get('mode') is not None and expect['mode'] not in MODES:
        problems.append(('expect', 'expect.mode must be one of %s, got %r' % (', '.join(MODES), expect['mode'])))
    for pattern in expect.get('mx') or []:
        if pattern_error(pattern):
            problems.append(('expect', 'expect.mx entry %r %s' % (pattern, pattern_error(pattern))))
    max_age = expect.get('max_age')
    if max_age is not None and not 0 <= max_age <= MAX_AGE_MAX:
        problems.append(('expect', 'expect.max_age must be 0 to %d, got %r' % (MAX_AGE_MAX, max_age)))
    for uri in expect.get('rua') or []:
        if uri_error(uri):
            problems.append(('expect', 'expect.rua entry %r %s' % (uri, uri_error(uri))))
    return problems
