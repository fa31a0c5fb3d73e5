# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration tests run against the loopback lab (tests/lab): its fixtures, for every test here."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / 'lab'))

from pytest_lab import lab, lab_nginx, lab_smtp  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import
