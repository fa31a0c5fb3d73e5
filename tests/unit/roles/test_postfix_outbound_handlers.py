# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The postfix_outbound role's wait for a stopped resolver, run as the role runs it, against real processes.

A resolver that has exited but is not reaped (its parent after setsid --fork is whatever reaps orphans on
that host; PID 1 of a namespace that is no init never does) keeps /proc/<pid> as a zombie: it counts as gone.
"""

import subprocess
import time
from pathlib import Path

import pytest
import yaml

HANDLERS = Path(__file__).resolve().parents[3] / 'roles' / 'postfix_outbound' / 'handlers' / 'main.yml'


@pytest.fixture(scope='module')
def wait_argv():
    handlers = yaml.safe_load(HANDLERS.read_text())
    task = next(task for task in handlers if task['name'] == 'Wait until the resolver has stopped')
    argv = task['ansible.builtin.command']['argv']
    assert argv[:2] == ['sh', '-c']
    return argv[:3]


def run_wait(wait_argv, pid, seconds):
    started = time.monotonic()
    result = subprocess.run(wait_argv + [str(pid), str(seconds), '/var/log/resolver.log'],
                            capture_output=True, text=True, check=False)
    return result, time.monotonic() - started


def test_a_zombie_counts_as_gone(wait_argv):
    child = subprocess.Popen(['sleep', '0.2'])  # not waited for until the end: a zombie meanwhile
    try:
        result, took = run_wait(wait_argv, child.pid, 5)
        stat = Path('/proc/%d/stat' % child.pid).read_text()
        assert stat[stat.rindex(')') + 2] == 'Z'  # still there, exited and unreaped
        assert result.returncode == 0, result.stderr
        assert took < 2
    finally:
        child.wait()


def test_a_pid_without_proc_entry_is_gone_at_once(wait_argv):
    child = subprocess.Popen(['true'])
    child.wait()
    result, took = run_wait(wait_argv, child.pid, 5)
    assert result.returncode == 0
    assert took < 1


def test_a_running_process_fails_after_the_timeout_naming_pid_and_log(wait_argv):
    child = subprocess.Popen(['sleep', '30'])
    try:
        result, took = run_wait(wait_argv, child.pid, 1)
        assert result.returncode == 1
        assert 0.9 < took < 3
        assert 'postfix-mta-sts-resolver (PID %d) still runs 1 s after SIGTERM' % child.pid in result.stderr
        assert '/var/log/resolver.log' in result.stderr
    finally:
        child.kill()
        child.wait()
