# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Evaluate: observations into findings, without any I/O (the pure part of verification).

Check names (the name of each entry in checks) are stable identifiers:
dns a lookup failed; record the _mta-sts TXT; policy_fetch the HTTPS fetch;
policy the policy grammar; mx the MX RRset; mx_match an MX host against the policy's
patterns; starttls STARTTLS and TLS version on an MX address; certificate that address's
certificate; tlsrpt the _smtp._tls TXT; expect the live state against expect.

Pre-flight: with a candidate policy (mode, mx, max_age), the policy a sender would fetch is that
candidate instead of the served one, so a change is checked against the live MX set before anyone can
see it. The served policy and the published id are then only observed (served), never graded:
before the first deployment there is none. An MX host that the served policy matched and the candidate
no longer matches gets a message with the safe order of an MX change.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import ipaddress
from typing import Any, Dict

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.https import MAX_POLICY_BYTES
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.findings import DELIVERY_CHECKS, ERROR, WARNING
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.mx import matching_pattern, normalize_host
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.policy import (
    parse as parse_policy, policy_host, policy_id, policy_url,
)
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import ProbeError
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.records import (
    STS_PREFIX, TLSRPT_PREFIX, TLSRPT_VERSION, has_version, join_strings, record_name, select_sts, select_tlsrpt,
)
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.findings import OK
from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify.options import GROUP_NAMES, candidate_policy, settings
from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify.gather import Observations


class _Report(object):
    """The ``checks`` list being built."""

    def __init__(self):
        self.checks = []

    def add(self, name, status, msg, host=None):
        entry = {'name': name, 'status': status, 'msg': msg}
        if host is not None:
            entry['host'] = host
        self.checks.append(entry)

    def statuses(self):
        return set(entry['status'] for entry in self.checks)


EXPECT_KEYS = ('id', 'mode', 'mx', 'max_age', 'rua')
EXPIRY_WARNING_DAYS = 14


def _dns_failure(report, error, host=None):
    report.add('dns', ERROR, error.msg, host=host)


def _evaluate_record(report, domain, records):
    name = record_name(STS_PREFIX, domain)
    if isinstance(records, ProbeError):
        _dns_failure(report, records)
        return {'id': None}
    record, findings = select_sts(records)
    for finding in findings:
        report.add('record', finding.severity, '%s: %s' % (name, finding.msg))
    if record is not None and not findings:
        ours = [strings for strings in records if has_version(join_strings(strings), 'v=STSv1')]
        joined = ' (joined from %d strings)' % len(ours[0]) if len(ours[0]) > 1 else ''
        report.add('record', OK, '%s: one v=STSv1 record, id=%s%s' % (name, record['id'], joined))
    return {'id': record['id'] if record else None}


def fetch_findings(domain, response):
    """``[(status, msg)]`` for one HTTPS response dict from ``https.fetch_policy`` (pure)."""
    url = policy_url(domain)
    where = '%s (%s)' % (url, response['address'])
    status = response['status']
    if 300 <= status < 400:
        location = response.get('location')
        return [(ERROR, '%s answered %d redirecting to %s; RFC 8461 3.3 forbids following redirects, so '
                        'senders get no policy: serve the policy itself with status 200'
                 % (where, status, location or '(no Location header)'))]
    if status != 200:
        return [(ERROR, '%s answered %d %s; RFC 8461 3.3 wants status 200, senders get no policy'
                 % (where, status, response.get('reason') or ''))]
    found = []
    content_type = response.get('content_type')
    media_type, dummy, parameters = (content_type or '').partition(';')
    media_type = media_type.strip().lower()
    if media_type != 'text/plain':
        found.append((ERROR, 'policy served as %s; RFC 8461 3.3 wants text/plain (at %s)'
                      % (media_type or 'no Content-Type', where)))
    for parameter in parameters.split(';'):
        key, dummy, value = parameter.partition('=')
        charset = value.strip().strip('"').lower()
        if key.strip().lower() == 'charset' and charset not in ('utf-8', 'utf8', 'us-ascii'):
            found.append((WARNING, 'policy served with charset=%s; RFC 8461 3.2 policies are UTF-8 (at %s)'
                          % (charset, where)))
    if response.get('too_large'):
        if response.get('length'):
            seen = 'it declares Content-Length %d' % response['length']
        else:
            seen = 'reading stopped there'
        found.append((ERROR, '%s: the body is larger than %d bytes (%s); senders stop reading at 64 KiB and '
                             'get no policy (RFC 8461 3.3 bounds the fetch); keep the policy small'
                      % (where, MAX_POLICY_BYTES, seen)))
    days = response.get('cert_days_left')
    if days is not None and days < EXPIRY_WARNING_DAYS:
        found.append((WARNING, 'the certificate of %s expires in %d day(s) (%s); once it has, senders cannot '
                               'fetch the policy (RFC 8461 3.3)'
                      % (policy_host(domain), days, response.get('cert_not_after'))))
    return found


_FETCH_HINTS = {
    'name': 'RFC 8461 3.3 wants a certificate that names %s',
    'expired': 'RFC 8461 3.3 wants a certificate for %s that is in date',
    'not_yet_valid': 'RFC 8461 3.3 wants a certificate for %s that is in date',
    'untrusted': 'RFC 8461 3.3 wants a certificate for %s that chains to a root the sender trusts',
    'certificate': 'RFC 8461 3.3 wants a valid certificate for %s',
    'tls': 'RFC 8461 3.3 wants HTTPS with TLS 1.2 or newer on %s',
    'timeout': 'senders give up as well; serve the policy promptly from %s',
    'connect': 'RFC 8461 3.3 fetches the policy over HTTPS from %s',
    'http': 'RFC 8461 3.3 wants a plain HTTP/1.1 response from %s',
    'denied': 'the policy of %s was not fetched there, so it is not verified (deny_networks, max_addresses_per_host)',
}


def _address_key(address):
    try:
        ip = ipaddress.ip_address(address)
        return (ip.version, int(ip), address)
    except ValueError:
        return (9, 0, address)


def _fetch_responses(fetched):
    """``[(address, response)]``, IPv4 then IPv6, each in numeric order (DNS servers rotate the answer,
    the report must not); an observation without ``responses`` (one fetch) too."""
    responses = fetched.get('responses')
    if responses is None:
        response = fetched.get('response')
        if response is None:
            return []
        address = response.get('address') if isinstance(response, dict) else None
        return [(address or fetched['addresses'][0], response)]
    return [(address, responses[address]) for address in sorted(fetched['addresses'], key=_address_key)
            if address in responses]


def _evaluate_one_fetch(report, domain, address, response):
    """Report one address's fetch; return ``(body, error)``: the body a sender would parse, or None."""
    host = policy_host(domain)
    url = policy_url(domain)
    if isinstance(response, ProbeError):
        kind = getattr(response, 'cert_problem', None) or response.kind
        hint = _FETCH_HINTS.get(kind, _FETCH_HINTS.get(response.kind, 'RFC 8461 3.3 fetches the policy from %s')) % host
        where = url if address in response.msg else '%s (%s)' % (url, address)
        msg = '%s: %s; %s' % (where, response.msg, hint)
        report.add('policy_fetch', ERROR, msg, host=host)
        return None, msg
    found = fetch_findings(domain, response)
    for status, msg in found:
        report.add('policy_fetch', status, msg, host=host)
    errors = [msg for status, msg in found if status == ERROR]
    if errors or response['body'] is None:
        return None, '; '.join(errors) or 'no policy body'
    if not found:
        report.add('policy_fetch', OK, '%s (%s) served %d bytes of text/plain over %s'
                   % (url, response['address'], len(response['body']), response.get('tls_version')), host=host)
    return response['body'], None


def _policy_key(body):
    """What senders would take from ``body``: the parsed policy, or the bytes when it does not parse."""
    parsed, findings = parse_policy(body)
    if any(finding.severity == ERROR for finding in findings):
        return None, body
    policy = {'mode': parsed['mode'], 'max_age': parsed['max_age'], 'mx': parsed['mx']}
    return policy, (parsed['mode'], parsed['max_age'], tuple(sorted(set(item.lower() for item in parsed['mx']))))


def _describe_policy(policy):
    if policy is None:
        return 'a policy that does not parse'
    return 'mode %s, max_age %s, mx %s' % (policy['mode'], policy['max_age'], ', '.join(policy['mx']) or '(none)')


def _evaluate_fetch(report, domain, fetched):
    """Report the fetch from every address; return ``(body, per-address list)``.

    The body is the first address's (in ``_fetch_responses`` order) that served one (what the later
    checks parse). Every address
    must serve the same policy: a sender caches whatever the address it reaches serves, so one
    address that fails or serves another policy is an error naming the addresses.
    """
    host = policy_host(domain)
    url = policy_url(domain)
    addresses = fetched['addresses']
    if isinstance(addresses, ProbeError):
        _dns_failure(report, addresses, host=host)
        return None, []
    if not addresses:
        report.add('policy_fetch', ERROR, '%s has no A or AAAA record; RFC 8461 3.3 fetches the policy from %s'
                   % (host, url), host=host)
        return None, []
    per_address = []
    served = []
    for address, response in _fetch_responses(fetched):
        body, error = _evaluate_one_fetch(report, domain, address, response)
        entry = {'address': address, 'served': body is not None, 'error': error, 'policy': None, 'sha256': None,
                 'cert_not_after': None if isinstance(response, ProbeError) else response.get('cert_not_after')}
        if body is not None:
            entry['policy'], key = _policy_key(body)
            entry['sha256'] = hashlib.sha256(body).hexdigest()
            served.append((address, key, entry['policy']))
        per_address.append(entry)
    failed = [entry['address'] for entry in per_address if not entry['served']]
    if len(per_address) > 1 and failed and served:
        report.add('policy_fetch', ERROR, '%s: the policy could not be fetched from %s while %s served it; a sender '
                                          'that reaches %s gets no policy (RFC 8461 3.3): every address of %s must '
                                          'serve it' % (host, ', '.join(failed), ', '.join(a for a, k, p in served),
                                                        ', '.join(failed), host), host=host)
    groups = []
    for address, key, policy in served:
        for group in groups:
            if group[0] == key:
                group[2].append(address)
                break
        else:
            groups.append((key, policy, [address]))
    if len(groups) > 1:
        report.add('policy_fetch', ERROR, '%s serves different policies: %s; a sender caches the policy of whichever '
                                          'address it reaches (RFC 8461 3.3), so every address must serve the same file'
                   % (host, '; '.join('%s serve%s %s' % (', '.join(group[2]), 's' if len(group[2]) == 1 else '',
                                                         _describe_policy(group[1])) for group in groups)), host=host)
    body = dict(_fetch_responses(fetched))[served[0][0]]['body'] if served else None
    return body, per_address


def addresses_agree(per_address):
    """Whether every address of the policy host served a policy, and all the same one (by what senders parse);
    None when no address was tried."""
    if not per_address:
        return None
    keys = set()
    for entry in per_address:
        if not entry['served']:
            return False
        policy = entry['policy']
        keys.add(entry['sha256'] if policy is None else
                 (policy['mode'], policy['max_age'], tuple(sorted(set(item.lower() for item in policy['mx'])))))
    return len(keys) == 1


def id_matches_policy(record_id, policy, usable):
    """``(policy_id, matches)``: the id this collection derives from the served policy (``_core.policy.policy_id``)
    and whether the published id is that id; both None without a usable policy, matches None without a record."""
    if not usable:
        return None, None
    derived = policy_id(dict((key, policy[key]) for key in ('mode', 'mx', 'max_age')))
    if record_id is None:
        return derived, None
    return derived, record_id == derived


def _evaluate_policy(report, body):
    """Parse the body; returns ``(policy result, usable)``."""
    if body is None:
        return {'version': None, 'mode': None, 'max_age': None, 'mx': []}, False
    parsed, findings = parse_policy(body)
    for finding in findings:
        report.add('policy', finding.severity, finding.msg)
    usable = not any(finding.severity == ERROR for finding in findings)
    if usable and not findings:
        report.add('policy', OK, 'valid STSv1 policy: mode %s, max_age %s, mx %s'
                   % (parsed['mode'], parsed['max_age'], ', '.join(parsed['mx'])))
    policy = dict((key, parsed[key]) for key in ('version', 'mode', 'max_age', 'mx'))
    return policy, usable


def _evaluate_mx_rrset(report, domain, mx):
    """Report the MX RRset; return the host list ``[(preference, name)]`` to check."""
    if isinstance(mx, ProbeError):
        _dns_failure(report, mx)
        return []
    if not mx:
        report.add('mx', ERROR, '%s has no MX record; MTA-STS (RFC 8461 4.1) checks the MX hosts of the domain, '
                                'publish them' % domain)
        return []
    if any(host == '' for dummy, host in mx):
        report.add('mx', ERROR, '%s publishes a null MX (RFC 7505): it accepts no mail, so an MTA-STS policy '
                                'protects nothing' % domain)
    hosts = [(preference, host) for preference, host in mx if host]
    if hosts:
        report.add('mx', OK, '%s has MX %s' % (domain, ', '.join('%d %s' % item for item in hosts)))
    return hosts


def _wildcard_hint(patterns, host):
    for pattern in patterns:
        if pattern.startswith('*.') and normalize_host(host).endswith(pattern[1:].lower()):
            return ' (%s covers exactly one label left of %s, not %s)' % (pattern, pattern[2:], host)
    return ''


def _evaluate_mx_match(report, host, policy, previous=None):
    pattern = matching_pattern(policy['mx'], host)
    if pattern is not None:
        report.add('mx_match', OK, 'MX host %s matches the policy pattern %s' % (host, pattern), host=host)
        return True
    served = matching_pattern(previous['mx'], host) if previous and previous.get('mx') else None
    if served is not None:
        report.add('mx_match', ERROR, safe_order_message(host, policy, served, previous), host=host)
        return False
    report.add('mx_match', ERROR, 'MX host %s matches none of the policy mx patterns (%s)%s; RFC 8461 4.1 has '
                                  'senders refuse an MX host no pattern matches'
               % (host, ', '.join(policy['mx']), _wildcard_hint(policy['mx'], host)), host=host)
    return False


def safe_order_message(host, policy, served_pattern, previous):
    """The mx_match error for a change that drops the only pattern matching a live MX host."""
    max_age = max(previous.get('max_age') or 0, policy.get('max_age') or 0)
    return ('MX host %s is matched by the pattern %s of the policy served now, which the new policy drops '
            '(new mx: %s); senders that fetch the new policy would refuse this live MX host (RFC 8461 4.1). '
            'Change MX hosts in this order: 1. add the pattern of the new MX host and keep %s; 2. wait max_age '
            '(%d s) so every sender has that policy; 3. move the MX record to the new host; 4. only then '
            'remove %s from mx' % (host, served_pattern, ', '.join(policy['mx']), served_pattern, max_age,
                                   served_pattern))


_CERT_HINTS = {
    'name': 'RFC 8461 4.2 wants a certificate naming the MX host (a wildcard only as the whole left-most label)',
    'expired': 'RFC 8461 4.2 wants a certificate that is in date',
    'not_yet_valid': 'RFC 8461 4.2 wants a certificate that is in date',
    'untrusted': 'RFC 8461 4.2 wants a chain to a root the sender trusts',
    'other': 'RFC 8461 4.2 wants a valid PKIX certificate for the MX host',
}


def _evaluate_smtp(report, host, probe):
    """Report one MX address; returns the error text for mx_hosts, or None."""
    where = '%s (%s)' % (host, probe['address'])
    kind = probe['error_kind']
    if kind is None and probe['starttls'] is False:
        msg = ('%s does not offer STARTTLS in its EHLO reply; RFC 8461 4 wants STARTTLS with a valid '
               'certificate on every MX host' % where)
        report.add('starttls', ERROR, msg, host=host)
        return msg
    if kind == 'denied':
        # Not connected at all (deny_networks, max_addresses_per_host): not verified, so not passed.
        msg = '%s: %s; STARTTLS was not checked there' % (where, probe['error'])
        report.add('starttls', ERROR, msg, host=host)
        return msg
    if kind in ('timeout', 'connect', 'smtp'):
        msg = '%s: %s; senders cannot check STARTTLS there' % (where, probe['error'])
        report.add('starttls', ERROR, msg, host=host)
        return msg
    if kind == 'tls':
        msg = '%s offers STARTTLS but %s; RFC 8461 4.2 wants TLS 1.2 or newer with a valid certificate' % (
            where, probe['error'])
        report.add('starttls', ERROR, msg, host=host)
        return msg
    report.add('starttls', OK, '%s offers STARTTLS, negotiated %s' % (where, probe['tls_version']), host=host)
    if kind == 'certificate':
        names = ' (it names %s)' % ', '.join(probe['cert_names']) if probe.get('cert_names') else ''
        msg = '%s: %s%s; %s' % (where, probe['error'], names, _CERT_HINTS.get(probe.get('cert_problem'),
                                                                              _CERT_HINTS['other']))
        report.add('certificate', ERROR, msg, host=host)
        return msg
    days = probe.get('cert_days_left')
    if days is not None and days < EXPIRY_WARNING_DAYS:
        report.add('certificate', WARNING, '%s: the certificate expires in %d day(s) (%s); renew it, RFC 8461 4.2 '
                                           'wants a certificate in date' % (where, days, probe['cert_not_after']),
                   host=host)
    else:
        report.add('certificate', OK, '%s: the certificate is valid for %s until %s (%s days left)'
                   % (where, host, probe['cert_not_after'], days), host=host)
    return None


def _evaluate_mx_hosts(report, hosts, observations, policy, usable, previous=None):
    """The mx_match, starttls and certificate checks; returns the ``mx_hosts`` list."""
    mx_hosts = []
    addresses_by_host = observations.get('mx_addresses', {})
    smtp = observations.get('smtp', {})
    for preference, host in hosts:
        entry = {'name': host, 'preference': preference, 'addresses': [], 'matches_policy': None,
                 'starttls': None, 'tls_version': None, 'cert_not_after': None, 'error': None}
        if usable:
            entry['matches_policy'] = _evaluate_mx_match(report, host, policy, previous)
        addresses = addresses_by_host.get(host)
        errors = []
        if isinstance(addresses, ProbeError):
            _dns_failure(report, addresses, host=host)
            errors.append(addresses.msg)
        elif addresses is not None:
            entry['addresses'] = list(addresses)
            if not addresses:
                msg = 'MX host %s has no A or AAAA record; senders cannot deliver to it' % host
                report.add('starttls', ERROR, msg, host=host)
                errors.append(msg)
        probes = [smtp[(host, address)] for address in entry['addresses'] if (host, address) in smtp]
        for probe in probes:
            error = _evaluate_smtp(report, host, probe)
            if error:
                errors.append(error)
        if probes:
            entry['starttls'] = all(probe['starttls'] for probe in probes)
            entry['tls_version'] = next((p['tls_version'] for p in probes if p['tls_version']), None)
            entry['cert_not_after'] = next((p['cert_not_after'] for p in probes if p['cert_not_after']), None)
        entry['certificates'] = [{'address': probe['address'], 'cert_not_after': probe['cert_not_after']}
                                 for probe in probes if probe.get('cert_not_after')]
        entry['error'] = '; '.join(errors) or None
        mx_hosts.append(entry)
    return mx_hosts


def _evaluate_tlsrpt(report, domain, records):
    name = record_name(TLSRPT_PREFIX, domain)
    if isinstance(records, ProbeError):
        _dns_failure(report, records)
        return {'rua': None}
    if not any(has_version(join_strings(strings), TLSRPT_VERSION) for strings in records):
        report.add('tlsrpt', WARNING, '%s: no v=TLSRPTv1 record, so senders cannot report TLS failures to you; '
                                      'RFC 8460 3 describes the record' % name)
        return {'rua': None}
    record, findings = select_tlsrpt(records)
    for finding in findings:
        report.add('tlsrpt', finding.severity, '%s: %s' % (name, finding.msg))
    if record is not None and not findings:
        report.add('tlsrpt', OK, '%s: one v=TLSRPTv1 record, rua=%s' % (name, ','.join(record['rua'])))
    return {'rua': record['rua'] if record else None}


def _same(key, wanted, live):
    if key in ('mx', 'rua'):
        if live is None:
            return False
        return sorted(set(item.lower() for item in wanted)) == sorted(set(item.lower() for item in live))
    return wanted == live


def _evaluate_expect(report, expect, live):
    compared = []
    for key in EXPECT_KEYS:
        wanted = expect.get(key)
        if wanted is None:
            continue
        compared.append(key)
        value = live[key]
        if value is None or value == []:
            report.add('expect', ERROR, 'expected %s %s, but the live domain has none (see the other checks)'
                       % (key, _show(wanted)))
        elif not _same(key, wanted, value):
            report.add('expect', ERROR, 'expected %s %s, the live domain has %s' % (key, _show(wanted), _show(value)))
    if compared and not any(entry['name'] == 'expect' for entry in report.checks):
        report.add('expect', OK, 'the live %s match expect' % ', '.join(compared))


def _show(value):
    return ', '.join(str(item) for item in value) if isinstance(value, list) else str(value)


def _soften_for_mode(report, mode):
    """In testing (and none) mode, delivery-blocking findings are warnings that say why."""
    if mode not in ('testing', 'none'):
        return
    if mode == 'testing':
        note = ('; the policy is in mode testing, so senders deliver anyway and report it '
                '(under mode enforce they would not deliver to this host)')
    else:
        note = '; the policy is in mode none, so senders ignore it (under mode enforce this would block delivery)'
    for entry in report.checks:
        if entry['name'] in DELIVERY_CHECKS and entry['status'] == ERROR:
            entry['status'] = WARNING
            entry['msg'] += note


def observe_served(domain, observations):
    """What senders see now, observed without grading: ``{'id', 'policy', 'error'}`` (pure).

    Before a first deployment there is no record and no policy; that is not a finding here.
    """
    served = {'id': None, 'policy': None, 'error': None}
    records = observations.get('sts_txt')
    if records is not None and not isinstance(records, ProbeError):
        record, dummy = select_sts(records)
        served['id'] = record['id'] if record else None
    if 'fetch' in observations:
        scratch = _Report()
        body, dummy = _evaluate_fetch(scratch, domain, observations['fetch'])
        if body is not None:
            policy, usable = _evaluate_policy(scratch, body)
            if usable:
                served['policy'] = dict((key, policy[key]) for key in ('mode', 'max_age', 'mx'))
        errors = [entry['msg'] for entry in scratch.checks if entry['status'] == ERROR]
        if errors:
            served['error'] = '; '.join(errors)
    return served


def _evaluate_candidate(report, domain, observations, candidate, result):
    """Pre-flight: the candidate policy against the live MX set (see the module docstring)."""
    result['preflight'] = True
    result['served'] = observe_served(domain, observations)
    result['policy'] = candidate
    report.add('policy', OK, 'the policy about to be served (mode %s, max_age %s, mx %s) is checked against the '
                             'live MX set before any sender can see it'
               % (candidate['mode'], candidate['max_age'], ', '.join(candidate['mx'])))
    hosts = _evaluate_mx_rrset(report, domain, observations['mx'])
    result['mx_hosts'] = _evaluate_mx_hosts(report, hosts, observations, candidate, True,
                                            result['served']['policy'])
    _soften_for_mode(report, candidate['mode'])


def evaluate(domain: str, observations: Observations, options: Dict[str, Any]) -> Dict[str, Any]:
    """The verification result for ``domain`` from ``gather()``'s observations; no I/O."""
    options = settings(**options)
    report = _Report()
    result = {'domain': domain, 'record': {'id': None},
              'policy': {'version': None, 'mode': None, 'max_age': None, 'mx': []},
              'tlsrpt': {'rua': None}, 'mx_hosts': [], 'policy_addresses': [],
              'policy_addresses_agree': None, 'policy_id': None, 'id_matches_policy': None}
    candidate = candidate_policy(options.get('policy'))
    if candidate is not None:
        _evaluate_candidate(report, domain, observations, candidate, result)
        wanted = set(('dns', 'policy', 'mx', 'mx_match', 'starttls', 'certificate', 'expect'))
        report.checks = [entry for entry in report.checks if entry['name'] in wanted]
        result['checks'] = report.checks
        result['passed'] = ERROR not in report.statuses()
        return result
    if 'sts_txt' in observations:
        result['record'] = _evaluate_record(report, domain, observations['sts_txt'])
    usable = False
    if 'fetch' in observations:
        body, result['policy_addresses'] = _evaluate_fetch(report, domain, observations['fetch'])
        result['policy_addresses_agree'] = addresses_agree(result['policy_addresses'])
        result['policy'], usable = _evaluate_policy(report, body)
        result['policy_id'], result['id_matches_policy'] = id_matches_policy(
            result['record']['id'] if 'sts_txt' in observations else None, result['policy'], usable)
    if 'mx' in observations:
        hosts = _evaluate_mx_rrset(report, domain, observations['mx'])
        result['mx_hosts'] = _evaluate_mx_hosts(report, hosts, observations, result['policy'], usable)
        _soften_for_mode(report, result['policy']['mode'] if usable else None)
    if 'tlsrpt_txt' in observations:
        result['tlsrpt'] = _evaluate_tlsrpt(report, domain, observations['tlsrpt_txt'])
    wanted = set(name for group in options['checks'] for name in GROUP_NAMES[group]) | set(('dns', 'expect'))
    report.checks = [entry for entry in report.checks if entry['name'] in wanted]
    expect = dict((key, value) for key, value in (options.get('expect') or {}).items() if value is not None)
    if expect:
        live = dict(result['policy'], id=result['record']['id'], rua=result['tlsrpt']['rua'])
        _evaluate_expect(report, expect, live)
    result['checks'] = report.checks
    result['passed'] = ERROR not in report.statuses()
    return result


def fails(result, fail_on):
    """Whether ``result`` reaches ``fail_on`` (error, warning or never)."""
    statuses = set(entry['status'] for entry in result['checks'])
    if fail_on == 'never':
        return False
    if fail_on == 'warning':
        return bool(statuses & set((ERROR, WARNING)))
    return ERROR in statuses


def summary(result, fail_on='error'):
    """One sentence for ``msg``: the findings that made the result fail, or the counts."""
    counts = dict((status, 0) for status in (OK, WARNING, ERROR))
    for entry in result['checks']:
        counts[entry['status']] += 1
    what = 'pre-flight of its new policy' if result.get('preflight') else 'MTA-STS verification'
    if fails(result, fail_on):
        levels = (ERROR,) if counts[ERROR] else (WARNING,)
        found = ['%s: %s' % (entry['name'], entry['msg']) for entry in result['checks'] if entry['status'] in levels]
        return '%s fails %s (%d error(s), %d warning(s)): %s' % (
            result['domain'], what, counts[ERROR], counts[WARNING], ' | '.join(found))
    return '%s: %d check(s) ok, %d warning(s), %d error(s)' % (
        result['domain'], counts[OK], counts[WARNING], counts[ERROR])
