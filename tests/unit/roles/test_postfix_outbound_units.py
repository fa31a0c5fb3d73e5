# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The systemd units the postfix_outbound role writes (the pip resolver's, tlsrpt-collectd's, tlsrpt-reportd's),
rendered by Ansible from the role's templates and defaults, pass ``systemd-analyze verify`` without a word.

No systemd runs here (no test host has it as PID 1), but ``systemd-analyze verify`` reads unit files on its
own: every directive, its value, and that ExecStart names an executable. Skips, with the reason, where the
binary is missing. A warning counts as a failure: systemd ignores a line it does not understand and starts
the unit anyway, without the protection that line was for.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from mailsec_testing.ansible_runner import REPO, ansible_env

ROLE = os.path.join(REPO, 'roles', 'postfix_outbound')
SYSTEMD_ANALYZE = shutil.which('systemd-analyze')
pytestmark = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason='systemd-analyze is not installed here')

PLAYBOOK = '''
- hosts: localhost
  connection: local
  gather_facts: false
  vars_files: [%(role)s/defaults/main.yml, %(role)s/vars/main.yml]
  tasks:
    - name: The resolver's unit (pip install)
      ansible.builtin.template:
        src: %(role)s/templates/postfix-mta-sts-resolver.service.j2
        dest: "{{ out }}/postfix-mta-sts-resolver.service"
        mode: "0644"
    - name: The tlsrpt units
      ansible.builtin.template:
        src: %(role)s/templates/tlsrpt.service.j2
        dest: "{{ out }}/{{ _postfix_outbound_tlsrpt_daemon.name }}.service"
        mode: "0644"
      loop: "{{ _postfix_outbound_tlsrpt_daemons }}"
      loop_control:
        loop_var: _postfix_outbound_tlsrpt_daemon
'''


def verify(paths):
    """``systemd-analyze verify`` of unit files: (passed, what it said). Passed means exit 0 and not a word."""
    proc = subprocess.run([SYSTEMD_ANALYZE, 'verify', '--man=no'] + list(paths), capture_output=True, text=True,
                          check=False, timeout=60)
    said = (proc.stdout + proc.stderr).strip()
    return proc.returncode == 0 and said == '', said


@pytest.fixture(scope='module')
def units(tmp_path_factory):
    """The three units as the role renders them, with stand-ins for the executables they start."""
    base = tmp_path_factory.mktemp('units')
    out = base / 'units'
    out.mkdir()
    venvs = {'postfix_outbound_virtualenv': str(base / 'resolver'), 'postfix_outbound_tlsrpt_virtualenv': str(base / 'tlsrpt')}
    for path in (base / 'resolver' / 'bin' / 'mta-sts-daemon', base / 'tlsrpt' / 'bin' / 'tlsrpt-collectd',
                 base / 'tlsrpt' / 'bin' / 'tlsrpt-reportd'):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('#!/bin/sh\n')
        path.chmod(0o755)
    playbook = base / 'render.yml'
    playbook.write_text(PLAYBOOK % {'role': ROLE})
    extra = dict(venvs, out=str(out), postfix_outbound_install='pip', postfix_outbound_tlsrpt=True,
                 _postfix_outbound_service='service',
                 # What tasks/tlsrpt_support.yml reads from Debian 13's Postfix.
                 _postfix_outbound_tlsrpt_support={'stdout_lines': ['3.10.13', 'no', '1', '/var/spool/postfix', 'postfix']})
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,',
                           '-e', json.dumps(extra), str(playbook)], env=ansible_env(), capture_output=True, text=True,
                          check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    found = sorted(out.iterdir())
    assert [path.name for path in found] == ['postfix-mta-sts-resolver.service', 'tlsrpt-collectd.service',
                                             'tlsrpt-reportd.service']
    return found


def test_the_role_units_pass_systemd_analyze_verify(units):
    passed, said = verify(units)
    assert passed, said
    reportd = units[2].read_text()
    assert 'ReadWritePaths=/var/spool/postfix\n' in reportd  # sendmail's queue, from what Postfix said


@pytest.mark.parametrize('breakage, words', [
    # systemd refuses to start it at all
    (('ExecStart=/', 'ExecStart='), r'Neither a valid executable name nor an absolute path'),
    # systemd starts it, without the line: a warning is a failure here (systemd 252, Debian 12: "Failed
    # to parse protect system value"; 257, Debian 13: "Failed to parse ProtectSystem=strictest")
    (('ProtectSystem=strict', 'ProtectSystem=strictest'), r'Failed to parse (protect system value|ProtectSystem=)'),
    (('NoNewPrivileges=yes', 'NoNewPrivilege=yes'), r'Unknown key'),
])
def test_a_broken_unit_fails_the_check(units, tmp_path, breakage, words):
    broken = tmp_path / units[1].name
    text = units[1].read_text()
    assert breakage[0] in text
    broken.write_text(text.replace(breakage[0], breakage[1], 1))
    passed, said = verify([broken])
    assert not passed
    assert re.search(words, said), said
