# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The _mta-sts and _smtp._tls TXT grammars: parse, the exactly-one rule, render, string splitting."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import records as _records
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.findings import ERROR, WARNING

from mailsec_testing.strategies import domains, sts_ids


def rules(findings, severity=ERROR):
    return sorted(set(f.rule for f in findings if f.severity == severity))


# -- _mta-sts

@pytest.mark.parametrize('value, expected_id', [
    ('v=STSv1; id=20190429T010101', '20190429T010101'),
    ('v=STSv1;id=abc', 'abc'),
    ('v=STSv1; id=abc;', 'abc'),
    ('v=STSv1 ;\tid=abc ; ', 'abc'),
    ('v=STSv1; id=' + 'a' * 32, 'a' * 32),
    ('v=STSv1; id=abc; ext.name-1=some:value', 'abc'),
    ('v=STSv1; ext_1=x; id=Z9', 'Z9'),
])
def test_sts_valid(value, expected_id):
    record, findings = _records.parse_sts(value)
    assert findings == []
    assert record['id'] == expected_id


@pytest.mark.parametrize('value, rule', [
    ('v=STSv1; id=' + 'a' * 33, 'sts-id'),
    ('v=STSv1; id=', 'sts-id'),
    ('v=STSv1; id=ab-cd', 'sts-id'),
    ('v=STSv1; id=ab cd', 'sts-id'),
    ('v=STSv1; id=\u00e9t\u00e9', 'sts-id'),
    ('v=STSv1', 'sts-id'),
    ('v=STSv1;', 'sts-id'),
    ('v=STSv1; ext=1', 'sts-id'),
    ('v=stsv1; id=abc', 'sts-record'),
    ('V=STSv1; id=abc', 'sts-record'),
    ('v=STSv1 id=abc', 'sts-record'),
    ('v=STSv1,id=abc', 'sts-record'),
    ('v=STSv1; id=abc; _ext=1', 'sts-record'),
    ('v=STSv1; id=abc; ext=a=b', 'sts-record'),
    ('v=STSv1; id=abc; ext=', 'sts-record'),
    ('v=STSv1; id=abc;; ext=1', 'sts-record'),
    ('v=STSv1; id=abc; ' + 'e' * 33 + '=1', 'sts-record'),
    (' v=STSv1; id=abc', 'sts-record'),
])
def test_sts_invalid(value, rule):
    record, findings = _records.parse_sts(value)
    assert record is None
    assert rules(findings) == [rule]


def test_sts_repeated_id_first_wins():
    record, findings = _records.parse_sts('v=STSv1; id=first; id=second')
    assert record['id'] == 'first'
    assert rules(findings, WARNING) == ['sts-record']


def test_sts_strings_are_joined_without_separator():
    record, findings = _records.select_sts([[b'v=STSv1; id=abc', b'def;']])
    assert findings == []
    assert record['id'] == 'abcdef'


@pytest.mark.parametrize('records, count', [
    ([], 0),
    ([['v=spf1 -all']], 0),
    ([['v=STSv10; id=abc']], 0),
    ([['v=STSv1; id=abc'], ['v=STSv1; id=def']], 2),
    ([['v=STSv1; id=abc'], ['v=STSv1; id=abc']], 2),
    ([['v=STSv1; id=abc'], ['v=STSv1; broken']], 2),
])
def test_sts_exactly_one_record(records, count):
    record, findings = _records.select_sts(records)
    assert record is None
    assert rules(findings) == ['sts-record']
    if count:
        assert findings[0].msg.startswith('%d TXT records' % count)


def test_sts_other_txt_records_are_ignored():
    record, findings = _records.select_sts([['v=spf1 -all'], ['google-site-verification=x'], ['v=STSv1; id=a1']])
    assert findings == []
    assert record['id'] == 'a1'


@given(sts_ids())
def test_sts_render_then_parse(policy_id):
    assert _records.sts_id_error(policy_id) is None
    record, findings = _records.select_sts([_records.split_strings(_records.render_sts(policy_id))])
    assert findings == []
    assert record['id'] == policy_id


@pytest.mark.parametrize('value', ['', 'a' * 33, 'a-b', 'a b', None, '\u00e9'])
def test_sts_id_error(value):
    assert _records.sts_id_error(value) is not None


# -- _smtp._tls

@pytest.mark.parametrize('value, rua', [
    ('v=TLSRPTv1; rua=mailto:tlsrpt@example.com', ['mailto:tlsrpt@example.com']),
    ('v=TLSRPTv1;rua=https://reports.example.com/tlsrpt', ['https://reports.example.com/tlsrpt']),
    ('v=TLSRPTv1; rua=mailto:a@example.com,mailto:b@example.net', ['mailto:a@example.com', 'mailto:b@example.net']),
    ('v=TLSRPTv1; rua=mailto:a@example.com , https://r.example.com:8443/x?y=1;',
     ['mailto:a@example.com', 'https://r.example.com:8443/x?y=1']),
    ('v=TLSRPTv1; rua=mailto:a%21b%2Cc@example.com', ['mailto:a%21b%2Cc@example.com']),
    ('v=TLSRPTv1; rua=MAILTO:a@example.com; ext=1', ['MAILTO:a@example.com']),
])
def test_tlsrpt_valid(value, rua):
    record, findings = _records.parse_tlsrpt(value)
    assert findings == []
    assert record['rua'] == rua


@pytest.mark.parametrize('value, rule', [
    ('v=TLSRPTv1', 'tlsrpt-rua'),
    ('v=TLSRPTv1;', 'tlsrpt-rua'),
    ('v=TLSRPTv1; ext=1', 'tlsrpt-rua'),
    ('v=TLSRPTv1; rua=ftp://reports.example.com/', 'tlsrpt-rua'),
    ('v=TLSRPTv1; rua=http://reports.example.com/', 'tlsrpt-rua'),
    ('v=TLSRPTv1; rua=tlsrpt@example.com', 'tlsrpt-rua'),
    ('v=TLSRPTv1; rua=mailto:a!b@example.com', 'tlsrpt-rua'),
    ('v=TLSRPTv1; rua=mailto:example.com', 'tlsrpt-rua'),
    ('v=TLSRPTv1; rua=mailto:a@example.com,', 'tlsrpt-rua'),
    ('v=TLSRPTv1; rua=https:reports', 'tlsrpt-rua'),
    ('v=TLSRPTv1; rua=mailto:a%zz@example.com', 'tlsrpt-rua'),
    ('v=tlsrptv1; rua=mailto:a@example.com', 'tlsrpt-record'),
    ('v=TLSRPTv1 rua=mailto:a@example.com', 'tlsrpt-record'),
    ('v=TLSRPTv1; rua=mailto:a@example.com; bad ext=1', 'tlsrpt-record'),
])
def test_tlsrpt_invalid(value, rule):
    record, findings = _records.parse_tlsrpt(value)
    assert record is None
    assert rules(findings) == [rule]


@pytest.mark.parametrize('records', [
    [],
    [['v=TLSRPTv1; rua=mailto:a@example.com'], ['v=TLSRPTv1; rua=mailto:b@example.com']],
    [['v=STSv1; id=abc']],
])
def test_tlsrpt_exactly_one_record(records):
    record, findings = _records.select_tlsrpt(records)
    assert record is None
    assert rules(findings) == ['tlsrpt-record']


@pytest.mark.parametrize('uri', [
    'mailto:tlsrpt@example.com', 'https://example.com/r', 'https://user@example.com:443/a/b?c=d#e',
    'mailto:a+tag@sub.example.co.uk', 'mailto:x@example.com?subject=tlsrpt',
])
def test_uri_error_accepts(uri):
    assert _records.uri_error(uri) is None


@pytest.mark.parametrize('uri, words', [
    ('', 'empty'), ('ftp://example.com', 'mailto: or https:'), ('mailto:a,b@example.com', 'comma'),
    ('mailto:a!b@example.com', 'exclamation'), ('mailto:a;b@example.com', 'semicolon'),
    ('mailto:a b@example.com', 'not allowed'), ('mailto:\u00e9@example.com', 'not allowed'),
    ('mailto:a%2@example.com', 'percent'), ('mailto:@example.com', 'mailto:local@domain'),
    ('mailto:a@', 'mailto:local@domain'), ('https://', 'host'), ('https://exa_mple.com/', 'host'),
    ('https:example.com', 'https://'),
])
def test_uri_error_rejects(uri, words):
    assert words in _records.uri_error(uri)


@given(st.lists(domains().map(lambda d: 'mailto:tls-reports@' + d), min_size=1, max_size=30))
def test_tlsrpt_render_then_parse(rua):
    value = _records.render_tlsrpt(rua)
    record, findings = _records.select_tlsrpt([_records.split_strings(value)])
    assert findings == []
    assert record['rua'] == rua


# -- strings

@settings(max_examples=200)
@given(st.text(max_size=1200))
def test_split_strings_bounds_and_joins_back(value):
    strings = _records.split_strings(value)
    assert all(len(s.encode('utf-8')) <= _records.MAX_TXT_STRING for s in strings)
    assert ''.join(strings) == value
    assert _records.join_strings([s.encode('utf-8') for s in strings]) == value


def test_split_strings_lengths():
    assert [len(s) for s in _records.split_strings('x' * 600)] == [255, 255, 90]
    assert _records.split_strings('') == ['']
    assert _records.split_strings('x' * 255) == ['x' * 255]


def test_split_strings_does_not_cut_a_character():
    strings = _records.split_strings('x' * 254 + '\u00e9' + 'y')
    assert strings == ['x' * 254, '\u00e9y']


def test_record_names():
    assert _records.record_name(_records.STS_PREFIX, 'example.com') == '_mta-sts.example.com'
    assert _records.record_name(_records.TLSRPT_PREFIX, 'example.com') == '_smtp._tls.example.com'


@settings(max_examples=300)
@given(st.lists(st.lists(st.one_of(st.binary(max_size=60), st.text(max_size=60)), max_size=3), max_size=4))
def test_select_never_raises(records):
    for select in (_records.select_sts, _records.select_tlsrpt):
        record, findings = select(records)
        assert (record is None) == any(f.severity == ERROR for f in findings)
