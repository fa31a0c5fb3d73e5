# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The postfix_outbound role's values, checked against the files they are written into (issue 21)."""

import pytest

from ansible_collections.mailsec.mta_sts.plugins.filter.postfix_outbound import postfix_outbound_problems

GOOD = {
    'config_path': '/etc/mta-sts-daemon.yml', 'cache_sqlite_path': '/var/lib/mta-sts/cache.db',
    'pid_file': '/run/mta-sts-daemon.pid', 'log_file': '/var/log/mta-sts-daemon.log',
    'virtualenv': '/opt/postfix-mta-sts-resolver', 'postfix_config_directory': '/etc/postfix',
    'listen_address': '127.0.0.1', 'cache_redis_url': 'redis://:s3cret@127.0.0.1:6379/0', 'zone': 'postfix',
    'service_name': 'postfix-mta-sts-resolver', 'pip_version': '1.5.1', 'zones': {'strict': {}},
    'map': 'socketmap:inet:127.0.0.1:8461:postfix',
}


def test_the_defaults_pass():
    assert postfix_outbound_problems(GOOD) == []


@pytest.mark.parametrize('key, value, message', [
    ('config_path', '/etc/mta sts.yml', 'postfix_outbound_config_path: contains a space (U+0020) at position 8'),
    ('log_file', 'relative.log', 'postfix_outbound_log_file: must be an absolute path'),
    ('postfix_config_directory', '/etc/postfix,texthash:/tmp/x', "postfix_outbound_postfix_config_directory: contains ','"),
    ('listen_address', '127.0.0.1\n', 'postfix_outbound_listen_address: contains a newline (U+000A) at position 9'),
    ('cache_redis_url', 'redis://127.0.0.1/0\nhost: 0.0.0.0', 'postfix_outbound_cache_redis_url: contains a newline'),
    ('zone', 'postfix\u2028', 'postfix_outbound_zone: contains a line separator (U+2028)'),
    ('zones', {'strict\n': {}}, "postfix_outbound_zones: the zone name 'strict\\n' contains a newline"),
    ('map', 'socketmap:inet:127.0.0.1, texthash:/tmp/evil,x:8461:postfix',
     'postfix_outbound_zone / postfix_outbound_listen_address give the socketmap entry'),
])
def test_a_value_that_breaks_its_grammar_is_named_with_the_character(key, value, message):
    problems = postfix_outbound_problems(dict(GOOD, **{key: value}))
    assert len(problems) == 1 and problems[0].startswith(message), problems
