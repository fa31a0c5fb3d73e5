# Copyright (c) mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test --venv/--local bootstraps pip in each of its fresh virtual environments with a
get-pip.py fetched from a host that this machine cannot reach. It first looks for a cached copy at
~/.ansible/test/cache/get_pip_<pip version with dots as underscores>.py; `make sanity` copies
this file there. It installs pip from the interpreter's own ensurepip wheel, then runs
`pip install` with the arguments ansible-test passed (e.g. pip==25.2) against the configured
package index, dropping the get-pip-only flags --no-setuptools and --no-wheel.
"""

from __future__ import annotations

import subprocess
import sys

GET_PIP_ONLY_FLAGS = frozenset(('--no-setuptools', '--no-wheel'))


def main() -> int:
    """Bootstrap pip with ensurepip, then install the requested packages."""
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
    if any(not arg.startswith('-') for arg in args):
        subprocess.check_call([sys.executable, '-m', 'pip', 'install', *args])
    return 0


if __name__ == '__main__':
    sys.exit(main())
