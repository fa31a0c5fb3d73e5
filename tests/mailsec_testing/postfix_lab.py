# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A sending Postfix and MTA-STS test domains on top of the loopback lab (tests/lab), for the
postfix_outbound role's tests and benchmark.

Neither Postfix nor postfix-mta-sts-resolver has a nameserver option: both use /etc/resolv.conf, and
the resolver fetches policies with the system trust store. So they run in a mount namespace where
/etc/resolv.conf names the lab's named and the system CA bundle has the lab CA appended
(``ns_wrapper``); the machine's own files are never touched. Postfix gets its own config and queue
directory under a temp dir (``postfix -c DIR``), its own loopback address, ``maillog_file``, and
nothing chrooted.

Addresses (derived from MAILSEC_LAB_NET like every lab address): the sending Postfix on
127.N.25.9, the test MX hosts on 127.N.27.1 (certificate for its name) and 127.N.27.2 (certificate
for another name), the policy nginx on 127.N.81.1, the resolver on 127.N.84.61:8461.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import mailsec_lab as labtools

NET = labtools.LAB_NET
POSTFIX_ADDRESS = '127.%d.25.9' % NET
POLICY_ADDRESS = '127.%d.81.1' % NET
RESOLVER_ADDRESS = '127.%d.84.61' % NET
RESOLVER_PORT = 8461
SUB = 'po.' + labtools.ZONE
MX_GOOD = ('mx-good.' + SUB, '127.%d.27.1' % NET)
MX_BAD = ('mx-bad.' + SUB, '127.%d.27.2' % NET)
# The name the bad MX's certificate is for instead of its own.
MX_BAD_CERT_NAME = 'elsewhere.' + SUB

# domain -> (MX host, policy mode or None for no policy)
DOMAINS = {
    'enforce-good.' + SUB: (MX_GOOD, 'enforce'),
    'enforce-bad.' + SUB: (MX_BAD, 'enforce'),
    'testing-bad.' + SUB: (MX_BAD, 'testing'),
    'no-policy.' + SUB: (MX_BAD, None),
    # enforce with the bad MX, but a static map of the host says "may" for it (consulted first)
    'static-first.' + SUB: (MX_BAD, 'enforce'),
}
SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'
TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_private_dir(prefix):
    """A temp dir under /tmp that Postfix's unprivileged processes can traverse (pytest's are 0700)."""
    path = tempfile.mkdtemp(prefix=prefix, dir='/tmp')
    os.chmod(path, 0o755)
    return path


def ns_wrapper(path, lab_info, workdir, command=None):
    """Write an executable script that runs its arguments (prefixed by ``command``) in a new mount
    namespace whose /etc/resolv.conf names the lab's named and whose system CA bundle holds the
    lab CA too. Used to start Postfix and as ``ansible_python_interpreter`` for the role."""
    resolv = os.path.join(workdir, 'resolv.conf')
    with open(resolv, 'w') as handle:
        handle.write('nameserver %s\noptions timeout:2 attempts:1\n' % lab_info['dns']['server'])
    bundle = os.path.join(workdir, 'ca-certificates.crt')
    with open(SYSTEM_CA_BUNDLE) as system, open(lab_info['ca_path']) as lab_ca, open(bundle, 'w') as out:
        out.write(system.read().rstrip('\n') + '\n' + lab_ca.read())
    os.chmod(resolv, 0o644)
    os.chmod(bundle, 0o644)
    prefix = ' '.join('"%s"' % part for part in (command or []))
    with open(path, 'w') as handle:
        handle.write(
            '#!/bin/sh\n'
            '# Runs its arguments with the lab as DNS and the lab CA trusted (mailsec tests).\n'
            'exec unshare --mount --propagation private -- sh -c \''
            'mount --bind "$0" /etc/resolv.conf && mount --bind "$1" %s && shift && exec "$@"\' '
            '"%s" "%s" %s "$@"\n' % (SYSTEM_CA_BUNDLE, resolv, bundle, prefix))
    os.chmod(path, 0o755)
    return path


def setup_domains(lab_info, workdir, lab_nginx, domains=None, mx_hosts=(MX_GOOD, MX_BAD), policy_address=POLICY_ADDRESS):
    """DNS records, certificates, policies and the policy nginx for the test domains (``DOMAINS``, or
    ``domains`` in its shape, with their ``mx_hosts`` and policy web server address)."""
    certs = os.path.join(workdir, 'certs')
    root = os.path.join(workdir, 'www')
    servers = []
    # MX targets first: named refuses an MX whose target has no address record.
    for name, address in mx_hosts:
        labtools.dns_update(lab_info, name, 'A', [address])
    for domain, (mx, mode) in (DOMAINS if domains is None else domains).items():
        labtools.dns_update(lab_info, domain, 'MX', ['10 %s.' % mx[0]])
        if mode is None:
            labtools.dns_delete(lab_info, '_mta-sts.' + domain)
            continue
        host = 'mta-sts.' + domain
        labtools.dns_update(lab_info, host, 'A', [policy_address])
        labtools.dns_update(lab_info, '_mta-sts.' + domain, 'TXT', ['v=STSv1; id=%s;' % mode])
        site = os.path.join(root, domain, '.well-known')
        os.makedirs(site, exist_ok=True)
        with open(os.path.join(site, 'mta-sts.txt'), 'w') as handle:
            handle.write('version: STSv1\r\nmode: %s\r\nmx: %s\r\nmax_age: 86400\r\n' % (mode, mx[0]))
        cert, key = labtools.issue_cert([host], ca=lab_info, out_dir=certs)
        servers.append(labtools.render_tls_server(policy_address, host, cert, key, os.path.join(root, domain)))
    for path in (workdir, root):
        os.chmod(path, 0o755)
    lab_nginx(''.join(servers))


def start_mx(lab_info, workdir):
    """One recording SMTP process for both test MX hosts; returns ``(pid, record_path)``."""
    certs = os.path.join(workdir, 'certs')
    good = labtools.issue_cert([MX_GOOD[0]], ca=lab_info, out_dir=certs)
    bad = labtools.issue_cert([MX_BAD_CERT_NAME], ca=lab_info, out_dir=certs)
    record = os.path.join(workdir, 'received.jsonl')
    argv = [sys.executable, '-m', 'mailsec_testing.recording_smtp', '--record', record,
            '--listen', '%s:25:%s:%s:%s' % (MX_GOOD[1], good[0], good[1], MX_GOOD[0]),
            '--listen', '%s:25:%s:%s:%s' % (MX_BAD[1], bad[0], bad[1], MX_BAD[0])]
    with open(os.path.join(workdir, 'mx.log'), 'ab') as log:
        # The package and the lab's smtp_listener, as pytest.ini's pythonpath gives them to the tests.
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([TESTS, os.path.join(TESTS, 'lab')]))
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True, env=env)
    labtools._CHILDREN[proc.pid] = proc  # pylint: disable=protected-access
    labtools._HELPER_PIDS.add(proc.pid)  # pylint: disable=protected-access
    for dummy, address in (MX_GOOD, MX_BAD):
        labtools.wait_port(address, 25, proc=proc, what='recording SMTP listener')
    return proc.pid, record


def received(record_path):
    """Messages the recording MX hosts accepted: dicts with rcpt_tos, tls, local_address, subject."""
    if not os.path.exists(record_path):
        return []
    with open(record_path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


MASTER_CF_SERVICES = """\
smtp      inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def sender_main(sub, ca_path, **settings):
    """main.cf of a sending-only lab Postfix for the domains under ``sub``: no local delivery, no relaying,
    opportunistic TLS checked against ``ca_path``, short connect timeouts; ``settings`` add or override."""
    main = {
        'compatibility_level': '3.6',
        'myhostname': 'sender.' + sub,
        'mydomain': sub,
        'myorigin': sub,
        'mydestination': '',
        'relay_domains': '',
        'local_transport': 'error:no local delivery here',
        'alias_maps': '',
        'alias_database': '',
        'inet_protocols': 'ipv4',
        'smtp_tls_security_level': 'may',
        'smtp_tls_CAfile': ca_path,
        'smtp_tls_loglevel': '1',
        'smtp_connect_timeout': '5s',
    }
    main.update(settings)
    return main


def render_main_cf(settings):
    """The text of a main.cf holding ``settings``."""
    return ('# Sending-only Postfix of the mailsec tests (tests/mailsec_testing/postfix_lab.py)\n'
            + ''.join('%s = %s\n' % item for item in settings.items()))


class Postfix(object):
    """A sending-only Postfix with its own config dir, queue, loopback address and log file."""

    def __init__(self, lab_info, base, extra_main=None):
        self.lab = lab_info
        self.base = base
        self.config_dir = os.path.join(base, 'etc')
        self.queue_dir = os.path.join(base, 'spool')
        self.data_dir = os.path.join(base, 'lib')
        self.log_path = os.path.join(base, 'maillog')
        os.makedirs(base, exist_ok=True)
        os.chmod(base, 0o755)
        self.wrapper = ns_wrapper(os.path.join(base, 'in-lab-ns'), lab_info, base)
        os.makedirs(self.config_dir)
        for path in (self.queue_dir, self.data_dir):
            os.makedirs(path)
        shutil.chown(self.data_dir, 'postfix', 'postfix')
        settings = sender_main(
            SUB, lab_info['ca_path'],
            queue_directory=self.queue_dir,
            data_directory=self.data_dir,
            maillog_file=self.log_path,
            maillog_file_prefixes=base,
            inet_interfaces=POSTFIX_ADDRESS,
            smtp_bind_address=POSTFIX_ADDRESS,
            mynetworks='127.0.0.0/8',
            smtp_helo_timeout='10s',
            biff='no',
            minimal_backoff_time='300s',
        )
        settings.update(extra_main or {})
        with open(os.path.join(self.config_dir, 'main.cf'), 'w') as handle:
            handle.write(render_main_cf(settings))
        with open(os.path.join(self.config_dir, 'master.cf'), 'w') as handle:
            handle.write(MASTER_CF_SERVICES)
        labtools.add_loopback_address(POSTFIX_ADDRESS, lab_info['state_dir'])

    def run(self, *argv, **kwargs):
        check = kwargs.pop('check', True)
        proc = subprocess.run([self.wrapper] + list(argv), capture_output=True, text=True, timeout=60,
                              check=False, **kwargs)
        if check and proc.returncode != 0:
            raise AssertionError('%s failed (%d): %s %s' % (' '.join(argv), proc.returncode, proc.stdout, proc.stderr))
        return proc

    def start(self):
        self.run('postfix', '-c', self.config_dir, 'start')

    def running(self):
        return self.run('postfix', '-c', self.config_dir, 'status', check=False).returncode == 0

    def master_pid(self):
        try:
            with open(os.path.join(self.queue_dir, 'pid', 'master.pid')) as handle:
                return int(handle.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        pid = self.master_pid()
        self.run('postfix', '-c', self.config_dir, 'stop', check=False)
        deadline = time.monotonic() + 10
        while pid and labtools.pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid:
            labtools.stop_pid(pid)

    def send(self, recipient, subject):
        message = ('From: sender@%s\nTo: %s\nSubject: %s\n\nMTA-STS test message.\n' % (SUB, recipient, subject))
        self.run('sendmail', '-C', self.config_dir, '-f', 'sender@' + SUB, recipient, input=message)

    def flush(self):
        self.run('postqueue', '-c', self.config_dir, '-f')

    def queue(self):
        """The queue as postqueue -j shows it: one dict per message."""
        out = self.run('postqueue', '-c', self.config_dir, '-j').stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def log(self):
        try:
            with open(self.log_path) as handle:
                return handle.read()
        except OSError:
            return ''

    def wait_log(self, predicate, timeout=30.0, interval=0.1):
        """Wait until ``predicate(log_text)`` is truthy; return what it returned (or fail with the log)."""
        deadline = time.monotonic() + timeout
        while True:
            got = predicate(self.log())
            if got:
                return got
            if time.monotonic() > deadline:
                raise AssertionError('Postfix log never showed what was waited for; log:\n%s' % self.log()[-4000:])
            time.sleep(interval)


def verdict(log_text, recipient):
    """The first delivery log line (status=sent/deferred/bounced) for ``recipient``, or None."""
    for line in log_text.splitlines():
        if 'to=<%s>' % recipient in line and ' status=' in line:
            return line
    return None


def remove_tree(path):
    if path and os.path.isdir(path) and os.path.basename(path).startswith('mailsec-'):
        shutil.rmtree(path, ignore_errors=True)


__all__ = ['DOMAINS', 'MX_BAD', 'MX_GOOD', 'POLICY_ADDRESS', 'POSTFIX_ADDRESS', 'Postfix', 'RESOLVER_ADDRESS',
           'render_main_cf', 'sender_main',
           'RESOLVER_PORT', 'make_private_dir', 'ns_wrapper', 'received', 'remove_tree', 'setup_domains',
           'start_mx', 'verdict']
