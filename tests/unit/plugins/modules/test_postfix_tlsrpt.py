# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""postfix_tlsrpt run in-process (mailsec_testing.modules) with Postfix's own postconf on a config directory of its own.

postconf -e writes any parameter, so this runs with Debian 12's Postfix 3.7 too (which would ignore the two);
tests/integration/test_tlsrpt_sending.py runs it on Postfix 3.10 with real reports.
"""

import shutil

import pytest

from mailsec_testing.modules import run_module

MODULE = 'postfix_tlsrpt'
SOCKET = 'run/tlsrpt/tlsrpt.sock'
MAIN_CF = ('# the host admin\'s main.cf\n'
           'compatibility_level = 3.6\n'
           'smtp_tls_security_level = may\n'
           '# the end\n')

pytestmark = pytest.mark.skipif(shutil.which('postconf', path='/usr/sbin:/usr/bin') is None,
                                reason='needs Postfix (make venv installs it)')


@pytest.fixture
def config(tmp_path):
    folder = tmp_path / 'postfix'
    folder.mkdir()
    (folder / 'main.cf').write_text(MAIN_CF)
    shutil.copy('/etc/postfix/master.cf', str(folder / 'master.cf'))
    return folder


def test_check_mode_apply_rerun_remove(config):
    args = {'socket_name': SOCKET, 'config_directory': str(config), 'check': False}
    check = run_module(MODULE, args, check=True, diff=True)
    assert not check.failed, check.msg
    assert check.changed
    assert check.result['diff'] == {'before': '', 'after': 'smtp_tlsrpt_enable = yes\nsmtp_tlsrpt_socket_name = %s\n'
                                    % SOCKET, 'before_header': str(config / 'main.cf'),
                                    'after_header': str(config / 'main.cf')}
    assert (config / 'main.cf').read_text() == MAIN_CF

    apply = run_module(MODULE, args)
    assert apply.changed and apply.result['previous_settings'] == {'smtp_tlsrpt_enable': None,
                                                                   'smtp_tlsrpt_socket_name': None}
    text = (config / 'main.cf').read_text()
    assert text.startswith(MAIN_CF)
    assert text[len(MAIN_CF):] == 'smtp_tlsrpt_enable = yes\nsmtp_tlsrpt_socket_name = %s\n' % SOCKET
    assert not run_module(MODULE, args, check=True).changed
    assert not run_module(MODULE, args).changed

    moved = run_module(MODULE, dict(args, socket_name='/var/spool/postfix/other.sock'))
    assert moved.changed and moved.result['settings']['smtp_tlsrpt_socket_name'] == '/var/spool/postfix/other.sock'

    remove = run_module(MODULE, dict(args, state='absent'))
    assert remove.changed and remove.result['settings'] == {'smtp_tlsrpt_enable': None, 'smtp_tlsrpt_socket_name': None}
    assert not run_module(MODULE, dict(args, state='absent')).changed
    assert (config / 'main.cf').read_text() == MAIN_CF


@pytest.mark.parametrize('value, words', [
    ('run/tlsrpt sock', "socket_name: 'run/tlsrpt sock' contains a space (U+0020) at position"),
    ('run/x,hash:/tmp/evil', "socket_name: 'run/x,hash:/tmp/evil' contains ',' (U+002C)"),
    ('../../tmp/x', "socket_name: '../../tmp/x' contains \"..\""),
    ('run/x\nsmtpd_banner = x', "socket_name: 'run/x\\nsmtpd_banner = x' contains a newline"),
])
def test_bad_socket_name_is_refused_and_changes_nothing(config, value, words):
    run = run_module(MODULE, {'socket_name': value, 'config_directory': str(config)})
    assert run.failed
    assert run.msg.startswith(words), run.msg
    assert run.result['invalid_options'] == ['socket_name']
    assert (config / 'main.cf').read_text() == MAIN_CF


def test_present_needs_a_socket_name(config):
    run = run_module(MODULE, {'config_directory': str(config)})
    assert run.failed and run.msg == 'state is present but all of the following are missing: socket_name'


def test_a_failing_postfix_check_restores_main_cf(config):
    broken = b'queue_directory = /nonexistent/mailsec-queue\n'
    (config / 'main.cf').write_bytes(broken)
    run = run_module(MODULE, {'socket_name': SOCKET, 'config_directory': str(config)})
    assert run.failed
    assert run.msg.startswith('postfix check failed after setting smtp_tlsrpt_enable = yes, smtp_tlsrpt_socket_name = '
                              '%s, so %s/main.cf was restored' % (SOCKET, config)), run.msg
    assert '/nonexistent/mailsec-queue' in run.msg
    assert not run.changed
    assert (config / 'main.cf').read_bytes() == broken
