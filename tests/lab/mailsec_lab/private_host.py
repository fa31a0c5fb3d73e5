# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""This machine's nginx, made private to one test process: its own copy of /etc/nginx, /var/log/nginx,
/var/lib/nginx and /run/nginx.pid, in a mount namespace of its own.

There is one /etc/nginx and one /run/nginx.pid per machine, so the tests that run the role against "the
host's nginx" (tests/playbooks/lab.yml) could only run one after another, in one process. With
``enter()`` a test process (an xdist worker, tests/lab/pytest_lab.py) unshares its mount namespace and
bind-mounts a copy of this machine's nginx configuration over /etc/nginx: the role, ``nginx -t`` and the
nginx it starts (by signal, as on a host without systemd) see only that copy, and every process the tests
start inherits the namespace. Several workers then run such tests at the same time, and this machine's
/etc/nginx and running nginx (if any) are never touched.

What the copy keeps of the host: nginx.conf, its includes, the enabled sites and their links, as they
are. What it changes, and why: a ``listen 80`` (or ``[::]:80``) on every address, as Debian's default
site has, becomes a listen on ``listen_address`` only (IPv6 dropped): two nginx processes (two workers,
or a worker and this machine's own nginx) cannot both hold *:80. Files the lab itself writes
(``mailsec-mta-sts-lab*.conf``, left over by a killed run) are not copied.

/run stays this machine's (the lab's and Postfix's sockets, cron's PID file...) except /run/nginx.pid:
a private folder is mounted over /run and every entry of the real /run but nginx.pid is bound back
into it, the real one reached through a view of it bound (in the new namespace) before. Not through a
file descriptor opened before unshare(): that names a mount of the old namespace, which util-linux 2.41's
mount (Debian 13; open_tree(2) with OPEN_TREE_CLONE) refuses as a bind source (EINVAL), where 2.38's
mount(2) took it.

Only the calling thread moves to the new namespace (unshare(2) with CLONE_NEWNS in a process with
threads, such as an execnet worker); the tests run in that thread, and so does every subprocess.

The copy is removed (its nginx stopped first) at exit and, when ``enter`` ran in the main thread, on
SIGTERM (atexit does not run then, and nginx, a daemon, outlives the process that started it). A copy
whose owner ended without either (SIGKILL, SIGTERM to an xdist worker) names its owner (``OWNER_FILE``:
PID and start time): the next ``enter`` stops its nginx and removes it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Optional

from .config import LabError
from .processes import pid_alive, pid_start_time, stop_pid

NGINX_ETC = Path("/etc/nginx")
# What nginx writes outside /etc/nginx on Debian: logs, temp files, the PID file.
PRIVATE_FOLDERS = {"log": Path("/var/log/nginx"), "lib": Path("/var/lib/nginx")}
RUN = Path("/run")
PID_FILE_NAME = "nginx.pid"
LAB_FILE = re.compile(r"^mailsec-mta-sts-lab.*\.conf$")
# `listen 80 ...;`, `listen *:80 ...;`, `listen [::]:80 ...;`: every address (with or without parameters).
WILDCARD_80 = re.compile(r"^(\s*)listen\s+(?:\*:|0\.0\.0\.0:)?80(\s[^;]*)?;", re.MULTILINE)
WILDCARD_80_V6 = re.compile(r"^\s*listen\s+\[::\]:80(\s[^;]*)?;[^\n]*\n?", re.MULTILINE)
# Set in the process that entered, so that a second call (a nested pytest, a re-import) is a no-op.
INSIDE_ENV = "MAILSEC_PRIVATE_NGINX"
# In the copy: "PID START_TIME" of the process that made it; a copy without it is never removed by another.
OWNER_FILE = "owner"
# Next to the copy, not in it: the mount point of the real /run during enter() (see there).
RUN_VIEW_SUFFIX = "-run"


def pin_port_80(text: str, listen_address: str) -> str:
    """``text`` (an nginx file) with every all-address port-80 listen bound to ``listen_address``."""
    text = WILDCARD_80_V6.sub("", text)
    return WILDCARD_80.sub(lambda m: f"{m.group(1)}listen {listen_address}:80{m.group(2) or ''};", text)


def copy_configuration(target: Path, listen_address: str, source_etc: Path = NGINX_ETC) -> None:
    """This machine's /etc/nginx (``source_etc``) into ``target`` (links kept), the lab's own files left out
    and the all-address port-80 listens of the enabled files pinned to ``listen_address``."""
    shutil.copytree(source_etc, target, symlinks=True,
                    ignore=lambda folder, names: [name for name in names if LAB_FILE.match(name)])
    for folder in ("conf.d", "sites-enabled"):
        for entry in sorted((target / folder).glob("*")) if (target / folder).is_dir() else ():
            source = entry
            if entry.is_symlink():
                # Debian links sites-enabled/default to ../sites-available/default: edit a copy in its place.
                link = os.readlink(entry)
                source = (entry.parent / link) if not os.path.isabs(link) else Path(link)
                if os.path.isabs(link) and Path(link).is_relative_to(source_etc):
                    source = target / Path(link).relative_to(source_etc)
            if not source.is_file():
                continue
            text = source.read_text(errors="surrogateescape")
            pinned = pin_port_80(text, listen_address)
            if pinned != text:
                entry.unlink()
                entry.write_text(pinned, errors="surrogateescape")


def wildcard_listeners(ports=(80, 443)) -> list[str]:
    """``address:port`` of the TCP sockets listening on every address (IPv4 or IPv6) on one of ``ports``."""
    found = []
    for table, wildcard in (("/proc/net/tcp", "00000000"), ("/proc/net/tcp6", "0" * 32)):
        try:
            with open(table, encoding="ascii") as handle:
                rows = handle.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            address, port = fields[1].split(":")
            if fields[3] == "0A" and address == wildcard and int(port, 16) in ports:
                found.append(f"{'*' if len(address) == 8 else '[::]'}:{int(port, 16)}")
    return sorted(set(found))


def _sh(*argv: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise LabError(f"{' '.join(argv)} failed: {proc.stderr.strip()}")


class PrivateNginx(object):
    """The private copy of one process; ``root`` holds etc/, log/, lib/ and run/."""

    def __init__(self, root: Path):
        self.root = root
        # True once this thread is in its own mount namespace: only then may stop() unmount anything.
        self.unshared = False
        self.stopped = False

    @property
    def pid_file(self) -> Path:
        return self.root / "run" / PID_FILE_NAME

    def stop(self) -> None:
        """Stop the nginx started in this copy (by its PID file), then remove the copy. Once only."""
        if self.stopped:
            return
        self.stopped = True
        try:
            pid = int(self.pid_file.read_text().strip() or 0)
        except (OSError, ValueError):
            pid = 0
        if pid:
            stop_pid(pid)
        # Detach the mounts first: the folder bound over /run has the real /run's entries mounted inside.
        for target in [RUN, NGINX_ETC] + list(PRIVATE_FOLDERS.values()) if self.unshared else ():
            subprocess.run(["umount", "--lazy", str(target)], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _nginx_of_copy(root: Path) -> int:
    """The PID in the copy's nginx.pid when that process is an nginx running on the copy's configuration
    (its mount namespace has ``root``/etc over /etc/nginx), else 0: a PID file outlives its process, and
    the PID may be another process's by now."""
    try:
        pid = int((root / "run" / PID_FILE_NAME).read_text().strip() or 0)
        if not pid or Path(f"/proc/{pid}/comm").read_text().strip() != "nginx":
            return 0
        with open(f"/proc/{pid}/mountinfo", encoding="utf-8") as handle:
            for line in handle:
                fields = line.split()
                # fields[3]: the mounted folder within its file system (/tmp may be a file system of its own).
                if fields[4] == str(NGINX_ETC) and fields[3].endswith(f"/{root.name}/etc"):
                    return pid
    except (OSError, ValueError, IndexError):
        pass
    return 0


def remove_orphans(prefix: str = "mailsec-nginx-", folder: Path = Path("/tmp")) -> list[Path]:
    """Remove the copies in ``folder`` whose owner process has ended (its nginx stopped first); returns them.
    Copies without an owner file (being made, or made by an older version of this file) are left alone."""
    removed = []
    for root in sorted(folder.glob(prefix + "*")):
        try:
            pid, start_time = (int(field) for field in (root / OWNER_FILE).read_text().split())
        except (OSError, ValueError):
            continue
        if pid_alive(pid, start_time):
            continue
        nginx = _nginx_of_copy(root)
        if nginx:
            stop_pid(nginx)
        # In this namespace nothing is mounted in the copy (its mounts were in the owner's namespace).
        shutil.rmtree(root, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.rmdir(str(root) + RUN_VIEW_SUFFIX)
        removed.append(root)
    return removed


def _stop_on_sigterm(private: PrivateNginx) -> None:
    """On SIGTERM: stop and remove the copy, then what SIGTERM did before (by default, end the process)."""
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread: remove_orphans covers this case
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):
        private.stop()
        signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            os.kill(os.getpid(), signum)

    signal.signal(signal.SIGTERM, on_term)


def enter(listen_address: str, prefix: str = "mailsec-nginx-") -> Optional[PrivateNginx]:
    """Move this thread (and what it starts) into a mount namespace with a private copy of this machine's
    nginx; stopped and removed at exit. None when already inside one (``INSIDE_ENV``)."""
    if os.environ.get(INSIDE_ENV):
        return None
    if not hasattr(os, "unshare"):
        raise LabError("a private nginx needs os.unshare (Python 3.12 or later)")
    held = wildcard_listeners()
    if held:
        # The private nginx shares this machine's network: it listens on the lab's addresses, which a
        # socket on every address already covers (EADDRINUSE), e.g. this machine's own nginx.
        raise LabError(f"something on this machine listens on {', '.join(held)} (every address), where the "
                       f"tests' nginx must listen on the lab's own addresses ({listen_address}): stop it "
                       "(e.g. this machine's nginx: `nginx -s quit`) for the test run")
    remove_orphans(prefix)
    root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    private = PrivateNginx(root)
    try:
        (root / OWNER_FILE).write_text(f"{os.getpid()} {pid_start_time(os.getpid())}\n")
        os.chmod(root, 0o755)
        copy_configuration(root / "etc", listen_address)
        for name in list(PRIVATE_FOLDERS) + ["run"]:
            (root / name).mkdir(mode=0o755)
    except BaseException:
        private.stop()
        raise
    # Outside ``root``: removed with os.rmdir only, never rmtree (it may still show the real /run).
    real_run = Path(str(root) + RUN_VIEW_SUFFIX)
    real_run.mkdir(mode=0o700)
    try:
        os.unshare(os.CLONE_NEWNS)
        # From here on a failure leaves mounts that only this process sees: stop() detaches them.
        private.unshared = True
        atexit.register(private.stop)
        _stop_on_sigterm(private)
        # Nothing mounted here may reach this machine's namespace.
        _sh("mount", "--make-rprivate", "/")
        _sh("mount", "--rbind", str(RUN), str(real_run))
        _sh("mount", "--bind", str(root / "etc"), str(NGINX_ETC))
        for name, target in PRIVATE_FOLDERS.items():
            if target.is_dir():
                _sh("mount", "--bind", str(root / name), str(target))
        _sh("mount", "--bind", str(root / "run"), str(RUN))
        through = str(real_run)
        for entry in sorted(os.scandir(through), key=lambda item: item.name):
            if entry.name == PID_FILE_NAME:
                continue
            target = RUN / entry.name
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), target)
                continue
            directory = entry.is_dir(follow_symlinks=False)
            # exist_ok: mount(8) itself may have made /run/mount (its utab) in the private folder.
            if directory:
                target.mkdir(exist_ok=True)
            else:
                target.touch(exist_ok=True)
            # --rbind: with what is mounted below it (/run/user/<uid>, /run/lock on some hosts).
            _sh("mount", "--rbind" if directory else "--bind", f"{through}/{entry.name}", str(target))
    except BaseException:
        private.stop()
        raise
    finally:
        if private.unshared:
            subprocess.run(["umount", "--lazy", str(real_run)], capture_output=True, check=False)
        with contextlib.suppress(OSError):
            os.rmdir(real_run)
    os.environ[INSIDE_ENV] = str(root)
    return private
