# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action groups of meta/runtime.yml through module_defaults, against the lab's BIND9 named.

Every member of each group is called with only its own per-call options; the server, the TSIG key,
the name servers come from ``module_defaults`` on the group, so the calls can only succeed if the
defaults reached them. The same calls without the defaults fail, so the test can fail.
"""

import secrets

import dns.message
import dns.query
import dns.rdatatype
import pytest

from mailsec_testing.ansible_runner import run_steps

pytestmark = pytest.mark.lab

TTL = 1234
# Any 32 bytes are an ed25519 public key as DKIM publishes it (RFC 8463 4.2).
ED25519_KEY = '11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo='


def dns_update_defaults(lab):
    d = lab['dns']
    return {'group/mailsec.mta_sts.dns_update': {
        'server': d['server'], 'port': int(d['port']), 'zone': d['zone'], 'key_name': d['key_name'],
        'key_secret': d['key_secret'], 'key_algorithm': d['key_algorithm'], 'timeout': 5, 'ttl': TTL}}


def resolve_defaults(lab):
    d = lab['dns']
    return {'group/mailsec.mta_sts.resolve': {'nameservers': [d['server']], 'dns_port': int(d['port']), 'timeout': 5},
            # Not a group option (only mta_sts_verify checks certificates): set by module name, next to the group.
            'mailsec.mta_sts.mta_sts_verify': {'ca_path': lab['ca_path']}}


def txt(lab, name):
    """The TXT values at ``name`` on the lab server and their TTL."""
    d = lab['dns']
    response = dns.query.tcp(dns.message.make_query(name, 'TXT'), d['server'], port=int(d['port']), timeout=5)
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.TXT:
            return sorted(b''.join(rd.strings).decode() for rd in rrset), rrset.ttl
    return [], None


def test_every_member_takes_its_group_defaults(lab, tmp_path):
    domain = 'g%s.%s' % (secrets.token_hex(5), lab['dns']['zone'])
    policy_id = 'group%s' % secrets.token_hex(4)
    rua = 'mailto:tlsrpt@%s' % domain
    with_dns = {'module_defaults': dns_update_defaults(lab)}
    with_resolve = {'module_defaults': resolve_defaults(lab)}
    results, proc = run_steps(tmp_path, [
        # group dns_update: every member, nothing but the record itself per call
        ('mailsec.mta_sts.mta_sts_record', {'domain': domain, 'policy_id': policy_id}, with_dns),
        ('mailsec.mta_sts.tlsrpt_record', {'domain': domain, 'rua': [rua]}, with_dns),
        ('mailsec.mta_sts.dkim_record', {'domain': domain, 'selector': 'group', 'public_key_type': 'ed25519',
                                         'public_key': ED25519_KEY}, with_dns),
        # group resolve: the name exists only on the lab server, so it is found only through the defaults
        ('mailsec.mta_sts.mta_sts_verify', {'domain': domain, 'checks': ['record', 'tlsrpt']}, with_resolve),
    ])
    sts, tlsrpt, dkim, verify = results
    assert not sts.get('failed') and sts['changed'], sts
    assert not dkim.get('failed') and dkim['changed'], dkim
    assert txt(lab, 'group._domainkey.' + domain) == (['v=DKIM1; k=ed25519; p=' + ED25519_KEY], TTL)
    assert not tlsrpt.get('failed') and tlsrpt['changed'], tlsrpt
    assert txt(lab, '_mta-sts.' + domain) == (['v=STSv1; id=%s;' % policy_id], TTL)
    assert txt(lab, '_smtp._tls.' + domain) == (['v=TLSRPTv1; rua=%s' % rua], TTL)

    assert not verify.get('failed'), verify
    assert verify['passed'] is True
    assert [(check['name'], check['status']) for check in verify['checks']] == [('record', 'ok'), ('tlsrpt', 'ok')]
    assert verify['record']['id'] == policy_id, proc.stdout


def test_without_the_defaults_the_same_calls_fail(lab, tmp_path):
    domain = 'g%s.%s' % (secrets.token_hex(5), lab['dns']['zone'])
    results, dummy = run_steps(tmp_path, [
        ('mailsec.mta_sts.mta_sts_record', {'domain': domain, 'policy_id': 'nodefaults'}),
        ('mailsec.mta_sts.tlsrpt_record', {'domain': domain, 'rua': ['mailto:tlsrpt@' + domain]}),
        # the system resolver does not know the lab zone (a short timeout: it may not answer at all)
        ('mailsec.mta_sts.mta_sts_verify', {'domain': domain, 'checks': ['record'], 'timeout': 2}),
    ])
    sts, tlsrpt, verify = results
    assert sts.get('failed') and 'server' in sts['msg'], sts
    assert tlsrpt.get('failed') and 'server' in tlsrpt['msg'], tlsrpt
    assert verify.get('failed') and verify['passed'] is False, verify
    assert txt(lab, '_mta-sts.' + domain) == ([], None)
