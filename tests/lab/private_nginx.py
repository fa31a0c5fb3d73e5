#!/usr/bin/env python
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a command with a private copy of this machine's nginx (mailsec_lab.private_host).

    private_nginx.py -- CMD ...

CMD and everything it starts see their own /etc/nginx, /var/log/nginx, /var/lib/nginx and /run/nginx.pid,
copied from this machine's; the nginx started there is stopped by its PID afterwards and the copy removed.
`make molecule` runs the scenarios this way, so that they run beside the integration tests, and neither
ever changes this machine's nginx. The copy's port-80 default site listens on the lab's policy address of
``$MAILSEC_LAB_NET``. Exit status: CMD's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mailsec_lab as labtools  # noqa: E402 pylint: disable=wrong-import-position
from mailsec_lab import private_host  # noqa: E402 pylint: disable=wrong-import-position


def main(argv: list[str]) -> int:
    if argv[:1] != ["--"] or len(argv) < 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        private = private_host.enter(labtools.MTA_STS_ADDRESS)
    except labtools.LabError as exc:
        print(f"private_nginx.py: {exc}", file=sys.stderr)
        return 1
    try:
        return subprocess.run(argv[1:], check=False).returncode
    finally:
        if private is not None:
            private.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
