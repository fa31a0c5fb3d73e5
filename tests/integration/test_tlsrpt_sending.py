# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS reports sent by a real Postfix 3.10 (built with libtlsrpt) on the Debian 13 host, set up by postfix_outbound.

The Debian 13 host (tests/lab/trixie.py) shares this machine's network: its Postfix delivers to the
recording MX listeners started here, and finds the lab domains through the lab's named (its own
/etc/resolv.conf names the lab's named first and this machine's resolver after it, which pip needs;
named refuses what is not its zone, so the resolver asks the next). The role runs there over SSH with
the resolver in signal mode (the host has no init system). Lab domains publish ``_smtp._tls`` with a
``mailto:`` on a recording MX that stores each message whole (a Maildir); one mail goes to each case
domain, then the role's send-now closes the day and the reports go out at once. Skips, with the reason,
when the Debian 13 root cannot be built here.
"""

import email
import email.policy
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

import dns.rdata
import pytest
import yaml

import mailsec_lab as labtools
import trixie
from mailsec_testing import postfix_lab as pl
from mailsec_testing.ansible_runner import ansible_env, changed_tasks, recap_changed
from mailsec_testing.modules import run_module

NET = labtools.LAB_NET
SUB = 'tr.' + labtools.ZONE
POLICY_ADDRESS = '127.%d.82.1' % NET
RESOLVER_ADDRESS = '127.%d.84.62' % NET
MX_GOOD = ('mx-good.' + SUB, '127.%d.28.1' % NET)
MX_BAD = ('mx-bad.' + SUB, '127.%d.28.2' % NET)      # its certificate names another host
MX_PLAIN = ('mx-plain.' + SUB, '127.%d.28.3' % NET)  # no STARTTLS
MX_REPORTS = ('mx-reports.' + SUB, '127.%d.28.4' % NET)
REPORTS_DOMAIN = 'reports.' + SUB
RUA = 'mailto:tlsrpt@' + REPORTS_DOMAIN
# domain -> (MX, policy mode or None)
DOMAINS = {
    'enforce-good.' + SUB: (MX_GOOD, 'enforce'),
    'enforce-bad.' + SUB: (MX_BAD, 'enforce'),
    'enforce-plain.' + SUB: (MX_PLAIN, 'enforce'),
    'testing-bad.' + SUB: (MX_BAD, 'testing'),
    'no-policy.' + SUB: (MX_GOOD, None),
}
# domain -> (delivered?, policy type, successful sessions, failed sessions, failure result types)
EXPECTED = {
    'enforce-good.' + SUB: (True, 'sts', 1, 0, []),
    'enforce-bad.' + SUB: (False, 'sts', 0, 1, ['certificate-host-mismatch']),
    'enforce-plain.' + SUB: (False, 'sts', 0, 1, ['starttls-not-supported']),
    # Measured: postfix-mta-sts-resolver 1.5.0 (strict_testing off) hands Postfix no policy for a testing-mode
    # domain, so Postfix neither checks the certificate nor names the policy: the report says no-policy-found
    # with a success, where RFC 8460 would have sts (mode testing) with the certificate-host-mismatch.
    'testing-bad.' + SUB: (True, 'no-policy-found', 1, 0, []),
    'no-policy.' + SUB: (True, 'no-policy-found', 1, 0, []),
}
CONTACT = 'tlsrpt-contact@' + SUB
SELECTOR = 'tlsrpt'
DKIM_NAME = '%s._domainkey.%s' % (SELECTOR, SUB)
VENV = '/opt/tlsrpt-reporter'

pytestmark = pytest.mark.timeout(900)


def pip_cache_path(root):
    """Where this machine keeps pip's cache for the role's pinned install on this root, between sessions.

    pip's cache holds what the install downloads and the wheel it builds from dkimpy's sdist (dkimpy has no
    wheel on PyPI: each fresh host built it, in an isolated environment with setuptools fetched for it).
    Keyed on the pins and the root (its Python), so a new pin or root starts a cache of its own.
    """
    with open(os.path.join(pl.TESTS, '..', 'roles', 'postfix_outbound', 'defaults', 'main.yml')) as handle:
        defaults = yaml.safe_load(handle)
    pins = 'tlsrpt-reporter==%s dkimpy==%s %s' % (defaults['postfix_outbound_tlsrpt_version'],
                                                  defaults['postfix_outbound_tlsrpt_dkimpy_version'], os.path.basename(root))
    return os.path.join(str(trixie.cache_dir()), 'pip-tlsrpt-' + hashlib.sha256(pins.encode()).hexdigest()[:12])


def keep_pip_cache(share_cache, cache):
    """Keep the host's pip cache as ``cache`` if there is none yet (another session may write it at the same
    time: the first complete one wins, by rename)."""
    if os.path.isdir(cache) or not os.path.isdir(share_cache):
        return
    partial = '%s.partial-%d' % (cache, os.getpid())
    shutil.copytree(share_cache, partial)
    try:
        os.rename(partial, cache)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)


def inside(argv, stdin=None, timeout=120):
    """``argv`` run in the Debian 13 host; the CompletedProcess (text)."""
    return subprocess.run(trixie._inside_argv(argv), input=stdin, capture_output=True, text=True,  # pylint: disable=protected-access
                          timeout=timeout, check=False, cwd='/')


def host_file(path):
    res = inside(['cat', path])
    return res.stdout if res.returncode == 0 else ''


# The lab's sending-only main.cf (postfix_lab.sender_main), as this host's admin would have it: the Debian paths,
# and a queue that retries nothing within the test (a deferred mail stays deferred: one verdict per mail).
POSTFIX_MAIN = pl.sender_main(
    SUB, '/etc/postfix/lab-ca.pem',
    maillog_file='/var/log/postfix.log',
    inet_interfaces='127.0.0.1',
    minimal_backoff_time='3600s',
    maximal_backoff_time='3600s',
    queue_run_delay='3600s',
)
# pl's services without the inet smtpd: this Postfix only sends (and listens on no port of the shared network).
MASTER_CF = '\n'.join(line for line in pl.MASTER_CF_SERVICES.splitlines() if ' inet ' not in line) + '\n'

DNS_TASKS = '''---
# The lab's "hosted DNS": the DKIM record through nsupdate, with the lab's TSIG key file (the secret
# stays out of the process list).
- name: Publish the DKIM record in the lab zone
  ansible.builtin.command:
    argv: [nsupdate, -k, "%(key_file)s"]
    stdin: |
      server %(server)s %(port)s
      update delete {{ record.name }}. TXT
      update add {{ record.name }}. {{ record.ttl }} TXT "{{ record.strings | join('" "') }}"
      send
  changed_when: true
  vars:
    record: "{{ postfix_outbound_tlsrpt_dkim_record }}"
'''


def run_role(state, extra=None, check=False):
    argv = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', state['inventory'],
            '-e', json.dumps(dict(state['vars'], **(extra or {}))), state['playbook']]
    if check:
        argv += ['--check', '--diff']
    proc = subprocess.run(argv, env=ansible_env({'ANSIBLE_PIPELINING': '1', 'ANSIBLE_HOST_KEY_CHECKING': '0'}),
                          capture_output=True, text=True, timeout=600, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def verdict(recipient):
    return pl.verdict(host_file('/var/log/postfix.log'), recipient)


def wait_for(predicate, timeout=60.0, what='it'):
    deadline = time.monotonic() + timeout
    while True:
        got = predicate()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError('%s did not happen within %.0f s; Postfix log:\n%s'
                                 % (what, timeout, host_file('/var/log/postfix.log')[-3000:]))
        time.sleep(0.3)


def send(recipient, subject):
    message = 'From: sender@%s\nTo: %s\nSubject: %s\n\nTLSRPT test message.\n' % (SUB, recipient, subject)
    res = inside(['sendmail', '-f', 'sender@' + SUB, recipient], stdin=message)
    assert res.returncode == 0, res.stderr


@pytest.fixture(scope='module')
def setup(lab, tmp_path_factory):
    try:
        root = trixie.build(log=lambda _msg: None)
    except trixie.Unavailable as exc:
        pytest.skip('no Debian 13 host: %s' % exc)
    base = pl.make_private_dir('mailsec-tlsrpt-')
    pids = []
    timings = {}
    state = {'base': base, 'timings': timings}
    last = [time.monotonic()]

    def mark(step):
        """Seconds since the previous mark, kept as ``step`` (the setup's time, step by step)."""
        now = time.monotonic()
        timings[step] = now - last[0]
        last[0] = now
    started_host = False
    try:
        # Lab side: domains, policies (nginx), _smtp._tls records, the recording MX hosts.
        pl.setup_domains(lab, base, lambda conf: pids.append(labtools.start_nginx(conf, base)), domains=DOMAINS,
                         mx_hosts=(MX_GOOD, MX_BAD, MX_PLAIN, MX_REPORTS), policy_address=POLICY_ADDRESS)
        for domain in DOMAINS:
            labtools.dns_update(lab, '_smtp._tls.' + domain, 'TXT', ['v=TLSRPTv1; rua=%s' % RUA])
        labtools.dns_update(lab, REPORTS_DOMAIN, 'MX', ['10 %s.' % MX_REPORTS[0]])
        certs = os.path.join(base, 'certs')
        good = labtools.issue_cert([MX_GOOD[0]], ca=lab, out_dir=certs)
        bad = labtools.issue_cert([pl.MX_BAD_CERT_NAME], ca=lab, out_dir=certs)
        reports_cert = labtools.issue_cert([MX_REPORTS[0]], ca=lab, out_dir=certs)
        record, maildir = os.path.join(base, 'received.jsonl'), os.path.join(base, 'reports-maildir')
        listen = ['%s:25:%s:%s:%s' % (MX_GOOD[1], good[0], good[1], MX_GOOD[0]),
                  '%s:25:%s:%s:%s' % (MX_BAD[1], bad[0], bad[1], MX_BAD[0]),
                  '%s:25' % MX_PLAIN[1],
                  '%s:25:%s:%s:%s' % (MX_REPORTS[1], reports_cert[0], reports_cert[1], MX_REPORTS[0])]
        argv = [sys.executable, '-m', 'mailsec_testing.recording_smtp', '--record', record, '--maildir', maildir]
        for item in listen:
            argv += ['--listen', item]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([pl.TESTS, os.path.join(pl.TESTS, 'lab')]))
        with open(os.path.join(base, 'mx.log'), 'ab') as log:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, close_fds=True, env=env)
        pids.append(proc.pid)
        labtools._CHILDREN[proc.pid] = proc  # pylint: disable=protected-access
        for dummy, address in (MX_GOOD, MX_BAD, MX_PLAIN, MX_REPORTS):
            labtools.wait_port(address, 25, proc=proc, what='recording SMTP listener')
        mark('lab side (domains, nginx, MX listeners)')

        # The Debian 13 host: lab DNS first, lab CA trusted, a sending-only Postfix as its admin set it up.
        # Stopped at the end only if started here (another test's host is left as it was found).
        started_host = trixie.running() is None
        host = trixie.up(log=lambda _msg: None)
        share = os.path.join(host['dir'], 'share')
        shutil.copy(lab['ca_path'], os.path.join(share, 'lab-ca.pem'))
        with open(os.path.join(share, 'main.cf'), 'w') as handle:
            handle.write(pl.render_main_cf(POSTFIX_MAIN))
        with open(os.path.join(share, 'master.cf'), 'w') as handle:
            handle.write(MASTER_CF)
        # pip's cache from an earlier session (if any), where the host's pip finds it (/etc/pip.conf).
        cache, share_cache = pip_cache_path(root), os.path.join(share, 'pip-cache')
        state['pip_cache'] = 'warm' if os.path.isdir(cache) else 'cold'
        if os.path.isdir(cache):
            shutil.copytree(cache, share_cache, dirs_exist_ok=True)
        setup_script = (
            'set -e; s=%(share)s; upstream=$(grep -m1 ^nameserver /etc/resolv.conf);'
            'printf "nameserver %(dns)s\\n%%s\\noptions timeout:2 attempts:1\\n" "$upstream" > /etc/resolv.conf;'
            'cat $s/lab-ca.pem >> /etc/ssl/certs/ca-certificates.crt; cp $s/lab-ca.pem /etc/postfix/lab-ca.pem;'
            'cp $s/main.cf $s/master.cf /etc/postfix/; postfix check; postfix start;'
            'printf "[global]\\ncache-dir = %%s\\n" $s/pip-cache > /etc/pip.conf'
        ) % {'share': trixie.SHARE, 'dns': lab['dns']['server']}
        res = inside(['sh', '-c', setup_script])
        assert res.returncode == 0, res.stdout + res.stderr
        mark('Debian 13 host up, its Postfix started')

        tasks_file = os.path.join(base, 'dkim-dns.yml')
        with open(tasks_file, 'w') as handle:
            handle.write(DNS_TASKS % {'key_file': lab['tsig_key_file'], 'server': lab['dns']['server'],
                                      'port': lab['dns']['port']})
        inventory = os.path.join(base, 'inventory.yml')
        with open(inventory, 'w') as handle:
            handle.write(labtools.to_yaml({'all': {'hosts': {'trixie': {
                'ansible_connection': 'ssh', 'ansible_user': 'root', 'ansible_host': host['ssh'],
                'ansible_ssh_common_args': '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null',
                'ansible_python_interpreter': host['python'], 'ansible_ssh_private_key_file': host['ssh_key']}}}}))
        playbook = os.path.join(base, 'play.yml')
        with open(playbook, 'w') as handle:
            handle.write('- hosts: trixie\n  gather_facts: false\n  roles:\n    - mailsec.mta_sts.postfix_outbound\n')
        state.update(inventory=inventory, playbook=playbook, record=record, maildir=maildir, host=host, share=share,
                     vars={
                         'postfix_outbound_listen_address': RESOLVER_ADDRESS,
                         'postfix_outbound_service': 'signal',
                         'postfix_outbound_shutdown_timeout': 1,
                         'postfix_outbound_check_domains': sorted(DOMAINS),
                         'postfix_outbound_tlsrpt': True,
                         'postfix_outbound_tlsrpt_organization': 'mailsec lab',
                         'postfix_outbound_tlsrpt_contact': CONTACT,
                         'postfix_outbound_tlsrpt_dkim_selector': SELECTOR,
                         # The DKIM record by RFC 2136 from the controller, into the lab's DNS, which the host's
                         # resolver (and so the DKIM check below) reads.
                         'postfix_outbound_tlsrpt_dkim_dns_method': 'nsupdate',
                         'postfix_outbound_tlsrpt_dkim_dns_server': lab['dns']['server'],
                         'postfix_outbound_tlsrpt_dkim_dns_port': lab['dns']['port'],
                         'postfix_outbound_tlsrpt_dkim_dns_key_name': lab['dns']['key_name'],
                         'postfix_outbound_tlsrpt_dkim_dns_key_secret': lab['dns']['key_secret'],
                     })
        # The send-now run hands the record to the DNS tasks file instead (the other publishing path).
        state['tasks_path'] = {'postfix_outbound_tlsrpt_dkim_dns_method': 'tasks',
                               'postfix_outbound_tlsrpt_dkim_dns_tasks_file': tasks_file,
                               'postfix_outbound_tlsrpt_dkim_dns_always': True}
        state['main_cf_before'] = host_file('/etc/postfix/main.cf')
        state['check_run'] = run_role(state, check=True)
        state['main_cf_after_check'] = host_file('/etc/postfix/main.cf')
        state['venv_after_check'] = inside(['test', '-e', VENV]).returncode == 0
        state['dkim_after_check'] = dkim_record(lab)
        mark('role, check mode on the bare host')
        # A DNS server that does not answer (nothing listens on port 9 of the lab's named address): the role fails
        # at the DKIM record, before either tlsrpt daemon starts.
        state['unpublished_run'] = run_role(state, {'postfix_outbound_tlsrpt_dkim_dns_port': 9})
        state['daemons_after_unpublished'] = inside(['sh', '-c', 'ls /run/tlsrpt/*.pid; pgrep -l tlsrpt']).stdout
        state['dkim_after_unpublished'] = dkim_record(lab)
        mark('role, run failing at the DKIM record')
        state['first_run'] = run_role(state)
        mark('role, first run (pip cache %s)' % state['pip_cache'])
        assert state['first_run'][0] == 0, state['first_run'][1][-4000:]
        keep_pip_cache(share_cache, cache)
        state['dkim_after_first_run'] = dkim_record(lab)
        state['host_public_key'] = inside(['sh', '-c', 'openssl rsa -in "$0" -pubout -outform DER 2>/dev/null | base64 -w0',
                                           '/etc/tlsrpt/dkim/%s.%s.key' % (SELECTOR, SUB)]).stdout.strip()
        state['check_rerun'] = run_role(state, check=True)
        mark('role, check mode rerun')

        # One mail to each case domain; each reaches its verdict (sent, or deferred by the policy).
        for domain in DOMAINS:
            send('user@' + domain, 'case ' + domain)
        state['verdicts'] = {domain: wait_for(lambda d=domain: verdict('user@' + d), what='a verdict for ' + domain)
                             for domain in DOMAINS}
        # libtlsrpt sends each event when the handshake ends; the collector commits them within its
        # socket timeout (5 s) - the send-now's SIGUSR2 commits what it holds first.
        mark('mail to each case domain, verdicts')
        # The rerun: with send-now (the day's reports go out at once), and the DKIM record handed to the DNS
        # tasks file, which it removed here so that only that file can have put it back. Those two are the
        # only changes it may make (test_check_mode_changes_nothing_then_apply_then_rerun_changes_nothing):
        # one playbook run less than a plain rerun and then a send-now run, and the same tasks compared.
        labtools.dns_delete(lab, DKIM_NAME, 'TXT')
        state['send_now_run'] = run_role(state, dict(state['tasks_path'], postfix_outbound_tlsrpt_send_now=True))
        mark('role, rerun with send-now (DKIM record by the DNS tasks file)')
        state['dkim_after_tasks_file'] = dkim_record(lab)
        state['reports'] = wait_for(lambda: _report_messages(state, len(DOMAINS)), timeout=60,
                                    what='%d report messages at %s' % (len(DOMAINS), MX_REPORTS[0]))
        mark('reports received')
        yield state
    finally:
        if started_host:
            trixie.down(log=lambda _msg: None)
        for pid in pids:
            labtools.stop_pid(pid)
        pl.remove_tree(base)


def dkim_record(lab):
    """The TXT values at the DKIM key name in the lab's DNS, each record's strings joined."""
    return sorted(b''.join(dns.rdata.from_text('IN', 'TXT', text).strings).decode()
                  for text in labtools.dns_query(lab, DKIM_NAME, 'TXT'))


def _report_messages(state, count):
    got = [entry for entry in pl.received(state['record']) if entry.get('rcpt_tos') == ['tlsrpt@' + REPORTS_DOMAIN]]
    return got if len(got) >= count else None


def _message(entry):
    with open(entry['file'], 'rb') as handle:
        return handle.read()


def test_check_mode_changes_nothing_then_apply_then_rerun_changes_nothing(setup):
    code, output = setup['check_run']
    assert code == 0, output[-4000:]
    assert recap_changed(output, 'trixie') > 0
    assert setup['main_cf_after_check'] == setup['main_cf_before']
    assert not setup['venv_after_check']
    code, output = setup['first_run']
    assert recap_changed(output, 'trixie') > 0
    print('\n'.join('%-66s %6.1f s' % item for item in setup['timings'].items()))
    code, output = setup['check_rerun']
    assert code == 0, output[-4000:]
    assert recap_changed(output, 'trixie') == 0, output[-4000:]
    # The rerun changed only what it was asked to: the record by the tasks file, and the day's reports sent.
    code, output = setup['send_now_run']
    assert code == 0, output[-4000:]
    assert changed_tasks(output, 'trixie') == ['Publish the DKIM record in the lab zone',
                                               'Close the day and send its reports'], output[-4000:]


def test_postfix_points_at_the_collector_and_the_key_is_private(setup):
    postconf = inside(['postconf', '-n']).stdout
    assert 'smtp_tlsrpt_enable = yes' in postconf
    assert 'smtp_tlsrpt_socket_name = run/tlsrpt/tlsrpt.sock' in postconf
    res = inside(['stat', '-c', '%a %U', '/etc/tlsrpt/dkim/%s.%s.key' % (SELECTOR, SUB),
                  '/var/spool/postfix/run/tlsrpt/tlsrpt.sock'])
    assert res.stdout.split('\n')[:2] == ['600 root', '220 root'], res.stdout + res.stderr
    # The key never appears in what the role printed.
    key = host_file('/etc/tlsrpt/dkim/%s.%s.key' % (SELECTOR, SUB))
    body = ''.join(key.splitlines()[1:-1])
    assert body and body[:40] not in setup['first_run'][1]
    resolver = host_file('/etc/mta-sts-daemon.yml')
    assert 'tlsrpt: true' in resolver


@pytest.mark.parametrize('domain', sorted(EXPECTED))
def test_delivery_as_the_policy_says(setup, domain):
    delivered = EXPECTED[domain][0]
    line = setup['verdicts'][domain]
    assert ('status=sent' in line) == delivered, line
    if not delivered:
        assert 'status=deferred' in line


def test_each_reporting_domain_gets_exactly_one_report(setup):
    domains = sorted(email.message_from_bytes(_message(entry))['TLS-Report-Domain'] for entry in setup['reports'])
    assert domains == sorted(DOMAINS)
    assert setup['send_now_run'][0] == 0, setup['send_now_run'][1][-3000:]


def test_report_info_parses_them_and_the_counts_match(setup):
    result = run_module('tlsrpt_report_info', {'maildir': [setup['maildir']]})
    assert not result.failed, result.msg
    reports = result.result['reports']
    assert len(reports) == len(DOMAINS)
    table = []
    for report in reports:
        assert report['organization_name'] == 'mailsec lab' and report['contact_info'] == CONTACT
        assert len(report['policies']) == 1, report
        policy = report['policies'][0]
        domain = policy['policy_domain']
        counts = (policy['total_successful_session_count'], policy['total_failure_session_count'])
        types = sorted(detail['result_type'] for detail in policy['failure_details'])
        table.append((domain, policy['policy_type'], counts, types))
    print('\n'.join('%-40s %-16s ok=%d failed=%d %s' % (d, t, c[0], c[1], ' '.join(r)) for d, t, c, r in sorted(table)))
    for domain, policy_type_seen, counts, types in table:
        dummy, policy_type, ok, failed, result_types = EXPECTED[domain]
        assert policy_type_seen == policy_type, table
        if policy_type == 'sts':
            (mx_name, dummy), mode = DOMAINS[domain]
            # The policy as served, line by line (the resolver hands them over in an order of its own).
            policy = [report['policies'][0] for report in reports if report['policies'][0]['policy_domain'] == domain][0]
            assert sorted(policy['policy_string']) == sorted(['version: STSv1', 'mode: %s' % mode, 'mx: %s' % mx_name,
                                                              'max_age: 86400']), policy
        assert counts == (ok, failed), table
        assert types == result_types, table


def test_reports_are_rfc8460_mail(setup):
    message = email.message_from_bytes(_message(setup['reports'][0]), policy=email.policy.default)
    assert message.get_content_type() == 'multipart/report'
    assert message.get_param('report-type') == 'tlsrpt'
    assert message['TLS-Report-Submitter'] == SUB
    assert message['TLS-Required'] == 'No'
    assert message['From'].addresses[0].domain == SUB
    parts = [part for part in message.iter_attachments() if part.get_content_type() == 'application/tlsrpt+gzip']
    assert len(parts) == 1
    report = json.loads(gzip.decompress(parts[0].get_content()))
    assert report['organization-name'] == 'mailsec lab'
    print(message.as_string()[:1500])
    print(json.dumps(report, indent=2))


VERIFY = r'''
import sys, dkim, subprocess
message = open(sys.argv[1], 'rb').read()
if len(sys.argv) > 2:  # re-sign with a key that is not published (same selector and domain)
    key = subprocess.run(['openssl', 'genrsa', '-traditional', '2048'], capture_output=True, check=True).stdout
    head, sep, body = message.partition(b'\r\n\r\n') if b'\r\n\r\n' in message else message.partition(b'\n\n')
    lines = head.splitlines(keepends=True)
    kept, skip = [], False
    for line in lines:
        if line.lower().startswith(b'dkim-signature:'):
            skip = True
            continue
        if skip and line[:1] in b' \t':
            continue
        skip = False
        kept.append(line)
    message = b''.join(kept) + sep + body
    message = dkim.sign(message, b'%s', b'%s', key, include_headers=[b'From', b'Subject', b'TLS-Report-Domain']) + message
print('pass' if dkim.verify(message) else 'fail')
'''


def test_the_role_publishes_the_dkim_record_by_nsupdate_before_the_first_report(setup, lab):
    # Check mode sent no update; the first run put the host's key there (and nothing else); the TSIG secret
    # never reached the output.
    assert setup['dkim_after_check'] == []
    public = setup['host_public_key']
    assert len(public) > 300
    assert setup['dkim_after_first_run'] == ['v=DKIM1; k=rsa; p=' + public]
    first = setup['first_run'][1]
    assert 'Publish the DKIM record at its zone\'s primary' in first
    assert lab['dns']['key_secret'] not in first
    # The check-mode rerun found it in place (no change: see the check-mode/rerun test).


def test_a_record_that_cannot_be_published_fails_the_role_with_no_daemon_started(setup, lab):
    code, output = setup['unpublished_run']
    assert code != 0
    assert ('%s TXT was not published by dynamic update, so tlsrpt-collectd and tlsrpt-reportd were not started'
            % DKIM_NAME) in output, output[-3000:]
    assert 'connection refused by %s port 9' % lab['dns']['server'] in output, output[-3000:]
    assert setup['daemons_after_unpublished'] == ''
    assert setup['dkim_after_unpublished'] == []
    assert lab['dns']['key_secret'] not in output


def test_the_dns_tasks_file_path_publishes_it_too(setup):
    code, output = setup['send_now_run']
    assert code == 0, output[-3000:]
    assert setup['dkim_after_tasks_file'] == ['v=DKIM1; k=rsa; p=' + setup['host_public_key']]


def test_dkim_verifies_with_the_published_key_and_not_with_another(setup):
    # dkimpy in the host's virtualenv, with the host's resolver: the lab's named, where the role published
    # <selector>._domainkey.<reporting domain> (by nsupdate, then again by the DNS tasks file).
    path = os.path.join(setup['share'], 'report.eml')
    with open(path, 'wb') as handle:
        handle.write(_message(setup['reports'][0]))
    with open(os.path.join(setup['share'], 'verify.py'), 'w') as handle:
        handle.write(VERIFY % (SELECTOR, SUB))
    script, message = trixie.SHARE + '/verify.py', trixie.SHARE + '/report.eml'
    published = inside([VENV + '/bin/python', script, message])
    assert published.stdout.strip() == 'pass', published.stdout + published.stderr
    other = inside([VENV + '/bin/python', script, message, 'unpublished'])
    assert other.stdout.strip() == 'fail', other.stdout + other.stderr


def test_collector_stopped_postfix_still_delivers(setup):
    # What is lost: the TLSRPT events of the deliveries made while it is down (libtlsrpt's datagrams
    # have no receiver); the mail itself goes out.
    pid = host_file('/run/tlsrpt/tlsrpt-collectd.pid').strip()
    assert pid and inside(['kill', '-TERM', pid]).returncode == 0
    wait_for(lambda: inside(['test', '-e', '/proc/%s/exe' % pid]).returncode != 0, what='tlsrpt-collectd to stop')
    recipient = 'after-collector@' + 'enforce-good.' + SUB
    send(recipient, 'collector stopped')
    line = wait_for(lambda: verdict(recipient), what='a verdict with the collector stopped')
    assert 'status=sent' in line, line
