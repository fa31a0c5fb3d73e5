# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the user's DNS tasks must change (hosted DNS): pure computation from what a resolver saw."""

import pytest

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import record_changes as _record_changes
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.mta_sts_record_info import option_problems

STS = '_mta-sts.example.com'
TLS = '_smtp._tls.example.com'
SPF = 'v=spf1 -all'
NEW = 'v=STSv1; id=new1;'
OLD = 'v=STSv1; id=old1;'
RPT = 'v=TLSRPTv1; rua=mailto:r@example.com'


def change(name, value, state='present', before=(), ttl=3600):
    return {'name': name, 'type': 'TXT', 'value': list(value), 'ttl': ttl, 'state': state, 'before': list(before)}


@pytest.mark.parametrize('entry, current, expected', [
    # nothing there yet
    ({'name': STS, 'value': NEW}, {}, [change(STS, [NEW])]),
    # already published: nothing to pass on
    ({'name': STS, 'value': NEW}, {STS: [NEW]}, []),
    # a new id replaces the old one; the other TXT value stays
    ({'name': STS, 'value': NEW}, {STS: [SPF, OLD]}, [change(STS, [SPF, NEW], before=[SPF, OLD])]),
    # two records of the kind (senders ignore both): exactly one remains
    ({'name': STS, 'value': NEW}, {STS: [OLD, NEW]}, [change(STS, [NEW], before=[OLD, NEW])]),
    # absent: the values to remove when nothing is left
    ({'name': STS, 'state': 'absent'}, {STS: [OLD]}, [change(STS, [OLD], state='absent', before=[OLD])]),
    # absent next to another value: that one stays, published alone
    ({'name': STS, 'state': 'absent'}, {STS: [SPF, OLD]}, [change(STS, [SPF], before=[SPF, OLD])]),
    ({'name': STS, 'state': 'absent'}, {STS: [SPF]}, []),
    ({'name': STS, 'state': 'absent'}, {}, []),
    # the kind is the name's: an STS record at _smtp._tls is another TXT value there
    ({'name': TLS, 'value': RPT}, {TLS: [OLD]}, [change(TLS, [OLD, RPT], before=[OLD])]),
    ({'name': TLS + '.', 'value': RPT}, {TLS: [RPT]}, []),
])
def test_compute_changes(entry, current, expected):
    assert _record_changes.compute_changes([entry], current, 3600) == expected


def test_only_real_changes_in_entry_order():
    entries = [{'name': '_mta-sts.d%d.example' % i, 'value': 'v=STSv1; id=a%d;' % i} for i in range(5)]
    current = {'_mta-sts.d%d.example' % i: ['v=STSv1; id=a%d;' % i] for i in (0, 2, 4)}
    changes = _record_changes.compute_changes(entries, current, 300)
    assert [c['name'] for c in changes] == ['_mta-sts.d1.example', '_mta-sts.d3.example']
    assert all(c['ttl'] == 300 for c in changes)


@pytest.mark.parametrize('entries, message', [
    ([{'name': 'example.com', 'value': NEW}], "records[0].name: 'example.com' must start with _mta-sts. or _smtp._tls."),
    ([{'name': STS, 'value': None}], 'records[0].value: required when state is present'),
    ([{'name': STS, 'value': RPT}], "records[0].value: %r must start with v=STSv1, the kind of record at %s" % (RPT, STS)),
    ([{'name': STS, 'value': NEW}, {'name': STS.upper(), 'value': NEW}],
     'records[1].name: %s is already listed at [0]' % STS.upper()),
])
def test_bad_entries_are_named(entries, message):
    assert message in _record_changes.entry_errors(entries)


def test_option_problems():
    params = {'records': [{'name': STS, 'value': NEW, 'state': 'present'}], 'ttl': -1, 'dns_port': 0, 'timeout': 0}
    assert [option for option, dummy in option_problems(params)] == ['ttl', 'dns_port', 'timeout']
    params.update(ttl=60, dns_port=53, timeout=5)
    assert option_problems(params) == []


def test_read_current_joins_strings_and_keeps_names():
    seen = []

    def lookup(resolver, name):
        seen.append(name)
        return [[b'v=STSv1; ', b'id=x;'], [b'other']] if name == STS else []

    assert _record_changes.read_current(None, [STS, TLS], lookup) == {STS: ['v=STSv1; id=x;', 'other'], TLS: []}
    assert sorted(seen) == sorted([STS, TLS])
