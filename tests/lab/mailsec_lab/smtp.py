# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SMTP listeners (tests/lab/smtp_listener.py, a detached child).

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

from .config import LabError, PathLike, SMTP_LISTENER, SMTP_PORT, check_loopback
from .processes import _HELPER_PIDS, _spawn, stop_pid, wait_port


def start_smtp(listeners: Iterable[Union[dict, Sequence]], log_path: PathLike,
               greeting_delay: float = 0.0, starttls: bool = True, wait: bool = True,
               python: Optional[str] = None, _helper: bool = True) -> int:
    """Start one smtp_listener.py process serving every listener; returns its PID.

    Each listener is ``{"address", "port", "cert", "key", "hostname"}`` (cert/key/hostname
    optional: no cert = no STARTTLS on that listener) or a tuple in that order. Accepts mail and
    discards it. ``greeting_delay`` delays the 220 banner; ``starttls=False`` offers no STARTTLS
    anywhere. Waits until every port accepts connections. Stop it with ``stop_pid(pid)``.
    """
    argv = [python or sys.executable, str(SMTP_LISTENER)]
    addrs = []
    for item in listeners:
        if not isinstance(item, dict):
            item = dict(zip(("address", "port", "cert", "key", "hostname"), item))
        address = check_loopback(item["address"])
        port = int(item.get("port") or SMTP_PORT)
        spec = f"{address}:{port}"
        if item.get("cert"):
            spec += f":{item['cert']}:{item['key']}"
            if item.get("hostname"):
                spec += f":{item['hostname']}"
        argv += ["--listen", spec]
        addrs.append((address, port))
    if not addrs:
        raise LabError("start_smtp needs at least one listener")
    if greeting_delay:
        argv += ["--greeting-delay", str(greeting_delay)]
    if not starttls:
        argv.append("--no-starttls")
    log = Path(log_path)
    proc = _spawn(argv, log)
    if _helper:
        _HELPER_PIDS.add(proc.pid)
    if wait:
        try:
            for address, port in addrs:
                wait_port(address, port, proc=proc, log=log, what="SMTP listener")
        except LabError:
            stop_pid(proc.pid)
            raise
    return proc.pid
