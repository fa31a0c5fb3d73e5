# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The postfix_outbound role's stop of a daemon by PID (tasks/daemon.yml: the resolver and the tlsrpt daemons in
signal mode), run as the role runs it, against real processes.

A daemon that has exited but is not reaped keeps /proc/<pid> as a zombie: it counts as gone. One that
still runs after the first wait (the resolver 1.5.0 on Python 3.12+ with a client connection open) gets a
second SIGTERM, the resolver's own hard stop.
"""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

DAEMON = Path(__file__).resolve().parents[3] / 'roles' / 'postfix_outbound' / 'tasks' / 'daemon.yml'
# Like the resolver's exit_handler: the first SIGTERM starts a shutdown that does not end, the second exits.
SECOND_TERM_EXITS = '''
import signal, sys, time
seen = []
def handler(signum, frame):
    if seen:
        sys.exit(1)
    seen.append(signum)
signal.signal(signal.SIGTERM, handler)
print('ready', flush=True)
while True:
    time.sleep(0.05)
'''


@pytest.fixture(scope='module')
def wait_argv():
    tasks = yaml.safe_load(DAEMON.read_text())
    task = next(task for task in tasks if task['name'].startswith('Stop the daemon by its PID'))
    argv = task['ansible.builtin.command']['argv']
    assert argv[:2] == ['sh', '-c']
    return argv[:3]


def run_wait(wait_argv, pid, first, second, note='open client connections keep 1.5 from stopping'):
    """The role's stop: SIGTERM, wait ``first`` s, a second SIGTERM, wait ``second`` s."""
    started = time.monotonic()
    result = subprocess.run(wait_argv + [str(pid), str(first), '/var/log/resolver.log', 'mta-sts-daemon', str(second),
                                         note], capture_output=True, text=True, check=False)
    return result, time.monotonic() - started


def test_a_zombie_counts_as_gone(wait_argv):
    child = subprocess.Popen(['sleep', '0.2'])  # not waited for until the end: a zombie meanwhile
    try:
        result, took = run_wait(wait_argv, child.pid, 5, 5)
        stat = Path('/proc/%d/stat' % child.pid).read_text()
        assert stat[stat.rindex(')') + 2] == 'Z'  # still there, exited and unreaped
        assert result.returncode == 0, result.stderr
        assert result.stdout == ''
        assert took < 2
    finally:
        child.wait()


def test_a_pid_without_proc_entry_is_gone_at_once(wait_argv):
    child = subprocess.Popen(['true'])
    child.wait()
    result, took = run_wait(wait_argv, child.pid, 5, 5)
    assert result.returncode == 0
    assert took < 1


def test_still_running_after_the_first_wait_gets_a_second_sigterm(wait_argv):
    child = subprocess.Popen([sys.executable, '-c', SECOND_TERM_EXITS], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == 'ready\n'
        result, took = run_wait(wait_argv, child.pid, 1, 5)
        assert result.returncode == 0, result.stderr
        assert ('mta-sts-daemon (PID %d) still ran 1 s after SIGTERM (open client connections keep 1.5 from '
                'stopping): sent a second SIGTERM' % child.pid) in result.stdout
        assert 0.9 < took < 3
        assert child.wait(timeout=5) == 1
    finally:
        child.kill()
        child.wait()


def test_a_process_that_outlives_both_signals_fails_naming_pid_and_log(wait_argv):
    child = subprocess.Popen([sys.executable, '-c', 'import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n'
                              'print("ready", flush=True)\ntime.sleep(30)'], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == 'ready\n'
        result, took = run_wait(wait_argv, child.pid, 1, 1)
        assert result.returncode == 1
        assert 1.8 < took < 4
        assert 'mta-sts-daemon (PID %d) still runs 1 s after a second SIGTERM' % child.pid in result.stderr
        assert '/var/log/resolver.log' in result.stderr
    finally:
        child.kill()
        child.wait()
