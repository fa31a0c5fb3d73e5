# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration tests run against the loopback lab (tests/lab): its fixtures, for every test here, and
the lab domains deployed by the role (``deployed``), shared by the tests that run the role.
"""

import pytest

from pytest_lab import lab, lab_nginx, lab_smtp  # noqa: F401 pylint: disable=unused-import
from mailsec_testing.ansible_runner import run_playbook


# The files that take longest (each several minutes under load; `make integration` prints --durations),
# longest first: pytest-xdist (--dist loadfile --no-loadscope-reorder) hands files to the workers in
# collection order, and a long file started last would leave one worker alone at the end.
LONG_FIRST = ('test_preflight.py', 'test_tlsrpt_sending.py', 'test_nginx_coexistence.py', 'test_role_dns_tasks.py',
              'test_role.py', 'test_postfix_outbound.py', 'test_acme.py', 'test_metrics.py')


def pytest_collection_modifyitems(items):
    """The long files first (``LONG_FIRST``), every other file after them in its own order. A file is one work
    unit of pytest-xdist (``--dist loadfile``), so that its module fixtures (a deployment, a Postfix, hostile
    servers) are set up once and its tests run in order, on one worker; every worker has a lab of its own and
    a private copy of this machine's nginx (tests/lab/pytest_lab.py). (Not ``--dist loadgroup``: with pytest
    9.2 and pytest-xdist 3.8 its groups are ignored - xdist renames ``item._nodeid``, which pytest no longer
    reads - and the tests of one file were seen spread over both workers.)"""
    def rank(item):
        name = item.nodeid.split('::')[0].rsplit('/', 1)[-1]
        return LONG_FIRST.index(name) if name in LONG_FIRST else len(LONG_FIRST)
    items.sort(key=rank)


# Per test file: the worker that ran it and its seconds (setup, call and teardown of its tests, so its module
# fixtures too), for the summary: what LONG_FIRST should say, and whether a worker was left alone at the end.
_FILE_SECONDS = {}


def pytest_runtest_logreport(report):
    node = getattr(report, 'node', None)  # pytest-xdist's controller: the worker that sent the report
    entry = _FILE_SECONDS.setdefault(report.nodeid.split('::')[0], {'worker': 'main', 'seconds': 0.0})
    entry['worker'] = node.gateway.id if node is not None else entry['worker']
    entry['seconds'] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _FILE_SECONDS:
        return
    terminalreporter.write_sep('=', 'seconds per test file, and the worker that ran it')
    workers = {}
    for name, entry in sorted(_FILE_SECONDS.items(), key=lambda item: -item[1]['seconds']):
        workers[entry['worker']] = workers.get(entry['worker'], 0.0) + entry['seconds']
        terminalreporter.write_line('%8.1f s  %-4s %s' % (entry['seconds'], entry['worker'], name))
    terminalreporter.write_line('per worker: ' + ', '.join('%s %.1f s' % item for item in sorted(workers.items())))


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
