#!/usr/bin/env python
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A Debian 13 (trixie) host in the lab: a debootstrap root, cached on disk, started as a host of its own.

    trixie.py build    # the cached root (built when missing); exit 3 with the reason when it cannot be built
    trixie.py up       # build if needed, start the host; writes DIR/trixie_host.yml (vars for playbooks)
    trixie.py down     # stop the host by PID; nothing stays mounted; removes DIR
    trixie.py status   # exit 0 running, 1 not running
    trixie.py run -- CMD ...   # run CMD inside the running host (its namespaces, chrooted), as over SSH
    trixie.py demo     # make demo + make demo-stop inside, on a clean clone of this work tree's HEAD
    MAILSEC_LAB_NET=N+3 trixie.py make-test --lab-net N [--output DIR]  # the whole make test inside (by hand: slow), but its trixie step

The root (``debootstrap --variant=minbase`` with Debian's default mirror, then the packages below) is
built once into ``$MAILSEC_LAB_CACHE`` (default ``/var/cache/mailsec-lab``) as ``trixie-<hash>``, the
hash covering the suite, the package lists and this recipe's version. It is built in a temporary folder
next to it and renamed into place only when complete, so an interrupted build leaves nothing that a
later run could take for a root; a later build removes such leftovers. debootstrap and the package
installation run in a private mount namespace: what they mount dies with them. Every build also removes
the roots of other hashes (an older package list, 758 MB each) that no running host uses: a host's init
names its root on its command line (``trixie.py _init ROOT DIR``), and ``up`` holds a shared lock on
the root's lock file from the moment it finds the root until its init runs, so a build elsewhere never
removes a root between the two.

The cached root is never written to. ``up`` starts, in new mount, PID and UTS namespaces, a small init
(this file's ``_init``: PID 1 there, reaps every orphan, stops everything on SIGTERM) which mounts an
overlay (the cached root below, ``DIR/overlay`` above), ``/dev`` and ``/sys`` (rbind), ``proc`` and
tmpfs ``/run`` and ``/tmp``, copies this machine's CA bundle and resolv.conf into the overlay (never
changing this machine's), and starts the root's own sshd, chrooted, on ``127.<NET>.13.1:22`` with a
host key and a client key made for this start. The network is shared, so the controller reaches the
host's services on its addresses (``127.<NET>.80.13`` for its web server). ``down`` sends SIGTERM to
the init (by PID and start time): when PID 1 of a PID namespace ends, the kernel ends every process in
it, and the mounts end with the last process of the mount namespace; ``down`` then checks
``/proc/mounts`` and fails if anything under DIR or the root is still mounted.

DIR is ``$MAILSEC_TRIXIE_DIR`` or ``/tmp/mailsec-trixie-<NET>``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mailsec_lab as labtools  # noqa: E402 pylint: disable=wrong-import-position
from mailsec_lab import addresses as lab_addresses, processes as lab_processes  # noqa: E402 pylint: disable=wrong-import-position
from mailsec_lab.private_host import pin_port_80  # noqa: E402 pylint: disable=wrong-import-position

SUITE = "trixie"
# debootstrap --include: what the second stage needs before apt can install the rest.
BASE_PACKAGES = ("ca-certificates",)
# Installed into the cached root (--no-install-recommends) so that no test run needs Debian's archive:
# sshd and Python (how Ansible reaches and runs modules there; python3-apt for ansible.builtin.apt),
# the components the roles drive (nginx 1.26, Postfix 3.10, postfix-mta-sts-resolver 1.5.0), and what
# `make demo` on a clean clone needs before its own `make venv` (git, make, python3-venv).
PACKAGES = ("openssh-server", "python3", "python3-apt", "nginx", "postfix", "postfix-mta-sts-resolver",
            "git", "make", "python3-venv")
# Bump when the build steps change in a way that changes the root.
RECIPE = 1
REPO = Path(__file__).resolve().parents[2]


def system_packages() -> tuple[str, ...]:
    """What `make venv` installs with apt (the Makefile's SYSTEM_PACKAGES), also installed into the root:
    `make demo` and the tests inside then find them, instead of installing them on every run (measured:
    the demo took 233 s with its apt step, against 46 s for the whole cold build of the minimal root)."""
    out = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(REPO), "print-system-packages"],
                         capture_output=True, text=True, check=True).stdout
    return tuple(out.split())


def all_packages() -> tuple[str, ...]:
    return tuple(sorted(set(PACKAGES) | set(system_packages())))


# Versions recorded in the root's build record (and printed by `build`): what this host proves.
VERSIONED = ("nginx", "postfix", "postfix-mta-sts-resolver", "python3", "openssh-server", "base-files", "bind9",
             "knot", "pdns-server", "apache2", "util-linux", "pebble", "dovecot-core")

NET = labtools.LAB_NET
SSH_ADDRESS = f"127.{NET}.13.1"
WEB_ADDRESS = f"127.{NET}.80.13"
HOSTNAME = "trixie"
PYTHON = "/usr/bin/python3"
BUILD_RECORD = ".mailsec-lab-build.json"
EXIT_UNAVAILABLE = 3
SHARE = "/srv/mailsec-share"  # DIR/share on the controller
STOP_TIMEOUT = 10.0


class Unavailable(RuntimeError):
    """The root cannot be built here (no debootstrap, Debian's archive not reachable): tests skip."""


def cache_dir() -> Path:
    return Path(os.environ.get("MAILSEC_LAB_CACHE") or "/var/cache/mailsec-lab")


def state_dir() -> Path:
    return Path(os.environ.get("MAILSEC_TRIXIE_DIR") or f"/tmp/mailsec-trixie-{NET}")


def recipe_hash() -> str:
    text = json.dumps({"suite": SUITE, "base": sorted(BASE_PACKAGES), "packages": list(all_packages()),
                       "recipe": RECIPE}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def root_path() -> Path:
    return cache_dir() / f"{SUITE}-{recipe_hash()}"


# ---------------------------------------------------------------------------------------------
# Build

# Runs inside `unshare --mount --propagation private` (argv: ROOT): the root becomes a mount point
# (`mount --bind R R`, else nested namespaces inside fail with "cannot change root filesystem
# propagation"), gets /dev, proc and tmpfs /run and /tmp for the package scripts, then apt installs
# the packages. policy-rc.d stays in the root: it has no init, nothing may start at install.
_STAGE2 = r'''set -eu
root=$1; shift
mount --bind "$root" "$root"
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
mount -t tmpfs tmpfs "$root/run"
mount -t tmpfs tmpfs "$root/tmp"
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
echo "postfix postfix/main_mailer_type select No configuration" | chroot "$root" debconf-set-selections
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get update -q
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
chroot "$root" apt-get clean
'''


def _versions(root: Path) -> dict:
    out = subprocess.run(["chroot", str(root), "dpkg-query", "-W", "-f", "${Package}\t${Version}\n", *VERSIONED],
                         capture_output=True, text=True, check=False).stdout
    versions = dict(line.split("\t", 1) for line in out.splitlines() if "\t" in line)
    with contextlib.suppress(OSError):
        versions["debian"] = (root / "etc" / "debian_version").read_text().strip()
    return versions


def _unavailable_reason(log: Path) -> Optional[str]:
    """The reason when a failed debootstrap could not reach the archive, else None (a real failure)."""
    text = lab_processes._tail(log, 40)  # pylint: disable=protected-access
    for needle in ("Failed getting release file", "Couldn't download", "Temporary failure resolving",
                   "Could not resolve", "Connection refused", "Network is unreachable", "Unable to connect"):
        if needle in text:
            return f"Debian's archive is not reachable ({needle!r} in {log})"
    return None


def roots_in_use() -> set[str]:
    """The roots the running hosts use: ROOT of every live ``trixie.py _init ROOT DIR`` (and its unshare)."""
    used = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            argv = Path(entry.path, "cmdline").read_bytes().decode(errors="surrogateescape").split("\0")
        except OSError:
            continue  # ended meanwhile (a zombie's cmdline is empty: it uses nothing)
        for i, arg in enumerate(argv[1:-1], start=1):
            if arg == "_init" and argv[i - 1].endswith("trixie.py"):
                used.add(os.path.normpath(argv[i + 1]))
    return used


def remove_stale_roots(keep: Path, log=print) -> list[Path]:
    """Remove the roots in ``keep``'s folder of another recipe hash that no running host uses, with their
    logs and unfinished builds. A root whose lock is held (being built, or being started by ``up``) stays."""
    removed = []
    for other in sorted(keep.parent.glob(f"{SUITE}-*")):
        if other == keep or not other.is_dir() or not re.fullmatch(rf"{SUITE}-[0-9a-f]{{12}}", other.name):
            continue
        with open(keep.parent / f"{other.name}.lock", "a", encoding="ascii") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            if os.path.normpath(str(other)) in roots_in_use():
                continue
            size = sum(f.stat().st_size for f in other.rglob("*") if f.is_file() and not f.is_symlink())
            for unfinished in keep.parent.glob(f".{other.name}.*"):
                _remove_tree(unfinished)
            _remove_tree(other)
            (keep.parent / f"{other.name}.log").unlink(missing_ok=True)
            # The lock file stays: a process may hold it open, waiting; a new one would not exclude it.
        log(f"removed the Debian 13 root of another recipe, used by no running host: {other} ({size / 1e6:.0f} MB)")
        removed.append(other)
    return removed


@contextlib.contextmanager
def _root_held(root: Path):
    """A shared lock on ``root``'s lock file: no build removes it (remove_stale_roots) while held."""
    with open(root.parent / f"{root.name}.lock", "a", encoding="ascii") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        yield


def build(log=print) -> Path:
    """The cached root, built when missing; raises Unavailable when it cannot be built here."""
    root = root_path()
    if root.parent.is_dir():
        remove_stale_roots(root, log)
    if (root / BUILD_RECORD).exists():
        return root
    if not shutil.which("debootstrap"):
        raise Unavailable("debootstrap is not installed (apt-get install debootstrap)")
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    # One build at a time per recipe (two work trees may start at once); the loser uses the result.
    with open(cache / f"{root.name}.lock", "w", encoding="ascii") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (root / BUILD_RECORD).exists():
            return root
        for stale in cache.glob(f".{root.name}.*"):
            _remove_tree(stale)
        if root.exists():  # renamed without a build record: cannot happen unless edited by hand
            _remove_tree(root)
        tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=cache))
        build_log = cache / f"{root.name}.log"
        started = time.monotonic()
        log(f"building the Debian 13 root in {tmp} (log {build_log}); it becomes {root}")
        with open(build_log, "w", encoding="utf-8") as out:
            res = subprocess.run(["unshare", "--mount", "--propagation", "private", "debootstrap", "--variant=minbase",
                                  "--include=" + ",".join(BASE_PACKAGES), SUITE, str(tmp)],
                                 stdout=out, stderr=subprocess.STDOUT, check=False)
        if res.returncode != 0:
            reason = _unavailable_reason(build_log)
            _remove_tree(tmp)
            if reason:
                raise Unavailable(reason)
            raise labtools.LabError(f"debootstrap failed (status {res.returncode}); log {build_log}:\n"
                                    f"{lab_processes._tail(build_log)}")  # pylint: disable=protected-access
        debootstrap_seconds = time.monotonic() - started
        shutil.copyfile("/etc/resolv.conf", tmp / "etc" / "resolv.conf")
        with open(build_log, "a", encoding="utf-8") as out:
            res = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c", _STAGE2, "stage2",
                                  str(tmp), *all_packages()], stdout=out, stderr=subprocess.STDOUT, check=False)
        if res.returncode != 0:
            reason = _unavailable_reason(build_log)
            _remove_tree(tmp)
            if reason:
                raise Unavailable(reason)
            raise labtools.LabError(f"installing {' '.join(all_packages())} in the root failed (status {res.returncode}); "
                                    f"log {build_log}:\n{lab_processes._tail(build_log)}")  # pylint: disable=protected-access
        record = {"suite": SUITE, "packages": list(all_packages()), "recipe": RECIPE, "versions": _versions(tmp),
                  "debootstrap_seconds": round(debootstrap_seconds, 1),
                  "build_seconds": round(time.monotonic() - started, 1),
                  "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        (tmp / BUILD_RECORD).write_text(json.dumps(record, indent=2) + "\n")
        os.chmod(tmp, 0o755)
        os.rename(tmp, root)
        log(f"built {root} in {record['build_seconds']} s (debootstrap {record['debootstrap_seconds']} s)")
        return root


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path).rstrip("/") + "/"
    found = []
    with open("/proc/mounts", encoding="utf-8") as fh:
        for line in fh:
            target = line.split()[1].replace("\\040", " ")
            if target == str(path) or target.startswith(prefix):
                found.append(target)
    return found


def _remove_tree(path: Path) -> None:
    mounted = _mounts_under(path)
    if mounted:  # never rm -rf through a mount (it could be this machine's /dev)
        raise labtools.LabError(f"{path} still has mounts ({', '.join(mounted)}); not removing it")
    shutil.rmtree(path, ignore_errors=True)


def build_record(root: Optional[Path] = None) -> dict:
    return json.loads(((root or root_path()) / BUILD_RECORD).read_text())


# ---------------------------------------------------------------------------------------------
# The host

def sshd_config() -> str:
    keys = "/etc/ssh/mailsec-lab"
    return "\n".join([
        f"ListenAddress {SSH_ADDRESS}", "Port 22", f"HostKey {keys}/ssh_host_ed25519_key",
        "PidFile /run/sshd.pid", f"AuthorizedKeysFile {keys}/id_ed25519.pub",
        "PermitRootLogin prohibit-password", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
        "UsePAM no", "StrictModes no", "Subsystem sftp internal-sftp", ""])


def _read_state() -> Optional[dict]:
    try:
        return json.loads((state_dir() / "state.json").read_text())
    except (OSError, ValueError):
        return None


def running() -> Optional[dict]:
    state = _read_state()
    if state and labtools.pid_alive(state["init_pid"], state["init_start_time"]) and labtools.port_open(SSH_ADDRESS, 22):
        return state
    return None


def _child_of(pid: int, timeout: float = 10.0) -> int:
    """The one child of ``pid`` (unshare --fork's child: the init, PID 1 of the new namespace)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            if children:
                return int(children[0])
        time.sleep(0.02)
    raise labtools.LabError(f"unshare ({pid}) started no init within {timeout:.0f} s")


def up(log=print) -> dict:
    state = running()
    if state:
        log(f"trixie host already running (init {state['init_pid']}, ssh {SSH_ADDRESS})")
        return state
    root = build(log)
    with _root_held(root):
        if not (root / BUILD_RECORD).exists():  # another hash's build removed it between the two
            raise labtools.LabError(f"{root} was removed while starting the host; run again")
        return _start(root, log)


def _start(root: Path, log) -> dict:
    base = state_dir()
    if base.exists():
        down(log=lambda _msg: None)
    started = time.monotonic()
    for sub in ("overlay/upper", "overlay/work", "root", "ssh", "share"):
        (base / sub).mkdir(parents=True, mode=0o755)
    os.chmod(base, 0o755)
    for key in ("id_ed25519", "ssh_host_ed25519_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mailsec trixie host", "-f",
                        str(base / "ssh" / key)], check=True)
    (base / "ssh" / "sshd_config").write_text(sshd_config())
    proc = lab_processes._spawn(  # pylint: disable=protected-access
        ["unshare", "--mount", "--pid", "--uts", "--fork", "--propagation", "private", "--kill-child=SIGTERM",
         sys.executable, str(Path(__file__).resolve()), "_init", str(root), str(base)],
        base / "host.log")
    init_pid = _child_of(proc.pid)
    state = {"dir": str(base), "root": str(root), "unshare_pid": proc.pid,
             "unshare_start_time": labtools.pid_start_time(proc.pid), "init_pid": init_pid,
             "init_start_time": labtools.pid_start_time(init_pid), "ssh": SSH_ADDRESS, "web": WEB_ADDRESS,
             "python": PYTHON, "ssh_key": str(base / "ssh" / "id_ed25519"), "hostname": HOSTNAME,
             "versions": build_record(root)["versions"]}
    (base / "state.json").write_text(json.dumps(state, indent=2))
    try:
        labtools.wait_port(SSH_ADDRESS, 22, proc=proc, log=base / "host.log", what="the trixie host's sshd")
    except labtools.LabError:
        down(log=lambda _msg: None)
        raise
    state["start_seconds"] = round(time.monotonic() - started, 2)
    (base / "state.json").write_text(json.dumps(state, indent=2))
    (base / "trixie_host.yml").write_text("---\n" + labtools.to_yaml({"trixie_host": state}))
    log(f"trixie host up in {state['start_seconds']} s: ssh root@{SSH_ADDRESS} -i {state['ssh_key']}, "
        f"web {WEB_ADDRESS}, Debian {state['versions'].get('debian')} (init {init_pid})")
    return state


def down(log=print) -> bool:
    base = state_dir()
    state = _read_state() or {}
    stopped = []
    if state.get("init_pid") and labtools.stop_pid(state["init_pid"], STOP_TIMEOUT, state.get("init_start_time")):
        stopped.append(f"init {state['init_pid']}")
    if state.get("unshare_pid") and labtools.stop_pid(state["unshare_pid"], 5, state.get("unshare_start_time")):
        stopped.append(f"unshare {state['unshare_pid']}")
    if base.exists():
        # The mounts belong to the host's mount namespace, which ends with its last process; that
        # can lag the init's exit by a moment.
        deadline = time.monotonic() + 5
        while _mounts_under(base) and time.monotonic() < deadline:
            time.sleep(0.05)
        _remove_tree(base)
    log(f"trixie host down: {', '.join(stopped) or 'nothing was running'}")
    return bool(stopped)


def _inside_argv(argv: Sequence[str], env: Optional[dict] = None) -> list[str]:
    """``argv`` in the running host: its namespaces (nsenter by the init's PID), chrooted, a clean environment."""
    state = running()
    if not state:
        raise labtools.LabError("the trixie host is not running (trixie.py up)")
    variables = ["HOME=/root", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"]
    variables += [f"{key}={value}" for key, value in (env or {}).items()]
    # The init itself is not chrooted (it runs this machine's Python): chroot after entering. --root: the
    # init's root, not the mount namespace's (setns resets the root to it), which differ when this runs
    # chrooted itself (make test inside a Debian 13 host).
    return ["nsenter", "-t", str(state["init_pid"]), "--mount", "--uts", "--pid", "--root", "--",
            "chroot", str(Path(state["dir"]) / "root"), "env", "-i", *variables, *argv]


def run_inside(argv: Sequence[str]) -> int:
    return subprocess.call(_inside_argv(argv), cwd="/")


# ---------------------------------------------------------------------------------------------
# `make demo` and `make demo-stop` on Debian 13, as a new user runs them

SUMMARY_HEAD = "domain(s) verified"


def _inside(argv: Sequence[str], env: Optional[dict] = None, log_path: Optional[Path] = None) -> tuple[int, str]:
    res = subprocess.run(_inside_argv(argv, env), cwd="/", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, check=False)
    if log_path:
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(res.stdout)
    return res.returncode, res.stdout


def _host_snapshot() -> dict:
    """What demo-stop must leave as demo found it: processes and nginx files in the host, lab files, lo addresses."""
    _code, out = _inside(["sh", "-c", "ps -e -o comm= | sort -u; echo ---; ls -A /etc/nginx/conf.d /etc/nginx/sites-enabled; "
                                      "echo ---; ls -A /tmp"])
    processes, nginx_files, tmp = out.split("---\n")
    # Not compared: this snapshot's own commands, and sshd's per-connection processes (every port
    # check that finds sshd up makes one, which ends on its own a moment later).
    return {"processes": sorted(set(processes.split()) - {"ps", "sh", "sort", "sshd-session"}), "nginx_files": nginx_files.split(),
            "tmp": tmp.split(), "lo": sorted(a for a in lab_addresses._lo_addresses()  # pylint: disable=protected-access
                                             if a.startswith(f"127.{NET}."))}


def demo_summary(output: str) -> list[str]:
    """The lines of the role's verification summary in `make demo`'s output (the debug task's msg)."""
    part = output.split("Summarize the verification", 1)[-1]
    lines = re.findall(r'^\s+"([^"]*(?:' + re.escape(SUMMARY_HEAD) + r'|check\(s\) ok)[^"]*)",?$', part, re.M)
    return lines


def _clean_clone(repo: str, clone: Path, log) -> None:
    """A fresh clone of ``repo``'s committed HEAD at ``clone`` (in the share: the host sees it in SHARE)."""
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", repo, str(clone)], check=True)
    commit = subprocess.run(["git", "-C", str(clone), "log", "-1", "--format=%h %s"], capture_output=True,
                            text=True, check=True).stdout.strip()
    log(f"clean clone of {repo} at {commit}")


def demo(repo: str, log=print) -> dict:
    """`make demo` then `make demo-stop` in the host on a clean clone of ``repo``; raises LabError on any failure."""
    started_host = not running()
    state = up(log)
    share = Path(state["dir"]) / "share"
    clone = share / "mta_sts"
    log_path = share / "demo.log"
    result = {}
    env = {"MAILSEC_LAB_NET": str(NET), "MAILSEC_LAB_DIR": "/tmp/mailsec-lab",
           "PIP_CERT": "/etc/ssl/certs/ca-certificates.crt", "DEBIAN_FRONTEND": "noninteractive"}
    try:
        # The overlay is mounted in the host's own mount namespace only: edit it from there.
        subprocess.run(["nsenter", "-t", str(state["init_pid"]), "--mount", "--root", "--", sys.executable,
                        str(Path(__file__).resolve()), "_pin_port_80", str(Path(state["dir"]) / "root")], check=True)
        _clean_clone(repo, clone, log)
        log_path.unlink(missing_ok=True)
        before = _host_snapshot()
        for target in ("demo", "demo-stop"):
            t0 = time.monotonic()
            result["stop_pending"] = target == "demo"
            code, out = _inside(["make", "-C", f"{SHARE}/mta_sts", target], env, log_path)
            result[target + "_seconds"] = round(time.monotonic() - t0, 1)
            log(f"make {target} in the Debian 13 host: exit {code} in {result[target + '_seconds']} s")
            if code != 0:
                raise labtools.LabError(f"make {target} failed in the Debian 13 host (exit {code}); log {log_path}:\n"
                                        + "\n".join(out.splitlines()[-25:]))
            if target == "demo":
                summary = demo_summary(out)
                result["summary"] = summary
                log("verify summary: " + " | ".join(summary))
                domains = [line for line in summary if "check(s) ok" in line]
                if (len(domains) != len(labtools.DOMAINS) or not any("none fails" in line for line in summary)
                        or not all(line.endswith(" 0 warning(s), 0 error(s)") for line in domains)):
                    raise labtools.LabError(f"make demo's verify summary is not all ok: {summary}; log {log_path}")
        after = _host_snapshot()
        if after != before:
            raise labtools.LabError(f"make demo-stop did not leave the host as make demo found it: before {before}, "
                                    f"after {after}")
        log("make demo-stop left the host as make demo found it")
    finally:
        # A failed demo still gets its demo-stop: the lab inside may have added loopback addresses to
        # the shared network, which only the lab's own `down` removes.
        if result.pop("stop_pending", False):
            _inside(["make", "-C", f"{SHARE}/mta_sts", "demo-stop"], env, log_path)
        if started_host:
            down(log)
    return result


# ---------------------------------------------------------------------------------------------
# The whole `make test` on Debian 13 (by hand: it takes as long as make test itself)

# Not run inside: the trixie step would build a second Debian 13 root (760 MB, debootstrap from Debian's
# archive) inside this one, to run the same scenario on the same packages that this machine's own
# `make test` already runs there.
NOT_INSIDE = {"trixie": "this make test already runs in the Debian 13 host; a root in the root adds nothing"}


def test_steps(clone: Path) -> list[str]:
    """The Makefile's TEST_STEPS (one list, the Makefile's), without those of NOT_INSIDE."""
    out = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(clone), "--eval",
                          "print-test-steps: ; @echo $(TEST_STEPS)", "print-test-steps"],
                         capture_output=True, text=True, check=True).stdout
    return [step for step in out.split() if step not in NOT_INSIDE]


def make_test(repo: str, lab_net: int, output: str, log=print) -> int:
    """`make test` in the host on a clean clone of ``repo``, its labs on ``lab_net`` and the next nets (not
    this host's NET: its sshd and web addresses are there). Its output and the steps' logs (the clone's
    .test-logs) are copied to the folder ``output`` (emptied first): the host's DIR goes with ``down``.
    Returns make's exit status."""
    started_host = not running()
    # The labs inside add their addresses to the lo they share with this machine; killed with the host
    # (SIGTERM to this script), they cannot take them away again: what is new on lo in the nets they
    # use goes when the host does.
    lab_prefixes = tuple(f"127.{net}." for net in range(lab_net, lab_net + 3))
    lo_before = lab_addresses._lo_addresses()  # pylint: disable=protected-access
    state = up(log)
    clone = Path(state["dir"]) / "share" / "mta_sts"
    log_path = clone.parent / "make-test.log"
    try:
        _clean_clone(repo, clone, log)
        steps = test_steps(clone)
        for step, reason in NOT_INSIDE.items():
            log(f"==> {step}: not run inside: {reason}")
        env = {"MAILSEC_LAB_NET": str(lab_net), "MAILSEC_LAB_DIR": f"/tmp/mailsec-lab-{lab_net}",
               "PIP_CERT": "/etc/ssl/certs/ca-certificates.crt", "DEBIAN_FRONTEND": "noninteractive"}
        log(f"make test in the Debian 13 host (steps {' '.join(steps)}), lab net {lab_net}; log {log_path}")
        with open(log_path, "w", encoding="utf-8") as out:
            proc = subprocess.run(_inside_argv(["make", "-C", f"{SHARE}/mta_sts", "test", "TEST_STEPS=" + " ".join(steps)],
                                               env), cwd="/", stdout=out, stderr=subprocess.STDOUT, check=False)
        log(lab_processes._tail(log_path, 40))  # pylint: disable=protected-access
        kept = Path(output)
        shutil.rmtree(kept, ignore_errors=True)
        kept.mkdir(parents=True)
        shutil.copy2(log_path, kept / log_path.name)
        if (clone / ".test-logs").is_dir():
            shutil.copytree(clone / ".test-logs", kept / "test-logs")
        log(f"make test's output and step logs kept in {kept}")
        return proc.returncode
    finally:
        if started_host:
            down(log)
            left = sorted(address for address in lab_addresses._lo_addresses() - lo_before  # pylint: disable=protected-access
                          if address.startswith(lab_prefixes))
            for address in left:
                lab_addresses.remove_loopback_address(address)
            if left:
                log(f"removed the loopback addresses the labs inside left: {', '.join(left)}")


# ---------------------------------------------------------------------------------------------
# The init (PID 1 of the host's PID namespace; runs this machine's Python, outside the chroot)

def _pin_nginx_port_80(merged: Path) -> None:
    """Debian's default site listens on *:80; the host shares this machine's network, where that would
    take port 80 of every loopback address from the lab and the tests (and they check for it): in the
    overlay, bind such listens to the host's own web address (the same rewrite as a private nginx copy).
    Only for the demo: tests inside the host copy /etc/nginx per process (private_host) and pin its
    wildcard listens to their own lab's address; a listen already pinned here would be the same in
    every copy and collide."""
    etc = merged / "etc" / "nginx"
    for folder in ("conf.d", "sites-enabled"):
        for entry in sorted((etc / folder).glob("*")):
            target = entry
            if entry.is_symlink():  # sites-enabled/default -> ../sites-available/default (or /etc/nginx/...)
                link = os.readlink(entry)
                target = merged / link.lstrip("/") if os.path.isabs(link) else entry.parent / link
            if target.is_file():
                text = target.read_text(errors="surrogateescape")
                pinned = pin_port_80(text, WEB_ADDRESS)
                if pinned != text:
                    target.write_text(pinned, errors="surrogateescape")


def _init(root: str, base: str) -> None:
    merged = Path(base) / "root"
    overlay = Path(base) / "overlay"

    def sh(*argv):
        subprocess.run(argv, check=True)

    socket.sethostname(HOSTNAME)
    sh("mount", "-t", "overlay", "overlay", "-o",
       f"lowerdir={root},upperdir={overlay / 'upper'},workdir={overlay / 'work'}", str(merged))
    sh("mount", "--rbind", "/dev", str(merged / "dev"))
    sh("mount", "--make-rslave", str(merged / "dev"))
    sh("mount", "--rbind", "/sys", str(merged / "sys"))
    sh("mount", "--make-rslave", str(merged / "sys"))
    sh("mount", "-t", "proc", "proc", str(merged / "proc"))
    sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", str(merged / "run"))
    sh("mount", "-t", "tmpfs", "-o", "mode=1777", "tmpfs", str(merged / "tmp"))
    # apt and pip inside reach the registries the way this machine does: its resolver, its CA bundle.
    for source, target in (("/etc/resolv.conf", "etc/resolv.conf"),
                           ("/etc/ssl/certs/ca-certificates.crt", "etc/ssl/certs/ca-certificates.crt")):
        with contextlib.suppress(FileNotFoundError):
            (merged / target).unlink()
        shutil.copyfile(source, merged / target)
    (merged / "etc" / "hostname").write_text(HOSTNAME + "\n")
    # DIR/share, for handing the host files from the controller (e.g. a clone of the repository).
    (merged / SHARE.lstrip("/")).mkdir(parents=True, exist_ok=True)
    sh("mount", "--bind", str(Path(base) / "share"), str(merged / SHARE.lstrip("/")))
    keys = merged / "etc" / "ssh" / "mailsec-lab"
    shutil.rmtree(keys, ignore_errors=True)
    shutil.copytree(Path(base) / "ssh", keys)
    (merged / "run" / "sshd").mkdir(mode=0o755)
    children = {}
    sshd = subprocess.Popen(["chroot", str(merged), "/usr/sbin/sshd", "-D", "-e", "-f",  # noqa: S603
                             "/etc/ssh/mailsec-lab/sshd_config"], close_fds=True)
    children[sshd.pid] = sshd

    class Stop(Exception):
        pass

    def on_term(_signum, _frame):
        # Raised, not recorded: a blocking waitpid() is resumed after a handler that returns (PEP 475).
        raise Stop()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    # PID 1 of the namespace: every process whose parent ends is re-parented here, so reap all of
    # them (a zombie left unreaped keeps its /proc/<pid> and looks alive to a naive wait).
    try:
        while True:
            try:
                pid, _status = os.waitpid(-1, 0)
            except ChildProcessError:
                time.sleep(0.2)
                continue
            if pid == sshd.pid:
                print("trixie init: sshd exited; stopping the host", flush=True)
                break
    except Stop:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # kill(-1) from PID 1 of a PID namespace reaches every other process in it.
    with contextlib.suppress(ProcessLookupError):
        os.kill(-1, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                time.sleep(0.05)
        except ChildProcessError:
            break
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
    sys.exit(0)


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_init"]:
        _init(*argv[1:3])
        return 0
    if argv[:1] == ["_pin_port_80"]:  # in the host's mount namespace (see demo)
        _pin_nginx_port_80(Path(argv[1]))
        return 0
    if argv[:1] == ["run"]:
        return run_inside(argv[2:] if argv[1:2] == ["--"] else argv[1:])
    parser = argparse.ArgumentParser(prog="trixie.py", description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("command", choices=("build", "up", "down", "status", "demo", "make-test"))
    parser.add_argument("--repo", default=str(Path(__file__).resolve().parents[2]),
                        help="demo, make-test: the repository to clone (default: this work tree; its committed HEAD)")
    parser.add_argument("--output", default="/tmp/mailsec-trixie-make-test",
                        help="make-test: the folder its output and step logs are copied to (emptied first)")
    parser.add_argument("--lab-net", type=int, default=max(NET - 3, 0),
                        help="make-test: MAILSEC_LAB_NET inside (it uses this net and the next three; default NET - 3, "
                             "as `make test` puts the host on its own MAILSEC_LAB_NET + 3)")
    args = parser.parse_args(argv)

    def on_term(signum, _frame):
        # As an interrupt, so that make-test's and demo's finally take the host down (and the lab
        # addresses with it) when the run is stopped; SIGTERM's default would leave the host running.
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    try:
        if args.command == "build":
            root = build()
            record = build_record(root)
            print(f"{root}: Debian {record['versions'].get('debian')}, built {record['built']} in "
                  f"{record['build_seconds']} s; " + ", ".join(f"{k} {v}" for k, v in sorted(record["versions"].items())))
        elif args.command == "up":
            up()
        elif args.command == "down":
            down()
        elif args.command == "demo":
            demo(args.repo)
        elif args.command == "make-test":
            return make_test(args.repo, args.lab_net, args.output)
        else:
            state = running()
            print(f"trixie host {'running (init %d)' % state['init_pid'] if state else 'not running'}")
            return 0 if state else 1
    except Unavailable as exc:
        print(f"SKIP: no Debian 13 host: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except labtools.LabError as exc:
        print(f"trixie.py {args.command} failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        print(f"trixie.py {args.command}: stopped ({exc or 'interrupt'})", file=sys.stderr)
        return 128 + signal.SIGTERM if str(exc).startswith("signal") else 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
