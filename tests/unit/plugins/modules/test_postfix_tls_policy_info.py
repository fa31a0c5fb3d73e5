# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""postfix_tls_policy_info run in-process (mailsec_testing.modules) with Postfix's own postconf and postmap
on a config directory of its own and a texthash table (no Postfix runs). With a running Postfix and
postfix-mta-sts-resolver: tests/integration/test_postfix_outbound.py.
"""

import shutil

import pytest

from mailsec_testing.modules import WatchedPort, run_module

MODULE = 'postfix_tls_policy_info'

pytestmark = pytest.mark.skipif(shutil.which('postmap', path='/usr/sbin:/usr/bin') is None,
                                reason='needs Postfix (make venv installs it)')


@pytest.fixture
def config(tmp_path):
    folder = tmp_path / 'postfix'
    folder.mkdir()
    (folder / 'tls_policy').write_text('example.com secure match=mx.example.com:.example.com\n'
                                       '.example.org encrypt\n')
    (folder / 'main.cf').write_text('compatibility_level = 3.6\nsmtp_tls_security_level = may\n'
                                    'smtp_tls_policy_maps = texthash:%s\n' % (folder / 'tls_policy'))
    return folder


@pytest.mark.parametrize('check', [False, True])
def test_policies_as_postfix_finds_them(config, check):
    table = 'texthash:%s' % (config / 'tls_policy')
    before = sorted((path.name, path.read_bytes()) for path in config.iterdir())
    run = run_module(MODULE, {'domains': ['example.com', 'sub.example.org', 'example.net'],
                              'config_directory': str(config)}, check=check, diff=True)
    assert not run.failed, run.msg
    assert not run.changed and 'diff' not in run.result
    assert run.result['maps'] == [table]
    assert run.result['default_security_level'] == 'may'
    assert run.result['socketmaps'] == []
    first, parent, none = run.result['policies']
    assert first == {'domain': 'example.com', 'policy': 'secure match=mx.example.com:.example.com', 'table': table,
                     'key': 'example.com', 'level': 'secure', 'match': ['mx.example.com', '.example.com'],
                     'attributes': {}}
    assert (parent['key'], parent['level']) == ('.example.org', 'encrypt')  # Postfix's parent-domain walk
    assert none['policy'] is None and none['table'] is None
    assert run.result['summary'][2] == 'example.net: no policy (smtp_tls_security_level = may applies)'
    assert sorted((path.name, path.read_bytes()) for path in config.iterdir()) == before


def test_a_socketmap_that_does_not_answer_fails_naming_it(config):
    with WatchedPort() as port:
        socketmap = 'socketmap:inet:127.0.0.1:%d:postfix' % port.port
    run = run_module(MODULE, {'domains': ['example.com'], 'config_directory': str(config), 'timeout': 1,
                              'maps': [socketmap, 'texthash:%s' % (config / 'tls_policy')]})
    assert run.failed
    assert run.msg.startswith('Postfix cannot get its TLS policy (mail waits in the queue, deferred, until it can): '
                              '%s did not answer for .mailsec-probe.invalid: ' % socketmap)
    assert run.result['socketmaps'][0]['map'] == socketmap
    assert run.result['socketmaps'][0]['answers'] is False
    assert run.result['policies'] == []


@pytest.mark.parametrize('args, options, words', [
    ({'timeout': 0}, ['timeout'], 'timeout must be more than 0 seconds, got 0.0'),
    # Only an empty name is refused: Postfix looks up whatever next-hop name it is given.
    ({'domains': ['example.com', ' .']}, ['domains'], "domains: ' .': an empty domain"),
])
def test_bad_input_fails_naming_the_option(config, args, options, words):
    run = run_module(MODULE, dict(args, config_directory=str(config)))
    assert run.failed
    assert run.result['invalid_options'] == options
    assert words in run.msg


def test_a_folder_without_main_cf_is_named(tmp_path):
    run = run_module(MODULE, {'domains': ['example.com'], 'config_directory': str(tmp_path)})
    assert run.failed
    assert run.msg.startswith('config_directory %s holds no main.cf' % tmp_path)
