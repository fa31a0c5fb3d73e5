# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mailsec loopback lab: a test CA, three DNS servers (BIND 9 ``named``, Knot DNS, PowerDNS),
STARTTLS SMTP listeners, DKIM keys of report senders in the zone, and (``Lab.dovecot_up``) a Dovecot
IMAP mailbox.

Everything runs on addresses in 127.0.0.0/8 and nothing else. Every daemon is started by the
lab, its PID (and kernel start time) recorded in ``DIR/lab.json``, and stopped by that PID only.

CLI (tests/lab/lab.py, a thin entry point; the code is in this package, one module per part)::

    python tests/lab/lab.py up     [--dir DIR] [--pebble]   # idempotent
    python tests/lab/lab.py pebble-up [--dir DIR]           # Pebble (ACME) on a running lab; idempotent
    python tests/lab/lab.py down   [--dir DIR]   # safe when nothing runs (stops Pebble too)
    python tests/lab/lab.py purge  [--dir DIR]   # down, then remove the lab's files (and DIR if empty)
    python tests/lab/lab.py status [--dir DIR] [--json]

DIR defaults to ``$MAILSEC_LAB_DIR`` or ``/tmp/mailsec-lab``. See tests/lab/README.md for
the Python API (``Lab``, ``issue_cert``, ``dns_update``, ``start_nginx``, ...).

Only the standard library is imported at module level, so ``down`` and ``status`` work with any
Python 3; ``up`` needs trustme, and the DNS helpers need dnspython, in the running interpreter
(the SMTP listener is started with the same interpreter and needs aiosmtpd).

Modules: config (addresses, names), processes (PIDs, ports), addresses (lo), files, ca, https (a
policy fetch), fleet, zones, bind, knot, powerdns, smtp, nginx, apache, dns_client, dkim, dovecot, core (``Lab``),
cli.
"""

from .config import (  # noqa: F401
    HERE, SMTP_LISTENER, LAB_NET, NAMED_ADDRESS, DNS_PORT, ZONE, OTHER_ZONE, KEY_NAME, KEY_ALGORITHM,
    READONLY_KEY_NAME, KNOT_ADDRESS, POWERDNS_ADDRESS, DNS_SERVERS, TTL, SMTP_PORT, MTA_STS_ADDRESS,
    MX_HOSTS, DOMAINS, MX_PREFERENCES, DEFAULT_DIR, LAB_JSON, LAB_VARS, TSIG_FILE, FLEET_VARS,
    ADDED_ADDRESSES, LAB_STATE_ENTRIES, PEBBLE_ADDRESS, PEBBLE_PORT, PEBBLE_MANAGEMENT_PORT,
    PEBBLE_HTTP_PORT, PEBBLE_VALIDITY_SECONDS, PEBBLE_ENV, PEBBLE_DIR, PEBBLE_CERTIFICATE_DIR,
    DOVECOT_ADDRESS, IMAP_HOST, IMAP_PORT, IMAPS_PORT, DKIM_SIGNERS,
    STOP_TIMEOUT, START_TIMEOUT, LOOPBACK, PathLike, LabError, default_state_dir, check_loopback,
)
from .processes import _CHILDREN, _HELPER_PIDS, pid_start_time, pid_alive, stop_pid, port_open, wait_port  # noqa: F401
from .addresses import add_loopback_address, remove_loopback_address  # noqa: F401
from .files import to_yaml  # noqa: F401
from .ca import new_ca, load_ca, write_leaf, issue_cert  # noqa: F401
from .https import fetch_policy  # noqa: F401
from .fleet import FLEET_NAMES_PER_UPDATE, FLEET_NAMES_PER_CERT, fleet_domain_names, add_fleet_domains  # noqa: F401
from .smtp import start_smtp  # noqa: F401
from .nginx import render_tls_server, render_nginx_conf, start_nginx  # noqa: F401
from .apache import APACHE_ADDRESS, render_apache_conf, start_apache  # noqa: F401
from .dns_client import soa_answers, dns_update, dns_delete, dns_query, dns_serial, lab_resolver  # noqa: F401
from .dovecot import start_dovecot, deliver, messages  # noqa: F401
from .dkim import sign as dkim_sign  # noqa: F401
from .core import Lab  # noqa: F401
from .cli import main  # noqa: F401
