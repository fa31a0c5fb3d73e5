# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the modules' in-process tests share: a port that notices any connection."""

import pytest

from mailsec_testing.modules import WatchedPort


@pytest.fixture
def server():
    """A listening port that records whether anything connected (bad input must fail before any I/O)."""
    with WatchedPort() as port:
        yield port
