# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by the unit and integration tests: running a real module through Ansible."""

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ModuleRun(object):
    """The outcome of one module call through ansible-playbook: its registered result and output."""

    def __init__(self, result, stdout, stderr, returncode):
        self.result = result
        self.stdout = stdout
        self.stderr = stderr
        self.returncode = returncode

    @property
    def failed(self):
        return bool(self.result.get('failed'))

    @property
    def changed(self):
        return bool(self.result.get('changed'))

    @property
    def msg(self):
        return self.result.get('msg', '')


def _ansible_env():
    env = dict(os.environ)
    env.setdefault('ANSIBLE_COLLECTIONS_PATH', os.path.join(REPO, '.collections'))
    env['ANSIBLE_NOCOLOR'] = '1'
    env['ANSIBLE_RETRY_FILES_ENABLED'] = '0'
    env['ANSIBLE_LOCALHOST_WARNING'] = '0'
    env['ANSIBLE_INVENTORY_UNPARSED_WARNING'] = '0'
    env['ANSIBLE_PYTHON_INTERPRETER'] = sys.executable
    return env


def run_module(tmp_path, module, args, check=False, diff=False, verbosity=0):
    """Run ``mailsec.mta_sts.<module>`` on localhost with ``args``; return a ModuleRun.

    The task registers its result, failures included, and a second task writes it as JSON, so the
    test sees exactly what a playbook would (diff, msg, return values).
    """
    result_file = tmp_path / ('result-%s.json' % os.urandom(4).hex())
    playbook = tmp_path / 'play.json'
    play = [{
        'hosts': 'localhost',
        'gather_facts': False,
        'connection': 'local',
        'tasks': [
            {
                'name': 'module under test',
                'mailsec.mta_sts.%s' % module: args,
                'register': 'module_result',
                'ignore_errors': True,
                'check_mode': check,
                'diff': diff,
            },
            {
                'name': 'save the result',
                'ansible.builtin.copy': {'content': '{{ module_result | to_json }}', 'dest': str(result_file)},
                'check_mode': False,
                'diff': False,
            },
        ],
    }]
    playbook.write_text(json.dumps(play))
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', str(playbook)]
    if verbosity:
        command.append('-' + 'v' * verbosity)
    proc = subprocess.run(command, env=_ansible_env(), cwd=str(tmp_path), capture_output=True, text=True, timeout=300,
                          check=False)
    if not result_file.exists():
        raise AssertionError('ansible-playbook did not run the module:\n%s\n%s' % (proc.stdout, proc.stderr))
    return ModuleRun(json.loads(result_file.read_text()), proc.stdout, proc.stderr, proc.returncode)


@pytest.fixture
def ansible_module(tmp_path):
    """``ansible_module(name, args, check=False, diff=False, verbosity=0)`` runs a collection module."""
    def runner(module, args, **kwargs):
        return run_module(tmp_path, module, args, **kwargs)
    return runner
