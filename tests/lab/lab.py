#!/usr/bin/env python
"""The mailsec loopback lab: a test CA, three DNS servers (BIND 9 ``named``, Knot DNS, PowerDNS)
and STARTTLS SMTP listeners.

Everything runs on addresses in 127.0.0.0/8 and nothing else. Every daemon is started by the
lab, its PID (and kernel start time) recorded in ``DIR/lab.json``, and stopped by that PID only.

CLI::

    python tests/lab/lab.py up     [--dir DIR] [--pebble]   # idempotent
    python tests/lab/lab.py pebble-up [--dir DIR]           # Pebble (ACME) on a running lab; idempotent
    python tests/lab/lab.py down   [--dir DIR]   # safe when nothing runs (stops Pebble too)
    python tests/lab/lab.py purge  [--dir DIR]   # down, then remove the lab's files (and DIR if empty)
    python tests/lab/lab.py status [--dir DIR] [--json]

DIR defaults to ``$MAILSEC_LAB_DIR`` or ``/tmp/mailsec-lab``. See README.md next to this file for
the Python API (``Lab``, ``issue_cert``, ``dns_update``, ``start_nginx``, ...).

Only the standard library is imported at module level, so ``down`` and ``status`` work with any
Python 3; ``up`` needs trustme, and the DNS helpers need dnspython, in the running interpreter
(the SMTP listener is started with the same interpreter and needs aiosmtpd).
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import datetime
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence, Union

HERE = Path(__file__).resolve().parent
SMTP_LISTENER = HERE / "smtp_listener.py"


# ---------------------------------------------------------------------------------------------
# The address plan (other parts of the project rely on it). MAILSEC_LAB_NET (default 0) is the
# second octet of every lab address, so that two labs (e.g. two work trees testing at once) can
# run side by side on one machine: MAILSEC_LAB_NET=1 puts named on 127.1.53.1, and so on.


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

DEFAULT_DIR = "/tmp/mailsec-lab"
LAB_JSON = "lab.json"
LAB_VARS = "lab_vars.yml"
TSIG_FILE = "tsig.key"
FLEET_VARS = "fleet_vars.yml"
ADDED_ADDRESSES = "added_addresses.json"
# Everything the lab (and tests/playbooks/lab.yml) may leave in its dir: `purge` removes these.
LAB_STATE_ENTRIES = ("named", "knot", "powerdns", "certs", "smtp", "extra-certs", "fleet-certs", "pebble", "acme", "www", "www-acme",
                     "ca.pem", "ca.key", "lab.json", "lab_vars.yml", "tsig.key", "fleet_vars.yml",
                     "added_addresses.json", "demo_host.json")

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


# ---------------------------------------------------------------------------------------------
# Processes: start detached, record PID + start time, stop exactly that PID.

_CHILDREN: dict[int, subprocess.Popen] = {}  # children of this Python process, by PID
_HELPER_PIDS: set[int] = set()  # started by start_nginx/start_smtp: stopped at exit if still up


def _proc_stat(pid: int) -> Optional[tuple[str, int]]:
    """(state letter, start time in clock ticks) of a PID, or None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read().decode("ascii", "replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm may contain spaces and parentheses: the fields after the last ')' are fixed.
    rest = data[data.rfind(")") + 2:].split()
    return rest[0], int(rest[19])


def pid_start_time(pid: int) -> Optional[int]:
    st = _proc_stat(pid)
    return st[1] if st else None


def _reap(pid: int) -> None:
    proc = _CHILDREN.get(pid)
    if proc is not None:
        if proc.poll() is not None:
            _CHILDREN.pop(pid, None)
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def pid_alive(pid: Optional[int], start_time: Optional[int] = None) -> bool:
    """True when ``pid`` runs (zombies count as dead) and, if given, started at ``start_time``."""
    if not pid:
        return False
    _reap(pid)
    st = _proc_stat(pid)
    if st is None or st[0] in ("Z", "X", "x"):
        return False
    return start_time is None or st[1] == start_time


def stop_pid(pid: Optional[int], timeout: float = STOP_TIMEOUT,
             start_time: Optional[int] = None) -> bool:
    """SIGTERM ``pid``, wait up to ``timeout`` s, then SIGKILL. Returns True if it was running.

    With ``start_time`` a PID that was reused by another process is left alone. The SIGKILL also
    goes to the process group when ``pid`` leads its own group (the lab starts every daemon in a
    new session, so the group holds only that daemon and its own children, e.g. nginx workers).
    """
    if not pid_alive(pid, start_time):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            break
        time.sleep(0.05)
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 2.0
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    proc = _CHILDREN.pop(pid, None)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=1)
    _HELPER_PIDS.discard(pid)
    return True


def _spawn(argv: Sequence[str], log_path: Path, cwd: Optional[Path] = None,
           env: Optional[dict] = None) -> subprocess.Popen:
    """Start a detached child (own session: it survives the CLI exiting), output to log_path.

    ``env``: variables added to this process's environment for the child.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            cwd=str(cwd) if cwd else None, start_new_session=True, close_fds=True,
            env=dict(os.environ, **env) if env else None)
    _CHILDREN[proc.pid] = proc
    return proc


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or f"(empty log {path})"


def _stop_helpers_at_exit() -> None:
    for pid in list(_HELPER_PIDS):
        stop_pid(pid)


atexit.register(_stop_helpers_at_exit)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_port(host: str, port: int, timeout: float = START_TIMEOUT,
              proc: Optional[subprocess.Popen] = None, log: Optional[Path] = None,
              what: str = "") -> None:
    """Wait until ``host:port`` accepts TCP connections; fail early if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while True:
        if port_open(host, port, timeout=0.3):
            return
        if proc is not None and proc.poll() is not None:
            raise LabError(f"{what or proc.args[0]} exited with status {proc.returncode} before "
                           f"listening on {host}:{port}; log {log}:\n{_tail(log) if log else ''}")
        if time.monotonic() > deadline:
            raise LabError(f"{what or 'server'} did not listen on {host}:{port} within "
                           f"{timeout:.0f} s" + (f"; log {log}:\n{_tail(log)}" if log else ""))
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# Loopback addresses

def _lo_addresses() -> set[str]:
    out = subprocess.run(["ip", "-o", "-4", "addr", "show", "dev", "lo"], check=True,
                         capture_output=True, text=True).stdout
    return set(re.findall(r"\binet (\d+\.\d+\.\d+\.\d+)/", out))


def add_loopback_address(ip: str, state_dir: Optional[PathLike] = None) -> bool:
    """Make sure ``ip`` (127.0.0.0/8 only) is configured on ``lo``; idempotent.

    Returns True when this call added it. What was added is remembered in
    ``state_dir/added_addresses.json`` (default: the lab at ``default_state_dir()``) so that
    ``Lab.down()`` removes exactly the addresses the lab added.
    """
    ip = check_loopback(ip)
    if ip in _lo_addresses():
        return False
    res = subprocess.run(["ip", "addr", "add", f"{ip}/32", "dev", "lo"],
                         capture_output=True, text=True, check=False)
    if res.returncode != 0 and ip not in _lo_addresses():
        raise LabError(f"cannot add {ip}/32 to lo: {res.stderr.strip()} (the lab needs root)")
    record = Path(state_dir or default_state_dir()) / ADDED_ADDRESSES
    record.parent.mkdir(parents=True, exist_ok=True)
    added = _read_json(record, [])
    if ip not in added:
        added.append(ip)
    _write_json(record, added)
    return True


def remove_loopback_address(ip: str) -> bool:
    ip = check_loopback(ip)
    if ip == "127.0.0.1" or ip not in _lo_addresses():
        return False
    subprocess.run(["ip", "addr", "del", f"{ip}/32", "dev", "lo"], capture_output=True,
                   check=False)
    return True


# ---------------------------------------------------------------------------------------------
# Small file helpers

def _read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return default


def _write_text(path: Path, text: str, mode: int = 0o644) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _write_json(path: Path, data: Any, mode: int = 0o644) -> None:
    _write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n", mode)


def _yaml_scalar(value: Any) -> str:
    # JSON scalars are valid YAML flow scalars (strings double-quoted, so never reinterpreted).
    return json.dumps(value)


def to_yaml(data: Any, indent: int = 0) -> str:
    """A tiny YAML emitter for dicts/lists/scalars (no PyYAML needed)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(data, dict):
        if not data:
            return pad + "{}\n"
        for key, value in data.items():
            if isinstance(value, (dict, list)) and value:
                lines.append(f"{pad}{key}:\n" + to_yaml(value, indent + 2).rstrip("\n"))
            else:
                lines.append(f"{pad}{key}: " + (to_yaml(value).strip() if isinstance(
                    value, (dict, list)) else _yaml_scalar(value)))
    elif isinstance(data, list):
        if not data:
            return pad + "[]\n"
        for item in data:
            if isinstance(item, (dict, list)) and item:
                inner = to_yaml(item, indent + 2).rstrip("\n")
                lines.append(pad + "- " + inner[indent + 2:])
            else:
                lines.append(pad + "- " + (to_yaml(item).strip() if isinstance(
                    item, (dict, list)) else _yaml_scalar(item)))
    else:
        lines.append(pad + _yaml_scalar(data))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Test CA and certificates (trustme, imported lazily)

def _trustme():
    try:
        import trustme
    except ImportError as exc:  # pragma: no cover - environment problem
        raise LabError(f"trustme is not importable from {sys.executable}: {exc}; run the lab "
                       "with the project virtualenv's python") from None
    return trustme


def new_ca():
    """A fresh CA (e.g. an *untrusted* one for negative tests)."""
    return _trustme().CA()


def load_ca(source: Any = None):
    """The lab CA: ``source`` is a lab info dict, a state dir, or None (the default lab)."""
    if isinstance(source, dict):
        state_dir = Path(source["state_dir"])
    else:
        state_dir = Path(source or default_state_dir())
    try:
        cert = (state_dir / "ca.pem").read_bytes()
        key = (state_dir / "ca.key").read_bytes()
    except OSError as exc:
        raise LabError(f"no lab CA in {state_dir} ({exc}); is the lab up?") from None
    return _trustme().CA.from_pem(cert, key)


def write_leaf(leaf, cert_path: PathLike, key_path: PathLike) -> tuple[str, str]:
    """Write a trustme LeafCert as fullchain PEM + key PEM (0600)."""
    chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
    _write_text(Path(cert_path), chain.decode("ascii"), 0o644)
    _write_text(Path(key_path), leaf.private_key_pem.bytes().decode("ascii"), 0o600)
    return str(cert_path), str(key_path)


def issue_cert(names: Union[str, Iterable[str]], not_before: Optional[datetime.datetime] = None,
               not_after: Optional[datetime.datetime] = None, ca: Any = None,
               out_dir: Optional[PathLike] = None,
               basename: Optional[str] = None) -> tuple[str, str]:
    """Issue a certificate for ``names`` and write it; returns ``(cert_path, key_path)``.

    ``ca``: a trustme.CA (e.g. ``new_ca()`` for an untrusted issuer), a lab info dict or a state
    dir (that lab's CA), or None (the lab at ``default_state_dir()``). ``not_before`` /
    ``not_after``: timezone-aware datetimes (an expired certificate: both in the past).
    ``out_dir``: default ``<state_dir>/extra-certs`` for a lab CA, else a new temp dir.
    The certificate file is the full chain (leaf first), the key file has mode 0600.
    """
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise LabError("issue_cert needs at least one name")
    trustme = _trustme()
    if isinstance(ca, trustme.CA):
        ca_obj = ca
        base_dir = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="mailsec-certs-"))
    else:
        ca_obj = load_ca(ca)
        state_dir = Path(ca["state_dir"]) if isinstance(ca, dict) else Path(
            ca or default_state_dir())
        base_dir = Path(out_dir) if out_dir else state_dir / "extra-certs"
    base_dir.mkdir(parents=True, exist_ok=True)
    kwargs = {}
    if not_before is not None:
        kwargs["not_before"] = not_before
    if not_after is not None:
        kwargs["not_after"] = not_after
    leaf = ca_obj.issue_cert(*names, common_name=names[0], **kwargs)
    stem = basename or (re.sub(r"[^A-Za-z0-9_.-]", "_", names[0]) + "-" + secrets.token_hex(3))
    return write_leaf(leaf, base_dir / f"{stem}.crt", base_dir / f"{stem}.key")


# ---------------------------------------------------------------------------------------------
# Fetching a policy the way a sender does

def fetch_policy(address: str, host: str, ca_path: str, timeout: float = 5.0) -> tuple[str, bytes, bytes]:
    """GET https://<host>/.well-known/mta-sts.txt from ``address``:443 with SNI and a certificate check.

    Returns ``(status line, leaf certificate DER, body)``; raises OSError / ssl.SSLError when the
    connection or the certificate check fails.
    """
    check_loopback(address)
    context = ssl.create_default_context(cafile=ca_path)
    with socket.create_connection((address, 443), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            leaf = tls.getpeercert(binary_form=True)
            tls.sendall((f"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {host}\r\n"
                         "Connection: close\r\n\r\n").encode("ascii"))
            data = b""
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
    head, dummy, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0].decode("latin-1"), leaf, body


# ---------------------------------------------------------------------------------------------
# Fleet domains: many lab domains at once, for scale tests and benchmarks

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


# ---------------------------------------------------------------------------------------------
# named

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
    return recs


def _named_conf(named_dir: Path, tsig_path: Path, readonly_path: Path) -> str:
    d = str(named_dir)
    return f"""// mailsec lab: generated by tests/lab/lab.py, do not edit
include "{tsig_path}";
include "{readonly_path}";
options {{
\tdirectory "{d}";
\tpid-file "{d}/named.pid";
\tsession-keyfile "{d}/session.key";
\tmanaged-keys-directory "{d}";
\tlisten-on port {DNS_PORT} {{ {NAMED_ADDRESS}; }};
\tlisten-on-v6 {{ none; }};
\trecursion no;
\tallow-recursion {{ none; }};
\tallow-query {{ 127.0.0.0/8; }};
\tallow-transfer {{ 127.0.0.0/8; }};
\tdnssec-validation no;
\tnotify no;
\tempty-zones-enable no;
\tauth-nxdomain no;
}};
controls {{ }};
zone "{ZONE}" {{
\ttype primary;
\tfile "{ZONE}.zone";
\tupdate-policy {{ grant {KEY_NAME} zonesub ANY; }};
}};
zone "{OTHER_ZONE}" {{
\ttype primary;
\tfile "{OTHER_ZONE}.zone";
\tallow-update {{ none; }};
}};
"""


def _knot_conf(knot_dir: Path, secret: str, readonly_secret: str) -> str:
    """Knot DNS: the update key may query and update mailsec.test; the read-only key may only
    query (Knot answers BADKEY to its updates); other.test may be read with both, updated by none.
    A key in no ACL of a zone gets BADKEY even on reads, hence the query ACLs."""
    d = str(knot_dir)
    return f"""# mailsec lab: generated by tests/lab/lab.py, do not edit
server:
    listen: {KNOT_ADDRESS}@{DNS_PORT}
    rundir: "{d}"
    pidfile: "{d}/knot.pid"
    user: root:root
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: info
database:
    storage: "{d}"
key:
  - id: {KEY_NAME}
    algorithm: {KEY_ALGORITHM}
    secret: {secret}
  - id: {READONLY_KEY_NAME}
    algorithm: {KEY_ALGORITHM}
    secret: {readonly_secret}
acl:
  - id: lab_update
    key: {KEY_NAME}
    action: [query, update]
  - id: lab_query
    key: [{KEY_NAME}, {READONLY_KEY_NAME}]
    action: query
template:
  - id: default
    storage: "{d}"
    file: "%s.zone"
    semantic-checks: off
zone:
  - domain: {ZONE}
    acl: [lab_update, lab_query]
  - domain: {OTHER_ZONE}
    acl: [lab_query]
"""


def _powerdns_conf(pdns_dir: Path) -> str:
    """PowerDNS with the gsqlite3 backend. Updates are allowed per zone (ALLOW-DNSUPDATE-FROM and
    TSIG-ALLOW-DNSUPDATE metadata, set by _powerdns_setup), so other.test takes none. No caches:
    a read right after an update must see it."""
    d = str(pdns_dir)
    return f"""# mailsec lab: generated by tests/lab/lab.py, do not edit
launch=gsqlite3
gsqlite3-database={d}/pdns.sqlite3
local-address={POWERDNS_ADDRESS}
local-port={DNS_PORT}
socket-dir={d}
daemon=no
guardian=no
api=no
webserver=no
disable-syslog=yes
dnsupdate=yes
allow-dnsupdate-from=
cache-ttl=0
negquery-cache-ttl=0
query-cache-ttl=0
receiver-threads=1
distributor-threads=1
signing-threads=1
security-poll-suffix=
"""


def _powerdns_setup(pdns_dir: Path, zone_files: dict, secret: str, readonly_secret: str) -> None:
    """The PowerDNS database: schema, zones, both keys, and which key may update mailsec.test.

    Serials go up by one per update (SOA-EDIT-DNSUPDATE INCREASE), as on BIND and Knot; PowerDNS's
    default would turn the serial into a date the first time.
    """
    import sqlite3
    schema = Path("/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql")
    if not schema.exists():
        raise LabError(f"{schema} not found: apt-get install -y pdns-backend-sqlite3")
    with contextlib.closing(sqlite3.connect(str(pdns_dir / "pdns.sqlite3"))) as db:
        db.executescript(schema.read_text())
        db.commit()
    pdnsutil = shutil.which("pdnsutil") or "/usr/bin/pdnsutil"
    key, readonly = KEY_NAME.rstrip("."), READONLY_KEY_NAME.rstrip(".")
    steps = [["load-zone", zone, str(path)] for zone, path in zone_files.items()] + [
        ["import-tsig-key", key, KEY_ALGORITHM, secret],
        ["import-tsig-key", readonly, KEY_ALGORITHM, readonly_secret],
        ["set-meta", ZONE, "ALLOW-DNSUPDATE-FROM", "127.0.0.0/8"],
        ["set-meta", ZONE, "TSIG-ALLOW-DNSUPDATE", key],
        ["set-meta", ZONE, "SOA-EDIT-DNSUPDATE", "INCREASE"],
    ]
    for step in steps:
        res = subprocess.run([pdnsutil, f"--config-dir={pdns_dir}"] + step, capture_output=True,
                             text=True, check=False)
        if res.returncode != 0:
            raise LabError(f"pdnsutil {step[0]} {step[1]} failed: {(res.stderr or res.stdout).strip()}")


def _encode_qname(name: str) -> bytes:
    out = b""
    for label in name.strip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def soa_answers(server: str, port: int, zone: str, timeout: float = 0.5) -> bool:
    """True when ``server`` answers an authoritative SOA for ``zone`` (stdlib only, UDP)."""
    qid = secrets.randbelow(65536)
    query = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + _encode_qname(zone) + struct.pack(
        "!HH", 6, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(query, (server, port))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                data, dummy = sock.recvfrom(4096)
                if len(data) < 12:
                    continue
                rid, flags, _qd, ancount, _ns, _ar = struct.unpack("!HHHHHH", data[:12])
                if rid != qid:
                    continue
                return bool(flags & 0x8000 and flags & 0x0400 and (flags & 0xF) == 0
                            and ancount > 0)
        except OSError:
            return False
    return False


# ---------------------------------------------------------------------------------------------
# SMTP listeners (tests/lab/smtp_listener.py, a detached child)

def start_smtp(listeners: Iterable[Union[dict, Sequence]], log_path: PathLike,
               greeting_delay: float = 0.0, starttls: bool = True, wait: bool = True,
               python: Optional[str] = None, _helper: bool = True) -> int:
    """Start one smtp_listener.py process serving every listener; returns its PID.

    Each listener is ``{"address", "port", "cert", "key", "hostname"}`` (cert/key/hostname
    optional: no cert = no STARTTLS on that listener) or a tuple in that order. Accepts mail and
    discards it. ``greeting_delay`` delays the 220 banner; ``starttls=False`` offers no STARTTLS
    anywhere. Waits until every port accepts connections. Stop it with ``stop_pid(pid)``.
    """
    argv = [python or sys.executable, str(SMTP_LISTENER)]
    addrs = []
    for item in listeners:
        if not isinstance(item, dict):
            item = dict(zip(("address", "port", "cert", "key", "hostname"), item))
        address = check_loopback(item["address"])
        port = int(item.get("port") or SMTP_PORT)
        spec = f"{address}:{port}"
        if item.get("cert"):
            spec += f":{item['cert']}:{item['key']}"
            if item.get("hostname"):
                spec += f":{item['hostname']}"
        argv += ["--listen", spec]
        addrs.append((address, port))
    if not addrs:
        raise LabError("start_smtp needs at least one listener")
    if greeting_delay:
        argv += ["--greeting-delay", str(greeting_delay)]
    if not starttls:
        argv.append("--no-starttls")
    log = Path(log_path)
    proc = _spawn(argv, log)
    if _helper:
        _HELPER_PIDS.add(proc.pid)
    if wait:
        try:
            for address, port in addrs:
                wait_port(address, port, proc=proc, log=log, what="SMTP listener")
        except LabError:
            stop_pid(proc.pid)
            raise
    return proc.pid


# ---------------------------------------------------------------------------------------------
# nginx helper (the lab does not run the role's nginx; tests use this to serve lab policies)

def render_tls_server(listen: str, server_name: str, cert: PathLike, key: PathLike,
                      root: PathLike, extra: str = "") -> str:
    """A minimal TLS ``server {}`` block. ``listen`` is ``ip`` or ``ip:port`` (default 443)."""
    host, dummy, port = str(listen).partition(":")
    check_loopback(host)
    return (
        "    server {\n"
        f"        listen {host}:{port or 443} ssl;\n"
        f"        server_name {server_name};\n"
        f"        ssl_certificate {cert};\n"
        f"        ssl_certificate_key {key};\n"
        "        ssl_protocols TLSv1.2 TLSv1.3;\n"
        f"        root {root};\n"
        + "".join(f"        {line}\n" for line in extra.strip().splitlines() if extra.strip())
        + "    }\n")


def render_nginx_conf(servers: str, workdir: PathLike) -> str:
    """A complete private nginx.conf around ``servers`` (server blocks), all state in workdir."""
    w = Path(workdir)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temps = "".join(f"    {kind}_temp_path {w}/{kind}_temp;\n"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (
        "# private nginx for the mailsec lab (tests/lab/lab.py)\n"
        f"{user}worker_processes 1;\n"
        f"pid {w}/nginx.pid;\n"
        f"error_log {w}/error.log info;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"    access_log {w}/access.log;\n"
        f"{temps}"
        "    server_tokens off;\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        "    types { text/plain txt; text/html html; application/json json; }\n"
        "    default_type application/octet-stream;\n"
        f"{servers}"
        "}\n")


APACHE_ADDRESS = f"127.{LAB_NET}.81.1"
_APACHE_MODULES = ("mpm_event", "authz_core", "mime", "socache_shmcb", "ssl")


def render_apache_conf(sites: Sequence[dict], workdir: PathLike, listen: str = APACHE_ADDRESS) -> str:
    """A complete private Apache httpd config: ``sites`` are ``{name, cert, key, root}`` served on
    ``listen``:443 as name-based TLS virtual hosts, ``.well-known/mta-sts.txt`` as text/plain
    (the README's Apache snippet); pid file, runtime dir and logs in ``workdir``."""
    w = Path(workdir)
    check_loopback(listen)
    modules = "".join(f"LoadModule {name}_module /usr/lib/apache2/modules/mod_{name}.so\n" for name in _APACHE_MODULES)
    vhosts = "".join(
        f"<VirtualHost {listen}:443>\n"
        f"    ServerName {site['name']}\n"
        "    SSLEngine on\n"
        f"    SSLCertificateFile {site['cert']}\n"
        f"    SSLCertificateKeyFile {site['key']}\n"
        f"    DocumentRoot {site['root']}\n"
        f"    <Directory {site['root']}>\n        Require all granted\n    </Directory>\n"
        "    <Location \"/.well-known/mta-sts.txt\">\n        ForceType text/plain\n    </Location>\n"
        "</VirtualHost>\n" for site in sites)
    return (
        "# private Apache httpd for the mailsec lab (tests/lab/lab.py)\n"
        f"ServerRoot {w}\nServerName localhost\nPidFile {w}/apache.pid\nDefaultRuntimeDir {w}\n"
        f"ErrorLog {w}/error.log\nLogLevel warn\nUser www-data\nGroup www-data\n{modules}TypesConfig /etc/mime.types\n"
        f"Listen {listen}:443 https\nSSLProtocol -all +TLSv1.2 +TLSv1.3\n"
        f"SSLSessionCache shmcb:{w}/ssl_scache(512000)\n{vhosts}")


def start_apache(sites: Sequence[dict], state_dir: PathLike, listen: str = APACHE_ADDRESS,
                 timeout: float = START_TIMEOUT) -> int:
    """Run a private Apache httpd (``apache2 -f CONF -DFOREGROUND``, detached); returns its PID.

    Checks the config with ``apache2 -t`` first (LabError with its output); returns once
    ``listen``:443 accepts. Stop it with ``stop_pid(pid)``. Needs the Debian package apache2.
    """
    apache = shutil.which("apache2") or "/usr/sbin/apache2"
    if not Path(apache).exists():
        raise LabError("apache2 not found: apt-get install -y apache2")
    base = Path(state_dir)
    base.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="apache-", dir=base))
    os.chmod(workdir, 0o755)
    conf = workdir / "apache2.conf"
    conf.write_text(render_apache_conf(sites, workdir, listen))
    check = subprocess.run([apache, "-f", str(conf), "-t"], capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise LabError(f"apache2 -t refused {conf}:\n{check.stderr.strip()}")
    log = workdir / "apache.out"
    proc = _spawn([apache, "-f", str(conf), "-DFOREGROUND"], log, cwd=workdir)
    _HELPER_PIDS.add(proc.pid)
    try:
        wait_port(listen, 443, timeout=timeout, proc=proc, log=workdir / "error.log", what="apache2")
    except LabError:
        stop_pid(proc.pid)
        raise
    return proc.pid


_LISTEN_RE = re.compile(r"^\s*listen\s+([^;\s]+)", re.M)


def _nginx_listens(conf_text: str) -> list[tuple[str, int]]:
    out = []
    for spec in _LISTEN_RE.findall(conf_text):
        host, sep, port = spec.rpartition(":")
        if not sep:
            raise LabError(f"nginx listen {spec!r} has no address; the lab binds 127.0.0.x only")
        out.append((check_loopback(host), int(port)))
    return out


def start_nginx(conf: Union[str, PathLike], state_dir: PathLike,
                timeout: float = START_TIMEOUT) -> int:
    """Run a private nginx in the foreground (detached); returns the master PID.

    ``conf``: a path to a complete nginx.conf (which must set its own ``pid``, ``error_log`` and
    ``*_temp_path`` outside system dirs), or text: a complete config (it contains ``http {``), or
    just ``server {}`` blocks which are wrapped with ``render_nginx_conf``. Every ``listen`` must
    name a 127.0.0.0/8 address. The config is checked with ``nginx -t`` first, and the call
    returns once every listen address accepts connections. Stop it with ``stop_pid(pid)``.
    """
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    base = Path(state_dir)
    base.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="nginx-", dir=base))
    os.chmod(workdir, 0o755)
    if isinstance(conf, os.PathLike) or ("\n" not in str(conf) and Path(str(conf)).is_file()):
        conf_path = Path(conf)
        text = conf_path.read_text()
    else:
        text = str(conf)
        if not re.search(r"^\s*http\s*\{", text, re.M):
            text = render_nginx_conf(text, workdir)
        conf_path = workdir / "nginx.conf"
        conf_path.write_text(text)
    listens = _nginx_listens(text)
    errlog = workdir / "error.log"
    base_cmd = [nginx, "-p", str(workdir), "-e", str(errlog), "-c", str(conf_path)]
    check = subprocess.run(base_cmd + ["-t", "-q"], capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise LabError(f"nginx -t refused {conf_path}:\n{check.stderr.strip()}")
    log = workdir / "nginx.out"
    proc = _spawn(base_cmd + ["-g", "daemon off;"], log, cwd=workdir)
    _HELPER_PIDS.add(proc.pid)
    try:
        for host, port in listens:
            wait_port(host, port, timeout=timeout, proc=proc, log=errlog, what="nginx")
    except LabError:
        stop_pid(proc.pid)
        raise
    return proc.pid


# ---------------------------------------------------------------------------------------------
# DNS helpers for tests (dnspython + TSIG)

def _dns():
    try:
        import dns.message  # noqa: F401
        import dns.name
        import dns.query
        import dns.rcode
        import dns.rdata
        import dns.rdataclass
        import dns.rdatatype
        import dns.rdtypes.ANY.TXT
        import dns.resolver
        import dns.tsig
        import dns.update
    except ImportError as exc:  # pragma: no cover
        raise LabError(f"dnspython is not importable from {sys.executable}: {exc}") from None
    return dns


def _zone_for(info: dict, name: str, zone: Optional[str]) -> tuple[str, str]:
    """(absolute name with trailing dot, zone) for a name given absolute or relative to zone."""
    d = info["dns"]
    n = name.rstrip(".")
    if zone is None:
        candidates = [z for z in (d["zone"], d.get("other_zone") or "")
                      if z and (n.lower() == z.lower() or n.lower().endswith("." + z.lower()))]
        zone = max(candidates, key=len) if candidates else d["zone"]
    z = zone.rstrip(".")
    if not (name.endswith(".") or n.lower() == z.lower() or n.lower().endswith("." + z.lower())):
        n = f"{n}.{z}" if n not in ("", "@") else z
    return n + ".", z + "."


def _tsig_key(info: dict):
    dns = _dns()
    d = info["dns"]
    return dns.tsig.Key(d["key_name"], d["key_secret"], d["key_algorithm"])


def _rdatas(rdtype: str, values: Sequence[Any], origin: str):
    dns = _dns()
    rdt = dns.rdatatype.from_text(rdtype)
    out = []
    for value in values:
        if rdt in (dns.rdatatype.TXT, dns.rdatatype.SPF) and not (
                isinstance(value, str) and value.startswith('"')):
            parts = [value] if isinstance(value, (str, bytes)) else list(value)
            strings = [p.encode() if isinstance(p, str) else bytes(p) for p in parts]
            out.append(dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rdt, strings))
        else:
            out.append(dns.rdata.from_text(dns.rdataclass.IN, rdt, str(value),
                                           origin=dns.name.from_text(origin), relativize=False))
    return out


def _send_update(info: dict, update, check: bool, timeout: float) -> str:
    dns = _dns()
    d = info["dns"]
    resp = dns.query.tcp(update, d["server"], port=int(d["port"]), timeout=timeout)
    rcode = dns.rcode.to_text(resp.rcode())
    if check and rcode != "NOERROR":
        raise LabError(f"DNS UPDATE refused by {d['server']}:{d['port']}: {rcode}")
    return rcode


def dns_update(lab_info: dict, name: str, rdtype: str, values: Sequence[Any], ttl: int = TTL,
               zone: Optional[str] = None, check: bool = True, timeout: float = 5.0) -> str:
    """Replace the whole ``rdtype`` RRset at ``name`` with ``values``; returns the rcode text.

    ``name``: absolute (``_mta-sts.alpha.mailsec.test``) or relative to the zone
    (``_mta-sts.alpha``).
    The zone is the lab zone, or ``other.test`` for names under it (whose update is REFUSED: pass
    ``check=False`` to get ``"REFUSED"`` back instead of an exception).
    TXT values: a str is one character-string (no quoting needed, ``;`` and spaces are literal),
    a list/tuple of str is ONE record made of several strings, a str starting with ``"`` is zone
    file presentation text. Other types take presentation text (``"10 mx1.mailsec.test."``).
    """
    if isinstance(values, (str, bytes)):
        values = [values]
    if not values:
        raise LabError("dns_update needs at least one value; use dns_delete to remove")
    dns = _dns()
    fqdn, zname = _zone_for(lab_info, name, zone)
    update = dns.update.UpdateMessage(zname, keyring=_tsig_key(lab_info))
    update.replace(fqdn, ttl, *_rdatas(rdtype, values, zname))
    return _send_update(lab_info, update, check, timeout)


def dns_delete(lab_info: dict, name: str, rdtype: Optional[str] = None,
               zone: Optional[str] = None, check: bool = True, timeout: float = 5.0) -> str:
    """Delete the ``rdtype`` RRset at ``name`` (every RRset there when rdtype is None)."""
    dns = _dns()
    fqdn, zname = _zone_for(lab_info, name, zone)
    update = dns.update.UpdateMessage(zname, keyring=_tsig_key(lab_info))
    if rdtype:
        update.delete(fqdn, rdtype)
    else:
        update.delete(fqdn)
    return _send_update(lab_info, update, check, timeout)


def dns_query(lab_info: dict, name: str, rdtype: str, timeout: float = 5.0) -> list[str]:
    """The RRset at ``name`` as presentation strings, asked over TCP from the lab named."""
    dns = _dns()
    d = lab_info["dns"]
    fqdn, dummy = _zone_for(lab_info, name, None)
    query = dns.message.make_query(fqdn, rdtype)
    resp = dns.query.tcp(query, d["server"], port=int(d["port"]), timeout=timeout)
    rdt = dns.rdatatype.from_text(rdtype)
    for rrset in resp.answer:
        if rrset.rdtype == rdt:
            return [rd.to_text() for rd in rrset]
    return []


def dns_serial(lab_info: dict, zone: Optional[str] = None) -> int:
    """The SOA serial of the lab zone (or ``zone``)."""
    z = zone or lab_info["dns"]["zone"]
    soa = dns_query(lab_info, z + "." if not z.endswith(".") else z, "SOA")
    return int(soa[0].split()[2])


def lab_resolver(lab_info: dict, timeout: float = 5.0):
    """A dnspython Resolver that asks only the lab named."""
    dns = _dns()
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [lab_info["dns"]["server"]]
    res.port = int(lab_info["dns"]["port"])
    res.lifetime = timeout
    return res


# ---------------------------------------------------------------------------------------------
# The lab

class Lab:
    """One lab instance whose files live in ``state_dir``; see the module docstring."""

    def __init__(self, state_dir: Optional[PathLike] = None):
        self.state_dir = Path(state_dir or default_state_dir()).absolute()
        self.message = ""

    # -- paths ----------------------------------------------------------------------------
    @property
    def lab_json(self) -> Path:
        return self.state_dir / LAB_JSON

    @property
    def info(self) -> Optional[dict]:
        """The lab.json data, or None when no lab is recorded in state_dir."""
        return _read_json(self.lab_json)

    # -- health ---------------------------------------------------------------------------
    def health(self) -> dict:
        info = self.info
        if not info:
            return {"recorded": False, "healthy": False}
        starts = info.get("pid_start_times", {})
        procs = {name: pid_alive(pid, starts.get(name)) for name, pid in
                 (info.get("pids") or {}).items()}
        dns_ok = False
        if info.get("status") == "up":
            servers = list((info.get("dns_servers") or {"bind": info["dns"]}).values())
            dns_ok = all(soa_answers(d["server"], int(d["port"]), d["zone"]) for d in servers)
        smtp_ok = {f"{m['address']}:{m['port']}": port_open(m["address"], int(m["port"]))
                   for m in info.get("mx_hosts", [])}
        healthy = (info.get("status") == "up" and bool(procs) and all(procs.values())
                   and dns_ok and all(smtp_ok.values()))
        return {"recorded": True, "status": info.get("status"), "processes": procs,
                "dns": dns_ok, "smtp": smtp_ok, "healthy": healthy}

    def is_running(self) -> bool:
        return self.health()["healthy"]

    # -- up -------------------------------------------------------------------------------
    def up(self) -> dict:
        """Start the lab (idempotent) and return the lab.json data."""
        health = self.health()
        if health["healthy"]:
            self.message = f"lab already running (state dir {self.state_dir})"
            return self.info
        if health["recorded"] or (self.state_dir / ADDED_ADDRESSES).exists():
            self.down()  # stale or half-started: clean up first
        t0 = time.monotonic()
        try:
            info = self._start()
        except BaseException:
            self.down()
            raise
        self.message = (f"lab up in {time.monotonic() - t0:.2f} s: named {NAMED_ADDRESS}:{DNS_PORT}, "
                        f"knotd {KNOT_ADDRESS}:{DNS_PORT}, pdns_server {POWERDNS_ADDRESS}:{DNS_PORT}"
                        f", SMTP {', '.join(a for dummy, a in MX_HOSTS)}:{SMTP_PORT}; "
                        f"{self.lab_json}")
        return info

    def _preflight(self) -> None:
        if os.geteuid() != 0:
            raise LabError("the lab needs root (port 53/25, ip addr add on lo)")
        for tool in ("named", "knotd", "pdns_server", "pdnsutil", "ip"):
            if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
                raise LabError(f"{tool} not found: apt-get install -y bind9 bind9-dnsutils knot "
                               "pdns-server pdns-backend-sqlite3 iproute2 nginx")
        dns = [(NAMED_ADDRESS, DNS_PORT), (KNOT_ADDRESS, DNS_PORT), (POWERDNS_ADDRESS, DNS_PORT)]
        busy = [f"{a}:{p}" for a, p in dns + [
            (addr, SMTP_PORT) for dummy, addr in MX_HOSTS] if port_open(a, p, timeout=0.3)]
        if busy:
            other = default_state_dir()
            hint = (f"; another lab may be running: python {Path(__file__)} down --dir {other}"
                    if (other / LAB_JSON).exists() and other != self.state_dir else "")
            raise LabError(f"already in use by something the lab did not start: "
                           f"{', '.join(busy)}{hint}")

    def _start(self) -> dict:
        self._preflight()
        sd = self.state_dir
        sd.mkdir(parents=True, exist_ok=True)
        os.chmod(sd, 0o755)
        named_dir, cert_dir, smtp_dir = sd / "named", sd / "certs", sd / "smtp"
        knot_dir, pdns_dir = sd / "knot", sd / "powerdns"
        for d in (named_dir, knot_dir, pdns_dir, cert_dir, smtp_dir, sd / "extra-certs",
                  sd / "fleet-certs"):
            shutil.rmtree(d, ignore_errors=True)
        for d in (named_dir, knot_dir, pdns_dir, cert_dir, smtp_dir):
            d.mkdir(mode=0o755)
        shutil.rmtree(sd / PEBBLE_DIR, ignore_errors=True)
        shutil.rmtree(sd / PEBBLE_CERTIFICATE_DIR, ignore_errors=True)
        for f in (LAB_JSON, LAB_VARS, TSIG_FILE, FLEET_VARS, "ca.pem", "ca.key"):
            with contextlib.suppress(FileNotFoundError):
                (sd / f).unlink()

        # TSIG keys and DNS server configs first, so the servers start while the CA is made.
        secret = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        readonly_secret = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        tsig_path = sd / TSIG_FILE
        _write_text(tsig_path, _tsig_key_text(secret), 0o600)
        readonly_path = named_dir / "readonly.key"
        _write_text(readonly_path, _tsig_key_text(readonly_secret, READONLY_KEY_NAME), 0o600)
        serial = int(time.time())
        zones = {ZONE: _zone_text(ZONE, _main_zone_records(), serial),
                 OTHER_ZONE: _zone_text(OTHER_ZONE, [
                     '@\tIN\tTXT\t"mailsec lab: the lab key may not update this zone"'], serial)}
        for directory in (named_dir, knot_dir, pdns_dir):
            for zone, text in zones.items():
                _write_text(directory / f"{zone}.zone", text)
        conf = named_dir / "named.conf"
        _write_text(conf, _named_conf(named_dir, tsig_path, readonly_path))
        knot_conf = knot_dir / "knot.conf"
        _write_text(knot_conf, _knot_conf(knot_dir, secret, readonly_secret), 0o600)
        _write_text(pdns_dir / "pdns.conf", _powerdns_conf(pdns_dir))

        add_loopback_address(NAMED_ADDRESS, sd)
        servers = {}
        for name, address, software in (("bind", NAMED_ADDRESS, "BIND 9"), ("knot", KNOT_ADDRESS, "Knot DNS"),
                                        ("powerdns", POWERDNS_ADDRESS, "PowerDNS")):
            servers[name] = {"server": address, "port": DNS_PORT, "zone": ZONE, "key_name": KEY_NAME,
                             "key_secret": secret, "key_algorithm": KEY_ALGORITHM,
                             "other_zone": OTHER_ZONE, "readonly_key_name": READONLY_KEY_NAME,
                             "readonly_key_secret": readonly_secret, "name": name,
                             "software": software}
        info: dict = {
            "status": "starting",
            "state_dir": str(sd),
            "dns": servers["bind"],
            "dns_servers": servers,
            "tsig_key_file": str(tsig_path),
            "pids": {},
            "pid_start_times": {},
        }
        named = shutil.which("named") or "/usr/sbin/named"
        named_log = named_dir / "named.log"
        named_proc = _spawn([named, "-g", "-4", "-c", str(conf)], named_log, cwd=named_dir)
        self._record_pid(info, "named", named_proc.pid)
        knotd = shutil.which("knotd") or "/usr/sbin/knotd"
        knot_log = knot_dir / "knot.log"
        knot_proc = _spawn([knotd, "-c", str(knot_conf)], knot_log, cwd=knot_dir)
        self._record_pid(info, "knot", knot_proc.pid)
        _powerdns_setup(pdns_dir, {zone: pdns_dir / f"{zone}.zone" for zone in zones}, secret,
                        readonly_secret)
        pdns_server = shutil.which("pdns_server") or "/usr/sbin/pdns_server"
        pdns_log = pdns_dir / "pdns.log"
        pdns_proc = _spawn([pdns_server, f"--config-dir={pdns_dir}"], pdns_log, cwd=pdns_dir)
        self._record_pid(info, "powerdns", pdns_proc.pid)

        # CA and certificates
        ca = new_ca()
        _write_text(sd / "ca.pem", ca.cert_pem.bytes().decode("ascii"), 0o644)
        _write_text(sd / "ca.key", ca.private_key_pem.bytes().decode("ascii"), 0o600)
        certs = {}
        for name in [f"mta-sts.{d}" for d in DOMAINS] + [mx for mx, dummy in MX_HOSTS]:
            certs[name] = write_leaf(ca.issue_cert(name, common_name=name),
                                     cert_dir / f"{name}.crt", cert_dir / f"{name}.key")

        # SMTP listeners: one process, one listener per MX host.
        smtp_log = smtp_dir / "smtp.log"
        smtp_pid = start_smtp(
            [{"address": addr, "port": SMTP_PORT, "cert": certs[mx][0], "key": certs[mx][1],
              "hostname": mx} for mx, addr in MX_HOSTS],
            smtp_log, wait=False, _helper=False)
        self._record_pid(info, "smtp", smtp_pid)

        info.update({
            "ca_path": str(sd / "ca.pem"),
            "ca_key_path": str(sd / "ca.key"),
            "domains": [{
                "domain": d,
                "mx": [mx for mx, dummy in MX_HOSTS],
                "mta_sts_host": f"mta-sts.{d}",
                "mta_sts_address": MTA_STS_ADDRESS,
                "tls_certificate": certs[f"mta-sts.{d}"][0],
                "tls_certificate_key": certs[f"mta-sts.{d}"][1],
            } for d in DOMAINS],
            "mx_hosts": [{
                "name": mx, "address": addr, "port": SMTP_PORT, "preference": pref,
                "tls_certificate": certs[mx][0], "tls_certificate_key": certs[mx][1],
            } for pref, (mx, addr) in zip(MX_PREFERENCES, MX_HOSTS)],
            "smtp_port": SMTP_PORT,
            "logs": {"named": str(named_log), "knot": str(knot_log), "powerdns": str(pdns_log),
                     "smtp": str(smtp_log)},
        })
        _write_json(self.lab_json, info, 0o600)

        # Wait for every daemon.
        deadline = time.monotonic() + START_TIMEOUT
        for what, proc, address, log in (("named", named_proc, NAMED_ADDRESS, named_log),
                                         ("knotd", knot_proc, KNOT_ADDRESS, knot_log),
                                         ("pdns_server", pdns_proc, POWERDNS_ADDRESS, pdns_log)):
            while not soa_answers(address, DNS_PORT, ZONE, timeout=0.3):
                if proc.poll() is not None:
                    raise LabError(f"{what} exited with status {proc.returncode}; "
                                   f"tail of {log}:\n{_tail(log)}")
                if time.monotonic() > deadline:
                    raise LabError(f"{what} did not answer SOA {ZONE} on {address}:{DNS_PORT} "
                                   f"within {START_TIMEOUT:.0f} s; tail of {log}:\n{_tail(log)}")
                time.sleep(0.05)
        smtp_proc = _CHILDREN.get(smtp_pid)
        for _mx, addr in MX_HOSTS:
            wait_port(addr, SMTP_PORT, timeout=max(1.0, deadline - time.monotonic()),
                      proc=smtp_proc, log=smtp_log, what="SMTP listener")

        info["status"] = "up"
        self._save(info)
        return info

    def _save(self, info: dict) -> None:
        """Write lab.json and lab_vars.yml (the same data, keys prefixed ``lab_``)."""
        _write_json(self.lab_json, info, 0o600)
        _write_text(self.state_dir / LAB_VARS, "---\n# mailsec lab: generated by tests/lab/lab.py\n"
                    + to_yaml({f"lab_{k}": v for k, v in info.items()}), 0o600)

    # -- pebble ---------------------------------------------------------------------------
    def pebble_running(self) -> bool:
        info = self.info or {}
        pid = (info.get("pids") or {}).get("pebble")
        return bool(pid and info.get("pebble") and pid_alive(pid, info["pid_start_times"].get("pebble"))
                    and port_open(PEBBLE_ADDRESS, PEBBLE_PORT))

    def pebble_up(self) -> dict:
        """Start Pebble on the running lab (idempotent); returns lab.json's ``pebble`` entry.

        Pebble resolves names through the lab named and validates http-01 on port 80; its API
        certificate comes from the lab CA (so ``ca_path``-style trust of ``ca.pem`` works). Its
        issuing root is made anew on every start: it is fetched from the management API into
        ``pebble/root.pem``, and ``pebble/verify-ca.pem`` is the lab CA plus that root (what a
        verification of Pebble-issued certificates trusts). Every start also empties
        ``acme/`` (the role's ACME files in the lab), whose certificates the old root signed.
        """
        if not self.health()["healthy"]:
            raise LabError(f"the lab in {self.state_dir} is not running; run `lab.py up` first")
        if self.pebble_running():
            self.message = f"pebble already running ({self.info['pebble']['directory']})"
            return self.info["pebble"]
        info = self.info
        old = (info.get("pids") or {}).get("pebble")
        if old:
            stop_pid(old, start_time=info["pid_start_times"].get("pebble"))
        pebble = shutil.which("pebble") or "/usr/bin/pebble"
        if not Path(pebble).exists():
            raise LabError("pebble not found: apt-get install -y pebble")
        if port_open(PEBBLE_ADDRESS, PEBBLE_PORT) or port_open(PEBBLE_ADDRESS, PEBBLE_MANAGEMENT_PORT):
            raise LabError(f"{PEBBLE_ADDRESS}:{PEBBLE_PORT}/{PEBBLE_MANAGEMENT_PORT} already in use by "
                           "something the lab did not start")
        t0 = time.monotonic()
        sd = self.state_dir
        pdir = sd / PEBBLE_DIR
        shutil.rmtree(pdir, ignore_errors=True)
        shutil.rmtree(sd / PEBBLE_CERTIFICATE_DIR, ignore_errors=True)
        pdir.mkdir(mode=0o755)
        cert, key = write_leaf(self.ca().issue_cert(PEBBLE_ADDRESS, common_name=PEBBLE_ADDRESS),
                               pdir / "api.crt", pdir / "api.key")
        config = pdir / "pebble-config.json"
        _write_json(config, {"pebble": {
            "listenAddress": f"{PEBBLE_ADDRESS}:{PEBBLE_PORT}",
            "managementListenAddress": f"{PEBBLE_ADDRESS}:{PEBBLE_MANAGEMENT_PORT}",
            "certificate": cert,
            "privateKey": key,
            "httpPort": PEBBLE_HTTP_PORT,
            "tlsPort": 443,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
            "certificateValidityPeriod": PEBBLE_VALIDITY_SECONDS,
        }})
        log = pdir / "pebble.log"
        proc = _spawn([pebble, "-config", str(config), "-dnsserver", f"{NAMED_ADDRESS}:{DNS_PORT}"],
                      log, cwd=pdir, env=PEBBLE_ENV)
        self._record_pid(info, "pebble", proc.pid)
        try:
            for port in (PEBBLE_PORT, PEBBLE_MANAGEMENT_PORT):
                wait_port(PEBBLE_ADDRESS, port, proc=proc, log=log, what="pebble")
            context = ssl.create_default_context(cafile=info["ca_path"])
            management = f"https://{PEBBLE_ADDRESS}:{PEBBLE_MANAGEMENT_PORT}"
            with urllib.request.urlopen(f"{management}/roots/0", context=context, timeout=10) as resp:
                root = resp.read().decode("ascii")
        except (LabError, OSError) as exc:
            stop_pid(proc.pid)
            raise LabError(f"pebble did not come up: {exc}; log {log}:\n{_tail(log)}") from None
        _write_text(pdir / "root.pem", root)
        bundle = Path(info["ca_path"]).read_text().rstrip("\n") + "\n" + root
        _write_text(pdir / "verify-ca.pem", bundle)
        info["pebble"] = {
            "directory": f"https://{PEBBLE_ADDRESS}:{PEBBLE_PORT}/dir",
            "address": PEBBLE_ADDRESS,
            "port": PEBBLE_PORT,
            "management": management,
            "http_port": PEBBLE_HTTP_PORT,
            # The ACME API's certificate is from the lab CA: trust this file to talk to Pebble.
            "api_ca_path": info["ca_path"],
            # What Pebble's certificates chain to (new on every start), and that plus the lab CA.
            "root_path": str(pdir / "root.pem"),
            "verify_ca_path": str(pdir / "verify-ca.pem"),
            "certificate_dir": str(sd / PEBBLE_CERTIFICATE_DIR),
            "validity_days": PEBBLE_VALIDITY_SECONDS // 86400,
        }
        info.setdefault("logs", {})["pebble"] = str(log)
        self._save(info)
        self.message = (f"pebble up in {time.monotonic() - t0:.2f} s: {info['pebble']['directory']} "
                        f"(DNS {NAMED_ADDRESS}:{DNS_PORT}, http-01 on port {PEBBLE_HTTP_PORT})")
        return info["pebble"]

    def _record_pid(self, info: dict, name: str, pid: int) -> None:
        info["pids"][name] = pid
        info["pid_start_times"][name] = pid_start_time(pid)
        _write_json(self.lab_json, info, 0o600)  # recorded at once: down() can always stop it

    # -- down -----------------------------------------------------------------------------
    def down(self) -> bool:
        """Stop exactly the recorded PIDs and remove added addresses; True if anything ran."""
        info = self.info or {}
        starts = info.get("pid_start_times", {})
        stopped = []
        for name, pid in (info.get("pids") or {}).items():
            if stop_pid(pid, start_time=starts.get(name)):
                stopped.append(f"{name} ({pid})")
        record = self.state_dir / ADDED_ADDRESSES
        removed = [ip for ip in _read_json(record, []) if remove_loopback_address(ip)]
        for f in (record, self.lab_json, self.state_dir / LAB_VARS, self.state_dir / TSIG_FILE,
                  self.state_dir / FLEET_VARS):
            with contextlib.suppress(FileNotFoundError):
                f.unlink()
        parts = []
        if stopped:
            parts.append("stopped " + ", ".join(stopped))
        if removed:
            parts.append("removed " + ", ".join(removed) + " from lo")
        self.message = "; ".join(parts) if parts else "nothing was running"
        return bool(stopped or removed)

    def purge(self) -> list[str]:
        """``down()``, then remove every file and folder the lab makes in its dir, and the dir if
        that leaves it empty (anything else in it is left alone). Returns what was removed."""
        self.down()
        removed = []
        for name in LAB_STATE_ENTRIES:
            path = self.state_dir / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            elif path.exists() or path.is_symlink():
                path.unlink()
            else:
                continue
            removed.append(name)
        with contextlib.suppress(OSError):
            self.state_dir.rmdir()
            removed.append(str(self.state_dir))
        self.message = "removed " + ", ".join(removed) if removed else "nothing to remove"
        return removed

    # -- conveniences ---------------------------------------------------------------------
    def add_loopback_address(self, ip: str) -> bool:
        return add_loopback_address(ip, self.state_dir)

    def issue_cert(self, names, **kwargs) -> tuple[str, str]:
        return issue_cert(names, ca=kwargs.pop("ca", None) or self.state_dir, **kwargs)

    def ca(self):
        return load_ca(self.state_dir)


# ---------------------------------------------------------------------------------------------
# CLI

def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="lab.py", description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("command", choices=("up", "pebble-up", "down", "purge", "status", "add-fleet"))
    parser.add_argument("--dir", default=None,
                        help=f"state dir (default $MAILSEC_LAB_DIR or {DEFAULT_DIR})")
    parser.add_argument("--json", action="store_true", help="status: print lab.json")
    parser.add_argument("--pebble", action="store_true",
                        help="up: also start Pebble, the ACME test server (as pebble-up)")
    parser.add_argument("--count", type=int, default=50, help="add-fleet: how many domains (default 50)")
    args = parser.parse_args(argv)
    lab = Lab(args.dir)
    try:
        if args.command == "up":
            lab.up()
            print(lab.message)
            if args.pebble:
                lab.pebble_up()
                print(lab.message)
            return 0
        if args.command == "pebble-up":
            lab.pebble_up()
            print(lab.message)
            return 0
        if args.command == "add-fleet":
            if not lab.health()["healthy"]:
                raise LabError(f"the lab in {lab.state_dir} is not running; run `lab.py up` first")
            entries = add_fleet_domains(lab.info, args.count)
            print(f"added {len(entries)} fleet domains; role entries in {lab.state_dir}/fleet_vars.yml")
            return 0
        if args.command == "purge":
            lab.purge()
            print(f"lab purged ({lab.state_dir}): {lab.message}")
            return 0
        if args.command == "down":
            lab.down()
            print(f"lab down ({lab.state_dir}): {lab.message}")
            return 0
        health = lab.health()
        if args.json:
            print(json.dumps(lab.info or {}, indent=2))
        if not health["recorded"]:
            print(f"lab not running (no {lab.lab_json})")
            return 1
        print(f"lab {'up' if health['healthy'] else 'DEGRADED'} ({lab.state_dir}): "
              f"processes {health['processes']}, named answers: {health['dns']}, "
              f"smtp: {health['smtp']}")
        return 0 if health["healthy"] else 2
    except LabError as exc:
        print(f"lab {args.command} failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
