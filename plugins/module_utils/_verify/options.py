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

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.https import HTTPS_PORT
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.resolver import (
    DEFAULT_PORT as DEFAULT_DNS_PORT, DEFAULT_TIMEOUT, resolver_option_problems,
)
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
MAX_ADDRESSES_PER_HOST = 16
DEFAULTS = {
    'nameservers': None, 'dns_port': DEFAULT_DNS_PORT, 'ca_path': None, 'timeout': DEFAULT_TIMEOUT,
    'smtp_port': SMTP_PORT, 'checks': list(CHECK_GROUPS), 'expect': None, 'https_port': HTTPS_PORT,
    'ehlo_name': None, 'policy': None, 'deny_networks': [], 'max_addresses_per_host': MAX_ADDRESSES_PER_HOST,
}
# deny_networks entry that stands for every address that is not globally reachable (loopback,
# private, link-local, shared, documentation, ...: ipaddress's is_global false).
NON_GLOBAL = 'non-global'


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


def domain_problems(domains, option='domain'):
    """``[(option, message)]`` for every name of ``domains`` that is not a mail domain in A-labels."""
    problems = []
    for domain in domains:
        error = domain_error(domain) if isinstance(domain, str) else 'must be a string'
        if error is not None:
            problems.append((option, 'domain %r %s; give the mail domain as a host name in A-labels' % (domain, error)))
    return problems


def setting_problems(options):
    """``[(option, message)]`` for the settings of a verification (``DEFAULTS`` keys) that break a rule.

    Pure: the resolver's rules are its own (``_client.resolver.resolver_option_problems``), and whether
    ``ca_path`` can be read is found out when it is read.
    """
    return (resolver_option_problems(options.get('nameservers'), options.get('dns_port'), options.get('timeout'))
            + check_problems(options))


def check_problems(options):
    """``setting_problems()`` less the resolver's: the checks, their ports, the address limits, ``expect`` and the
    candidate ``policy``."""
    problems = []
    for option in ('smtp_port', 'https_port'):
        value = options.get(option)
        if value is not None and not 1 <= value <= 65535:
            problems.append((option, '%s must be a port number from 1 to 65535, got %r' % (option, value)))
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


def entry_problems(entries):
    """``[('domains', message)]`` for the module's O(domains) entries, each message naming its entry."""
    problems = []
    for index, entry in enumerate(entries):
        found = (domain_problems([entry['domain']]) + _expect_problems(entry.get('expect') or {})
                 + _candidate_problems(entry.get('policy')))
        problems.extend(('domains', 'domains[%d]: %s' % (index, message)) for dummy, message in found)
    return problems


def workers_problems(workers):
    """``[('workers', message)]`` when ``workers`` is outside 1..MAX_WORKERS."""
    if not 1 <= workers <= MAX_WORKERS:
        return [('workers', 'workers must be from 1 to %d, got %r' % (MAX_WORKERS, workers))]
    return []


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
