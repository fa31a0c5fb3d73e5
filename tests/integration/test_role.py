# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role against the lab and this host's nginx: the ways a deployment breaks are caught.

These tests add the lab's own vhost file to /etc/nginx/conf.d (policies under the lab dir) and run
the host's nginx (the role's ``signal`` mode) - in a test process, its private copy of this machine's
nginx (mailsec_lab.private_host); the module fixture ``deployed`` (conftest.py, with
tests/playbooks/lab_stop.yml) removes the lab's files and stops that nginx by PID if the lab started it.
"""

import os
import ssl

import pytest

import mailsec_lab as labtools
from mailsec_testing.ansible_runner import recap_changed, run_playbook
from role_lab import entry, fetch_policy

VHOST_FILE = '/etc/nginx/conf.d/mailsec-mta-sts-lab.conf'


def playbook(lab, name, extra_vars=None):
    return run_playbook(name, lab['state_dir'], extra_vars)


def test_second_run_changes_nothing(deployed):
    code, output = playbook(deployed, 'lab.yml')
    assert code == 0, output[-3000:]
    assert recap_changed(output) == 0, output[-3000:]


def test_mx_missing_from_the_policy_is_held_at_preflight_with_the_finding(deployed):
    before = fetch_policy(deployed, 'beta.mailsec.test')
    domains = [entry(deployed, 0), entry(deployed, 1, mx=['mx1.mailsec.test'])]
    try:
        code, output = playbook(deployed, 'lab.yml', {'mta_sts_domains': domains, 'mta_sts_verify_retries': 0})
        assert code != 0
        failure = output.split('TASK [mailsec.mta_sts.mta_sts : Fail for the held domains')[1]
        failure = failure.split('fatal: [localhost]')[1]
        assert 'beta.mailsec.test is HELD' in failure
        assert 'mx_match' in failure and 'mx2.mailsec.test' in failure
        assert recap_changed(output) == 0
        assert fetch_policy(deployed, 'beta.mailsec.test') == before
    finally:
        code, output = playbook(deployed, 'lab.yml')
        assert code == 0, output[-3000:]


@pytest.mark.parametrize('extra, option', [
    ({'mta_sts_mode': 'doubt'}, 'mta_sts_mode'),
    ({'mta_sts_domains': [{'domain': 'alpha.mailsec.test', 'mode': 'Enforce'}]}, 'mode'),
    ({'mta_sts_nginx_service': 'systemd'}, 'mta_sts_nginx_service'),
])
def test_invalid_variables_fail_before_any_change(deployed, extra, option):
    before = open(VHOST_FILE).read()
    code, output = playbook(deployed, 'lab.yml', extra)
    assert code != 0
    assert 'Validating arguments against arg spec' in output
    assert option in output.split('fatal:')[-1]
    assert recap_changed(output) == 0
    assert open(VHOST_FILE).read() == before


def test_broken_vhost_is_refused_and_the_old_site_keeps_serving(deployed, tmp_path):
    before = open(VHOST_FILE).read()
    status, served = fetch_policy(deployed, 'alpha.mailsec.test')
    assert status == 'HTTP/1.1 200 OK'
    # A certificate path that does not exist: the most common way a vhost breaks nginx.
    broken = [entry(deployed, 0, tls_certificate=str(tmp_path / 'missing.crt')),
              entry(deployed, 1)]
    code, output = playbook(deployed, 'lab.yml', {'mta_sts_domains': broken})
    assert code != 0
    assert 'nginx -t refused the configuration with the new %s' % VHOST_FILE in output
    assert 'missing.crt' in output
    assert open(VHOST_FILE).read() == before
    assert fetch_policy(deployed, 'alpha.mailsec.test') == (status, served)
    # The backup made while trying is gone too: nothing but the vhost file itself is left.
    assert [name for name in os.listdir(os.path.dirname(VHOST_FILE)) if name.startswith('mailsec-mta-sts')] \
        == ['mailsec-mta-sts-lab.conf']


def sts_record(lab, domain):
    return labtools.dns_query(lab, '_mta-sts.' + domain, 'TXT')


def test_absent_withdraws_with_mode_none_and_a_new_id(deployed):
    before = sts_record(deployed, 'alpha.mailsec.test')
    withdrawn = [entry(deployed, 0, state='absent'), entry(deployed, 1)]
    try:
        code, output = playbook(deployed, 'lab.yml', {'mta_sts_domains': withdrawn})
        assert code == 0, output[-3000:]
        status, body = fetch_policy(deployed, 'alpha.mailsec.test')
        assert status == 'HTTP/1.1 200 OK'
        # RFC 8461 8.3: still served, mode none, the mx lines kept, under a new id.
        assert b'mode: none\r\n' in body and b'mx: mx1.mailsec.test\r\n' in body
        after = sts_record(deployed, 'alpha.mailsec.test')
        assert len(after) == 1 and after != before
        assert 'alpha.mailsec.test: mode none is published with id' in output
        assert 'remove _mta-sts.alpha.mailsec.test, then the vhost for mta-sts.alpha.mailsec.test' in output
    finally:
        code, output = playbook(deployed, 'lab.yml')
        assert code == 0, output[-3000:]
    assert sts_record(deployed, 'alpha.mailsec.test') == before


def test_hosted_dns_mode_publishes_nothing_and_lists_the_records(deployed):
    serial = labtools.dns_serial(deployed)
    changed = [entry(deployed, 0, max_age=3600), entry(deployed, 1)]
    try:
        code, output = playbook(deployed, 'lab.yml', {'mta_sts_domains': changed, 'mta_sts_dns_method': 'none',
                                                      'mta_sts_verify': False})
        assert code == 0, output[-3000:]
        assert labtools.dns_serial(deployed) == serial
        shown = output.split('Show the records to set by hand')[1]
        assert '_mta-sts.alpha.mailsec.test TXT v=STSv1; id=' in shown
        assert '_smtp._tls.beta.mailsec.test TXT v=TLSRPTv1; rua=mailto:tlsrpt@mailsec.test' in shown
        # The policy itself is served at once; only its id waits for the admin.
        assert b'max_age: 3600\r\n' in fetch_policy(deployed, 'alpha.mailsec.test')[1]
    finally:
        code, output = playbook(deployed, 'lab.yml')
        assert code == 0, output[-3000:]


def served_certificate(lab, domain):
    """The DER certificate nginx presents for mta-sts.<domain>."""
    return labtools.fetch_policy(lab['domains'][0]['mta_sts_address'], 'mta-sts.' + domain, lab['ca_path'])[1]


def test_a_changed_vhost_reaches_the_running_nginx(deployed, tmp_path):
    old = served_certificate(deployed, 'alpha.mailsec.test')
    cert, key = labtools.issue_cert(['mta-sts.alpha.mailsec.test'], ca=deployed, out_dir=str(tmp_path))
    entries = [entry(deployed, 0, tls_certificate=cert, tls_certificate_key=key), entry(deployed, 1)]
    try:
        code, output = playbook(deployed, 'lab.yml', {'mta_sts_domains': entries})
        assert code == 0, output[-3000:]
        new = served_certificate(deployed, 'alpha.mailsec.test')
        assert new != old
        with open(cert) as handle:
            assert ssl.DER_cert_to_PEM_cert(new).strip() in handle.read()
    finally:
        code, output = playbook(deployed, 'lab.yml')
        assert code == 0, output[-3000:]
    assert served_certificate(deployed, 'alpha.mailsec.test') == old


def task_section(output, name):
    """The lines ansible-playbook printed for the task ``name`` (up to the next task)."""
    return output.split('TASK [mailsec.mta_sts.mta_sts : %s]' % name)[1].split('TASK [')[0]


def test_a_rerun_probes_fetches_and_publishes_only_what_changed(deployed):
    # Nothing changed: no pre-flight, no fetch of the served policies, no _mta-sts UPDATE.
    code, output = playbook(deployed, 'lab.yml')
    assert code == 0 and recap_changed(output) == 0, output[-3000:]
    for task in ('Check each new policy against the live MX hosts (pre-flight)',
                 'Fetch the served policies and compare them with the files', 'Publish the _mta-sts records'):
        assert 'skipping: [localhost]' in task_section(output, task), task
    # The unchanged domains are still verified (the default share, 100, covers both).
    assert 'ok: [localhost]' in task_section(output, 'Verify as a sending MTA does')

    # A record that is not what it should be (a run killed between the file and the record, or a hand
    # edit): that domain alone is pre-flighted, fetched and published again.
    before = sts_record(deployed, 'beta.mailsec.test')
    labtools.dns_update(deployed, '_mta-sts.beta.mailsec.test', 'TXT', ['v=STSv1; id=drifted;'])
    code, output = playbook(deployed, 'lab.yml')
    assert code == 0, output[-3000:]
    assert sts_record(deployed, 'beta.mailsec.test') == before
    for task in ('Check each new policy against the live MX hosts (pre-flight)',
                 'Fetch the served policies and compare them with the files'):
        section = task_section(output, task)
        assert 'ok: [localhost]' in section and 'skipping' not in section, task
    assert 'changed: [localhost]' in task_section(output, 'Publish the _mta-sts records')

    # And no unchanged domain at all is verified when so asked (all: every one, the full check).
    code, output = playbook(deployed, 'lab.yml', {'mta_sts_verify_unchanged': 'none'})
    assert code == 0 and 'skipping: [localhost]' in task_section(output, 'Verify as a sending MTA does')
