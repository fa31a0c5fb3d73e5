# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The STSv1 policy grammar: parse findings per rule, canonical rendering, policy ids."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import policy as _policy
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.findings import ERROR, WARNING, errors

from mailsec_testing.strategies import mx_patterns, policies

GOOD = 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 604800\r\n'


def rules(findings, severity=None):
    return sorted(set(f.rule for f in findings if severity is None or f.severity == severity))


def body(*lines, **kwargs):
    end = kwargs.get('end', '\r\n')
    return ''.join(line + end for line in lines)


def test_good_policy_has_no_findings():
    policy, findings = _policy.parse(GOOD)
    assert findings == []
    assert policy == {'version': 'STSv1', 'mode': 'enforce', 'max_age': 604800,
                      'mx': ['mail.example.com'], 'extensions': {}}


def test_bytes_and_text_parse_alike():
    assert _policy.parse(GOOD.encode('ascii')) == _policy.parse(GOOD)


@pytest.mark.parametrize('lines, rule', [
    (['mode: enforce', 'mx: mail.example.com', 'max_age: 86400'], 'version'),
    (['version: STSv2', 'mode: enforce', 'mx: mail.example.com', 'max_age: 86400'], 'version'),
    (['version: stsv1', 'mode: enforce', 'mx: mail.example.com', 'max_age: 86400'], 'version'),
    (['Version: STSv1', 'mode: enforce', 'mx: mail.example.com', 'max_age: 86400'], 'version'),
])
def test_version_rule(lines, rule):
    policy, findings = _policy.parse(body(*lines))
    assert rule in rules(findings, ERROR)
    assert policy['version'] is None


@pytest.mark.parametrize('value', ['doubt', 'Enforce', 'ENFORCE', 'enforcing', '', 'test'])
def test_mode_must_be_one_of_three(value):
    policy, findings = _policy.parse(body('version: STSv1', 'mode: ' + value, 'mx: a.example.com', 'max_age: 1'))
    assert rules(findings, ERROR) == ['mode']
    assert policy['mode'] is None


def test_mode_in_wrong_case_is_hinted():
    dummy, findings = _policy.parse(body('version: STSv1', 'mode: Enforce', 'mx: a.example.com', 'max_age: 1'))
    assert 'case-sensitive' in [f for f in findings if f.rule == 'mode'][0].msg


def test_field_name_case_matters_and_is_explained():
    policy, findings = _policy.parse(body('version: STSv1', 'Mode: enforce', 'mx: a.example.com', 'max_age: 1'))
    assert policy['mode'] is None
    assert policy['extensions'] == {'Mode': 'enforce'}
    assert rules(findings, ERROR) == ['mode']
    assert rules(findings, WARNING) == ['field-case']


@pytest.mark.parametrize('value, valid', [
    ('0', True), ('1', True), ('86400', True), ('31557600', True), ('0000000001', True),
    ('31557601', False), ('9999999999', False), ('12345678901', False), ('-1', False), ('1e6', False),
    ('', False), ('86400s', False), ('+86400', False), (' 1 2', False), ('0x10', False),
])
def test_max_age_rule(value, valid):
    policy, findings = _policy.parse(body('version: STSv1', 'mode: testing', 'mx: a.example.com', 'max_age: ' + value))
    if valid:
        assert findings == []
        assert policy['max_age'] == int(value)
    else:
        assert rules(findings, ERROR) == ['max_age']
        assert policy['max_age'] is None


@pytest.mark.parametrize('pattern', [
    'mail.*.example.com', '*', '*.', 'mail.example.com.', 'mx..example.com', 'm\u00e4il.example.com',
    '-mx.example.com', 'mx-.example.com', 'mx_1.example.com', 'a' * 64 + '.example.com', '**.example.com',
    '*mail.example.com', 'mail.example.com:25', '[192.0.2.1]', 'mail example.com',
])
def test_bad_mx_pattern_is_an_error_and_dropped(pattern):
    policy, findings = _policy.parse(body('version: STSv1', 'mode: enforce', 'mx: ' + pattern,
                                          'mx: good.example.com', 'max_age: 1'))
    assert rules(findings, ERROR) == ['mx']
    assert policy['mx'] == ['good.example.com']


def test_mx_lines_accumulate_in_order():
    policy, findings = _policy.parse(body('version: STSv1', 'mode: enforce', 'mx: b.example.com',
                                          'mx: *.a.example.com', 'max_age: 1', 'mx: c.example.com'))
    assert findings == []
    assert policy['mx'] == ['b.example.com', '*.a.example.com', 'c.example.com']


@pytest.mark.parametrize('mode, severity', [('enforce', ERROR), ('testing', ERROR), ('none', WARNING)])
def test_missing_mx(mode, severity):
    dummy, findings = _policy.parse(body('version: STSv1', 'mode: ' + mode, 'max_age: 1'))
    assert [(f.severity, f.rule) for f in findings] == [(severity, 'mx')]


@pytest.mark.parametrize('field', ['version', 'mode', 'max_age'])
def test_missing_required_field(field):
    lines = [line for line in ['version: STSv1', 'mode: testing', 'mx: a.example.com', 'max_age: 5']
             if not line.startswith(field + ':')]
    dummy, findings = _policy.parse(body(*lines))
    assert rules(findings, ERROR) == [field]


@pytest.mark.parametrize('lines, field, expected', [
    (['version: STSv1', 'mode: testing', 'mode: enforce', 'mx: a.example.com', 'max_age: 5'], 'mode', 'testing'),
    (['version: STSv1', 'mode: testing', 'mx: a.example.com', 'max_age: 5', 'max_age: 7'], 'max_age', 5),
    (['version: STSv1', 'version: STSv2', 'mode: none', 'mx: a.example.com', 'max_age: 5'], 'version', 'STSv1'),
    (['version: STSv1', 'mode: doubt', 'mode: enforce', 'mx: a.example.com', 'max_age: 5'], 'mode', None),
])
def test_first_occurrence_wins(lines, field, expected):
    policy, findings = _policy.parse(body(*lines))
    assert policy[field] == expected
    assert 'duplicate' in rules(findings, WARNING)


def test_unknown_fields_are_ignored_silently():
    policy, findings = _policy.parse(GOOD + 'ext.ension-1: some value\r\nx_y: \u00e9t\u00e9\r\n')
    assert rules(findings, ERROR) == []
    assert policy['extensions'] == {'ext.ension-1': 'some value', 'x_y': '\u00e9t\u00e9'}
    assert policy['mode'] == 'enforce'


@pytest.mark.parametrize('text, rule', [
    ('version: STSv1\rmode: enforce\r\nmx: a.example.com\r\nmax_age: 1\r\n', 'line-break'),
    ('version: STSv1\r\nmode: enforce\r\nmx: a.example.com\r\nmax_age: 1\r', 'line-break'),
    ('version: STSv1\x0bmode: enforce\r\nmx: a.example.com\r\nmax_age: 1\r\n', 'line-break'),
    ('version: STSv1\x0c\r\nmode: enforce\r\nmx: a.example.com\r\nmax_age: 1\r\n', 'line-break'),
    ('version: STSv1\u2028mode: enforce\r\nmx: a.example.com\r\nmax_age: 1\r\n', 'line-break'),
    ('version: STSv1\x85mode: enforce\r\nmx: a.example.com\r\nmax_age: 1\r\n', 'line-break'),
    ('version: STSv1\r\nmode: enf\x00orce\r\nmx: a.example.com\r\nmax_age: 1\r\n', 'control-character'),
    ('version: STSv1\r\nmode: enforce\x1b\r\nmx: a.example.com\r\nmax_age: 1\r\n', 'control-character'),
])
def test_only_lf_and_crlf_end_lines(text, rule):
    dummy, findings = _policy.parse(text)
    assert rule in rules(findings, ERROR)


def test_split_on_lf_only_not_on_other_breaks():
    policy, dummy = _policy.parse('version: STSv1\u2028mode: enforce\nmx: a.example.com\nmax_age: 1\n')
    # A sender does not see a mode line: it is part of the version line's value.
    assert policy['mode'] is None


@pytest.mark.parametrize('end, warned', [('\n', True), ('\r\n', False)])
def test_lf_line_ends_are_a_warning_only(end, warned):
    policy, findings = _policy.parse(GOOD.replace('\r\n', end))
    assert rules(findings, ERROR) == []
    assert rules(findings, WARNING) == (['crlf'] if warned else [])
    assert policy['mode'] == 'enforce'


def test_mixed_line_ends_are_counted():
    dummy, findings = _policy.parse('version: STSv1\nmode: enforce\r\nmx: a.example.com\nmax_age: 1\r\n')
    assert [f.msg.split(' ')[0:3] for f in findings] == [['2', 'of', '4']]


def test_missing_final_line_end_is_fine():
    policy, findings = _policy.parse(GOOD[:-2])
    assert findings == []
    assert policy['max_age'] == 604800


@pytest.mark.parametrize('data', [b'\xef\xbb\xbf' + GOOD.encode(), '\ufeff' + GOOD])
def test_bom_is_an_error(data):
    dummy, findings = _policy.parse(data)
    assert rules(findings, ERROR) == ['bom']


def test_invalid_utf8_is_an_error():
    dummy, findings = _policy.parse(GOOD.encode() + b'x: \xff\xfe\r\n')
    assert rules(findings, ERROR) == ['encoding']


@pytest.mark.parametrize('line', ['mode: enforce \u00e9', 'mx: a.example.com # \u2603'])
def test_non_ascii_in_known_fields(line):
    dummy, findings = _policy.parse(body('version: STSv1', line, 'mode: enforce', 'mx: b.example.com', 'max_age: 1'))
    assert 'non-ascii' in rules(findings, WARNING)
    assert rules(findings, ERROR) != []


@pytest.mark.parametrize('line', ['this is not a field', ' mode: enforce', '\tmode: enforce', ': enforce',
                                  '_x: y', 'a' * 33 + ': y', 'mo de: enforce'])
def test_lines_that_are_not_fields(line):
    dummy, findings = _policy.parse(GOOD + line + '\r\n')
    assert rules(findings, ERROR) == ['syntax']


@pytest.mark.parametrize('text', ['version:STSv1\r\nmode:\tenforce\r\nmx:  a.example.com\r\nmax_age: 1  \r\n'])
def test_whitespace_around_values(text):
    policy, findings = _policy.parse(text)
    assert findings == []
    assert (policy['version'], policy['mode'], policy['mx'], policy['max_age']) == ('STSv1', 'enforce', ['a.example.com'], 1)


def test_empty_lines_are_a_warning():
    policy, findings = _policy.parse(GOOD.replace('mode', '\r\nmode') + '\r\n')
    assert rules(findings, ERROR) == []
    assert [f.rule for f in findings] == ['empty-line', 'empty-line']
    assert policy['mode'] == 'enforce'


def test_empty_body():
    policy, findings = _policy.parse(b'')
    assert rules(findings, ERROR) == ['max_age', 'mode', 'mx', 'version']


# -- render and policy_id

def test_render_is_canonical():
    text = _policy.render({'mode': 'enforce', 'mx': ['mail.example.com'], 'max_age': 604800})
    assert text == GOOD


def test_render_dedupes_mx_case_insensitively_keeping_order():
    text = _policy.render({'mode': 'testing', 'mx': ['b.example.com', 'A.example.com', 'B.EXAMPLE.COM', 'a.example.com'],
                           'max_age': 1})
    assert text == body('version: STSv1', 'mode: testing', 'mx: b.example.com', 'mx: A.example.com', 'max_age: 1')


def test_policy_id_is_content_addressed():
    base = {'mode': 'enforce', 'mx': ['mail.example.com'], 'max_age': 604800}
    same = {'mode': 'enforce', 'mx': ('mail.example.com', 'MAIL.example.com'), 'max_age': 604800}
    assert _policy.policy_id(base) == _policy.policy_id(same)
    for change in ({'mode': 'testing'}, {'mx': ['mx.example.com']}, {'max_age': 604801},
                   {'mx': ['mail.example.com', 'mx.example.com']}):
        assert _policy.policy_id(dict(base, **change)) != _policy.policy_id(base)


def test_policy_id_does_not_change_between_releases():
    # Published ids must survive upgrades: a new id makes every sender refetch every policy.
    # This is sha256 of the canonical text GOOD, cut to 32 hex digits.
    assert _policy.policy_id({'mode': 'enforce', 'mx': ['mail.example.com'], 'max_age': 604800}) \
        == 'a5963b31a082635c6ec668171482b14f'


@pytest.mark.parametrize('mode, mx, max_age, options', [
    ('enforce', ['mail.example.com'], 604800, []),
    ('none', ['mail.example.com'], 0, []),
    ('doubt', ['mail.example.com'], 1, ['mode']),
    ('enforce', [], 1, ['mx']),
    ('none', [], 1, ['mx']),
    ('enforce', None, 1, ['mx']),
    ('enforce', ['mail.example.com\nmode: none'], 1, ['mx']),
    ('enforce', ['mail.example.com\r\nmax_age: 1'], 1, ['mx']),
    ('enforce', ['mail.example.com: x'], 1, ['mx']),
    ('enforce', ['mail.example.com'], -1, ['max_age']),
    ('enforce', ['mail.example.com'], 31557601, ['max_age']),
    ('enforce', ['mail.example.com'], True, ['max_age']),
    ('enforce', ['mail.example.com'], '86400', ['max_age']),
    ('testing', ['ok.example.com', '*.'], 31557601, ['mx', 'max_age']),
])
def test_validate_names_each_option(mode, mx, max_age, options):
    problems = _policy.policy_problems(mode, mx, max_age)
    assert [option for option, dummy in problems] == options
    for option, message in problems:
        assert message.startswith(option + ' ')
        assert 'RFC 8461' in message


# -- properties

@given(policies())
def test_render_then_parse_is_identity(policy):
    parsed, findings = _policy.parse(_policy.render(policy))
    assert findings == []
    assert parsed['mode'] == policy['mode']
    assert parsed['max_age'] == policy['max_age']
    assert parsed['mx'] == _policy.unique_mx(policy['mx'])
    assert _policy.render(parsed) == _policy.render(policy)


@given(policies())
def test_rendered_policies_pass_validation_and_are_ascii_crlf(policy):
    assert _policy.policy_problems(policy['mode'], policy['mx'], policy['max_age']) == []
    text = _policy.render(policy)
    text.encode('ascii')
    assert text.endswith('\r\n') and '\n' not in text.replace('\r\n', '')


@settings(max_examples=300)
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400)))
def test_parse_never_raises(data):
    policy, findings = _policy.parse(data)
    assert set(policy) == {'version', 'mode', 'max_age', 'mx', 'extensions'}
    for finding in findings:
        assert finding.severity in (ERROR, WARNING)
        assert finding.rule and finding.msg


@settings(max_examples=300)
@given(st.lists(st.sampled_from(['version: STSv1', 'mode: enforce', 'mode: testing', 'mode: none', 'mx: a.example.com',
                                 'mx: *.b.example.com', 'max_age: 86400', 'max_age: 99999999999', 'Mode: x', 'junk',
                                 '', 'ext: v', 'mx: bad..name']), max_size=12),
       st.sampled_from(['\r\n', '\n']))
def test_parse_of_field_soup_is_consistent(lines, end):
    policy, findings = _policy.parse(end.join(lines))
    valid = not errors(findings)
    if valid:
        # Whatever parses without errors must round-trip through the renderer.
        assert policy['mode'] in _policy.MODES
        reparsed, dummy = _policy.parse(_policy.render(policy))
        assert (reparsed['mode'], reparsed['mx'], reparsed['max_age']) == \
            (policy['mode'], _policy.unique_mx(policy['mx']), policy['max_age'])
    if 'version: STSv1' not in lines:
        assert not valid


@given(policies(), policies())
def test_policy_id_is_a_function_of_content_only(first, second):
    first_id, second_id = _policy.policy_id(first), _policy.policy_id(second)
    assert re.match(r'^[0-9a-f]{32}$', first_id)
    assert (first_id == second_id) == (_policy.render(first) == _policy.render(second))


@given(mx_patterns())
def test_generated_patterns_are_valid(pattern):
    assert _policy.policy_problems('enforce', [pattern], 1) == []
