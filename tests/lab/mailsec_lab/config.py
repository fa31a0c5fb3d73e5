# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The address plan (other parts of the project rely on it) and the lab's fixed names, LabError.

MAILSEC_LAB_NET (default 0) is the second octet of every lab address, so that two labs (e.g. two
work trees testing at once) can run side by side on one machine: MAILSEC_LAB_NET=1 puts named on
127.1.53.1, and so on.

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Union


# tests/lab: the CLI (lab.py) and smtp_listener.py, next to this package.
HERE = Path(__file__).resolve().parent.parent

SMTP_LISTENER = HERE / "smtp_listener.py"


def _lab_net() -> int:
    value = os.environ.get("MAILSEC_LAB_NET", "0") or "0"
    if not value.isdigit() or not 0 <= int(value) <= 255:
        raise SystemExit(f"MAILSEC_LAB_NET={value!r}: must be a number 0-255 (the second octet of 127.X.0.0)")
    return int(value)


LAB_NET = _lab_net()
NAMED_ADDRESS = f"127.{LAB_NET}.53.1"
DNS_PORT = 53
ZONE = "mailsec.test"
OTHER_ZONE = "other.test"
KEY_NAME = "mailsec-lab-key."
KEY_ALGORITHM = "hmac-sha256"
# A key every lab DNS server knows (a signed read with it works) but that may NOT update any zone:
# BIND answers REFUSED, Knot BADKEY, PowerDNS NOTAUTH without a TSIG record.
READONLY_KEY_NAME = "mailsec-lab-readonly."
# The same zones and keys on two more authoritative servers, each on its own address.
KNOT_ADDRESS = f"127.{LAB_NET}.54.1"
POWERDNS_ADDRESS = f"127.{LAB_NET}.55.1"
# The lab's DNS servers by name: lab.json's ``dns_servers`` has one entry each ("dns" is "bind").
DNS_SERVERS = ("bind", "knot", "powerdns")
TTL = 60
SMTP_PORT = 25
MTA_STS_ADDRESS = f"127.{LAB_NET}.80.1"
MX_HOSTS = (("mx1.mailsec.test", f"127.{LAB_NET}.25.1"), ("mx2.mailsec.test", f"127.{LAB_NET}.25.2"))
DOMAINS = ("alpha.mailsec.test", "beta.mailsec.test")
MX_PREFERENCES = (10, 20)

# Dovecot, the mailbox TLS reports are read from (dovecot.py): STARTTLS on 143, implicit TLS on 993.
DOVECOT_ADDRESS = f"127.{LAB_NET}.143.1"
IMAP_HOST = "imap.mailsec.test"
IMAP_PORT = 143
IMAPS_PORT = 993
DOVECOT_DIR = "dovecot"
# DKIM keys made at every lab start (dkim.py), their TXT records in the main zone: the signers of the
# lab's Google- and Microsoft-shaped reports, and one that is unrelated to any report.
DKIM_DIR = "dkim"
DKIM_SIGNERS = (("google.mailsec.test", "20230601"), ("microsoft.mailsec.test", "selector1"),
                ("unrelated.mailsec.test", "s2026"))

DEFAULT_DIR = "/tmp/mailsec-lab"
LAB_JSON = "lab.json"
LAB_VARS = "lab_vars.yml"
TSIG_FILE = "tsig.key"
FLEET_VARS = "fleet_vars.yml"
ADDED_ADDRESSES = "added_addresses.json"
# Everything the lab (and tests/playbooks/lab.yml) may leave in its dir: `purge` removes these.
LAB_STATE_ENTRIES = ("named", "knot", "powerdns", "certs", "smtp", "extra-certs", "fleet-certs", "pebble", "acme", "www", "www-acme",
                     "ca.pem", "ca.key", "lab.json", "lab_vars.yml", "tsig.key", "fleet_vars.yml",
                     "added_addresses.json", "demo_host.json", "dovecot", "dkim")

# Pebble, the ACME test server (Debian package `pebble`): ACME API and management API on their
# own loopback address, TLS certificate from the lab CA. http-01 validation goes to port 80 of
# whatever the lab named says mta-sts.<domain> is (the role's port-80 server on MTA_STS_ADDRESS).
PEBBLE_ADDRESS = f"127.{LAB_NET}.14.1"
PEBBLE_PORT = 14000
PEBBLE_MANAGEMENT_PORT = 15000
PEBBLE_HTTP_PORT = 80
# Certificates live 90 days, like Let's Encrypt's (Pebble's own default is 5 years).
PEBBLE_VALIDITY_SECONDS = 90 * 86400
# No random validation sleeps, no rejected nonces, no reused authorizations: every order is
# validated over http-01 at once, so a test that breaks the challenge really fails.
PEBBLE_ENV = {"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PEBBLE_AUTHZREUSE": "0"}
PEBBLE_DIR = "pebble"
# The role's ACME files for the lab (account key, keys, certificates): certificates from an
# earlier Pebble chain to a root that no longer exists, so a fresh Pebble starts with none.
PEBBLE_CERTIFICATE_DIR = "acme"

STOP_TIMEOUT = 5.0
START_TIMEOUT = 20.0
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")

PathLike = Union[str, "os.PathLike[str]"]


class LabError(RuntimeError):
    """Something in the lab could not be started, stopped or used."""


def default_state_dir() -> Path:
    return Path(os.environ.get("MAILSEC_LAB_DIR") or DEFAULT_DIR)


def check_loopback(address: str) -> str:
    """Return ``address`` if it is an IPv4 address in 127.0.0.0/8, else raise LabError."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise LabError(f"{address!r} is not an IP address; the lab uses 127.0.0.0/8 only") from None
    if ip.version != 4 or ip not in LOOPBACK:
        raise LabError(f"{address} is outside 127.0.0.0/8; the lab never uses other addresses")
    return str(ip)
