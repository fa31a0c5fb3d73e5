# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The postfix_socketmap_entry filter: the entry postfix_outbound hands postfix_tls_policy_maps."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailsec.mta_sts.plugins.filter.postfix_socketmap_entry import postfix_socketmap_entry
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.postfix_tables import parse_socketmap_spec


@pytest.mark.parametrize('host, port, name, entry', [
    ('127.0.0.1', 8461, 'postfix', 'socketmap:inet:127.0.0.1:8461:postfix'),
    ('::1', '8461', 'postfix', 'socketmap:inet:[::1]:8461:postfix'),
    ('localhost', '10025', 'zone2', 'socketmap:inet:localhost:10025:zone2'),
])
def test_entry_is_what_postfix_tls_policy_maps_parses(host, port, name, entry):
    assert postfix_socketmap_entry(host, port, name) == entry
    parsed = parse_socketmap_spec(entry)
    assert (parsed['host'], parsed['port'], parsed['name']) == (host, int(port), name)


@pytest.mark.parametrize('host, port, name, message', [
    ('127.0.0.1', 0, 'postfix', 'the port must be a number from 1 to 65535, got 0'),
    ('127.0.0.1', 'http', 'postfix', "the port must be a number from 1 to 65535, got 'http'"),
    ('', 8461, 'postfix', 'the address (input) and the socketmap name must not be empty'),
    ('127.0.0.1', 8461, '', 'the address (input) and the socketmap name must not be empty'),
])
def test_bad_arguments_are_named(host, port, name, message):
    with pytest.raises(AnsibleFilterError) as error:
        postfix_socketmap_entry(host, port, name)
    assert message in str(error.value)
