# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by the unit and integration tests: running a real module through Ansible."""

import pytest

from ansible_runner import run_module


@pytest.fixture
def ansible_module(tmp_path):
    """``ansible_module(name, args, check=False, diff=False, verbosity=0, env=None)`` runs a collection module."""
    def runner(module, args, **kwargs):
        return run_module(tmp_path, module, args, **kwargs)
    return runner
