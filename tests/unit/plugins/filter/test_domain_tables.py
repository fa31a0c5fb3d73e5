# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Domain tables: the role's domain lists as one JSON text, read by every filter the same as the list."""

import json

import pytest
from hypothesis import given, settings, strategies as st

from ansible.errors import AnsibleFilterError

from ansible_collections.mailsec.mta_sts.plugins.filter.mta_sts_domains import (
    mta_sts_changes, mta_sts_domains, mta_sts_plan, mta_sts_rows, mta_sts_scope, mta_sts_select, mta_sts_table,
    mta_sts_txt_records, mta_sts_union)
from ansible_collections.mailsec.mta_sts.plugins.filter.mta_sts_nginx_http import (
    mta_sts_nginx_http, mta_sts_nginx_servers)
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.domains import ENTRY_KEYS

DEFAULTS = {'mode': 'enforce', 'mx': ['mail.example.com'], 'max_age': 86400, 'tlsrpt_rua': ['mailto:tls@example.com'],
            'tls_certificate': '/etc/ssl/{domain}.pem', 'tls_certificate_key': '/etc/ssl/{domain}.key',
            'webroot': '/srv/mta-sts', 'acme_certificate_dir': '/etc/acme', 'tlsrpt_reports': True}
# d02 gets its certificate by ACME, d05 is withdrawn, d06 has no report address.
OWN = {2: {'tls_certificate': 'acme'}, 5: {'state': 'absent'}, 6: {'tlsrpt_rua': []}}
ENTRIES = [dict({'domain': 'd%02d.example' % index}, **OWN.get(index, {})) for index in range(8)]
NAMES = [entry['domain'] for entry in ENTRIES]


def test_a_table_is_the_count_and_the_completed_list_as_one_text():
    table = mta_sts_table(ENTRIES, DEFAULTS)
    # What Ansible walks on each use: two keys and a string, whatever the number of domains.
    assert sorted(table) == ['count', 'rows'] and isinstance(table['rows'], str)
    assert table['count'] == len(ENTRIES)
    # The rows leave the module entries out (more than half of the text); they are derived again when asked.
    rows = json.loads(table['rows'])
    assert not [key for row in rows for key in ENTRY_KEYS if key in row]
    assert mta_sts_rows(table) == mta_sts_domains(ENTRIES, DEFAULTS)
    assert mta_sts_rows(table, 'verify_entry') == [item['verify_entry'] for item in mta_sts_domains(ENTRIES, DEFAULTS)]


def test_a_table_with_modes_is_the_list_with_modes():
    entries = [{'domain': 'a.example', 'mode': 'auto'}, {'domain': 'b.example'}]
    table = mta_sts_table(entries, DEFAULTS, {'a.example': 'testing'})
    assert mta_sts_rows(table) == mta_sts_domains(entries, DEFAULTS, {'a.example': 'testing'})
    assert mta_sts_rows(table, 'preflight_entry')[0]['policy']['mode'] == 'testing'


def test_every_filter_reads_a_table_as_the_list():
    items = mta_sts_domains(ENTRIES, DEFAULTS)
    table = mta_sts_table(ENTRIES, DEFAULTS)
    changed = ['D01.example', 'd04.example']
    assert mta_sts_scope(table, changed, 'sample', 2, 3, attribute='policy_file') == \
        mta_sts_scope(items, changed, 'sample', 2, 3, attribute='policy_file')
    assert mta_sts_changes(table, [items[3]['policy_path']], ['_mta-sts.d07.example.']) == ['d03.example', 'd07.example']
    assert mta_sts_txt_records(table) == mta_sts_txt_records(items)
    assert mta_sts_plan(table, [], {}, 14, 100, '2026-12-05') == mta_sts_plan(items, [], {}, 14, 100, '2026-12-05')
    assert mta_sts_nginx_servers(table, [], '/srv/mta-sts') == mta_sts_nginx_servers(items, [], '/srv/mta-sts')
    hosts = [item['mta_sts_host'] for item in items]
    assert mta_sts_nginx_http('', table, ['/etc/nginx/a.conf']) == mta_sts_nginx_http('', hosts, ['/etc/nginx/a.conf'])


def test_the_nginx_plan_lists_every_host_for_the_plain_http_server():
    plan = mta_sts_nginx_servers(mta_sts_table(ENTRIES, DEFAULTS), [], '/srv/mta-sts')
    # d02's ACME certificate does not exist yet: no HTTPS server, but its port-80 name (the challenge).
    assert plan['hosts'] == ['mta-sts.' + name for name in NAMES]
    assert plan['waiting'] == ['mta-sts.d02.example']
    assert 'mta-sts.d02.example' not in [name for server in plan['servers'] for name in server['names']]


def test_select_and_rows_pick_by_name_acme_and_state():
    table = mta_sts_table(ENTRIES, DEFAULTS)
    held = mta_sts_select(table, exclude=['D03.EXAMPLE', 'd04.example'])
    assert held['count'] == 6 and 'd03.example' not in mta_sts_rows(held, 'domain')
    assert mta_sts_rows(table, 'domain', acme=True) == ['d02.example']
    assert mta_sts_select(table, acme=True)['count'] == 1
    assert mta_sts_rows(table, 'domain', state='absent') == ['d05.example']
    assert mta_sts_rows(table, 'domain', names=['d07.example', 'D00.example']) == ['d00.example', 'd07.example']
    # An attribute that is empty (no rua: no _smtp._tls record) is left out.
    assert [entry['domain'] for entry in mta_sts_rows(table, 'tlsrpt_record_entry')] == \
        [name for name in NAMES if name != 'd06.example']
    assert mta_sts_rows(table, 'acme_entry')[0]['path'] == '/etc/acme/mta-sts.d02.example/fullchain.pem'
    assert mta_sts_select(table, names=[])['count'] == 0


@settings(max_examples=60, deadline=None)
@given(st.sets(st.sampled_from(NAMES)))
def test_a_selection_and_its_exclusion_partition_the_domains(picked):
    table = mta_sts_table(ENTRIES, DEFAULTS)
    inside = mta_sts_rows(mta_sts_select(table, names=sorted(picked)), 'domain')
    outside = mta_sts_rows(mta_sts_select(table, exclude=sorted(picked)), 'domain')
    assert set(inside) == picked and not set(inside) & set(outside)
    assert sorted(inside + outside) == sorted(NAMES)


def test_the_union_of_tables_is_a_table_and_of_lists_a_list():
    web1 = [{'domain': 'a.example'}, {'domain': 'b.example'}]
    web2 = [{'domain': 'B.example'}, {'domain': 'c.example'}]
    merged = mta_sts_union([mta_sts_table(web1, DEFAULTS), mta_sts_table(web2, DEFAULTS), []])
    assert merged['count'] == 3 and mta_sts_rows(merged, 'domain') == ['a.example', 'b.example', 'c.example']
    listed = mta_sts_union([mta_sts_domains(web1, DEFAULTS), mta_sts_domains(web2, DEFAULTS)])
    assert [item['domain'] for item in listed] == ['a.example', 'b.example', 'c.example']
    other = mta_sts_table([{'domain': 'b.example', 'max_age': 600}], DEFAULTS)
    with pytest.raises(AnsibleFilterError, match='b.example has different settings on two web hosts'):
        mta_sts_union([mta_sts_table(web1, DEFAULTS), other])


@pytest.mark.parametrize('value', [{'count': 1}, {'count': 1, 'rows': []}, 'text', 7])
def test_what_is_neither_a_table_nor_a_list_is_refused_naming_the_filter(value):
    with pytest.raises(AnsibleFilterError, match=r'^mta_sts_rows: the input must be a domain table \(mta_sts_table\)'):
        mta_sts_rows(value, 'domain')
    with pytest.raises(AnsibleFilterError, match=r'^mta_sts_nginx_servers: the input must be a domain table'):
        mta_sts_nginx_servers(value)
