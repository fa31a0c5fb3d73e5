# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/verify.yml against the lab: findings shown for every domain, failing ones named at the end.

The lab domains have no _mta-sts record until the role publishes one, so here they fail with errors.
"""

import os
import subprocess
import sys

from mailsec_testing.ansible_runner import REPO, ansible_env


def verify(lab, tmp_path, *extra):
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
               os.path.join(REPO, 'playbooks', 'verify.yml'), '-e', 'nameservers=%s' % lab['dns']['server'],
               '-e', 'ca_path=%s' % lab['ca_path']] + list(extra)
    proc = subprocess.run(command, env=ansible_env(), cwd=str(tmp_path), capture_output=True, text=True,
                          timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_failing_domains_are_shown_then_named(lab, tmp_path):
    code, output = verify(lab, tmp_path, '-e', 'domains=alpha.mailsec.test,beta.mailsec.test')
    assert code != 0
    # Both domains' findings are shown before the play fails, and the failure names them (the module's failed_domains).
    shown = output.split('TASK [Show the findings]')[1].split('TASK [')[0]
    assert '"alpha.mailsec.test: FAILED"' in shown and '"beta.mailsec.test: FAILED"' in shown
    assert 'Failed: alpha.mailsec.test, beta.mailsec.test' in output.split('TASK [Fail when a domain has findings')[1]


def test_fail_on_never_passes_and_bad_input_stops_at_the_module(lab, tmp_path):
    code, output = verify(lab, tmp_path, '-e', 'domains=alpha.mailsec.test', '-e', 'fail_on=never')
    assert code == 0, output[-3000:]
    assert '"alpha.mailsec.test: FAILED"' in output
    # The module decides the workers' range (and default); its message stops the play at once.
    code, output = verify(lab, tmp_path, '-e', 'domains=alpha.mailsec.test', '-e', 'workers=0')
    assert code != 0
    assert 'workers must be from 1 to 64, got 0' in output
    assert 'TASK [Show the findings]' not in output
