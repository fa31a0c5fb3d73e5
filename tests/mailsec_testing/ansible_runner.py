# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run collection modules for real, through ansible-playbook, and hand back their registered results.

Each step's result is registered (failures included: the play goes on) and a last task writes them
all as JSON, so a test sees exactly what a playbook would: diff, msg, return values.
"""

import atexit
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


_SCRATCH = []


def scratch_dir():
    """This test process's folder for what Ansible leaves in temp folders when a run is killed (the killed
    runs of test_preflight, a timeout): the controller's ansible-local-*, the modules' ansible-tmp-* and
    AnsiballZ's ansible_*_payload_* (in ~/.ansible/tmp and /tmp otherwise: 156 of them after a day of
    tests). Removed when the process ends."""
    if not _SCRATCH:
        folder = tempfile.mkdtemp(prefix='mailsec-ansible-')
        atexit.register(shutil.rmtree, folder, True)
        _SCRATCH.append(folder)
    return _SCRATCH[0]


def ansible_env(extra=None):
    env = dict(os.environ)
    scratch = scratch_dir()
    env.setdefault('ANSIBLE_COLLECTIONS_PATH', os.path.join(REPO, '.collections'))
    # The record modules fall back to this variable; a test that wants it sets it explicitly.
    env.pop('MAILSEC_TSIG_SECRET', None)
    env.update({
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_RETRY_FILES_ENABLED': '0',
        'ANSIBLE_LOCALHOST_WARNING': '0',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': '0',
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_LOCAL_TEMP': os.path.join(scratch, 'local'),
        'ANSIBLE_REMOTE_TMP': os.path.join(scratch, 'remote'),
        'TMPDIR': scratch,
    })
    env.update(extra or {})
    return env


def recap_changed(output, host='localhost'):
    """The ``changed=`` count of ``host`` in the last PLAY RECAP of ansible-playbook's output."""
    recap = [line for line in output.splitlines() if line.startswith(host + ' ') and 'changed=' in line]
    return int(recap[-1].split('changed=')[1].split()[0])


# What the tests' runs of the lab playbooks set unless a test says otherwise. nginx is installed on every
# machine that runs the tests (`make venv`), and the role's "Install nginx" (the package manager's cache
# read) was a fifth of a rerun's time, in each of the ~100 role runs of the integration tests; the
# install itself is run by make demo and the molecule scenarios.
LAB_PLAYBOOK_VARS = {'mta_sts_nginx_install': False}


def changed_tasks(output, host='localhost'):
    """The tasks and handlers (names without the role prefix, first-seen order) that reported a change on
    ``host`` (also when delegated: ``changed: [host -> other]``) in ansible-playbook's output (the default
    callback)."""
    names, current = [], None
    for line in output.splitlines():
        match = re.match(r'(?:TASK|RUNNING HANDLER) \[(?:[^\]]* : )?(.*)\] \**$', line)
        if match:
            current = match.group(1)
        elif (current is not None and current not in names
              and (line.startswith('changed: [%s]' % host) or line.startswith('changed: [%s -> ' % host))):
            names.append(current)
    return names


def _lab_playbook_command(name, extra_vars):
    return [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), os.path.join(REPO, 'tests', 'playbooks', name),
            '-e', json.dumps(dict(LAB_PLAYBOOK_VARS, **(extra_vars or {})))]


def run_playbook(name, lab_dir, extra_vars=None, check=False):
    """Run tests/playbooks/<name> (the lab playbooks) against the lab in ``lab_dir`` (``check``: with
    --check --diff), with ``LAB_PLAYBOOK_VARS`` under ``extra_vars``; return ``(returncode, stdout + stderr)``."""
    command = _lab_playbook_command(name, extra_vars)
    if check:
        command += ['--check', '--diff']
    proc = subprocess.run(command, env=ansible_env({'MAILSEC_LAB_DIR': lab_dir}), capture_output=True, text=True,
                          timeout=900, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def start_playbook(name, lab_dir, extra_vars=None):
    """Start tests/playbooks/<name> like ``run_playbook`` in a session of its own (so a test can kill the
    whole process group at any moment); returns the Popen, output discarded."""
    command = _lab_playbook_command(name, extra_vars)
    return subprocess.Popen(command, env=ansible_env({'MAILSEC_LAB_DIR': lab_dir}), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def run_steps(tmp_path, steps, verbosity=0, env=None):
    """Run ``steps`` on localhost in one playbook; each is ``(fqcn, args)`` or ``(fqcn, args, task_keywords)``.

    Returns ``(results, process)``: the registered result of every step and the finished process.
    """
    tag = secrets.token_hex(4)
    out = tmp_path / ('results-%s.json' % tag)
    tasks = []
    for index, step in enumerate(steps):
        task = {'name': 'step %d' % index, step[0]: step[1], 'register': 'r%d' % index, 'ignore_errors': True}
        task.update(step[2] if len(step) > 2 else {})
        tasks.append(task)
    tasks.append({'name': 'save the results', 'check_mode': False, 'diff': False, 'ansible.builtin.copy': {
        'dest': str(out), 'content': '{{ [%s] | to_json }}' % ', '.join('r%d' % i for i in range(len(steps)))}})
    playbook = tmp_path / ('play-%s.json' % tag)
    playbook.write_text(json.dumps([{'hosts': 'localhost', 'gather_facts': False, 'connection': 'local',
                                     'tasks': tasks}]))
    argv = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', str(playbook)]
    if verbosity:
        argv.append('-' + 'v' * verbosity)
    proc = subprocess.run(argv, cwd=str(tmp_path), env=ansible_env(env), capture_output=True, text=True,
                          timeout=600, check=False)
    if not out.exists():
        raise AssertionError('ansible-playbook did not finish:\n%s\n%s' % (proc.stdout[-3000:], proc.stderr[-3000:]))
    return json.loads(out.read_text()), proc


class ModuleOutcome(object):
    """What every module run gives a test, in-process or through ansible-playbook: its result dict."""

    def __init__(self, result):
        self.result = result

    @property
    def failed(self):
        return bool(self.result.get('failed'))

    @property
    def changed(self):
        return bool(self.result.get('changed'))

    @property
    def msg(self):
        return self.result.get('msg', '')


class ModuleRun(ModuleOutcome):
    """The outcome of one module call: its registered result and the playbook's output."""

    def __init__(self, result, proc):
        super(ModuleRun, self).__init__(result)
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.returncode = proc.returncode


def run_module(tmp_path, module, args, check=False, diff=False, verbosity=0, env=None):
    """Run ``mailsec.mta_sts.<module>`` once; return a ModuleRun."""
    results, proc = run_steps(tmp_path, [('mailsec.mta_sts.' + module, args, {'check_mode': check, 'diff': diff})],
                              verbosity=verbosity, env=env)
    return ModuleRun(results[0], proc)
