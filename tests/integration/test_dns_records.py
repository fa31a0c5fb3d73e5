# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mta_sts_record, tlsrpt_record and dkim_record run in-process (mailsec_testing.modules) against each of the lab's DNS
servers; the test of no_log and -vvv output through ansible-playbook.

Every test runs three times: on BIND 9, Knot DNS and PowerDNS (the ``lab`` fixture below).

Every test works on names of its own (a random label under the lab zone), so tests are
independent of each other and of earlier runs. The zone is read back with dnspython over TCP.
"""

import base64
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time

import dns.message
import dns.query
import dns.rdatatype
import pytest

import mailsec_lab as _lab
from mailsec_testing.ansible_runner import run_steps
from mailsec_testing.modules import run_module
from ansible_collections.mailsec.mta_sts.plugins.filter.mta_sts_domains import mta_sts_rows, mta_sts_table
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import txt_update
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import dns_update
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import resolver as _resolver

pytestmark = pytest.mark.lab

STS = 'mailsec.mta_sts.mta_sts_record'
TLSRPT = 'mailsec.mta_sts.tlsrpt_record'
DKIM = 'mailsec.mta_sts.dkim_record'
OTHER = 'v=spf1 ip4:127.0.0.1 -all'
# A TXT string that a zone file or a careless quoting step would mangle.
TRICKY = 'he said "hi"; c:\\path\\ ; a\\"b  two  spaces '


@pytest.fixture(params=_lab.DNS_SERVERS)
def lab(request, lab):  # pylint: disable=redefined-outer-name
    """The lab, with ``dns`` set to one of its DNS servers: every test here runs on BIND 9, Knot DNS and PowerDNS."""
    return dict(lab, dns=lab['dns_servers'][request.param])


# -- helpers

def run(steps):
    """Run each ``(fqcn, args[, {'check_mode': bool}])`` of ``steps`` in-process with diff on; the results."""
    results = []
    for step in steps:
        check = (step[2] if len(step) > 2 else {}).get('check_mode', False)
        results.append(run_module(step[0].rsplit('.', 1)[1], step[1], check=check, diff=True).result)
    return results


def run1(module, args, **options):
    return run([(module, args, options)])[0]


def dns_args(lab, **extra):
    """Module arguments for the lab server (key_secret=None leaves the secret out)."""
    d = lab['dns']
    args = {'server': d['server'], 'port': d['port'], 'key_name': d['key_name'], 'key_secret': d['key_secret']}
    args.update(extra)
    return {key: value for key, value in args.items() if value is not None}


def new_domain(lab):
    return 't%s.%s' % (secrets.token_hex(5), lab['dns']['zone'])


def txt(lab, name):
    """The TXT RRset at ``name`` on the lab server: (sorted list of string tuples, ttl or None)."""
    d = lab['dns']
    response = dns.query.tcp(dns.message.make_query(name, 'TXT'), d['server'], port=d['port'], timeout=5)
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.TXT:
            return sorted(tuple(rd.strings) for rd in rrset), rrset.ttl
    return [], None


def values(lab, name):
    return sorted(b''.join(strings).decode() for strings in txt(lab, name)[0])


def serial(lab, zone=None):
    return _lab.dns_serial(lab, zone)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


# -- mta_sts_record: the life of a record, next to another TXT string

def test_create_then_rerun_is_unchanged(lab):
    domain = new_domain(lab)
    name = '_mta-sts.' + domain
    _lab.dns_update(lab, name, 'TXT', [OTHER])
    before = serial(lab)
    results = run([(STS, dns_args(lab, domain=domain, id='20260101T000000')),
                   (STS, dns_args(lab, domain=domain, policy_id='20260101T000000'))])
    created, rerun = results
    assert created['changed'] is True, created
    assert created['record'] == {'name': name, 'value': 'v=STSv1; id=20260101T000000;', 'ttl': 3600}
    assert created['zone'] == lab['dns']['zone']
    assert created['diff']['before'] == {'values': [OTHER], 'ttl': 60}
    assert sorted(created['diff']['after']['values']) == sorted([OTHER, 'v=STSv1; id=20260101T000000;'])
    assert rerun['changed'] is False, rerun
    assert values(lab, name) == sorted([OTHER, 'v=STSv1; id=20260101T000000;'])
    assert txt(lab, name)[1] == 3600  # the TTL is per RRset: the other string has it too
    assert serial(lab) == before + 1  # one UPDATE for the creation, none for the rerun


def test_change_id_keeps_the_other_string(lab):
    domain = new_domain(lab)
    name = '_mta-sts.' + domain
    _lab.dns_update(lab, name, 'TXT', [OTHER, 'v=STSv1; id=old1;'], ttl=3600)
    result = run1(STS, dns_args(lab, domain=domain, id='new2', zone=lab['dns']['zone']))
    assert result['changed'] is True, result
    assert values(lab, name) == sorted([OTHER, 'v=STSv1; id=new2;'])
    assert 'v=STSv1; id=old1;' in result['diff']['before']['values']
    assert 'v=STSv1; id=old1;' not in result['diff']['after']['values']


def test_ttl_change_alone_is_a_change(lab):
    domain = new_domain(lab)
    name = '_mta-sts.' + domain
    _lab.dns_update(lab, name, 'TXT', ['v=STSv1; id=same;'], ttl=300)
    results = run([(STS, dns_args(lab, domain=domain, id='same', ttl=300)),
                   (STS, dns_args(lab, domain=domain, id='same', ttl=7200))])
    assert [r['changed'] for r in results] == [False, True]
    assert txt(lab, name)[1] == 7200


def test_absent_removes_only_our_string(lab):
    domain = new_domain(lab)
    name = '_mta-sts.' + domain
    _lab.dns_update(lab, name, 'TXT', [OTHER, 'v=STSv1; id=gone;'], ttl=900)
    results = run([(STS, dns_args(lab, domain=domain, state='absent')),
                   (STS, dns_args(lab, domain=domain, state='absent'))])
    assert [r['changed'] for r in results] == [True, False], results
    assert results[0]['record'] == {'name': name, 'value': None, 'ttl': None}
    assert txt(lab, name) == ([(OTHER.encode(),)], 900)  # the other string and its TTL stay


def test_a_second_sts_record_is_replaced_so_exactly_one_remains(lab):
    domain = new_domain(lab)
    name = '_mta-sts.' + domain
    _lab.dns_update(lab, name, 'TXT', ['v=STSv1; id=one;', 'v=STSv1; id=two;', OTHER])
    results = run([(STS, dns_args(lab, domain=domain, id='two')),
                   (STS, dns_args(lab, domain=domain, id='two'))])
    assert [r['changed'] for r in results] == [True, False]
    assert values(lab, name) == sorted([OTHER, 'v=STSv1; id=two;'])


def test_check_mode_sends_no_update(lab):
    domain = new_domain(lab)
    name = '_mta-sts.' + domain
    existing = new_domain(lab)
    _lab.dns_update(lab, '_mta-sts.' + existing, 'TXT', ['v=STSv1; id=keep;', OTHER])
    before = serial(lab)
    results = run([
        (STS, dns_args(lab, domain=domain, id='abc'), {'check_mode': True}),
        (STS, dns_args(lab, domain=existing, id='other'), {'check_mode': True}),
        (STS, dns_args(lab, domain=existing, state='absent'), {'check_mode': True}),
        (STS, dns_args(lab, domain=existing, id='keep', ttl=60), {'check_mode': True}),
    ])
    assert [r['changed'] for r in results] == [True, True, True, False], results
    assert results[0]['diff']['after']['values'] == ['v=STSv1; id=abc;']
    assert results[1]['diff']['after']['values'] == [OTHER, 'v=STSv1; id=other;']
    assert serial(lab) == before
    assert values(lab, name) == []
    assert values(lab, '_mta-sts.' + existing) == sorted([OTHER, 'v=STSv1; id=keep;'])


def test_other_strings_round_trip_exactly(lab):
    domain = new_domain(lab)
    name = '_mta-sts.' + domain
    others = [TRICKY, ('first string; ', '"second" \\ string'), OTHER]
    _lab.dns_update(lab, name, 'TXT', others, ttl=3600)
    expected = sorted([(TRICKY.encode(),), (b'first string; ', b'"second" \\ string'), (OTHER.encode(),)])
    results = run([(STS, dns_args(lab, domain=domain, id='a1')),
                   (STS, dns_args(lab, domain=domain, id='b2')),
                   (STS, dns_args(lab, domain=domain, state='absent'))])
    assert [r['changed'] for r in results] == [True, True, True]
    assert TRICKY in results[0]['diff']['before']['values']
    assert 'first string; "second" \\ string' in results[0]['diff']['before']['values']
    assert txt(lab, name)[0] == expected  # byte for byte, each string as it was cut


def test_zone_is_found_for_a_deep_name(lab):
    domain = 'a.b.c.' + new_domain(lab)
    result = run1(STS, dns_args(lab, domain=domain, id='deep'))
    assert result['changed'] is True and result['zone'] == lab['dns']['zone'], result
    assert values(lab, '_mta-sts.' + domain) == ['v=STSv1; id=deep;']


# -- tlsrpt_record

def test_tlsrpt_create_change_absent_next_to_sts(lab):
    domain = new_domain(lab)
    name = '_smtp._tls.' + domain
    _lab.dns_update(lab, name, 'TXT', [OTHER, 'v=STSv1; id=notours;'])
    results = run([
        (TLSRPT, dns_args(lab, domain=domain, rua=['mailto:tlsrpt@' + domain])),
        (TLSRPT, dns_args(lab, domain=domain, rua=['mailto:tlsrpt@' + domain])),
        (TLSRPT, dns_args(lab, domain=domain, rua=['mailto:tlsrpt@' + domain, 'https://r.example.com/tlsrpt%3Bv=1'])),
    ])
    assert [r['changed'] for r in results] == [True, False, True], results
    value = 'v=TLSRPTv1; rua=mailto:tlsrpt@%s,https://r.example.com/tlsrpt%%3Bv=1' % domain
    assert results[2]['record'] == {'name': name, 'value': value, 'ttl': 3600}
    assert values(lab, name) == sorted([OTHER, 'v=STSv1; id=notours;', value])
    result = run1(TLSRPT, dns_args(lab, domain=domain, state='absent'))
    assert result['changed'] is True
    assert values(lab, name) == sorted([OTHER, 'v=STSv1; id=notours;'])


def test_tlsrpt_long_value_is_split_into_strings(lab):
    domain = new_domain(lab)
    name = '_smtp._tls.' + domain
    rua = ['mailto:tls-reports-%02d@%s' % (i, domain) for i in range(12)]
    value = 'v=TLSRPTv1; rua=' + ','.join(rua)
    assert len(value) > 255
    results = run([(TLSRPT, dns_args(lab, domain=domain, rua=rua)),
                   (TLSRPT, dns_args(lab, domain=domain, rua=rua))])
    assert [r['changed'] for r in results] == [True, False], results
    (strings,), dummy = txt(lab, name)
    assert len(strings) == -(-len(value) // 255) and all(len(s) <= 255 for s in strings)
    assert b''.join(strings).decode() == value


# -- failures: a clear message, and the zone unchanged

def test_parameter_errors_fail_before_any_network_io(lab):
    dead = dns_args(lab, server='127.0.0.1', port=free_port())  # would be "connection refused"
    results = run([
        (STS, dict(dead, domain='example.com', id='not-valid!')),
        (TLSRPT, dict(dead, domain='example.com', rua=['mailto:a,b@example.com'])),
        (STS, dict(dead, domain='example.com.', id='abc', ttl=-5)),
        (STS, dict(dead, domain='example.com', id='abc', key_secret='not base64')),
        (STS, {}),
        (STS, {'server': dead['server']}),
    ])
    assert all(r['failed'] for r in results)
    assert results[0]['msg'] == 'id: must be 1 to 32 letters and digits (RFC 8461 3.1)'
    assert results[0]['invalid_options'] == ['id']
    assert results[1]['msg'] == ("rua[0]: 'mailto:a,b@example.com' contains a comma; RFC 8460 3 wants it "
                                 "percent-encoded (%2C)")
    assert results[2]['invalid_options'] == ['domain', 'ttl']
    assert 'ttl: must be a number of seconds from 0 to 2147483647' in results[2]['msg']
    assert results[3]['msg'].startswith('key_secret: must be the base64 secret')
    assert results[4]['msg'] == 'missing required arguments: server'
    assert results[5]['msg'] == 'one of the following is required: domain, records'


# What each server answers when the key, the zone or the server is wrong (measured: BIND 9.18 and 9.20.30, Knot
# 3.2.6 and 3.4.6, PowerDNS 4.7.3 and 4.9.18; only Knot's answers changed: 3.4 answers an unknown key, a wrong
# algorithm and a key no acl allows the update NOTAUTH without a TSIG record, where 3.2 answered BADKEY), and the
# message the module turns it into. {server} is the address, {key} the update key's name,
# {name} the _mta-sts name, {zone} the zone tried; no message may contain a secret.
HOW_TO_ALLOW = ("BIND: the zone's update-policy or allow-update; Knot: an acl with action update for the key in the "
                "zone's acl list; PowerDNS: dnsupdate=yes, the zone's TSIG-ALLOW-DNSUPDATE metadata and "
                "allow-dnsupdate-from or ALLOW-DNSUPDATE-FROM")
BADSIG = ('finding the zone of {name}: {server} port 53 rejected the TSIG signature (BADSIG); key_secret is not the '
          'secret the server has for the key {key} with algorithm hmac-sha256')
BADKEY = ("finding the zone of {name}: {server} port 53 does not know the TSIG key {key} with algorithm {algorithm} "
          "(BADKEY); key_name and key_algorithm must match a key in the server's configuration (Knot 3.2 also answers "
          "BADKEY for a key that no acl of the zone lists)")
UNSIGNED = ("finding the zone of {name}: {server} port 53 refused to sign its answer (NOTAUTH without a TSIG record): "
            "it did not accept the TSIG key {key} with algorithm {algorithm}. Usual causes: key_name is not a key the "
            "server knows, key_secret is not that key's secret, key_algorithm is not its algorithm, or the key is not "
            "allowed to update the zone (Knot 3.4: no acl of the zone gives the key the action update; PowerDNS: "
            "TSIG-ALLOW-DNSUPDATE, allow-dnsupdate-from); the server's log says which")
REFUSED = ('updating zone {zone}: {server} port 53 refused the update (REFUSED): the key {key} may not update it ('
           + HOW_TO_ALLOW + '), or the server is not its primary')
NOT_ALLOWED = ("updating zone {zone}: {server} port 53 knows the TSIG key {key} with algorithm hmac-sha256 (it answered "
               "a signed read with it) but does not allow it to update the zone (BADKEY: Knot 3.2's answer when no acl of "
               "the zone gives the key the action update); allow the key to update the zone (" + HOW_TO_ALLOW + ')')
UNSIGNED_NOT_ALLOWED = ("updating zone {zone}: {server} port 53 refused to sign its answer (NOTAUTH without a TSIG "
                        "record) although it accepted the key {key} with algorithm hmac-sha256 for a read just before: "
                        "the key is not allowed here (" + HOW_TO_ALLOW + "), or the server does not serve the zone; its "
                        "log says which")
NO_ZONE = ("finding the zone of {name}: {server} port 53 is not authoritative for any zone that contains it; set zone, "
           "and point server at that zone's primary")
NOT_PRIMARY = ('reading {name} TXT: {server} port 53 answered REFUSED; it must be the primary of the zone that holds '
               'the name, and allow queries from this host')
FAILURES = {
    # case: {server: expected message}
    'wrong-secret': {'bind': BADSIG, 'knot': BADSIG, 'powerdns': UNSIGNED},
    'unknown-key': {'bind': BADKEY, 'knot': BADKEY, 'powerdns': UNSIGNED},
    'wrong-algorithm': {'bind': BADKEY, 'knot': BADKEY, 'powerdns': UNSIGNED},
    'key-not-allowed': {'bind': REFUSED, 'knot': NOT_ALLOWED, 'powerdns': REFUSED},
    'zone-not-allowed': {'bind': REFUSED, 'knot': NOT_ALLOWED, 'powerdns': REFUSED},
    'zone-not-served': {'bind': NO_ZONE, 'knot': NO_ZONE, 'powerdns': NO_ZONE},
    'zone-not-served-explicit': {'bind': NOT_PRIMARY, 'knot': NOT_PRIMARY, 'powerdns': NOT_PRIMARY},
}


def knot_version():
    """(major, minor) of the knotd on PATH (the lab's Knot); (0, 0) without one (the lab then says so)."""
    if not shutil.which('knotd'):
        return (0, 0)
    out = subprocess.run(['knotd', '-V'], capture_output=True, text=True, check=True).stdout
    return tuple(int(part) for part in re.search(r'(\d+)\.(\d+)\.\d+', out).groups())


# Knot 3.4 (Debian 13) answers these four without signing: decided by the version, not the distribution.
if knot_version() >= (3, 4):
    FAILURES['unknown-key']['knot'] = UNSIGNED
    FAILURES['wrong-algorithm']['knot'] = UNSIGNED
    FAILURES['key-not-allowed']['knot'] = UNSIGNED_NOT_ALLOWED
    FAILURES['zone-not-allowed']['knot'] = UNSIGNED_NOT_ALLOWED


def failure_case(lab, case):
    """``(module args, fields of the expected message, zone to watch)`` for one failure case."""
    d = lab['dns']
    domain, zone = new_domain(lab), d['zone']
    args = dns_args(lab, id='abc', timeout=2)
    fields = {'server': d['server'], 'key': d['key_name'].rstrip('.'), 'algorithm': 'hmac-sha256'}
    if case == 'wrong-secret':
        args['key_secret'] = base64.b64encode(b'x' * 32).decode()
    elif case == 'unknown-key':
        args['key_name'] = fields['key'] = 'no-such-key'
    elif case == 'wrong-algorithm':
        args['key_algorithm'] = fields['algorithm'] = 'hmac-sha512'
    elif case == 'key-not-allowed':
        args.update(key_name=d['readonly_key_name'], key_secret=d['readonly_key_secret'])
        fields['key'] = d['readonly_key_name'].rstrip('.')
    elif case == 'zone-not-allowed':
        zone = d['other_zone']
        domain = 't%s.%s' % (secrets.token_hex(5), zone)
    elif case.startswith('zone-not-served'):
        domain, zone = 't%s.nothere.test' % secrets.token_hex(5), None
        if case.endswith('explicit'):
            args['zone'] = 'nothere.test'
    args['domain'] = domain
    fields.update(name='_mta-sts.' + domain, zone=zone)
    return args, fields, zone


def test_failures_are_clear_and_change_nothing(lab):
    """Every failure case in one playbook (one ansible-playbook start per server, not per case)."""
    cases = sorted(FAILURES)
    prepared = [failure_case(lab, case) for case in cases]
    zones = [lab['dns']['zone'], lab['dns']['other_zone']]
    before = [serial(lab, zone) for zone in zones]
    results = run([(STS, args) for args, dummy, dummy in prepared])
    got = {case: (result.get('failed'), result.get('msg')) for case, result in zip(cases, results)}
    expected = {case: (True, FAILURES[case][lab['dns']['name']].format(**fields))
                for case, (dummy, fields, dummy) in zip(cases, prepared)}
    assert got == expected
    assert [serial(lab, zone) for zone in zones] == before
    for args, fields, zone in prepared:
        if zone:
            assert values(lab, fields['name']) == []
        assert args['key_secret'] not in json.dumps(results)


@pytest.mark.parametrize('case', ['not-listening', 'timeout'])
def test_no_server_is_clear(lab, case):
    if lab['dns']['name'] != 'bind':
        pytest.skip('no DNS server is involved: once is enough')
    domain = new_domain(lab)
    args = dns_args(lab, domain=domain, id='abc', timeout=2)
    hang = None
    if case == 'not-listening':
        port = free_port()
        args.update(server='127.0.0.1', port=port)
        expected = ('finding the zone of _mta-sts.%s: connection refused by 127.0.0.1 port %d: no DNS server listens '
                    'there; check server and port' % (domain, port))
    else:
        hang = socket.socket()
        hang.bind(('127.0.0.1', 0))
        hang.listen(8)  # the kernel accepts connections; nothing ever reads or answers
        args.update(server='127.0.0.1', port=hang.getsockname()[1])
        expected = ('finding the zone of _mta-sts.%s: no answer from 127.0.0.1 port %d within 2.0 seconds (timeout); '
                    'check that server is the zone\'s primary and reachable over TCP, or raise timeout'
                    % (domain, hang.getsockname()[1]))
    try:
        result = run1(STS, args)
    finally:
        if hang is not None:
            hang.close()
    assert result['failed'] is True
    assert result['msg'] == expected


def test_the_secret_never_appears_in_output(lab, tmp_path):
    secret = lab['dns']['key_secret']
    wrong = base64.b64encode(b'wrong secret, but a secret too!!').decode()
    domain = new_domain(lab)
    steps = [
        (STS, dns_args(lab, domain=domain, id='s1'), {'diff': True}),
        (STS, dns_args(lab, domain=domain, id='s2', key_secret=wrong), {'diff': True}),
        (STS, dns_args(lab, domain=domain, id='s3', key_secret=None, key_secret_file=str(secret_file(tmp_path, secret))),
         {'diff': True}),
        (STS, dns_args(lab, domain=domain, id='s4', key_secret='@@not base64 ' + secret), {'diff': True}),
    ]
    # Through ansible-playbook: no_log masking and the -vvv output are Ansible's, not the module's.
    results, proc = run_steps(tmp_path, steps, verbosity=3)
    assert [r.get('changed') for r in results[:1] + results[2:3]] == [True, True], results
    assert results[1]['failed'] and ('BADSIG' in results[1]['msg'] or 'refused to sign' in results[1]['msg'])
    assert results[3]['failed'] and results[3]['invalid_options'] == ['key_secret']
    assert 'mailsec-lab-key' in proc.stdout  # the -vvv output is there, and shows the key name
    for text in (proc.stdout, proc.stderr, json.dumps(results)):
        assert secret not in text
        assert wrong not in text
    assert values(lab, '_mta-sts.' + domain) == ['v=STSv1; id=s3;']


def secret_file(tmp_path, secret):
    path = tmp_path / ('tsig-%s.secret' % secrets.token_hex(3))
    path.write_text(secret + '\n')
    path.chmod(0o600)
    return path


def _command_lines():
    """Every process's command line (``/proc/*/cmdline``, as ``ps -eo args`` shows them), NULs as spaces."""
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/cmdline' % entry, 'rb') as handle:
                    found.append(handle.read().replace(b'\0', b' ').decode('utf-8', 'replace'))
            except OSError:
                pass  # the process ended meanwhile
    return found


def test_finding3_the_secret_never_reaches_a_command_line(lab, tmp_path):
    # Issue 21, finding 3: the documented environment: route put the secret on the command line of two
    # shells for the whole run (and into the -vvv EXEC line). key_secret_file is read by the module.
    secret = lab['dns']['key_secret']
    domain = new_domain(lab)
    path = secret_file(tmp_path, secret)
    outcome = {}

    def play():
        outcome['results'], outcome['proc'] = run_steps(tmp_path, [
            (STS, dns_args(lab, domain=domain, id='f1', key_secret=None, key_secret_file=str(path))),
            (STS, dns_args(lab, domain=domain, id='f2')),  # key_secret: inside the module's arguments
            (STS, dns_args(lab, domain=domain, id='f3', key_secret_file=str(path))),  # both: refused
        ], verbosity=3)

    thread = threading.Thread(target=play)
    thread.start()
    samples = leaks = 0
    seen_module = False
    while thread.is_alive():
        lines = _command_lines()
        samples += 1
        leaks += sum(secret in line for line in lines)
        seen_module = seen_module or any('AnsiballZ' in line or 'ansible-playbook' in line for line in lines)
        time.sleep(0.005)
    thread.join()
    results, proc = outcome['results'], outcome['proc']
    assert samples > 20 and seen_module  # the process table was watched while the play ran
    assert leaks == 0
    assert [r.get('changed') for r in results[:2]] == [True, True], results
    assert results[2]['failed'] and 'mutually exclusive' in results[2]['msg']
    assert "EXEC" in proc.stdout  # -vvv output, which printed the environment: route's secret
    for text in (proc.stdout, proc.stderr, json.dumps(results)):
        assert secret not in text
    assert values(lab, '_mta-sts.' + domain) == ['v=STSv1; id=f2;']


def test_a_secret_file_that_is_missing_or_not_base64_is_named_without_its_content(lab, tmp_path):
    bad = tmp_path / 'bad.secret'
    bad.write_text('not base64 at all !!')
    results, proc = run_steps(tmp_path, [
        (STS, dns_args(lab, domain=new_domain(lab), id='x1', key_secret=None, key_secret_file=str(tmp_path / 'none'))),
        (STS, dns_args(lab, domain=new_domain(lab), id='x2', key_secret=None, key_secret_file=str(bad))),
    ])
    assert results[0]['msg'].startswith('key_secret_file: cannot read the TSIG secret from %s' % (tmp_path / 'none'))
    assert results[1]['msg'] == 'key_secret_file: %s does not hold a base64 TSIG secret (its content is not shown)' % bad
    assert 'not base64 at all' not in proc.stdout + json.dumps(results)


# -- at the _dns level: what only a test between read and write can show

def updater(lab):
    d = lab['dns']
    key = txt_update.make_key(d['key_name'], d['key_secret'], d['key_algorithm'])
    return dns_update.TxtUpdater(d['server'], port=d['port'], timeout=5, key=key)


@pytest.mark.parametrize('before, theirs', [
    ([], ['v=STSv1; id=theirs;']),                            # created meanwhile: "RRset does not exist" fails
    (['v=STSv1; id=old;'], ['v=STSv1; id=theirs;']),          # changed meanwhile: the value-dependent one fails
    (['v=STSv1; id=old;', OTHER], ['v=STSv1; id=old;']),      # someone removed the other string
    (['v=STSv1; id=old;'], None),                             # someone deleted everything
])
def test_a_concurrent_change_is_reported_not_lost(lab, before, theirs):
    name = '_mta-sts.' + new_domain(lab)
    zone = lab['dns']['zone']
    if before:
        _lab.dns_update(lab, name, 'TXT', before)
    with updater(lab) as ours:
        changes = ours.plan([(name, 'v=STSv1', 'v=STSv1; id=mine;', 3600)])
        assert changes[0].changed
        if theirs is None:
            _lab.dns_delete(lab, name, 'TXT')
        else:
            _lab.dns_update(lab, name, 'TXT', theirs)
        written = values(lab, name)
        with pytest.raises(dns_update.ConcurrentChange) as caught:
            ours.apply(zone, changes)
    assert caught.value.names == [name]
    assert caught.value.msg.startswith('updating zone %s: the TXT records at %s changed after they were read '
                                       '(prerequisite failed: ' % (zone, name))
    assert caught.value.msg.endswith('nothing was written. Run again to apply the change on top of the current '
                                     'records')
    assert values(lab, name) == written  # their change stands


def test_two_writers_of_the_same_records_both_succeed(lab):
    """Two web hosts of one play (forks > 1) read before either writes: the second finds its work done."""
    zone = lab['dns']['zone']
    names = ['_mta-sts.' + new_domain(lab) for dummy in range(3)]
    _lab.dns_update(lab, names[0], 'TXT', ['v=STSv1; id=old;', OTHER])
    wanted = [(name, 'v=STSv1', 'v=STSv1; id=same%d;' % index, 600) for index, name in enumerate(names)]
    with updater(lab) as first, updater(lab) as second:
        ours, theirs = first.plan(wanted), second.plan(wanted)
        assert all(change.changed for change in ours + theirs)
        assert first.apply(zone, ours) == 1
        after_first = serial(lab)
        # The second UPDATE's prerequisite (the records as read) fails; what it wanted is there.
        assert second.apply(zone, theirs) == 1
    assert serial(lab) == after_first
    assert [change.changed for change in theirs] == [False, False, False]
    assert [change.changed for change in ours] == [True, True, True]
    assert sorted(values(lab, names[0])) == sorted([OTHER, 'v=STSv1; id=same0;'])


def test_two_writers_of_different_records_still_conflict(lab):
    zone = lab['dns']['zone']
    name = '_mta-sts.' + new_domain(lab)
    with updater(lab) as first, updater(lab) as second:
        ours = first.plan([(name, 'v=STSv1', 'v=STSv1; id=one;', 600)])
        theirs = second.plan([(name, 'v=STSv1', 'v=STSv1; id=two;', 600)])
        first.apply(zone, ours)
        with pytest.raises(dns_update.ConcurrentChange):
            second.apply(zone, theirs)
    assert values(lab, name) == ['v=STSv1; id=one;']


def test_many_names_read_pipelined_are_read_as_one_by_one(lab):
    """read_txt_many / find_zones send PIPELINE queries before reading their answers (matched by id):
    what they return for names with records, with other strings and with nothing is read_txt's."""
    domains = [new_domain(lab) for dummy in range(dns_update.PIPELINE * 2 + 5)]
    names = ['_mta-sts.' + domain for domain in domains]
    for index in range(0, len(names), 7):
        _lab.dns_update(lab, names[index], 'TXT', ['v=STSv1; id=p%d;' % index] + ([OTHER] if index % 2 else []))
    _lab.dns_update(lab, names[-1], 'TXT', [TRICKY])
    with updater(lab) as many:
        # Had a batch failed, it would have been read again one name at a time: none may be.
        many.read_txt = many.find_zone = lambda name: pytest.fail('%s was read alone' % name)
        piped = many.read_txt_many(names)
        zones = many.find_zones(names + ['deep.er.' + names[3]])
        # Every TXT answer of this server was taken by the wire path (_core.dns_wire), none by dnspython.
        assert many.wire_answers == len(names)
    with updater(lab) as single:
        # The same records and TTL (BIND rotates the order of an RRset between answers).
        assert [(sorted(records), ttl) for records, ttl in piped] == \
            [(sorted(records), ttl) for records, ttl in (single.read_txt(name) for name in names)]
    assert sorted(piped[7][0]) == sorted([(b'v=STSv1; id=p7;',), (OTHER.encode(),)])
    assert piped[1] == ([], None) and piped[-1][0] == [(TRICKY.encode(),)]
    assert set(str(zone).rstrip('.') for zone in zones) == {lab['dns']['zone']}


def test_a_name_that_fails_among_many_fails_as_read_alone(lab):
    """A CNAME among pipelined names: the batch is read again one by one, so the error is read_txt's."""
    names = ['_mta-sts.' + new_domain(lab) for dummy in range(10)]
    # To a name that exists (to a missing one the answer is NXDOMAIN, which reads as no records).
    _lab.dns_update(lab, names[4], 'CNAME', [names[9] + '.'])
    _lab.dns_update(lab, names[9], 'TXT', [OTHER])
    with updater(lab) as ours:
        with pytest.raises(dns_update.DNSError) as many:
            ours.read_txt_many(names)
        with pytest.raises(dns_update.DNSError) as alone:
            ours.read_txt(names[4])
    assert many.value.msg == alone.value.msg and 'the name is a CNAME to %s' % names[9] in many.value.msg
    # The wire path gave that batch to dnspython; it read nothing of it.
    assert ours.wire_answers == 0


def test_the_wire_path_and_dnspython_read_alike_and_a_wrong_secret_is_never_taken(lab):
    """Read by the wire path and by dnspython (the path left): the same records. With a key of the
    right name and a wrong secret the server's answer does not verify: no answer is taken, and the
    failure is dnspython's message, as before the wire path."""
    names = ['_mta-sts.' + new_domain(lab) for dummy in range(dns_update.PIPELINE + 3)]
    for index, name in enumerate(names[::5]):
        _lab.dns_update(lab, name, 'TXT', ['v=STSv1; id=w%d;' % index, TRICKY])
    with updater(lab) as fast, updater(lab) as slow:
        slow._wire_failures = dns_update.WIRE_FAILURES  # pylint: disable=protected-access
        assert [(sorted(records), ttl) for records, ttl in fast.read_txt_many(names)] == \
            [(sorted(records), ttl) for records, ttl in slow.read_txt_many(names)]
        assert (fast.wire_answers, slow.wire_answers) == (len(names), 0)
    wrong = dict(lab['dns'], key_secret=base64.b64encode(b'not the secret of this key.....').decode())
    with updater(dict(lab, dns=wrong)) as guessing:
        with pytest.raises(dns_update.DNSError) as failed:
            guessing.read_txt_many(names[:3])
        assert guessing.wire_answers == 0
    assert 'key_secret' in failed.value.msg or 'BADSIG' in failed.value.msg


def counting_resolver(lab):
    """The resolver a verification makes for this lab server, counting the lookups that went to dnspython."""
    resolver = _resolver.make_resolver([lab['dns']['server']], int(lab['dns']['port']), 5.0)
    by_dnspython = resolver.resolve
    resolver.dnspython_lookups = 0

    def counted(*args, **kwargs):
        resolver.dnspython_lookups += 1
        return by_dnspython(*args, **kwargs)
    resolver.resolve = counted
    return resolver, by_dnspython


def test_lookups_by_the_wire_path_read_as_dnspython_reads_them(lab):
    """A verification's lookups (_client.resolver) asked of this server: the plain answers are taken by the
    wire path (_core.dns_wire) and read as dnspython reads them; an answer with a CNAME is dnspython's."""
    domain, zone = new_domain(lab), lab['dns']['zone']
    _lab.dns_update(lab, '_mta-sts.' + domain, 'TXT', ['v=STSv1; id=w1;', TRICKY])
    _lab.dns_update(lab, domain, 'MX', ['20 Mx2.%s.' % zone, '10 mx1.%s.' % zone])
    _lab.dns_update(lab, 'mta-sts.' + domain, 'A', ['127.%d.80.1' % _lab.LAB_NET, '127.%d.80.2' % _lab.LAB_NET])
    _lab.dns_update(lab, 'mta-sts.' + domain, 'AAAA', ['2001:db8::25'])
    _lab.dns_update(lab, 'null.' + domain, 'MX', ['0 .'])
    _lab.dns_update(lab, 'alias.' + domain, 'CNAME', ['mta-sts.%s.' % domain])
    resolver, by_dnspython = counting_resolver(lab)
    for name, rdtype in (('_mta-sts.' + domain, 'TXT'), (domain, 'MX'), ('mta-sts.' + domain, 'A'),
                         ('mta-sts.' + domain, 'AAAA'), ('null.' + domain, 'MX'), (domain, 'A'),
                         ('nowhere.' + domain, 'TXT')):
        got = _resolver.resolve(resolver, name, rdtype)
        expected = []
        if not name.startswith('nowhere.'):  # NXDOMAIN: dnspython raises
            answer = by_dnspython(name, rdtype, raise_on_no_answer=False, search=False)
            expected = [_resolver._value(rdtype, item) for item in (answer.rrset or [])]
        # Sorted: a server may hand an RRset out in another order each time.
        assert sorted(got) == sorted(expected), (name, rdtype)
    assert resolver.dnspython_lookups == 0
    assert sorted(_resolver.lookup_txt(resolver, '_mta-sts.' + domain)) == sorted([[b'v=STSv1; id=w1;'], [TRICKY.encode()]])
    # The case of a name as the server hands it out (a server may keep it or not).
    assert [(preference, host.lower()) for preference, host in _resolver.lookup_mx(resolver, domain)] == \
        [(10, 'mx1.' + zone), (20, 'mx2.' + zone)]
    assert sorted(_resolver.lookup_addresses(resolver, 'alias.' + domain)) == \
        sorted(_resolver.lookup_addresses(resolver, 'mta-sts.' + domain))
    assert resolver.dnspython_lookups == 2  # alias.<domain> A and AAAA: the CNAME, by dnspython


def test_an_update_after_a_pause_on_the_connection_goes_through(lab):
    """PowerDNS closes a TCP connection idle for 5 s (tcp-idle-timeout): reading thousands of names
    and then updating them once failed with "closed the connection without answering". Each UPDATE
    goes on a connection of its own."""
    name = '_mta-sts.' + new_domain(lab)
    with updater(lab) as ours:
        changes = ours.plan([(name, 'v=STSv1', 'v=STSv1; id=pause;', 600)])
        time.sleep(6)
        assert ours.apply(lab['dns']['zone'], changes) == 1
    assert values(lab, name) == ['v=STSv1; id=pause;']


def test_many_names_in_one_update(lab):
    zone = lab['dns']['zone']
    domains = [new_domain(lab) for dummy in range(30)]
    _lab.dns_update(lab, '_mta-sts.' + domains[0], 'TXT', [OTHER, 'v=STSv1; id=old;'])
    wanted = [('_mta-sts.' + d, 'v=STSv1', 'v=STSv1; id=n%d;' % i, 600) for i, d in enumerate(domains)]
    wanted += [('_smtp._tls.' + d, 'v=TLSRPTv1', 'v=TLSRPTv1; rua=mailto:r@' + d, 600) for d in domains]
    before = serial(lab)
    with updater(lab) as ours:
        changes = ours.plan(wanted)
        assert ours.apply(zone, changes) == 1  # one UPDATE message
        assert all(not change.changed for change in ours.plan(wanted))
    assert serial(lab) == before + 1
    assert values(lab, '_mta-sts.' + domains[0]) == sorted([OTHER, 'v=STSv1; id=n0;'])
    assert values(lab, '_smtp._tls.' + domains[29]) == ['v=TLSRPTv1; rua=mailto:r@' + domains[29]]


def test_records_of_many_domains_go_out_in_one_update(lab):
    domains = [new_domain(lab) for dummy in range(25)]
    first = [{'domain': domain, 'id': 'batch%d' % index} for index, domain in enumerate(domains)]
    _lab.dns_update(lab, '_mta-sts.' + domains[0], 'TXT', [OTHER])
    before = serial(lab)
    checked = run1(STS, dns_args(lab, records=first), check_mode=True)
    assert checked['changed'] and serial(lab) == before
    created = run1(STS, dns_args(lab, records=first))
    assert not created.get('failed'), created
    assert [entry['changed'] for entry in created['records']] == [True] * 25
    assert serial(lab) == before + 1
    assert values(lab, '_mta-sts.' + domains[0]) == sorted([OTHER, 'v=STSv1; id=batch0;'])
    assert created['records'][3] == {
        'name': '_mta-sts.' + domains[3], 'value': 'v=STSv1; id=batch3;', 'ttl': 3600, 'zone': lab['dns']['zone'],
        'changed': True}

    rerun = run1(STS, dns_args(lab, records=first))
    assert not rerun['changed'] and serial(lab) == before + 1
    second = [dict(entry) for entry in first]
    second[1]['id'] = 'changed1'
    second[2] = {'domain': domains[2], 'state': 'absent'}
    changed = run1(STS, dns_args(lab, records=second))
    assert [entry['changed'] for entry in changed['records']] == [False, True, True] + [False] * 22
    assert len(changed['diff']) == 2
    assert serial(lab) == before + 2
    assert values(lab, '_mta-sts.' + domains[1]) == ['v=STSv1; id=changed1;']
    assert values(lab, '_mta-sts.' + domains[2]) == []


def test_a_domain_table_stands_for_its_records_and_only_changes_are_reported(lab, tmp_path):
    """Through ansible-playbook: the action plugins expand a domain table into each domain's record entry
    (a domain without rua has no _smtp._tls entry), and report_unchanged: false returns what changed only."""
    domains = [new_domain(lab) for dummy in range(4)]
    table = mta_sts_table([{'domain': domain} for domain in domains[:3]] + [{'domain': domains[3], 'tlsrpt_rua': []}],
                          {'mode': 'testing', 'mx': ['mail.example.com'], 'max_age': 86400,
                           'tlsrpt_rua': ['mailto:tls@example.com']})
    args = dns_args(lab, records=table, report_unchanged=False)
    results, proc = run_steps(tmp_path, [(STS, args), (TLSRPT, args), (STS, args), (TLSRPT, args)])
    assert not any(result.get('failed') for result in results), proc.stdout[-3000:]
    sts, tlsrpt, sts_again, tlsrpt_again = results
    assert [record['name'] for record in sts['records']] == ['_mta-sts.' + domain for domain in domains]
    assert [record['name'] for record in tlsrpt['records']] == ['_smtp._tls.' + domain for domain in domains[:3]]
    assert values(lab, '_smtp._tls.' + domains[3]) == []
    assert values(lab, '_mta-sts.' + domains[3]) == ['v=STSv1; id=%s;' % mta_sts_rows(table, 'policy_id')[3]]
    assert not sts_again['changed'] and sts_again['records'] == []
    assert not tlsrpt_again['changed'] and tlsrpt_again['records'] == []


def test_records_with_one_bad_entry_send_nothing(lab):
    domains = [new_domain(lab) for dummy in range(3)]
    before = serial(lab)
    result = run1(TLSRPT, dns_args(lab, records=[
        {'domain': domains[0], 'rua': ['mailto:tlsrpt@example.com']},
        {'domain': domains[1], 'rua': ['ftp://example.com/']},
        {'domain': domains[2], 'rua': ['mailto:tlsrpt@example.com']}]))
    assert result['failed']
    assert "records[1].rua[0]: 'ftp://example.com/' must be a mailto: or https: URI" in result['msg']
    assert result['invalid_options'] == ['records']
    assert serial(lab) == before
    assert values(lab, '_smtp._tls.' + domains[0]) == []


# -- mta_sts_record_info: what a resolver sees, and what must change (hosted DNS)

def test_record_info_says_what_must_change(lab):
    domain, other = new_domain(lab), new_domain(lab)
    _lab.dns_update(lab, '_mta-sts.' + domain, 'TXT', [OTHER, 'v=STSv1; id=old1;'])
    _lab.dns_update(lab, '_mta-sts.' + other, 'TXT', ['v=STSv1; id=same;'])
    d = lab['dns']
    resolver = {'nameservers': [d['server']], 'dns_port': d['port'], 'timeout': 5, 'ttl': 300}
    records = [{'name': '_mta-sts.' + domain, 'value': 'v=STSv1; id=new1;'},
               {'name': '_mta-sts.' + other, 'value': 'v=STSv1; id=same;'},
               {'name': '_smtp._tls.' + other, 'value': 'v=TLSRPTv1; rua=mailto:r@' + other},
               {'name': '_smtp._tls.' + domain, 'state': 'absent'}]
    before = serial(lab)
    results = run([
        ('mailsec.mta_sts.mta_sts_record_info', dict(resolver, records=records)),
        ('mailsec.mta_sts.mta_sts_record_info', dict(resolver, records=[{'name': 'www.' + domain, 'value': 'x'}])),
    ])
    info, bad = results
    assert info['changed'] is False and not info.get('failed'), info
    checked = run1('mailsec.mta_sts.mta_sts_record_info', dict(resolver, records=records), check_mode=True)
    for change in info['changes'] + checked['changes']:  # the order of an RRset is the server's
        change.update(value=sorted(change['value']), before=sorted(change['before']))
    for record in info['records'] + checked['records']:
        record['current'] = sorted(record['current'])
    assert checked == info  # it only reads: check mode is a normal run
    assert info['changes'] == [
        {'name': '_mta-sts.' + domain, 'type': 'TXT', 'value': sorted([OTHER, 'v=STSv1; id=new1;']), 'ttl': 300,
         'state': 'present', 'before': sorted([OTHER, 'v=STSv1; id=old1;'])},
        {'name': '_smtp._tls.' + other, 'type': 'TXT', 'value': ['v=TLSRPTv1; rua=mailto:r@' + other], 'ttl': 300,
         'state': 'present', 'before': []}]
    assert info['records'][1] == {'name': '_mta-sts.' + other, 'current': ['v=STSv1; id=same;']}
    assert info['msg'] == ('2 of 4 name(s) do not hold the wanted TXT records (as %s port %d sees them): '
                           '_mta-sts.%s, _smtp._tls.%s' % (d['server'], d['port'], domain, other))
    assert bad['failed'] and bad['invalid_options'] == ['records']
    assert bad['msg'] == "records[0].name: 'www.%s' must start with _mta-sts. or _smtp._tls." % domain
    assert serial(lab) == before


# -- dkim_record: the key record of the reports' DKIM key, on the same path

def dkim_keys():
    """A 2048-bit RSA key as the role makes it: (PEM private key, base64 DER public key)."""
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import rsa  # pylint: disable=import-outside-toplevel
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(public).decode()


def test_dkim_create_replaces_every_txt_at_the_key_name_and_a_verifier_reads_it(lab):
    import dkim  # pylint: disable=import-outside-toplevel
    domain = new_domain(lab)
    name = 'tlsrpt._domainkey.' + domain
    # An older key (without v=, as RFC 6376 allows) and a stray string: both are key records of that name.
    _lab.dns_update(lab, name, 'TXT', ['k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC', OTHER])
    neighbour = '_smtp._tls.' + domain
    _lab.dns_update(lab, neighbour, 'TXT', ['v=TLSRPTv1; rua=mailto:tlsrpt@' + domain])
    private, public = dkim_keys()
    value = 'v=DKIM1; k=rsa; p=' + public
    before = serial(lab)
    checked, created, rerun = run([
        (DKIM, dns_args(lab, domain=domain, selector='tlsrpt', public_key=public), {'check_mode': True}),
        (DKIM, dns_args(lab, domain=domain, selector='tlsrpt', public_key=public)),
        (DKIM, dns_args(lab, domain=domain, selector='tlsrpt', public_key=public)),
    ])
    assert [r['changed'] for r in (checked, created, rerun)] == [True, True, False], (checked, created, rerun)
    # The same change seen in check mode (the server may hand out the RRset in another order each time).
    assert sorted(checked['diff']['before']['values']) == sorted(created['diff']['before']['values'])
    assert checked['diff']['after'] == created['diff']['after']
    assert created['record'] == {'name': name, 'value': value, 'ttl': 3600}
    assert sorted(created['diff']['before']['values']) == sorted(['k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC',
                                                                  OTHER])
    assert created['diff']['after']['values'] == [value]
    assert serial(lab) == before + 1  # check mode and the rerun sent nothing
    (strings,), ttl = txt(lab, name)
    assert len(strings) == 2 and all(len(part) <= 255 for part in strings) and ttl == 3600
    assert b''.join(strings).decode() == value
    assert values(lab, neighbour) == ['v=TLSRPTv1; rua=mailto:tlsrpt@' + domain]  # another name: untouched

    # dkimpy verifies a message signed with the private key, reading the key from this server.
    def lookup(qname, timeout=5):  # pylint: disable=unused-argument
        return b''.join(b''.join(part) for part in txt(lab, qname.decode().rstrip('.'))[0])
    message = b'From: r@%s\r\nSubject: key\r\n\r\nbody\r\n' % domain.encode()
    signed = dkim.sign(message, b'tlsrpt', domain.encode(), private, include_headers=[b'From', b'Subject']) + message
    assert dkim.verify(signed, dnsfunc=lookup)
    tampered = signed.replace(b'body', b'b0dy')
    assert not dkim.verify(tampered, dnsfunc=lookup)


def test_dkim_absent_and_many_selectors_in_one_update(lab):
    domain = new_domain(lab)
    keys = [dkim_keys()[1] for dummy in range(2)]
    ed25519 = base64.b64encode(secrets.token_bytes(32)).decode()
    entries = [{'domain': domain, 'selector': 's1', 'public_key': keys[0]},
               {'domain': domain, 'selector': 's2.r', 'public_key': keys[1]},
               {'domain': domain, 'selector': 'ed', 'public_key_type': 'ed25519', 'public_key': ed25519}]
    before = serial(lab)
    created = run1(DKIM, dns_args(lab, records=entries))
    assert not created.get('failed'), created
    assert [entry['changed'] for entry in created['records']] == [True] * 3
    assert serial(lab) == before + 1  # one UPDATE for three names
    assert values(lab, 'ed._domainkey.' + domain) == ['v=DKIM1; k=ed25519; p=' + ed25519]
    assert values(lab, 's2.r._domainkey.' + domain) == ['v=DKIM1; k=rsa; p=' + keys[1]]
    removed, again = run([(DKIM, dns_args(lab, domain=domain, selector='s1', state='absent')),
                          (DKIM, dns_args(lab, domain=domain, selector='s1', state='absent'))])
    assert [removed['changed'], again['changed']] == [True, False]
    assert removed['record'] == {'name': 's1._domainkey.' + domain, 'value': None, 'ttl': None}
    assert values(lab, 's1._domainkey.' + domain) == []
    assert values(lab, 'ed._domainkey.' + domain) == ['v=DKIM1; k=ed25519; p=' + ed25519]


def test_dkim_an_empty_key_is_refused_and_nothing_is_sent(lab):
    domain = new_domain(lab)
    name = 'tlsrpt._domainkey.' + domain
    private, public = dkim_keys()
    _lab.dns_update(lab, name, 'TXT', [tuple(txt_update.to_strings('v=DKIM1; k=rsa; p=' + public))])
    before = serial(lab)
    result = run1(DKIM, dns_args(lab, domain=domain, selector='tlsrpt', public_key=''))
    assert result['failed'] and result['invalid_options'] == ['public_key']
    assert 'an empty p= revokes the key (RFC 6376 3.6.1)' in result['msg']
    assert serial(lab) == before
    assert values(lab, name) == ['v=DKIM1; k=rsa; p=' + public]
    assert private
