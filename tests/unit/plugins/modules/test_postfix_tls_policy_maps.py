# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""postfix_tls_policy_maps run in-process (mailsec_testing.modules) with Postfix's own postconf, on a config directory of its own (no Postfix runs)."""

import shutil

import pytest

from mailsec_testing.modules import run_module

MODULE = 'postfix_tls_policy_maps'
SOCKETMAP = 'socketmap:inet:127.0.0.1:8461:postfix'
MAIN_CF = ('# the host admin\'s main.cf: comments and order stay as they are\n'
           'compatibility_level = 3.6\n'
           'smtp_tls_security_level = may\n'
           'smtp_tls_policy_maps = hash:/etc/postfix/tls_policy\n'
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
    args = {'map': SOCKETMAP, 'config_directory': str(config), 'check': False}
    # postfix check wants a queue directory; this config has none, so the check is left out here
    # (tests/integration/test_postfix_outbound.py runs it on a real instance).
    check = run_module(MODULE, args, check=True, diff=True)
    assert not check.failed, check.msg
    assert check.changed and check.result['maps'] == ['hash:/etc/postfix/tls_policy', SOCKETMAP]
    assert check.result['diff']['before'] == 'smtp_tls_policy_maps = hash:/etc/postfix/tls_policy\n'
    assert check.result['diff']['after'] == 'smtp_tls_policy_maps = hash:/etc/postfix/tls_policy, %s\n' % SOCKETMAP
    assert check.result['diff']['before_header'] == '%s (smtp_tls_policy_maps)' % (config / 'main.cf')
    assert (config / 'main.cf').read_text() == MAIN_CF  # check mode wrote nothing

    apply = run_module(MODULE, args, diff=True)
    assert apply.changed and apply.result['value'] == 'hash:/etc/postfix/tls_policy, ' + SOCKETMAP
    assert apply.result['previous_maps'] == ['hash:/etc/postfix/tls_policy']
    assert 'smtp_tls_policy_maps = hash:/etc/postfix/tls_policy, %s\n' % SOCKETMAP in (config / 'main.cf').read_text()
    check_again = run_module(MODULE, args, check=True)
    rerun = run_module(MODULE, args)
    assert not check_again.changed and not rerun.changed
    assert 'diff' not in rerun.result  # no diff asked, none given

    remove = run_module(MODULE, dict(args, state='absent'))
    assert remove.changed and remove.result['maps'] == ['hash:/etc/postfix/tls_policy']
    assert not run_module(MODULE, dict(args, state='absent')).changed
    # Only that one line changed, back and forth: the file is as the admin wrote it.
    assert (config / 'main.cf').read_text() == MAIN_CF


def test_the_only_entry_removed_removes_the_parameter(config):
    (config / 'main.cf').write_text('compatibility_level = 3.6\nsmtp_tls_policy_maps = %s\n' % SOCKETMAP)
    run = run_module(MODULE, {'map': SOCKETMAP, 'state': 'absent', 'config_directory': str(config), 'check': False})
    assert run.changed and run.result['maps'] == [] and run.result['value'] == ''
    assert (config / 'main.cf').read_text() == 'compatibility_level = 3.6\n'


@pytest.mark.parametrize('args, options, words', [
    ({'map': 'hash:/etc/postfix/other'}, ['map'],
     'map: hash:/etc/postfix/other is not socketmap:inet:HOST:PORT:NAME or socketmap:unix:/PATH:NAME'),
    ({'map': 'socketmap:inet:127.0.0.1:http:postfix'}, ['map'],
     'map: socketmap:inet:127.0.0.1:http:postfix is not socketmap:inet:HOST:PORT:NAME'),
])
def test_bad_input_names_the_option_and_changes_nothing(config, args, options, words):
    run = run_module(MODULE, dict(args, config_directory=str(config)), diff=True)
    assert run.failed
    assert run.msg.startswith(words)
    assert run.result['invalid_options'] == options
    assert (config / 'main.cf').read_text() == MAIN_CF


def test_a_folder_without_main_cf_is_named(tmp_path):
    run = run_module(MODULE, {'map': SOCKETMAP, 'config_directory': str(tmp_path / 'nowhere')})
    assert run.failed
    assert run.msg.startswith('config_directory %s holds no main.cf' % (tmp_path / 'nowhere'))
    assert not (tmp_path / 'nowhere').exists()


def test_missing_map_is_ansibles_own_message(config):
    run = run_module(MODULE, {'config_directory': str(config)})
    assert run.failed and run.msg == 'missing required arguments: map'


def test_a_failing_postfix_check_restores_main_cf(config):
    # A main.cf that postfix check refuses (a queue directory that does not exist): the module sets the
    # value, the check fails, and the file is put back byte for byte.
    broken = b'queue_directory = /nonexistent/mailsec-queue\nsmtp_tls_policy_maps = texthash:/etc/x\n'
    (config / 'main.cf').write_bytes(broken)
    run = run_module(MODULE, {'map': SOCKETMAP, 'config_directory': str(config)})
    assert run.failed
    assert run.msg.startswith('postfix check failed after setting smtp_tls_policy_maps = texthash:/etc/x, '
                              '%s, so %s/main.cf was restored' % (SOCKETMAP, config))
    assert '/nonexistent/mailsec-queue' in run.msg
    assert not run.changed and run.result['maps'] == ['texthash:/etc/x']
    assert (config / 'main.cf').read_bytes() == broken
    assert sorted(path.name for path in config.iterdir()) == ['main.cf', 'master.cf']


def test_finding5_a_map_with_list_syntax_is_refused_naming_the_character(tmp_path, config):
    # Issue 21, finding 5: a comma or space put a table of the caller's choice into main.cf, and a
    # newline was refused only by postconf, as "postfix check failed".
    evil = 'socketmap:inet:127.0.0.1, texthash:/tmp/evil,x:8461:postfix'
    steps = [
        (MODULE, {'map': evil, 'config_directory': str(config)}),
        (MODULE, {'map': SOCKETMAP + '\nsmtpd_banner = x', 'config_directory': str(config)}),
        (MODULE, {'map': 'socketmap:inet:127.0.0.1:8461:{postfix}', 'config_directory': str(config)}),
    ]
    results = [run_module(name, args).result for name, args in steps]
    assert [result.get('failed') for result in results] == [True, True, True]
    assert results[0]['msg'].startswith("map: contains ',' (U+002C) at position %d" % evil.index(','))
    assert results[1]['msg'].startswith('map: contains a newline (U+000A) at position %d' % len(SOCKETMAP))
    assert results[2]['msg'].startswith("map: contains '{' (U+007B)")
    assert all('postfix check failed' not in result['msg'] for result in results)
    assert (config / 'main.cf').read_text() == MAIN_CF


def test_finding6_a_linked_main_cf_is_refused_not_followed(tmp_path, config):
    real = tmp_path / 'real-main.cf'
    real.write_text(MAIN_CF)
    (config / 'main.cf').unlink()
    (config / 'main.cf').symlink_to(real)
    results = [run_module(MODULE, {'map': SOCKETMAP, 'config_directory': str(config)}).result]
    assert results[0]['failed']
    assert results[0]['msg'].startswith('%s is a symbolic link, not a regular file' % (config / 'main.cf'))
    assert real.read_text() == MAIN_CF and (config / 'main.cf').is_symlink()
