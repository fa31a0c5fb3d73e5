# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The scale bench's per-task profile: wall seconds of every task, printed once as one JSON line.

ansible.posix.profile_tasks does the same, but the bench must not need another collection; the
line (``BENCH_PROFILE [[task, seconds], ...]``) is read back by tests/bench/scale.
"""

from __future__ import annotations

import json
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: bench_profile
type: aggregate
short_description: wall seconds per task, for tests/bench/scale
description: Prints one line BENCH_PROFILE followed by a JSON list of [task name, seconds] at the end of the run.
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_profile'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._current = None
        self._times = []

    def _close(self):
        if self._current is not None:
            name, started = self._current
            self._times.append([name, time.monotonic() - started])
            self._current = None

    def _start(self, task):
        self._close()
        self._current = (task.get_name(), time.monotonic())

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task)

    def v2_playbook_on_stats(self, stats):
        self._close()
        self._display.display('BENCH_PROFILE ' + json.dumps(self._times))
