# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Loopback addresses (127.0.0.0/8 only) the lab adds to lo, and removes again.

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Optional

from .config import ADDED_ADDRESSES, LabError, PathLike, check_loopback, default_state_dir
from .files import _read_json, _write_json


def _lo_addresses() -> set[str]:
    out = subprocess.run(["ip", "-o", "-4", "addr", "show", "dev", "lo"], check=True,
                         capture_output=True, text=True).stdout
    return set(re.findall(r"\binet (\d+\.\d+\.\d+\.\d+)/", out))


def add_loopback_address(ip: str, state_dir: Optional[PathLike] = None) -> bool:
    """Make sure ``ip`` (127.0.0.0/8 only) is configured on ``lo``; idempotent.

    Returns True when this call added it. What was added is remembered in
    ``state_dir/added_addresses.json`` (default: the lab at ``default_state_dir()``) so that
    ``Lab.down()`` removes exactly the addresses the lab added.
    """
    ip = check_loopback(ip)
    if ip in _lo_addresses():
        return False
    res = subprocess.run(["ip", "addr", "add", f"{ip}/32", "dev", "lo"],
                         capture_output=True, text=True, check=False)
    if res.returncode != 0 and ip not in _lo_addresses():
        raise LabError(f"cannot add {ip}/32 to lo: {res.stderr.strip()} (the lab needs root)")
    record = Path(state_dir or default_state_dir()) / ADDED_ADDRESSES
    record.parent.mkdir(parents=True, exist_ok=True)
    added = _read_json(record, [])
    if ip not in added:
        added.append(ip)
    _write_json(record, added)
    return True


def remove_loopback_address(ip: str) -> bool:
    ip = check_loopback(ip)
    if ip == "127.0.0.1" or ip not in _lo_addresses():
        return False
    subprocess.run(["ip", "addr", "del", f"{ip}/32", "dev", "lo"], capture_output=True,
                   check=False)
    return True
