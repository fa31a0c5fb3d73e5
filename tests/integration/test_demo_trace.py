# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make demo` then `make demo-stop` leave the host as they found it (tests/playbooks/lab.yml, lab_stop.yml).

Run against "the host's" nginx, the private copy of this machine's that every test process has
(mailsec_lab.private_host): every file under /etc/nginx
(content and links) and /var/www is listed before and after, and nginx runs afterwards exactly when
it ran before - stopped by PID if the demo started it, still running (reloaded without the lab's
sites) if it was already running.
"""

import hashlib
import os
import subprocess

import pytest

import mailsec_lab as labtools
from mailsec_testing.ansible_runner import run_playbook

PID_FILE = '/run/nginx.pid'


def tree(top):
    """``{relative path: sha256 or link target}`` of everything under ``top``."""
    found = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(folder, name)
            key = os.path.relpath(path, top)
            if os.path.islink(path):
                found[key] = '-> ' + os.readlink(path)
            elif os.path.isfile(path):
                with open(path, 'rb') as handle:
                    found[key] = hashlib.sha256(handle.read()).hexdigest()
            else:
                found[key] = 'dir'
    return found


def nginx_pid():
    """The PID of the running host nginx, or None."""
    proc = subprocess.run(['pgrep', '--pidfile', PID_FILE, '--exact', 'nginx'], capture_output=True, text=True,
                          check=False)
    return int(proc.stdout.split()[0]) if proc.returncode == 0 else None


def snapshot():
    return {'etc': tree('/etc/nginx'), 'www': tree('/var/www') if os.path.isdir('/var/www') else None}


def demo_and_stop(lab):
    code, output = run_playbook('lab.yml', lab['state_dir'])
    assert code == 0, output[-3000:]
    served = labtools.fetch_policy(lab['domains'][0]['mta_sts_address'], 'mta-sts.alpha.mailsec.test',
                                   lab['ca_path'])[0]
    assert served == 'HTTP/1.1 200 OK'
    assert os.path.exists('/etc/nginx/conf.d/mailsec-mta-sts-lab.conf')
    # The session lab (named, SMTP) stays for the other tests; demo-stop's `lab.py purge` is tested below.
    code, output = run_playbook('lab_stop.yml', lab['state_dir'], {'lab_keep_lab': True})
    assert code == 0, output[-3000:]
    for name in ('www', 'www-acme', 'demo_host.json'):
        assert not os.path.exists(os.path.join(lab['state_dir'], name)), name


def test_demo_stop_stops_the_nginx_the_demo_started(lab):
    if nginx_pid():
        pytest.fail('the host nginx runs already (pid %s): a test before this one left it running' % nginx_pid(),
                    pytrace=False)
    before = snapshot()
    demo_and_stop(lab)
    assert nginx_pid() is None
    assert snapshot() == before


def test_demo_stop_keeps_an_nginx_that_ran_before(lab):
    before = snapshot()
    subprocess.run(['nginx'], check=True)
    pid = nginx_pid()
    try:
        demo_and_stop(lab)
        assert nginx_pid() == pid, 'the host nginx the demo found running must keep running'
        # ... without the lab's sites: the name is no longer served on the lab address.
        with pytest.raises(OSError):
            labtools.fetch_policy(lab['domains'][0]['mta_sts_address'], 'mta-sts.alpha.mailsec.test', lab['ca_path'],
                                  timeout=2)
    finally:
        labtools.stop_pid(pid)
    assert snapshot() == before


def test_purge_removes_the_lab_state_and_nothing_else(tmp_path):
    state = tmp_path / 'lab'
    state.mkdir()
    for name in ('named', 'certs', 'www'):
        (state / name).mkdir()
        (state / name / 'x').write_text('lab')
    (state / 'ca.pem').write_text('lab')
    (state / 'demo_host.json').write_text('{}')
    (state / 'mine.txt').write_text('not the lab\'s')
    instance = labtools.Lab(state)
    instance.purge()
    assert sorted(os.listdir(state)) == ['mine.txt']
    os.unlink(state / 'mine.txt')
    instance.purge()
    assert not state.exists()
