# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet domains: many lab domains at once, for scale tests and benchmarks.

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

from pathlib import Path

from .ca import issue_cert
from .config import FLEET_VARS, TTL, ZONE
from .dns_client import _dns, _rdatas, _send_update, _tsig_key
from .files import _write_text, to_yaml


FLEET_NAMES_PER_UPDATE = 400
FLEET_NAMES_PER_CERT = 100


def fleet_domain_names(count: int) -> list[str]:
    return [f"fleet{index:05d}.{ZONE}" for index in range(count)]


def add_fleet_domains(lab_info: dict, count: int) -> list[dict]:
    """Add ``count`` domains to the lab zone and return their role entries.

    Each domain ``fleetNNNNN.mailsec.test`` gets MX 10/20 to the lab MX hosts and
    ``mta-sts.<domain>`` A on the lab's policy address, a few hundred names per UPDATE; the
    certificates come from the lab CA, one per FLEET_NAMES_PER_CERT domains. Returns
    ``[{domain, tls_certificate, tls_certificate_key}]`` and writes the same, as
    ``lab_fleet_domains``, to ``<state_dir>/fleet_vars.yml``.
    """
    dns = _dns()
    names = fleet_domain_names(count)
    address = lab_info["domains"][0]["mta_sts_address"]
    mx_records = [f"{host['preference']} {host['name']}." for host in lab_info["mx_hosts"]]
    for start in range(0, len(names), FLEET_NAMES_PER_UPDATE):
        update = dns.update.UpdateMessage(ZONE + ".", keyring=_tsig_key(lab_info))
        for domain in names[start:start + FLEET_NAMES_PER_UPDATE]:
            update.replace(domain + ".", TTL, *_rdatas("MX", mx_records, ZONE + "."))
            update.replace(f"mta-sts.{domain}.", TTL, *_rdatas("A", [address], ZONE + "."))
        _send_update(lab_info, update, True, 60.0)
    entries = []
    cert_dir = Path(lab_info["state_dir"]) / "fleet-certs"
    for start in range(0, len(names), FLEET_NAMES_PER_CERT):
        chunk = names[start:start + FLEET_NAMES_PER_CERT]
        cert, key = issue_cert([f"mta-sts.{domain}" for domain in chunk], ca=lab_info, out_dir=cert_dir,
                               basename=f"fleet{start:05d}")
        entries.extend({"domain": domain, "tls_certificate": cert, "tls_certificate_key": key} for domain in chunk)
    _write_text(Path(lab_info["state_dir"]) / FLEET_VARS, "---\n" + to_yaml({"lab_fleet_domains": entries}))
    return entries
