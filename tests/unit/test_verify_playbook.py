# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/verify.yml reading a folder of TLS reports (no network needed for that part)."""

import os
import subprocess
import sys

from mailsec_testing.ansible_runner import REPO, ansible_env
from mailsec_testing.report_samples import write_sample_dir


def run_verify_playbook(tmp_path, *extra):
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
               os.path.join(REPO, 'playbooks', 'verify.yml')] + list(extra)
    return subprocess.run(command, env=ansible_env(), cwd=str(tmp_path), capture_output=True, text=True,
                          timeout=300, check=False)


def test_reports_say_which_domain_is_ready_for_enforce(tmp_path):
    samples = tmp_path / 'samples'
    write_sample_dir(str(samples))
    proc = run_verify_playbook(tmp_path, '-e', 'tlsrpt_reports_path=%s' % samples)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert '"example.com: READY for enforce"' in proc.stdout
    assert '"example.org: not ready for enforce"' in proc.stdout
    assert 'truncated.json.gz: gzip data is truncated' in proc.stdout


def test_nothing_to_do_is_refused_with_the_usage(tmp_path):
    proc = run_verify_playbook(tmp_path)
    assert proc.returncode != 0
    assert '-e domains=example.com,example.org' in proc.stdout
