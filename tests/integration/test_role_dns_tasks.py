# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's hosted-DNS hook (mta_sts_dns_method: tasks) against the lab and this host's nginx.

The user's task file is played here by one that publishes through community.general.nsupdate to
the lab's BIND (the providers' APIs are not reachable), and logs what the role handed to it.
Like test_role.py, these tests change /etc/nginx/conf.d and run "the host's" nginx: the private copy of
this machine's nginx that every test process has (mailsec_lab.private_host).
"""

import json
import os
import subprocess
import sys

import pytest

import mailsec_lab as labtools
from mailsec_testing.ansible_runner import REPO, ansible_env, recap_changed, run_playbook
from role_lab import entry

VHOST_FILE = '/etc/nginx/conf.d/mailsec-mta-sts-lab.conf'

PUBLISH = '''---
- name: Log what the role handed over
  ansible.builtin.lineinfile:
    path: {log}
    line: "{{{{ now().timestamp() }}}} {{{{ mta_sts_dns_changes | to_json }}}}"
    create: true
    mode: "0600"

- name: Publish with community.general.nsupdate
  community.general.nsupdate:
    server: "{{{{ lab_dns.server }}}}"
    port: "{{{{ lab_dns.port }}}}"
    key_name: "{{{{ lab_dns.key_name }}}}"
    key_secret: "{{{{ lab_dns.key_secret }}}}"
    key_algorithm: "{{{{ lab_dns.key_algorithm }}}}"
    zone: "{{{{ lab_dns.zone }}}}"
    record: "{{{{ item.name }}}}."
    type: "{{{{ item.type }}}}"
    value: "{{{{ item.value }}}}"
    ttl: "{{{{ item.ttl }}}}"
    state: "{{{{ item.state }}}}"
  loop: "{{{{ mta_sts_dns_changes }}}}"
  loop_control:
    label: "{{{{ item.name }}}}"
'''

# The provider says no: a wrong key, as a provider's API would refuse a wrong token.
FAILING = '''---
- name: Publish with community.general.nsupdate and a key the server does not know
  community.general.nsupdate:
    server: "{{ lab_dns.server }}"
    port: "{{ lab_dns.port }}"
    key_name: no-such-key
    key_secret: "{{ lab_dns.key_secret }}"
    zone: "{{ lab_dns.zone }}"
    record: "{{ item.name }}."
    type: TXT
    value: "{{ item.value }}"
    state: "{{ item.state }}"
  loop: "{{ mta_sts_dns_changes }}"
'''

NAMES = ['_mta-sts.alpha.mailsec.test', '_smtp._tls.alpha.mailsec.test',
         '_mta-sts.beta.mailsec.test', '_smtp._tls.beta.mailsec.test']


def playbook(lab, extra_vars=None):
    return run_playbook('lab.yml', lab['state_dir'], extra_vars)


def check_mode(lab, extra_vars):
    """tests/playbooks/lab.yml in check mode: ``(returncode, output)``."""
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
               os.path.join(REPO, 'tests', 'playbooks', 'lab.yml'), '--check', '-e', json.dumps(extra_vars)]
    proc = subprocess.run(command, env=ansible_env({'MAILSEC_LAB_DIR': lab['state_dir']}), capture_output=True,
                          text=True, timeout=900, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def logged(log):
    """What the role handed to the task file, one list per run of the file."""
    try:
        with open(log) as handle:
            return [json.loads(line.split(' ', 1)[1]) for line in handle if line.strip()]
    except FileNotFoundError:
        return []


def txt(lab, name):
    return sorted(labtools.dns_query(lab, name, 'TXT'))


@pytest.fixture(scope='module')
def hook(lab, tmp_path_factory):
    """The lab's records removed, task files written; nginx stopped and the site removed after."""
    for name in NAMES:
        labtools.dns_delete(lab, name, 'TXT')
    folder = tmp_path_factory.mktemp('dns-tasks')
    log = folder / 'handed.log'
    (folder / 'publish.yml').write_text(PUBLISH.format(log=log))
    (folder / 'failing.yml').write_text(FAILING)
    yield {'lab': lab, 'log': str(log), 'publish': str(folder / 'publish.yml'), 'failing': str(folder / 'failing.yml'),
           'vars': {'mta_sts_dns_method': 'tasks', 'mta_sts_dns_tasks_file': str(folder / 'publish.yml')}}
    code, output = run_playbook('lab_stop.yml', lab['state_dir'], {'lab_keep_lab': True})
    assert code == 0, output[-3000:]


def test_publishes_once_only_what_changes_then_nothing(hook):
    lab = hook['lab']
    code, output = playbook(lab, hook['vars'])
    assert code == 0, output[-3000:]
    runs = logged(hook['log'])
    assert len(runs) == 1  # once per run, for every domain
    assert sorted(change['name'] for change in runs[0]) == sorted(NAMES)
    assert all(change['state'] == 'present' and change['type'] == 'TXT' and change['ttl'] == 60
               and change['before'] == [] for change in runs[0])
    for name in NAMES:
        change = [change for change in runs[0] if change['name'] == name][0]
        assert txt(lab, name) == ['"%s"' % value for value in change['value']]
    assert 'included: %s' % hook['publish'] in output
    assert 'Wait until the resolver sees the published records' in output
    # The id went out only after the served policy was checked (RFC 8461 8.1), and was verified after.
    assert output.index('Fetch the served policies') < output.index('Run the DNS tasks file') \
        < output.index('Verify as a sending MTA does')

    # A rerun: nothing to change, so the file is not run at all.
    code, output = playbook(lab, hook['vars'])
    assert code == 0, output[-3000:]
    assert recap_changed(output) == 0, output[-3000:]
    assert len(logged(hook['log'])) == 1
    assert 'included: %s' % hook['publish'] not in output


def test_a_new_policy_hands_over_only_its_id(hook):
    lab = hook['lab']
    before = txt(lab, '_mta-sts.alpha.mailsec.test')
    code, output = playbook(lab, dict(hook['vars'], mta_sts_domains=[entry(lab, 0, max_age=3600), entry(lab, 1)]))
    try:
        assert code == 0, output[-3000:]
        last = logged(hook['log'])[-1]
        assert [change['name'] for change in last] == ['_mta-sts.alpha.mailsec.test']
        assert last[0]['before'] == [before[0].strip('"')]
        assert txt(lab, '_mta-sts.alpha.mailsec.test') != before
        served = labtools.fetch_policy(lab['domains'][0]['mta_sts_address'], 'mta-sts.alpha.mailsec.test',
                                       lab['ca_path'])[2]
        assert b'max_age: 3600\r\n' in served
    finally:
        code, output = playbook(lab, hook['vars'])
        assert code == 0, output[-3000:]
    assert txt(lab, '_mta-sts.alpha.mailsec.test') == before


def test_check_mode_runs_the_file_in_check_mode_and_does_not_verify_what_it_would_change(hook):
    lab = hook['lab']
    name = '_mta-sts.alpha.mailsec.test'
    before = txt(lab, name)
    labtools.dns_delete(lab, name, 'TXT')  # someone removed it: only DNS must change
    runs = len(logged(hook['log']))
    try:
        code, output = check_mode(lab, hook['vars'])
        assert code == 0, output[-3000:]  # a verification now would fail: the record is missing
        assert 'included: %s' % hook['publish'] in output
        assert len(logged(hook['log'])) == runs  # the file's own tasks ran in check mode too
        assert txt(lab, name) == []
    finally:
        code, output = playbook(lab, hook['vars'])
        assert code == 0, output[-3000:]
    assert txt(lab, name) == before


def test_a_failing_task_file_fails_the_run_and_says_what_was_not_published(hook):
    lab = hook['lab']
    before = txt(lab, '_mta-sts.alpha.mailsec.test')
    changed = [entry(lab, 0, max_age=7200), entry(lab, 1)]
    code, output = playbook(lab, dict(hook['vars'], mta_sts_domains=changed, mta_sts_dns_tasks_file=hook['failing']))
    try:
        assert code != 0
        failure = output.split('TASK [mailsec.mta_sts.mta_sts : Say that the records were not published]')[1]
        assert ('The DNS tasks file %s failed, so these TXT records were not (all) published: '
                '_mta-sts.alpha.mailsec.test.' % hook['failing']) in failure
        assert 'Verify as a sending MTA does' not in output
        assert txt(lab, '_mta-sts.alpha.mailsec.test') == before  # the old id stays, with its policy's successor served
    finally:
        code, output = playbook(lab, hook['vars'])
        assert code == 0, output[-3000:]


@pytest.mark.parametrize('tasks_file, says', [
    ('', 'mta_sts_dns_method is tasks, so mta_sts_dns_tasks_file must name the task file'),
    ('/nonexistent/publish.yml', 'mta_sts_dns_tasks_file: /nonexistent/publish.yml is not a file on the controller'),
])
def test_bad_tasks_file_is_refused_before_any_change(hook, tasks_file, says):
    lab = hook['lab']
    before = open(VHOST_FILE).read()
    runs = len(logged(hook['log']))
    changed = [entry(lab, 0, max_age=1800), entry(lab, 1)]
    code, output = playbook(lab, dict(hook['vars'], mta_sts_domains=changed, mta_sts_dns_tasks_file=tasks_file))
    assert code != 0
    assert says in output.split('fatal:')[-1]
    assert recap_changed(output) == 0
    assert open(VHOST_FILE).read() == before
    assert len(logged(hook['log'])) == runs
