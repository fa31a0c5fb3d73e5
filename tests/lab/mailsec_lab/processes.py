# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Processes: start detached, record PID + start time, stop exactly that PID; wait for ports.

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Optional, Sequence

from .config import LabError, START_TIMEOUT, STOP_TIMEOUT


_CHILDREN: dict[int, subprocess.Popen] = {}  # children of this Python process, by PID
_HELPER_PIDS: set[int] = set()  # started by start_nginx/start_smtp: stopped at exit if still up


def _proc_stat(pid: int) -> Optional[tuple[str, int]]:
    """(state letter, start time in clock ticks) of a PID, or None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read().decode("ascii", "replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm may contain spaces and parentheses: the fields after the last ')' are fixed.
    rest = data[data.rfind(")") + 2:].split()
    return rest[0], int(rest[19])


def pid_start_time(pid: int) -> Optional[int]:
    st = _proc_stat(pid)
    return st[1] if st else None


def _reap(pid: int) -> None:
    proc = _CHILDREN.get(pid)
    if proc is not None:
        if proc.poll() is not None:
            _CHILDREN.pop(pid, None)
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def pid_alive(pid: Optional[int], start_time: Optional[int] = None) -> bool:
    """True when ``pid`` runs (zombies count as dead) and, if given, started at ``start_time``."""
    if not pid:
        return False
    _reap(pid)
    st = _proc_stat(pid)
    if st is None or st[0] in ("Z", "X", "x"):
        return False
    return start_time is None or st[1] == start_time


def stop_pid(pid: Optional[int], timeout: float = STOP_TIMEOUT,
             start_time: Optional[int] = None) -> bool:
    """SIGTERM ``pid``, wait up to ``timeout`` s, then SIGKILL. Returns True if it was running.

    With ``start_time`` a PID that was reused by another process is left alone. The SIGKILL also
    goes to the process group when ``pid`` leads its own group (the lab starts every daemon in a
    new session, so the group holds only that daemon and its own children, e.g. nginx workers).
    """
    if not pid_alive(pid, start_time):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            break
        time.sleep(0.05)
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 2.0
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    proc = _CHILDREN.pop(pid, None)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=1)
    _HELPER_PIDS.discard(pid)
    return True


def _spawn(argv: Sequence[str], log_path: Path, cwd: Optional[Path] = None,
           env: Optional[dict] = None) -> subprocess.Popen:
    """Start a detached child (own session: it survives the CLI exiting), output to log_path.

    ``env``: variables added to this process's environment for the child.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            cwd=str(cwd) if cwd else None, start_new_session=True, close_fds=True,
            env=dict(os.environ, **env) if env else None)
    _CHILDREN[proc.pid] = proc
    return proc


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or f"(empty log {path})"


def _stop_helpers_at_exit() -> None:
    for pid in list(_HELPER_PIDS):
        stop_pid(pid)


atexit.register(_stop_helpers_at_exit)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_port(host: str, port: int, timeout: float = START_TIMEOUT,
              proc: Optional[subprocess.Popen] = None, log: Optional[Path] = None,
              what: str = "") -> None:
    """Wait until ``host:port`` accepts TCP connections; fail early if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while True:
        if port_open(host, port, timeout=0.3):
            return
        if proc is not None and proc.poll() is not None:
            raise LabError(f"{what or proc.args[0]} exited with status {proc.returncode} before "
                           f"listening on {host}:{port}; log {log}:\n{_tail(log) if log else ''}")
        if time.monotonic() > deadline:
            raise LabError(f"{what or 'server'} did not listen on {host}:{port} within "
                           f"{timeout:.0f} s" + (f"; log {log}:\n{_tail(log)}" if log else ""))
        time.sleep(0.05)
