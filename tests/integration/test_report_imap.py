# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS reports read from an IMAP mailbox (a real Dovecot in the lab, TLS with the lab CA), and only
DKIM-verified ones counted: keys made at lab start and published in the lab's DNS, looked up through
the module's nameservers option. Google- and Microsoft-shaped reports, signed, unsigned, signed with
the wrong key, changed after signing, signed by an unrelated domain, and mail that is no report.

Every test gets a mailbox (an IMAP user) of its own on the module's Dovecot.
"""

import datetime
import itertools
import os
import socket
import threading
import time

import pytest

import mailsec_lab as labtools
from mailsec_testing import report_samples
from mailsec_testing.ansible_runner import recap_changed, run_playbook
from mailsec_testing.modules import run_module

pytestmark = [pytest.mark.lab]

ALPHA, BETA = 'alpha.mailsec.test', 'beta.mailsec.test'
GOOGLE, MICROSOFT, UNRELATED = 'google.mailsec.test', 'microsoft.mailsec.test', 'unrelated.mailsec.test'
_USERS = itertools.count()
# One IMAP user per test, all made at Dovecot's start (its passwd-file cache sees a file changed within
# the second it last read it only later).
USERS = dict(('reports%d' % number, 'pw-%d-%d' % (number, os.getpid())) for number in range(30))


@pytest.fixture(scope='module')
def dovecot(lab):
    instance = labtools.Lab(lab['state_dir'])
    imap = instance.dovecot_up(USERS)
    yield dict(lab, imap=imap)
    instance.dovecot_down()


class Mailbox(object):
    """One IMAP user's mailbox on the lab Dovecot: seed it, read its folders, make module arguments."""

    def __init__(self, lab):
        self.lab = lab
        self.imap = lab['imap']
        self.user = 'reports%d' % next(_USERS)
        self.password = USERS[self.user]
        self.keys = dict((entry['domain'], entry) for entry in lab['dkim'])

    def deliver(self, message, folder=None):
        return labtools.deliver(self.imap['directory'], self.user, message, folder)

    def count(self, folder=None):
        return len(labtools.messages(self.imap['directory'], self.user, folder))

    def sign(self, message, signer, key_of=None):
        key = self.keys[key_of or signer]
        return labtools.dkim_sign(message, signer, self.keys[signer]['selector'], key['key_path'])

    def args(self, **imap):
        options = dict(server=self.imap['server'], port=self.imap['port'], ca_path=self.imap['ca_path'],
                       user=self.user, password=self.password, timeout=20)
        options.update(imap)
        return {'imap': options, 'nameservers': [self.lab['dns']['server']], 'return_reports': False}


@pytest.fixture
def mailbox(dovecot):
    return Mailbox(dovecot)


def days_ago(count):
    return datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=count)


def report_mail(shape, domain=ALPHA, ago=1, **kwargs):
    sender = GOOGLE if shape == 'google' else MICROSOFT
    return report_samples.mailed_daily_report(shape, sender, domain, days_ago(ago), **kwargs)[0]


def seed_every_kind(box):
    """Two Google reports and one Microsoft report signed by their senders (the first Google one
    delivered twice), one of each failure, and a signed mail that is no report. Returns the count."""
    google1 = box.sign(report_mail('google', ago=1), GOOGLE)
    messages = [
        google1,
        google1,
        box.sign(report_mail('google', ago=2), GOOGLE),
        box.sign(report_mail('microsoft', ago=1), MICROSOFT),
        report_mail('google', ago=3),                                        # no-signature
        box.sign(report_mail('google', ago=4), GOOGLE, key_of=UNRELATED),    # bad-signature (another key)
        box.sign(report_mail('microsoft', ago=5), MICROSOFT).replace(b'aggregate TLS report', b'aggregate TLS rep0rt'),
        box.sign(report_mail('google', ago=6), UNRELATED),                   # unrelated-signer
        box.sign(b'From: alice@google.mailsec.test\nTo: tlsrpt@alpha.mailsec.test\nSubject: lunch?\n\n'
                 b'Is this the address for the reports?\n', GOOGLE),         # not-a-report
    ]
    for message in messages:
        box.deliver(message)
    return len(messages)


def test_counts_per_reason_and_only_signed_reports_count(mailbox):
    total = seed_every_kind(mailbox)
    started = time.monotonic()
    result = run_module('tlsrpt_report_info', mailbox.args())
    elapsed = time.monotonic() - started
    assert not result.failed, result.msg
    assert result.result['require_dkim'] is True and result.result['changed'] is False
    assert result.result['dkim_counts'] == {'accepted': 4, 'no-signature': 1, 'bad-signature': 1,
                                            'body-changed': 1, 'unrelated-signer': 1, 'not-a-report': 1}
    alpha = result.result['summary'][ALPHA]
    # The duplicate Google report counts once: 3 reports, 30 sessions.
    assert (alpha['accepted_count'], alpha['total_successful_session_count']) == (3, 30)
    assert alpha['organizations'] == ['Google Inc.', 'Microsoft Corporation']
    assert alpha['discarded_count'] == 4
    assert alpha['discarded_reasons'] == {'no-signature': 1, 'bad-signature': 1, 'body-changed': 1,
                                          'unrelated-signer': 1}
    reasons = dict((entry['reason'], entry) for entry in result.result['discarded'])
    assert 'unrelated.mailsec.test is not related to the' in reasons['unrelated-signer']['detail']
    assert reasons['unrelated-signer']['signers'] == [UNRELATED]
    assert 'body hash mismatch' in reasons['body-changed']['detail']
    assert [entry['source'] for entry in result.result['rejected']] == [
        'imap://%s@imap.mailsec.test/INBOX;UID=%d' % (mailbox.user, total)]
    assert result.result['imap'] == {'read': total, 'skipped_too_large': 0, 'left_for_next_run': 0, 'moved': {}}
    assert mailbox.count() == total
    print('read and judged %d messages in %.2f s' % (total, elapsed))


def test_idempotent_and_starttls(mailbox):
    seed_every_kind(mailbox)
    first = run_module('tlsrpt_report_info', mailbox.args())
    again = run_module('tlsrpt_report_info', mailbox.args(security='starttls', port=mailbox.imap['starttls_port']))
    assert not first.failed and not again.failed, (first.msg, again.msg)
    assert again.result['summary'] == first.result['summary'] and again.result['discarded'] == first.result['discarded']
    assert again.result['changed'] is False and again.result['excluded']['duplicates'] == 1


def test_moves_only_after_parsing_and_a_rerun_reads_nothing_new(mailbox):
    total = seed_every_kind(mailbox)
    args = mailbox.args(read_only=False, processed_folder='TLSRPT/processed', other_folder='TLSRPT/other')
    check = run_module('tlsrpt_report_info', args, check=True)
    assert not check.failed and check.result['changed'] is True and mailbox.count() == total
    assert check.result['imap']['moved'] == {'TLSRPT/processed': 4, 'TLSRPT/other': 5}
    assert mailbox.count('TLSRPT/processed') == 0
    result = run_module('tlsrpt_report_info', args)
    assert not result.failed, result.msg
    assert result.result['changed'] is True
    assert result.result['imap']['moved'] == {'TLSRPT/processed': 4, 'TLSRPT/other': 5}
    assert mailbox.count() == 0
    assert mailbox.count('TLSRPT/processed') == 4 and mailbox.count('TLSRPT/other') == 5
    assert result.result['summary'][ALPHA]['accepted_count'] == 3
    again = run_module('tlsrpt_report_info', args)
    assert not again.failed and again.result['changed'] is False and again.result['imap']['read'] == 0
    assert again.result['summary'] == {}


def test_wrong_password_is_a_clear_error_and_moves_nothing(mailbox):
    total = seed_every_kind(mailbox)
    args = mailbox.args(read_only=False, processed_folder='done', password='wrong-horse-battery')
    result = run_module('tlsrpt_report_info', args)
    assert result.failed
    assert 'the server refused the login of user %s' % mailbox.user in result.msg
    assert 'check user and password' in result.msg and 'wrong-horse-battery' not in result.msg
    assert result.result['invalid_options'] == ['imap']
    assert mailbox.count() == total and mailbox.count('done') == 0


def test_password_file_and_a_missing_folder(mailbox, tmp_path):
    secret = tmp_path / 'imap-password'
    secret.write_text(mailbox.password + '\n')
    args = mailbox.args(folder='Reports/TLS')
    args['imap'].pop('password')
    args['imap']['password_file'] = str(secret)
    result = run_module('tlsrpt_report_info', args)
    assert result.failed
    assert "imap: folder: the server has no folder 'Reports/TLS' for this user" in result.msg


def test_a_certificate_from_another_ca_is_refused(mailbox, tmp_path):
    other = labtools.new_ca()
    ca = tmp_path / 'other-ca.pem'
    ca.write_bytes(other.cert_pem.bytes())
    result = run_module('tlsrpt_report_info', mailbox.args(ca_path=str(ca)))
    assert result.failed
    assert 'the server certificate is not valid for imap.mailsec.test' in result.msg and 'ca_path' in result.msg


class Relay(object):
    """A TCP relay in front of Dovecot on a loopback address of its own: counts the bytes the server
    sends, and can cut both connections once ``cut_after`` bytes went by (the server gone mid-run)."""

    def __init__(self, address, target, cut_after=None):
        self.target = target
        self.cut_after = cut_after
        self.sent = 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((address, target[1]))
        self.listener.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            client, dummy = self.listener.accept()
        except OSError:
            return
        server = socket.create_connection(self.target)
        up = threading.Thread(target=self._pipe, args=(client, server, False), daemon=True)
        up.start()
        self._pipe(server, client, True)

    def _pipe(self, source, sink, count):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if count:
                    self.sent += len(data)
                    if self.cut_after is not None and self.sent > self.cut_after:
                        break
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self):
        self.listener.close()


@pytest.fixture
def relay(dovecot):
    """``start(cut_after=None)``: a Relay, and imap.mailsec.test pointed at it in the lab DNS (the
    certificate name stays right); DNS and relay restored after the test."""
    made = []
    address = '127.%d.143.2' % labtools.LAB_NET

    def start(cut_after=None):
        made.append(Relay(address, (dovecot['imap']['address'], dovecot['imap']['port']), cut_after))
        labtools.dns_update(dovecot, labtools.IMAP_HOST, 'A', [address])
        return made[-1]

    yield start
    labtools.dns_update(dovecot, labtools.IMAP_HOST, 'A', [dovecot['imap']['address']])
    for item in made:
        item.close()


def test_server_gone_mid_run_fails_and_moves_nothing(mailbox, relay):
    total = seed_every_kind(mailbox)
    cut = relay(cut_after=12000)
    args = mailbox.args(read_only=False, processed_folder='done', other_folder='other')
    result = run_module('tlsrpt_report_info', args)
    assert result.failed
    assert 'the connection broke while fetching message' in result.msg, result.msg
    assert 'already moved' not in result.msg
    assert cut.sent > 12000
    assert mailbox.count() == total and mailbox.count('done') == 0 and mailbox.count('other') == 0


def test_a_50_mb_message_is_skipped_without_being_fetched(mailbox, relay):
    mailbox.deliver(mailbox.sign(report_mail('google', ago=1), GOOGLE))
    big = report_mail('google', ago=2).replace(b'This is an aggregate TLS report',
                                               b'This is an aggregate TLS report' + b'x' * (50 * 1024 * 1024))
    mailbox.deliver(big)
    counter = relay()
    started = time.monotonic()
    result = run_module('tlsrpt_report_info', mailbox.args(read_only=False, processed_folder='done',
                                                           other_folder='other'))
    elapsed = time.monotonic() - started
    assert not result.failed, result.msg
    assert result.result['imap']['skipped_too_large'] == 1 and result.result['imap']['moved'] == {'done': 1}
    assert 'more than imap.max_message_bytes (10485760); not fetched, left in INBOX' in result.result['rejected'][0]['reason']
    assert counter.sent < 200000, 'the server sent %d bytes: the big message was fetched' % counter.sent
    assert mailbox.count() == 1
    print('50 MB message skipped; %d bytes from the server, %.2f s' % (counter.sent, elapsed))


def test_max_messages_bounds_a_run(mailbox):
    for ago in range(1, 6):
        mailbox.deliver(mailbox.sign(report_mail('google', ago=ago), GOOGLE))
    result = run_module('tlsrpt_report_info', mailbox.args(max_messages=3))
    assert not result.failed, result.msg
    assert result.result['imap']['read'] == 3 and result.result['imap']['left_for_next_run'] == 2
    assert result.result['summary'][ALPHA]['accepted_count'] == 3
    assert any('more than imap.max_messages (3)' in warning for warning in result.warnings)


def served_mode(lab, domain):
    status, dummy, body = labtools.fetch_policy(lab['domains'][0]['mta_sts_address'], 'mta-sts.' + domain,
                                                lab['ca_path'])
    return body.split(b'mode: ')[1].split(b'\r\n')[0].decode()


def test_mode_auto_from_the_mailbox_signed_reports_enforce_unsigned_stay_testing(deployed, dovecot, tmp_path):
    """The role (tests/playbooks/lab.yml, this host's nginx) with mode auto and the lab mailbox: 14 days of
    Google-shaped reports, unsigned -> testing and the run says they were discarded; the same reports
    signed by Google's lab key -> enforce."""
    lab = dict(deployed, imap=dovecot['imap'], dkim=dovecot['dkim'])
    unsigned, signed = Mailbox(lab), Mailbox(lab)
    for ago in range(1, 15):
        message = report_mail('google', domain=BETA, ago=ago)
        unsigned.deliver(message)
        signed.deliver(signed.sign(message, GOOGLE))
    from role_lab import entry

    def run(box, mode='auto'):
        extra = {'mta_sts_domains': [entry(lab, BETA, mode=mode)], 'mta_sts_verify_retries': 0}
        if box is not None:
            extra['mta_sts_tlsrpt_imap'] = box.args()['imap']
        return run_playbook('lab.yml', lab['state_dir'], extra)

    try:
        code, output = run(None, mode='testing')
        assert code == 0 and served_mode(lab, BETA) == 'testing', output[-3000:]
        code, output = run(unsigned)
        assert code == 0, output[-3000:]
        assert ('beta.mailsec.test (mode auto): testing; before enforce: 14 days missing (0 of 14 days with sessions '
                'under the testing policy)') in output
        assert '14 reports DISCARDED (no-signature: 14), not counted' in output
        assert served_mode(lab, BETA) == 'testing'
        assert unsigned.password not in output

        code, output = run(signed)
        assert code == 0, output[-3000:]
        assert 'beta.mailsec.test (mode auto): switches to ENFORCE (14 days and 140 sessions' in output
        assert served_mode(lab, BETA) == 'enforce'
        assert recap_changed(output) > 0 and signed.count() == 14
    finally:
        code, output = run_playbook('lab.yml', lab['state_dir'])
        assert code == 0, output[-3000:]
