# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab zones and TSIG keys, as all three DNS servers load them.

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

from typing import Sequence

from .config import (
    DOMAINS, DOVECOT_ADDRESS, IMAP_HOST, KEY_ALGORITHM, KEY_NAME, MTA_STS_ADDRESS, MX_HOSTS, MX_PREFERENCES, NAMED_ADDRESS, TTL,
    ZONE,
)


def _tsig_key_text(secret: str, name: str = KEY_NAME) -> str:
    return (f'key "{name}" {{\n\talgorithm {KEY_ALGORITHM};\n\tsecret "{secret}";\n}};\n')


def _zone_text(zone: str, records: Sequence[str], serial: int) -> str:
    head = [
        f"$ORIGIN {zone}.",
        f"$TTL {TTL}",
        f"@\tIN\tSOA\tns.{ZONE}. hostmaster.{ZONE}. ( {serial} 3600 600 86400 {TTL} )",
        f"@\tIN\tNS\tns.{ZONE}.",
    ]
    return "\n".join(head + list(records)) + "\n"


def _main_zone_records() -> list[str]:
    recs = [f"ns\tIN\tA\t{NAMED_ADDRESS}"]
    for domain in DOMAINS:
        label = domain[: -len(ZONE) - 1]
        for pref, (mx, _addr) in zip(MX_PREFERENCES, MX_HOSTS):
            recs.append(f"{label}\tIN\tMX\t{pref} {mx}.")
        recs.append(f"mta-sts.{label}\tIN\tA\t{MTA_STS_ADDRESS}")
    for mx, addr in MX_HOSTS:
        recs.append(f"{mx[: -len(ZONE) - 1]}\tIN\tA\t{addr}")
    recs.append(f"{IMAP_HOST[: -len(ZONE) - 1]}\tIN\tA\t{DOVECOT_ADDRESS}")
    return recs
