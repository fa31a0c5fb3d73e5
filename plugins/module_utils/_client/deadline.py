# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every network client shares: one total deadline per operation, and the error a probe raises.

Every probe is one network operation with one total deadline (``Deadline``): before each socket
call the socket timeout is set to the time that is left, so a server that drips a byte a second,
or accepts and never answers, cannot hold a probe longer than its timeout. Hosts are always
connected by IP address, with SNI and certificate checks for the host *name*, so a lab or a zone
that is not public yet is checked exactly like the internet.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time


class ProbeError(Exception):
    """A probe could not complete. ``kind`` says which stage failed (see ``KINDS``)."""

    # denied: not connected at all, the address is in deny_networks or past max_addresses_per_host.
    KINDS = ('dns', 'timeout', 'connect', 'tls', 'certificate', 'http', 'smtp', 'denied')

    def __init__(self, kind, msg):
        super(ProbeError, self).__init__(msg)
        self.kind = kind
        self.msg = msg


class Deadline(object):
    """One total deadline for one network operation, on the monotonic clock."""

    def __init__(self, seconds, clock=time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self):
        return max(0.0, self._end - self._clock())

    def expired(self):
        return self.remaining() <= 0

    def arm(self, sock, stage):
        """Set ``sock``'s timeout to the time left; raise when none is left."""
        left = self.remaining()
        if left <= 0:
            raise self.timeout(stage)
        sock.settimeout(left)

    def timeout(self, stage):
        return ProbeError('timeout', 'no complete answer within the %g s deadline (stopped while %s)'
                          % (self.seconds, stage))
