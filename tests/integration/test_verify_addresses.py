# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mta_sts_verify fetches the policy from every address of mta-sts.<domain>: two web hosts, one name.

Two private nginx on two loopback addresses of their own (127.N.92.1 and .2) serve
mta-sts.v-multi.mailsec.test, which the lab zone gives both addresses (two A records). While they
serve the same file the domain passes; a stale file on one host, or one host down, is an error
naming that host's address.
"""

import pytest

import mailsec_lab as lablib

from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify import run as verify_run
from mailsec_testing.modules import run_module

pytestmark = pytest.mark.lab

DOMAIN = 'v-multi.mailsec.test'
HOST = 'mta-sts.' + DOMAIN
ADDRESSES = ['127.%d.92.1' % lablib.LAB_NET, '127.%d.92.2' % lablib.LAB_NET]
POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: mx1.mailsec.test\r\nmx: mx2.mailsec.test\r\nmax_age: 86400\r\n'
STALE = POLICY.replace('mode: enforce', 'mode: testing')


@pytest.fixture
def web_hosts(lab, lab_nginx, tmp_path):
    """Two nginx serving the same policy; returns the policy file of each, by address (and ``pids``)."""
    cert, key = lablib.issue_cert([HOST], ca=lab, out_dir=str(tmp_path))
    files = {}
    pids = {}
    for index, address in enumerate(ADDRESSES):
        root = tmp_path / ('www%d' % index)
        (root / '.well-known').mkdir(parents=True)
        files[address] = root / '.well-known' / 'mta-sts.txt'
        files[address].write_text(POLICY)
        pids[address] = lab_nginx(lablib.render_tls_server(address, HOST, cert, key, root))
    lablib.dns_update(lab, HOST, 'A', ADDRESSES)
    files['pids'] = pids
    yield files
    lablib.dns_delete(lab, HOST)


def verify(lab, module=False):
    options = {'nameservers': [lab['dns']['server']], 'dns_port': lab['dns']['port'], 'ca_path': lab['ca_path'],
               'timeout': 3, 'checks': ['policy']}
    if not module:
        return verify_run.verify_domains([DOMAIN], options)[0]
    return run_module('mta_sts_verify', dict(options, domain=DOMAIN)).result


def errors(result):
    return [entry['msg'] for entry in result['checks'] if entry['status'] == 'error']


def test_two_hosts_serving_the_same_policy_pass(lab, web_hosts):
    result = verify(lab)
    assert result['passed'], result['checks']
    assert [(entry['address'], entry['served']) for entry in result['policy_addresses']] == [
        (ADDRESSES[0], True), (ADDRESSES[1], True)]
    assert len(set(entry['sha256'] for entry in result['policy_addresses'])) == 1


def test_a_stale_host_is_found_naming_its_address(lab, web_hosts):
    web_hosts[ADDRESSES[1]].write_text(STALE)
    result = verify(lab, module=True)
    assert result['failed'] and not result['passed']
    assert errors(result) == [
        '%s serves different policies: %s serves mode enforce, max_age 86400, mx mx1.mailsec.test, mx2.mailsec.test; '
        '%s serves mode testing, max_age 86400, mx mx1.mailsec.test, mx2.mailsec.test; a sender caches the policy of '
        'whichever address it reaches (RFC 8461 3.3), so every address must serve the same file'
        % (HOST, ADDRESSES[0], ADDRESSES[1])]
    print('verify message for a drifted host: %s' % result['msg'])


def test_a_host_without_the_file_is_found_naming_its_address(lab, web_hosts):
    # Only the file of the second host goes: it answers 404 while the first serves the policy.
    web_hosts[ADDRESSES[1]].unlink()
    result = verify(lab)
    assert not result['passed']
    found = ' | '.join(errors(result))
    assert '(%s) answered 404' % ADDRESSES[1] in found
    assert 'the policy could not be fetched from %s while %s served it' % (ADDRESSES[1], ADDRESSES[0]) in found


def test_a_host_that_is_not_running_is_found_naming_its_address(lab, web_hosts):
    lablib.stop_pid(web_hosts['pids'][ADDRESSES[0]])
    result = verify(lab)
    assert not result['passed']
    found = ' | '.join(errors(result))
    assert ADDRESSES[0] in errors(result)[0]
    assert 'the policy could not be fetched from %s while %s served it' % (ADDRESSES[0], ADDRESSES[1]) in found
