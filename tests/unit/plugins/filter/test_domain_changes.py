# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cost follows changes: which domains a run changes, and which of the others a step covers."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailsec.mta_sts.plugins.filter.mta_sts_domains import (
    mta_sts_changes, mta_sts_domains, mta_sts_scope)

DEFAULTS = {'mode': 'enforce', 'mx': ['mail.example.com'], 'max_age': 86400, 'tlsrpt_rua': ['mailto:tls@example.com'],
            'tls_certificate': '/etc/ssl/{domain}.pem', 'tls_certificate_key': '/etc/ssl/{domain}.key',
            'webroot': '/srv/mta-sts', 'tlsrpt_reports': True}
NAMES = ['d%02d.example' % index for index in range(10)]


def domains(auto=()):
    return mta_sts_domains([dict({'domain': name}, **({'mode': 'auto'} if name in auto else {})) for name in NAMES],
                           DEFAULTS)


def test_nothing_differs_nothing_changes():
    assert mta_sts_changes(domains(), [], []) == []


def test_a_changed_file_a_changed_record_and_an_auto_domain_change():
    items = domains(auto=['d07.example'])
    changed = mta_sts_changes(items, ['/srv/mta-sts/d02.example/.well-known/mta-sts.txt'],
                              ['_MTA-STS.d05.example.'])  # as a server may spell it back
    assert changed == ['d02.example', 'd05.example', 'd07.example']


def test_scope_none_is_the_changed_domains_in_list_order():
    scope = mta_sts_scope(domains(), ['D04.example', 'd01.example'])
    assert [item['domain'] for item in scope] == ['d01.example', 'd04.example']


def test_scope_all_is_every_domain():
    assert len(mta_sts_scope(domains(), [], 'all')) == len(NAMES)


def test_sample_windows_move_each_turn_and_cover_every_unchanged_domain():
    items = domains()
    seen = set()
    for turn in range(3):
        scope = [item['domain'] for item in mta_sts_scope(items, ['d00.example'], 'sample', 3, turn)]
        assert scope[0] == 'd00.example' and len(scope) == 4
        assert scope == [item['domain'] for item in mta_sts_scope(items, ['d00.example'], 'sample', 3, turn)]
        seen.update(scope[1:])
    assert seen == set(NAMES[1:])


def test_a_sample_larger_than_the_rest_is_the_rest():
    assert len(mta_sts_scope(domains(), [], 'sample', 100, 7)) == len(NAMES)


def test_attribute_picks_that_key_and_leaves_out_empty_ones():
    items = domains()
    items[3]['preflight_entry'] = None
    entries = mta_sts_scope(items, ['d02.example', 'd03.example'], attribute='preflight_entry')
    assert entries == [items[2]['preflight_entry']]


def test_an_unknown_scope_names_the_variable_and_the_choices():
    with pytest.raises(AnsibleFilterError, match='mta_sts_verify_unchanged must be one of all, sample, none'):
        mta_sts_scope(domains(), [], 'some')
