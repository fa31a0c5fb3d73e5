#!/usr/bin/env python
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two web hosts on this machine for the fleet_hosts scenario, really separate where it matters.

Each host is a mount namespace with its own /etc/nginx (a copy of this machine's, without sites),
/run (so its own /run/nginx.pid), /var/log/nginx, /var/lib/nginx and /var/www, entered through an
sshd on its own loopback address (127.N.22.x); everything Ansible runs there over SSH - the role,
the nginx it starts - lives in that namespace. The network stays shared, so the controller's checks
reach each host's nginx, which listens only on that host's own address (127.N.80.1x). Both serve
the scenario's domains: the lab zone gives mta-sts.<domain> both addresses (two A records).

    hosts.py up     # lab must be up; writes DIR/fleet_hosts.yml (vars for the playbooks)
    hosts.py down   # stops each host's nginx and sshd by PID, removes DIR
    hosts.py skipped   # the "SKIPPED: ..." line for make test when web2 cannot run Python 3.9 here

DIR is $MAILSEC_FLEET_HOSTS_DIR or /tmp/mailsec-fleet-hosts-<LAB_NET>.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / 'tests' / 'lab'))
import mailsec_lab as labtools  # noqa: E402 pylint: disable=wrong-import-position

NET = labtools.LAB_NET
BASE = Path(os.environ.get('MAILSEC_FLEET_HOSTS_DIR') or '/tmp/mailsec-fleet-hosts-%d' % NET)
HOSTS = {'web1': {'ssh': '127.%d.22.1' % NET, 'web': '127.%d.80.11' % NET, 'python': '/usr/bin/python3'},
         'web2': {'ssh': '127.%d.22.2' % NET, 'web': '127.%d.80.12' % NET, 'python': None}}
DOMAINS = ['fleet-a.mailsec.test', 'fleet-b.mailsec.test']
PRIVATE = {'etc': '/etc/nginx', 'run': '/run', 'log': '/var/log/nginx', 'lib': '/var/lib/nginx', 'www': '/var/www'}
NAMESPACE = '''set -eu
root=$1; shift
%s
exec "$@"
''' % '\n'.join('mount --bind "$root/%s" %s' % item for item in PRIVATE.items())


def pyenv_root():
    """pyenv's root, or ~/.pyenv; a machine without pyenv (a new Debian 13 machine) has none, which is no error."""
    try:
        root = subprocess.run(['pyenv', 'root'], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        root = ''
    return root or os.path.expanduser('~/.pyenv')


def web2_python():
    """(interpreter, why) for web2's module code: pyenv's Python 3.9, the oldest module code must run on; without
    one (no pyenv, as on a new Debian 13 machine) this machine's /usr/bin/python3, and ``why`` says what is not
    tested then (an empty ``why`` when 3.9 is used)."""
    root = pyenv_root()
    found = sorted(Path(root, 'versions').glob('3.9.*/bin/python3.9'))
    if found:
        return str(found[-1]), ''
    return '/usr/bin/python3', ('module code on Python 3.9 over SSH (web2): no Python 3.9 in %s/versions (pyenv install 3.9); '
                                'web2 runs /usr/bin/python3' % root)


def sshd_config(name, host):
    folder = BASE / name
    return '\n'.join([
        'ListenAddress %s' % host['ssh'], 'Port 22', 'HostKey %s' % (BASE / 'ssh_host_ed25519_key'),
        'PidFile %s' % (folder / 'sshd.pid'), 'AuthorizedKeysFile %s' % (BASE / 'id_ed25519.pub'),
        'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
        'UsePAM no', 'StrictModes no', 'Subsystem sftp internal-sftp', ''])


def up():
    info = labtools.Lab(labtools.default_state_dir()).info
    if not info:
        raise SystemExit('the lab is not running (tests/lab/lab.py up)')
    if BASE.exists():
        down()
    BASE.mkdir(mode=0o755)
    os.chmod(BASE, 0o755)
    for key in ('id_ed25519', 'ssh_host_ed25519_key'):
        subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'mailsec fleet_hosts', '-f', str(BASE / key)],
                       check=True)
    HOSTS['web2']['python'], _why = web2_python()
    pids = {}
    namespaces = {}
    for name, host in HOSTS.items():
        folder = BASE / name
        for part in PRIVATE:
            (folder / part).mkdir(parents=True, mode=0o755)
        shutil.rmtree(folder / 'etc')
        shutil.copytree('/etc/nginx', folder / 'etc', symlinks=True)
        for sub in ('conf.d', 'sites-enabled'):
            for entry in (folder / 'etc' / sub).iterdir():
                entry.unlink()
        (folder / 'run' / 'sshd').mkdir(mode=0o755)
        (folder / 'sshd_config').write_text(sshd_config(name, host))
        (folder / 'ns.sh').write_text(NAMESPACE)
        log = open(folder / 'sshd.log', 'ab')
        proc = subprocess.Popen(  # noqa: S603 - fixed argv
            ['unshare', '--mount', '--propagation', 'private', 'bash', str(folder / 'ns.sh'), str(folder),
             '/usr/sbin/sshd', '-D', '-e', '-f', str(folder / 'sshd_config')],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        pids[name] = proc.pid
        labtools.wait_port(host['ssh'], 22, proc=proc, log=folder / 'sshd.log', what='sshd of %s' % name)
        namespaces[name] = namespace_of(proc.pid)
    for domain in DOMAINS:
        labtools.dns_update(info, domain, 'MX', ['%d %s.' % (mx['preference'], mx['name']) for mx in info['mx_hosts']])
        labtools.dns_update(info, 'mta-sts.' + domain, 'A', [host['web'] for host in HOSTS.values()])
    cert, key = labtools.issue_cert(['mta-sts.' + domain for domain in DOMAINS], ca=info, out_dir=str(BASE),
                                    basename='fleet-hosts')
    state = {'dir': str(BASE), 'pids': pids, 'namespaces': namespaces, 'hosts': HOSTS, 'domains': DOMAINS, 'ssh_key': str(BASE / 'id_ed25519'),
             # The role's mta_sts_domains, one certificate for both policy hosts.
             'entries': [{'domain': domain, 'tls_certificate': cert, 'tls_certificate_key': key} for domain in DOMAINS]}
    (BASE / 'state.json').write_text(json.dumps(state, indent=2))
    (BASE / 'fleet_hosts.yml').write_text('---\n' + labtools.to_yaml({'fleet_hosts': state}))
    summary = ['%s ssh %s web %s (python %s)' % (name, host['ssh'], host['web'], host['python'])
               for name, host in HOSTS.items()]
    print('fleet hosts up: %s' % ', '.join(summary))


def namespace_of(pid):
    try:
        return os.readlink('/proc/%d/ns/mnt' % pid)
    except OSError:
        return None


def in_namespace(namespace):
    """The PIDs whose mount namespace is ``namespace`` (none when it is None or this machine's own)."""
    if not namespace or namespace == namespace_of(1) or namespace == namespace_of(os.getpid()):
        return []
    return [int(entry) for entry in os.listdir('/proc') if entry.isdigit() and namespace_of(int(entry)) == namespace]


def down():
    try:
        state = json.loads((BASE / 'state.json').read_text())
    except (OSError, ValueError):
        state = {'pids': {}}
    stopped = []
    for name in HOSTS:
        try:
            pid = int((BASE / name / 'run' / 'nginx.pid').read_text().strip() or 0)
        except (OSError, ValueError):
            pid = 0
        if pid and labtools.stop_pid(pid):
            stopped.append('nginx of %s (%d)' % (name, pid))
        pid = state['pids'].get(name)
        namespace = state.get('namespaces', {}).get(name)
        if pid and labtools.stop_pid(pid):
            stopped.append('sshd of %s (%d)' % (name, pid))
        # What still lives in that host's mount namespace was started there by us: SSH sessions
        # that outlive sshd (ControlPersist), an nginx whose pid file was lost.
        for other in in_namespace(namespace):
            if labtools.stop_pid(other):
                stopped.append('process %d of %s' % (other, name))
    shutil.rmtree(BASE, ignore_errors=True)
    print('fleet hosts down: %s' % (', '.join(stopped) or 'nothing was running'))


def skipped():
    """Print the make test SKIPPED line (see the Makefile) for what this machine cannot run, if anything."""
    why = web2_python()[1]
    if why:
        print('==> molecule: SKIPPED: fleet_hosts: %s' % why)


if __name__ == '__main__':
    {'up': up, 'down': down, 'skipped': skipped}[sys.argv[1]]()
