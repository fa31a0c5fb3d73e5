# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Apache helper: a web server that is not the role's (tests/integration/test_web_server_none.py).

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

from .config import LAB_NET, LabError, PathLike, START_TIMEOUT, check_loopback
from .processes import _HELPER_PIDS, _spawn, stop_pid, wait_port


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
