#!/usr/bin/env python
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mailsec loopback lab's command line; the lab itself is the package ``mailsec_lab`` next to this file.

    python tests/lab/lab.py up     [--dir DIR] [--pebble] [--host-record FILE --nginx-file F ...]   # idempotent
    python tests/lab/lab.py pebble-up [--dir DIR]           # Pebble (ACME) on a running lab; idempotent
    python tests/lab/lab.py down   [--dir DIR]   # safe when nothing runs (stops Pebble too)
    python tests/lab/lab.py purge  [--dir DIR]   # down, then remove the lab's files (and DIR if empty)
    python tests/lab/lab.py status [--dir DIR] [--json]
    python tests/lab/lab.py add-fleet --count N [--dir DIR]

The Makefile, tests/playbooks/*.yml and the molecule scenarios start it by this path; Python code
imports ``mailsec_lab`` (tests/lab is on pytest.ini's pythonpath). Run as a script, this file's folder
is on the path, so the package is found without more.
"""

import sys

from mailsec_lab.cli import main

if __name__ == "__main__":
    sys.exit(main())
