# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab: one instance whose files live in a state dir (lab.json, lab_vars.yml).

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import shutil
import ssl
import time
import urllib.request
from pathlib import Path
from typing import Optional

from .addresses import add_loopback_address, remove_loopback_address
from .bind import _named_conf, start_named
from .ca import issue_cert, load_ca, new_ca, write_leaf
from .config import (
    ADDED_ADDRESSES, DKIM_DIR, DNS_PORT, DOMAINS, DOVECOT_ADDRESS, DOVECOT_DIR, IMAP_HOST, IMAP_PORT,
    IMAPS_PORT, FLEET_VARS, HERE, KEY_ALGORITHM, KEY_NAME, KNOT_ADDRESS,
    LAB_JSON, LAB_STATE_ENTRIES, LAB_VARS, LabError, MTA_STS_ADDRESS, MX_HOSTS, MX_PREFERENCES,
    NAMED_ADDRESS, OTHER_ZONE, PEBBLE_ADDRESS, PEBBLE_CERTIFICATE_DIR, PEBBLE_DIR, PEBBLE_ENV,
    PEBBLE_HTTP_PORT, PEBBLE_MANAGEMENT_PORT, PEBBLE_PORT, PEBBLE_VALIDITY_SECONDS, POWERDNS_ADDRESS,
    PathLike, READONLY_KEY_NAME, SMTP_PORT, START_TIMEOUT, TSIG_FILE, ZONE, default_state_dir,
)
from .dkim import make_keys, zone_records
from .dns_client import soa_answers
from .dovecot import start_dovecot
from .files import _read_json, _write_json, _write_text, to_yaml
from .knot import _knot_conf, start_knot
from .powerdns import _powerdns_conf, _powerdns_setup, start_powerdns
from .processes import _CHILDREN, _spawn, _tail, pid_alive, pid_start_time, port_open, stop_pid, wait_port
from .smtp import start_smtp
from .zones import _main_zone_records, _tsig_key_text, _zone_text

# The health probes' timeouts (seconds): the first is the usual answer; the others only while every
# process of the lab is alive (see Lab.health).
PROBE_TIMEOUTS = (0.5, 2.0, 5.0)


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
        # While every process of the lab lives, a probe that gets no answer is asked again with more
        # time before the lab counts as broken: under load (make test's lanes side by side) a 0.5 s
        # probe of a busy PowerDNS timed out, `up` then restarted the lab with a new TSIG key and CA,
        # and every test still holding the old lab.json failed (BADSIG, unknown issuer).
        timeouts = PROBE_TIMEOUTS if procs and all(procs.values()) else PROBE_TIMEOUTS[:1]

        def answers(probe, *args):
            return any(probe(*args, timeout=timeout) for timeout in timeouts)

        dns_ok = False
        if info.get("status") == "up":
            servers = list((info.get("dns_servers") or {"bind": info["dns"]}).values())
            dns_ok = all(answers(soa_answers, d["server"], int(d["port"]), d["zone"]) for d in servers)
        smtp_ok = {f"{m['address']}:{m['port']}": answers(port_open, m["address"], int(m["port"]))
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
            hint = (f"; another lab may be running: python {HERE / 'lab.py'} down --dir {other}"
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
        # DKIM keys of the report senders: new at every start, published with the zone.
        shutil.rmtree(sd / DKIM_DIR, ignore_errors=True)
        dkim_keys = make_keys(sd / DKIM_DIR)
        zones = {ZONE: _zone_text(ZONE, _main_zone_records() + zone_records(dkim_keys), serial),
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
        named_proc, named_log = start_named(named_dir, conf)
        self._record_pid(info, "named", named_proc.pid)
        knot_proc, knot_log = start_knot(knot_dir, knot_conf)
        self._record_pid(info, "knot", knot_proc.pid)
        _powerdns_setup(pdns_dir, {zone: pdns_dir / f"{zone}.zone" for zone in zones}, secret,
                        readonly_secret)
        pdns_proc, pdns_log = start_powerdns(pdns_dir)
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
            "dkim": [{k: v for k, v in entry.items() if k != "txt"} for entry in dkim_keys],
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

    # -- dovecot --------------------------------------------------------------------------
    def dovecot_up(self, users: dict) -> dict:
        """Start (again) the lab's Dovecot with ``users`` ({name: password}) and empty mailboxes;
        returns lab.json's ``imap`` entry. The IMAP server name is IMAP_HOST (an A record in the
        zone), its certificate from the lab CA."""
        info = self.info
        if not info or info.get("status") != "up":
            raise LabError(f"the lab in {self.state_dir} is not running; run `lab.py up` first")
        old = (info.get("pids") or {}).get("dovecot")
        if old:
            stop_pid(old, start_time=info["pid_start_times"].get("dovecot"))
        busy = [port for port in (IMAP_PORT, IMAPS_PORT) if port_open(DOVECOT_ADDRESS, port, timeout=0.3)]
        if busy:
            raise LabError(f"{DOVECOT_ADDRESS}:{busy} already in use by something the lab did not start")
        directory = self.state_dir / DOVECOT_DIR
        cert, key = write_leaf(self.ca().issue_cert(IMAP_HOST, common_name=IMAP_HOST),
                               self.state_dir / "certs" / f"{IMAP_HOST}.crt",
                               self.state_dir / "certs" / f"{IMAP_HOST}.key")
        proc, log = start_dovecot(directory, cert, key, users)
        self._record_pid(info, "dovecot", proc.pid)
        info["imap"] = {"server": IMAP_HOST, "address": DOVECOT_ADDRESS, "port": IMAPS_PORT,
                        "starttls_port": IMAP_PORT, "ca_path": info["ca_path"], "directory": str(directory),
                        "users": sorted(users)}
        info.setdefault("logs", {})["dovecot"] = str(directory / "dovecot.log")
        self._save(info)
        return info["imap"]

    def dovecot_down(self) -> bool:
        """Stop the lab's Dovecot (by its recorded PID) and forget it; the rest of the lab keeps running."""
        info = self.info or {}
        pid = (info.get("pids") or {}).pop("dovecot", None)
        start = (info.get("pid_start_times") or {}).pop("dovecot", None)
        info.pop("imap", None)
        stopped = bool(pid) and stop_pid(pid, start_time=start)
        if info:
            self._save(info)
        return stopped

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
