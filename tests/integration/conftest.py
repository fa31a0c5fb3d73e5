# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration tests run against the loopback lab (tests/lab): its fixtures, for every test here, and
the lab domains deployed by the role (``deployed``), shared by the tests that run the role.
"""

import pytest

from pytest_lab import lab, lab_nginx, lab_smtp  # noqa: F401 pylint: disable=unused-import
from mailsec_testing.ansible_runner import run_playbook


def pytest_collection_modifyitems(items):
    """Work units for pytest-xdist's ``--dist loadgroup`` (``make integration``): every file a group of its own,
    so that its module fixtures (a deployment, a Postfix, hostile servers) are set up once, on one worker.
    Every worker has a lab of its own and a private copy of this machine's nginx (tests/lab/pytest_lab.py), so
    no two groups share anything. Without xdist nothing changes."""
    for item in items:
        if item.get_closest_marker('xdist_group') is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split('::')[0]))


@pytest.fixture(scope='module')
def deployed(lab):
    """The lab domains deployed once per test module by tests/playbooks/lab.yml (mode enforce); after the
    module, the lab's site removed and the nginx the lab started stopped (lab_stop.yml), the lab kept."""
    code, output = run_playbook('lab.yml', lab['state_dir'])
    assert code == 0, output[-3000:]
    yield lab
    # lab_keep_lab: the session lab stays for the other tests.
    code, output = run_playbook('lab_stop.yml', lab['state_dir'], {'lab_keep_lab': True})
    assert code == 0, output[-3000:]
