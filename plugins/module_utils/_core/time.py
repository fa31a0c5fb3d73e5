# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Time as the collection writes it: ISO 8601 UTC with a ``Z``, whole seconds; and "now" in UTC.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Modelled on community.crypto's ``_time.py``: one place for the format every return value uses
(certificate dates, report date ranges, the cutoff of ``since``), so they compare as strings.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import datetime

UTC = datetime.timezone.utc


def utc_now():
    """The current time in UTC, naive (``datetime.datetime.utcnow()`` without its deprecation)."""
    return datetime.datetime.now(UTC).replace(tzinfo=None)


def utc_today():
    """Today's date in UTC as ``YYYY-MM-DD``."""
    return utc_now().date().isoformat()


def format_timestamp(moment):
    """``moment`` (a datetime: naive = UTC, or aware) as ``2026-04-01T00:00:00Z``."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return '%04d-%02d-%02dT%02d:%02d:%02dZ' % (moment.year, moment.month, moment.day,
                                               moment.hour, moment.minute, moment.second)


def format_epoch(seconds):
    """Seconds since the epoch as ``2026-04-01T00:00:00Z``."""
    return format_timestamp(datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=int(seconds)))


def epoch_of(moment):
    """A naive UTC datetime as seconds since the epoch."""
    return calendar.timegm(moment.timetuple())


def epoch_of_timestamp(text):
    """``2026-04-01T00:00:00Z`` (the format above) as seconds since the epoch; ValueError for any other text."""
    moment = datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ')
    return epoch_of(moment)
