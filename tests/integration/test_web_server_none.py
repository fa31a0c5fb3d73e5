# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mta_sts_web_server: none - a real Apache httpd that is not the role's serves the policies.

Apache runs on a loopback address of its own (lab.APACHE_ADDRESS, 127.N.81.1) with its own config
(the README's snippet), started and stopped by PID; two lab domains point their mta-sts host at it.
The role writes only the policy files where Apache serves them, touches no nginx, checks what
Apache serves before it publishes the id, and holds the id back when Apache serves something else.
"""

import hashlib
import os
import shutil
import tempfile

import pytest

import mailsec_lab as labtools
from mailsec_testing.ansible_runner import recap_changed, run_playbook

DOMAINS = ['apache-a.mailsec.test', 'apache-b.mailsec.test']


def served(lab, domain):
    return labtools.fetch_policy(labtools.APACHE_ADDRESS, 'mta-sts.' + domain, lab['ca_path'])


def sts_record(lab, domain):
    return labtools.dns_query(lab, '_mta-sts.' + domain, 'TXT')


@pytest.fixture(scope='module')
def apache(lab):
    """Apache serving <webroot>/<domain> for the first domain and a site folder of its own for the second."""
    root = tempfile.mkdtemp(prefix='mailsec-apache-', dir='/tmp')
    os.chmod(root, 0o755)
    webroot = os.path.join(root, 'mta-sts')
    site_b = os.path.join(root, 'sites', 'b')
    cert, key = labtools.issue_cert(['mta-sts.' + domain for domain in DOMAINS], ca=lab, out_dir=root)
    roots = {DOMAINS[0]: os.path.join(webroot, DOMAINS[0]), DOMAINS[1]: site_b}
    for folder in roots.values():
        os.makedirs(folder, mode=0o755)
    for domain in DOMAINS:
        labtools.dns_update(lab, domain, 'MX', ['10 mx1.mailsec.test.', '20 mx2.mailsec.test.'])
        labtools.dns_update(lab, 'mta-sts.' + domain, 'A', [labtools.APACHE_ADDRESS])
    pid = labtools.start_apache([{'name': 'mta-sts.' + domain, 'cert': cert, 'key': key, 'root': roots[domain]}
                                 for domain in DOMAINS], root)
    entries = [{'domain': DOMAINS[0]}, {'domain': DOMAINS[1], 'webroot': site_b}]
    yield {'root': root, 'webroot': webroot, 'entries': entries, 'pid': pid}
    labtools.stop_pid(pid)
    for domain in DOMAINS:
        labtools.dns_delete(lab, domain)
        labtools.dns_delete(lab, 'mta-sts.' + domain)
        labtools.dns_delete(lab, '_mta-sts.' + domain)
        labtools.dns_delete(lab, '_smtp._tls.' + domain)
    shutil.rmtree(root, ignore_errors=True)


def role(lab, apache, entries=None, **extra):
    extra_vars = {'mta_sts_web_server': 'none', 'mta_sts_webroot': apache['webroot'],
                  'mta_sts_domains': entries or apache['entries'],
                  'lab_demo_record': os.path.join(apache['root'], 'demo_host.json')}
    extra_vars.update(extra)
    return run_playbook('lab.yml', lab['state_dir'], extra_vars)


def nginx_files():
    return sorted(os.listdir('/etc/nginx/conf.d'))


def test_apache_serves_what_the_role_writes(lab, apache):
    before = nginx_files()
    code, output = role(lab, apache)
    assert code == 0, output[-3000:]
    assert 'nginx' not in ' '.join(line for line in output.splitlines() if line.startswith('changed:'))
    assert nginx_files() == before
    for domain in DOMAINS:
        status, dummy, body = served(lab, domain)
        assert status == 'HTTP/1.1 200 OK' and b'mode: enforce\r\n' in body
        assert sts_record(lab, domain) == ['"v=STSv1; id=%s;"' % hashlib.sha256(body).hexdigest()[:32]]
    assert os.path.isfile(os.path.join(apache['root'], 'sites', 'b', '.well-known', 'mta-sts.txt'))
    code, output = role(lab, apache)
    assert code == 0 and recap_changed(output) == 0, output[-3000:]


def test_a_policy_change_is_served_before_its_id_is_published(lab, apache):
    entries = [dict(apache['entries'][0], max_age=3600), apache['entries'][1]]
    code, output = role(lab, apache, entries)
    assert code == 0, output[-3000:]
    tasks = [line.split('TASK [', 1)[1].split(']', 1)[0] for line in output.splitlines() if line.startswith('TASK [')]
    order = [name.split(' : ', 1)[-1] for name in tasks]
    assert order.index('Write the policy files') < order.index('Fetch the served policies and compare them with the files') \
        < order.index('Publish the _mta-sts records')
    status, dummy, body = served(lab, DOMAINS[0])
    assert b'max_age: 3600\r\n' in body
    assert sts_record(lab, DOMAINS[0]) == ['"v=STSv1; id=%s;"' % hashlib.sha256(body).hexdigest()[:32]]


def test_a_web_server_that_does_not_serve_the_new_policy_holds_the_id_back(lab, apache):
    record = sts_record(lab, DOMAINS[1])
    body_before = served(lab, DOMAINS[1])[2]
    # The policy goes to a folder Apache does not serve: Apache keeps serving the old file.
    elsewhere = os.path.join(apache['root'], 'not-served')
    entries = [apache['entries'][0], dict(apache['entries'][1], webroot=elsewhere, max_age=7200)]
    code, output = role(lab, apache, entries, mta_sts_verify_retries=0)
    assert code != 0
    before_failure = output[:output.index('fatal:')]
    assert before_failure[before_failure.rindex('TASK ['):].startswith(
        'TASK [mailsec.mta_sts.mta_sts : Fetch the served policies and compare them with the files]')
    assert 'expected max_age 7200, the live domain has 86400' in output
    assert sts_record(lab, DOMAINS[1]) == record
    assert served(lab, DOMAINS[1])[2] == body_before
    shutil.rmtree(elsewhere, ignore_errors=True)
