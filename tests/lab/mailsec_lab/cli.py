# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line of tests/lab/lab.py.

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Optional, Sequence

from .config import DEFAULT_DIR, LabError
from .core import Lab
from .fleet import add_fleet_domains
from .nginx import record_host


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="lab.py", description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("command", choices=("up", "pebble-up", "down", "purge", "status", "add-fleet"))
    parser.add_argument("--dir", default=None,
                        help=f"state dir (default $MAILSEC_LAB_DIR or {DEFAULT_DIR})")
    parser.add_argument("--json", action="store_true", help="status: print lab.json")
    parser.add_argument("--pebble", action="store_true",
                        help="up: also start Pebble, the ACME test server (as pebble-up)")
    parser.add_argument("--count", type=int, default=50, help="add-fleet: how many domains (default 50)")
    parser.add_argument("--host-record", default=None,
                        help="up: also write, once, how this host's nginx was found (for tests/playbooks/lab_stop.yml)")
    parser.add_argument("--nginx-file", action="append", default=[],
                        help="up, with --host-record: a file of the lab's in the host's nginx (repeat for each)")
    args = parser.parse_args(argv)
    lab = Lab(args.dir)
    try:
        if args.command == "up":
            # The lab makes its state dir (where the record goes) and touches no nginx of the host's.
            lab.up()
            print(lab.message)
            if args.host_record and record_host(args.host_record, args.nginx_file):
                print(f"host record written: {args.host_record}")
            if args.pebble:
                lab.pebble_up()
                print(lab.message)
            return 0
        if args.command == "pebble-up":
            lab.pebble_up()
            print(lab.message)
            return 0
        if args.command == "add-fleet":
            if not lab.health()["healthy"]:
                raise LabError(f"the lab in {lab.state_dir} is not running; run `lab.py up` first")
            entries = add_fleet_domains(lab.info, args.count)
            print(f"added {len(entries)} fleet domains; role entries in {lab.state_dir}/fleet_vars.yml")
            return 0
        if args.command == "purge":
            lab.purge()
            print(f"lab purged ({lab.state_dir}): {lab.message}")
            return 0
        if args.command == "down":
            lab.down()
            print(f"lab down ({lab.state_dir}): {lab.message}")
            return 0
        health = lab.health()
        if args.json:
            print(json.dumps(lab.info or {}, indent=2))
        if not health["recorded"]:
            print(f"lab not running (no {lab.lab_json})")
            return 1
        print(f"lab {'up' if health['healthy'] else 'DEGRADED'} ({lab.state_dir}): "
              f"processes {health['processes']}, named answers: {health['dns']}, "
              f"smtp: {health['smtp']}")
        return 0 if health["healthy"] else 2
    except LabError as exc:
        print(f"lab {args.command} failed: {exc}", file=sys.stderr)
        return 1
