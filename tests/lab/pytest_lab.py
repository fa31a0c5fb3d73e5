"""pytest fixtures for the mailsec loopback lab.

In an integration ``conftest.py``::

    from pytest_lab import lab, lab_nginx, lab_smtp  # noqa: F401

(tests/lab is on pytest.ini's pythonpath.)

``lab`` (session): a private copy of this machine's nginx for this process (mailsec_lab.private_host:
/etc/nginx, /run/nginx.pid and nginx's logs in a mount namespace of its own), then a fresh lab in a new /tmp/mailsec-lab-pytest-* dir (removed at the end), the lab.json data as a dict; stopped at the
end of the session. It never skips: if the lab cannot start, the tests using it error with the
reason. With ``MAILSEC_LAB_REUSE=1`` it uses (starting it if needed) the lab in
``$MAILSEC_LAB_DIR`` or ``/tmp/mailsec-lab`` and leaves it running.

``lab_nginx`` / ``lab_smtp`` (function): factories that start a private nginx / SMTP listener
process for one test and stop it (by PID) after the test.

Under pytest-xdist (``pytest -n N``) every worker runs a lab of its own on a net of its own:
``MAILSEC_LAB_NET`` = the net given to pytest (default 0) + the worker's index (gw0 -> +0, gw1 -> +1),
and ``MAILSEC_LAB_DIR`` (only read with ``MAILSEC_LAB_REUSE``) gets ``-gw<index>`` appended. The worker's
environment is set here, before ``lab`` is imported (it reads MAILSEC_LAB_NET once, at import), so the
playbooks and helpers the tests start inherit the worker's net too.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import pytest


def _xdist_worker_lab_env() -> None:
    """Give this pytest-xdist worker its own lab net (and reused lab dir); nothing outside xdist."""
    environ = os.environ
    worker = environ.get("PYTEST_XDIST_WORKER")  # set by xdist before the worker loads any conftest
    if not worker or environ.get("MAILSEC_LAB_WORKER") == worker:
        return
    if "mailsec_lab" in sys.modules or "lab" in sys.modules:
        raise RuntimeError("the lab package (tests/lab/mailsec_lab) was imported before pytest_lab set "
                           "the worker's MAILSEC_LAB_NET: "
                           "import pytest_lab first (the integration conftest.py does)")
    index = int(worker.lstrip("gw"))
    base = environ.get("MAILSEC_LAB_NET", "0") or "0"
    if not base.isdigit() or int(base) + index > 255:
        raise RuntimeError(f"MAILSEC_LAB_NET={base!r} with worker {worker}: the worker's net (base + {index}) "
                           "must be 0-255; use a smaller MAILSEC_LAB_NET or fewer workers (-n)")
    environ["MAILSEC_LAB_NET"] = str(int(base) + index)
    if environ.get("MAILSEC_LAB_DIR"):
        environ["MAILSEC_LAB_DIR"] = f"{environ['MAILSEC_LAB_DIR']}-{worker}"
    environ["MAILSEC_LAB_WORKER"] = worker


_xdist_worker_lab_env()
import mailsec_lab as _lab  # noqa: E402  pylint: disable=wrong-import-position
from mailsec_lab import private_host as _private_host  # noqa: E402  pylint: disable=wrong-import-position


def _private_host_nginx() -> None:
    """This process (and all it starts) gets a private copy of this machine's nginx: /etc/nginx,
    /run/nginx.pid, its logs (mailsec_lab.private_host), removed at exit. The tests that run the role
    against "the host's nginx" then run in several workers at once, and this machine's own nginx is never
    touched. Called by the ``lab`` fixture, so only in a process that runs tests: never in xdist's
    controller, whose namespace the workers it starts would otherwise share."""
    if not os.path.isdir("/etc/nginx"):
        return  # without nginx the role tests fail with their own message
    try:
        _private_host.enter(_lab.MTA_STS_ADDRESS)
    except _lab.LabError as exc:
        pytest.fail(f"no private copy of this machine's nginx for the tests: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def lab():
    _private_host_nginx()
    if os.environ.get("MAILSEC_LAB_REUSE"):
        instance = _lab.Lab(_lab.default_state_dir())
        owned = False
    else:
        # Not under pytest's 0700 temp root: the host nginx's workers (www-data) serve the policies
        # the role writes under the lab dir (tests/playbooks/lab.yml), so every parent must be traversable.
        state_dir = tempfile.mkdtemp(prefix="mailsec-lab-pytest-", dir="/tmp")
        os.chmod(state_dir, 0o755)
        instance = _lab.Lab(state_dir)
        owned = True
    try:
        info = instance.up()
    except _lab.LabError as exc:
        pytest.fail(f"the mailsec lab could not start: {exc}", pytrace=False)
    try:
        yield info
    finally:
        if owned:
            instance.down()
            shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture
def lab_nginx(lab, tmp_path):
    """``start(conf) -> pid``: conf is server blocks (see lab.render_tls_server), a full
    config text or a path; every listen on 127.0.0.0/8."""
    pids = []

    def start(conf):
        pid = _lab.start_nginx(conf, tmp_path)
        pids.append(pid)
        return pid

    yield start
    for pid in pids:
        _lab.stop_pid(pid)


@pytest.fixture
def lab_smtp(lab, tmp_path):
    """``start(listeners, greeting_delay=0.0, starttls=True) -> pid`` (see lab.start_smtp)."""
    pids = []

    def start(listeners, **kwargs):
        pid = _lab.start_smtp(listeners, tmp_path / f"smtp-{len(pids)}.log", **kwargs)
        pids.append(pid)
        return pid

    yield start
    for pid in pids:
        _lab.stop_pid(pid)
