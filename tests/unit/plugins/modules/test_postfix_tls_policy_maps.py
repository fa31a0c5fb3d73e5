# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""postfix_tls_policy_maps run for real through ansible-playbook, with Postfix's own postconf and
postfix check, on a config directory of its own (no Postfix runs)."""

import shutil

import pytest

from ansible_runner import run_steps

MODULE = 'mailsec.mta_sts.postfix_tls_policy_maps'
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


def test_check_mode_apply_rerun_remove(tmp_path, config):
    args = {'map': SOCKETMAP, 'config_directory': str(config), 'check': False}
    # postfix check wants a queue directory; this config has none, so the check is left out here
    # (tests/integration/test_postfix_outbound.py runs it on a real instance).
    steps = [
        (MODULE, args, {'check_mode': True, 'diff': True}),
        (MODULE, args, {'diff': True}),
        (MODULE, args, {'check_mode': True}),
        (MODULE, args),
        (MODULE, dict(args, state='absent')),
        (MODULE, dict(args, state='absent')),
    ]
    results, proc = run_steps(tmp_path, steps)
    assert not any(result.get('failed') for result in results), proc.stdout[-3000:]
    check, apply, check_again, rerun, remove, remove_again = results
    assert check['changed'] and check['maps'] == ['hash:/etc/postfix/tls_policy', SOCKETMAP]
    assert check['diff']['before'] == 'smtp_tls_policy_maps = hash:/etc/postfix/tls_policy\n'
    assert check['diff']['after'] == 'smtp_tls_policy_maps = hash:/etc/postfix/tls_policy, %s\n' % SOCKETMAP
    assert apply['changed'] and apply['value'] == 'hash:/etc/postfix/tls_policy, ' + SOCKETMAP
    assert not check_again['changed'] and not rerun['changed']
    assert remove['changed'] and remove['maps'] == ['hash:/etc/postfix/tls_policy']
    assert not remove_again['changed']
    # Only that one line changed, back and forth: the file is as the admin wrote it.
    assert (config / 'main.cf').read_text() == MAIN_CF


def test_bad_input_names_the_option_and_changes_nothing(tmp_path, config):
    steps = [
        (MODULE, {'map': 'hash:/etc/postfix/other', 'config_directory': str(config)}),
        (MODULE, {'map': 'socketmap:inet:127.0.0.1:http:postfix', 'config_directory': str(config)}),
        (MODULE, {'map': SOCKETMAP, 'config_directory': str(tmp_path / 'nowhere')}),
    ]
    results, dummy = run_steps(tmp_path, steps)
    assert [result.get('failed') for result in results] == [True, True, True]
    assert results[0]['msg'].startswith('map: hash:/etc/postfix/other is not socketmap:inet:HOST:PORT:NAME or '
                                        'socketmap:unix:/PATH:NAME')
    assert results[1]['msg'].startswith('map: socketmap:inet:127.0.0.1:http:postfix is not socketmap:inet:HOST:PORT:NAME')
    assert results[2]['msg'].startswith('config_directory %s holds no main.cf' % (tmp_path / 'nowhere'))
    assert (config / 'main.cf').read_text() == MAIN_CF


def test_finding5_a_map_with_list_syntax_is_refused_naming_the_character(tmp_path, config):
    # Issue 21, finding 5: a comma or space put a table of the caller's choice into main.cf, and a
    # newline was refused only by postconf, as "postfix check failed".
    evil = 'socketmap:inet:127.0.0.1, texthash:/tmp/evil,x:8461:postfix'
    steps = [
        (MODULE, {'map': evil, 'config_directory': str(config)}),
        (MODULE, {'map': SOCKETMAP + '\nsmtpd_banner = x', 'config_directory': str(config)}),
        (MODULE, {'map': 'socketmap:inet:127.0.0.1:8461:{postfix}', 'config_directory': str(config)}),
    ]
    results, dummy = run_steps(tmp_path, steps)
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
    results, dummy = run_steps(tmp_path, [(MODULE, {'map': SOCKETMAP, 'config_directory': str(config)})])
    assert results[0]['failed']
    assert results[0]['msg'].startswith('%s is a symbolic link, not a regular file' % (config / 'main.cf'))
    assert real.read_text() == MAIN_CF and (config / 'main.cf').is_symlink()
