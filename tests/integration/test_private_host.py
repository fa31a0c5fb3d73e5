# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A test run killed by a signal leaves no private nginx copy (/tmp/mailsec-nginx-*) and no nginx behind
(tests/lab/mailsec_lab/private_host.py): SIGTERM removes it at once, SIGKILL at the next ``enter``.

Each case runs ``enter`` in a process of its own, which then starts a real nginx on the copy (nginx is a
daemon: it outlives the process that started it), and kills that process.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mailsec_lab as labtools
from mailsec_lab import private_host, processes

LAB_PACKAGE = str(Path(labtools.__file__).resolve().parents[1])
# An address of this worker's lab net that no lab server uses: the copy's own nginx listens there.
ADDRESS = '127.%d.80.97' % labtools.LAB_NET
PREFIX = 'mailsec-nginx-killtest-'

OWNER = r'''
import subprocess, sys, time
sys.path.insert(0, sys.argv[1])
from mailsec_lab import private_host
private = private_host.enter(sys.argv[2], prefix=sys.argv[3])
conf = private.root / "killtest.conf"
conf.write_text("pid /run/nginx.pid; error_log stderr; events {} "
                "http { access_log off; server { listen %s:80; return 204; } }\n" % sys.argv[2])
subprocess.run(["nginx", "-c", str(conf)], check=True)
print(private.root, flush=True)
if sys.argv[4] == "stay":
    time.sleep(300)
'''


def _owner(mode):
    """A process that made a private copy and started an nginx in it; (process, the copy's folder)."""
    env = {key: value for key, value in os.environ.items() if key != private_host.INSIDE_ENV}
    proc = subprocess.Popen([sys.executable, '-c', OWNER, LAB_PACKAGE, ADDRESS, PREFIX, mode],  # noqa: S603
                            stdout=subprocess.PIPE, text=True, env=env)
    root = Path(proc.stdout.readline().strip())
    assert root.name.startswith(PREFIX), 'the owner process printed no copy (see its stderr above)'
    return proc, root


def _nginx_running(root):
    pid = private_host._nginx_of_copy(root)  # pylint: disable=protected-access
    return pid and processes.pid_alive(pid)


def test_sigterm_stops_the_copys_nginx_and_removes_the_copy():
    proc, root = _owner('stay')
    pid = private_host._nginx_of_copy(root)  # pylint: disable=protected-access
    assert pid and processes.pid_alive(pid)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == -signal.SIGTERM  # still ended by the signal, as without the handler
    assert not root.exists()
    assert not Path(str(root) + private_host.RUN_VIEW_SUFFIX).exists()
    deadline = time.monotonic() + 10
    while processes.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not processes.pid_alive(pid), 'the nginx of a copy whose owner got SIGTERM still runs'


def test_a_copy_whose_owner_was_killed_is_removed_by_the_next_run():
    proc, root = _owner('stay')
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    # No handler runs on SIGKILL: the copy and its nginx are still there...
    pid = private_host._nginx_of_copy(root)  # pylint: disable=protected-access
    assert root.is_dir() and pid and processes.pid_alive(pid)
    try:
        # ...until the next process enters a copy of its own (and leaves normally: its copy goes at exit).
        nxt, next_root = _owner('exit')
        assert nxt.wait(timeout=60) == 0
        assert not root.exists()
        assert not next_root.exists()
        assert not processes.pid_alive(pid), 'the orphaned copy\'s nginx still runs after the next enter'
    finally:
        if processes.pid_alive(pid):
            processes.stop_pid(pid)
        private_host.remove_orphans(PREFIX)


def test_a_copy_without_owner_file_or_with_a_live_owner_is_kept(tmp_path):
    unowned = tmp_path / (PREFIX + 'old')
    unowned.mkdir()
    alive = tmp_path / (PREFIX + 'alive')
    alive.mkdir()
    (alive / private_host.OWNER_FILE).write_text('%d %d\n' % (os.getpid(), processes.pid_start_time(os.getpid())))
    # This PID with another start time: the owner ended and the PID was reused.
    reused = tmp_path / (PREFIX + 'reused')
    reused.mkdir()
    (reused / private_host.OWNER_FILE).write_text('%d %d\n' % (os.getpid(), processes.pid_start_time(os.getpid()) - 1))
    assert private_host.remove_orphans(PREFIX, folder=tmp_path) == [reused]
    assert unowned.is_dir() and alive.is_dir() and not reused.exists()
