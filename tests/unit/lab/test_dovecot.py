# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's Dovecot configuration (tests/lab/mailsec_lab/dovecot.py) in the syntax of the installed version:
2.3 on Debian 12, 2.4 on Debian 13 (which refuses a 2.3 file). tests/integration/test_report_imap.py runs it."""

from pathlib import Path

import pytest

from mailsec_lab import LabError, dovecot

ARGS = (Path('/lab/dovecot'), '127.40.143.1', '/lab/imap.crt', '/lab/imap.key', 143, 993)


def test_dovecot_2_4_gets_its_own_syntax_first_its_version():
    conf = dovecot._dovecot_conf(*ARGS, version=(2, 4, 1))  # pylint: disable=protected-access
    lines = conf.splitlines()
    assert lines[:2] == ['dovecot_config_version = 2.4.1', 'dovecot_storage_version = 2.4.1']
    for line in ('ssl_server_cert_file = /lab/imap.crt', 'auth_allow_cleartext = no', 'mail_driver = maildir',
                 'mail_path = /lab/dovecot/mail/%{user}/Maildir', 'passdb passwd-file {',
                 '  passwd_file_path = /lab/dovecot/passwd', '    listen = 127.40.143.1'):
        assert line in lines
    for word in ('ssl_cert', 'disable_plaintext_auth', 'mail_location', '%u', 'address =', '  driver ='):
        assert word not in conf


def test_dovecot_2_3_keeps_its_syntax():
    conf = dovecot._dovecot_conf(*ARGS, version=(2, 3, 19))  # pylint: disable=protected-access
    lines = conf.splitlines()
    for line in ('ssl_cert = </lab/imap.crt', 'disable_plaintext_auth = yes',
                 'mail_location = maildir:/lab/dovecot/mail/%u/Maildir', '  driver = passwd-file', '    address = 127.40.143.1'):
        assert line in lines
    assert 'dovecot_config_version' not in conf and 'ssl_server_cert_file' not in conf


@pytest.mark.parametrize('printed, version', [('2.4.1-4 (7d8c0e5759)\n', (2, 4, 1)),
                                              ('2.3.19.1 (9b53102964)\n', (2, 3, 19))])
def test_the_version_is_read_from_dovecot_version(tmp_path, printed, version):
    binary = tmp_path / 'dovecot'
    binary.write_text('#!/bin/sh\nprintf "%s" "' + printed.replace('\n', '\\n') + '"\n')
    binary.chmod(0o755)
    assert dovecot.dovecot_version(str(binary)) == version


def test_no_version_is_a_clear_error(tmp_path):
    binary = tmp_path / 'dovecot'
    binary.write_text('#!/bin/sh\necho "Fatal: something"\n')
    binary.chmod(0o755)
    with pytest.raises(LabError, match=r"--version printed 'Fatal: something', not a version"):
        dovecot.dovecot_version(str(binary))
