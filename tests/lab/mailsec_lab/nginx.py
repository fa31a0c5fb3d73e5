# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nginx helper (the lab does not run the role's nginx; tests use this to serve lab policies).

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Union

from .config import LabError, PathLike, START_TIMEOUT, check_loopback
from .files import _write_json
from .processes import _HELPER_PIDS, _spawn, pid_alive, stop_pid, wait_port


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


HOST_NGINX_PID_FILE = Path("/run/nginx.pid")


def host_nginx_running(pid_file: PathLike = HOST_NGINX_PID_FILE) -> bool:
    """Whether the process named in ``pid_file`` runs and is an nginx (``pgrep --pidfile F --exact nginx``)."""
    try:
        pid = int(Path(pid_file).read_text(encoding="ascii").split()[0])
        comm = Path(f"/proc/{pid}/comm").read_text(encoding="ascii", errors="replace").strip()
    except (OSError, ValueError, IndexError):
        return False
    return comm == "nginx" and pid_alive(pid)


def record_host(record: PathLike, nginx_files: list[str], pid_file: PathLike = HOST_NGINX_PID_FILE) -> bool:
    """Write how this host's nginx was found before the lab touched it, once: whether it ran, and which of the
    lab's ``nginx_files`` did not exist (so tests/playbooks/lab_stop.yml removes only those, and stops nginx
    only if the lab started it). A record that exists is kept (a second demo keeps the host as the first found
    it). Returns whether it was written."""
    path = Path(record)
    if path.exists():
        return False
    found = {"created_files": [name for name in nginx_files if not os.path.lexists(name)],
             "nginx_was_running": host_nginx_running(pid_file)}
    _write_json(path, found, mode=0o600)
    return True
