# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's health check (Lab.health), which decides whether `lab.py up` keeps a lab or starts a new
one (new TSIG key, new CA): a probe that times out once under load must not throw away a lab whose
processes all live; a lab whose process is gone is not waited for."""

import os

from mailsec_lab import core
from mailsec_lab.files import _write_json
from mailsec_lab.processes import pid_start_time


def recorded_lab(tmp_path, pid):
    lab = core.Lab(tmp_path)
    _write_json(lab.lab_json, {
        'status': 'up', 'pids': {'named': pid}, 'pid_start_times': {'named': pid_start_time(pid)},
        'dns': {'server': '127.0.0.1', 'port': 53, 'zone': 'mailsec.test'},
        'mx_hosts': [{'address': '127.0.0.2', 'port': 25}]}, 0o600)
    return lab


def slow_once(calls):
    """A probe that gets no answer within the first (shortest) timeout, then answers."""
    def probe(*args, timeout):
        calls.append((args, timeout))
        return timeout > core.PROBE_TIMEOUTS[0]
    return probe


def test_a_probe_that_answers_only_with_more_time_keeps_a_living_lab(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(core, 'soa_answers', slow_once(calls))
    monkeypatch.setattr(core, 'port_open', slow_once(calls))
    health = recorded_lab(tmp_path, os.getpid()).health()
    assert health['healthy'] and health['dns']
    assert [timeout for dummy, timeout in calls] == list(core.PROBE_TIMEOUTS[:2]) * 2


def test_a_lab_whose_process_is_gone_is_probed_once(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(core, 'soa_answers', slow_once(calls))
    monkeypatch.setattr(core, 'port_open', slow_once(calls))
    lab = recorded_lab(tmp_path, os.getpid())
    info = lab.info
    info['pid_start_times']['named'] += 1  # the PID now belongs to another process
    _write_json(lab.lab_json, info, 0o600)
    health = lab.health()
    assert not health['healthy'] and not health['dns']
    assert [timeout for dummy, timeout in calls] == [core.PROBE_TIMEOUTS[0]] * 2
