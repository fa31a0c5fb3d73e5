# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one time format of the collection (plugins/module_utils/_core/time.py)."""

import datetime
import re

from hypothesis import given, strategies as st

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import time as _time


def test_naive_and_aware_moments_format_alike():
    naive = datetime.datetime(2026, 4, 1, 12, 30, 5, 999999)
    aware = datetime.datetime(2026, 4, 1, 14, 30, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert _time.format_timestamp(naive) == '2026-04-01T12:30:05Z'
    assert _time.format_timestamp(aware) == '2026-04-01T12:30:05Z'


@given(st.datetimes(min_value=datetime.datetime(1970, 1, 1), max_value=datetime.datetime(9999, 12, 31)))
def test_epoch_and_timestamp_agree(moment):
    moment = moment.replace(microsecond=0)
    assert _time.format_epoch(_time.epoch_of(moment)) == _time.format_timestamp(moment)


def test_today_is_utc_and_iso():
    today = _time.utc_today()
    assert re.fullmatch(r'\d{4}-\d{2}-\d{2}', today)
    assert today == datetime.datetime.now(datetime.timezone.utc).date().isoformat()
