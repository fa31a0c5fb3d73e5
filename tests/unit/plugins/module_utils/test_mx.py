# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mx pattern syntax and MX host matching (RFC 8461 4.1)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import mx as _mx

from mailsec_testing.strategies import domains, labels, mx_patterns


@pytest.mark.parametrize('pattern, host, matches', [
    ('mail.example.com', 'mail.example.com', True),
    ('mail.example.com', 'MAIL.Example.COM', True),
    ('mail.example.com', 'mail.example.com.', True),
    ('Mail.Example.com', 'mail.example.com', True),
    ('mail.example.com', 'mail.example.com.evil.net', False),
    ('mail.example.com', 'evilmail.example.com', False),
    ('mail.example.com', 'x.mail.example.com', False),
    ('mail.example.com', 'example.com', False),
    ('*.example.com', 'mx.example.com', True),
    ('*.example.com', 'MX.EXAMPLE.COM.', True),
    ('*.example.com', 'example.com', False),
    ('*.example.com', 'a.b.example.com', False),
    ('*.example.test', 'a.b.example.test', False),
    ('*.example.com', 'mxexample.com', False),
    ('*.example.com', '.example.com', False),
    ('*.example.com', 'mx.example.com.evil.net', False),
    ('*.mail.example.com', 'mx1.mail.example.com', True),
    ('mail.*.com', 'mail.example.com', False),
    ('*', 'mail.example.com', False),
    ('', 'mail.example.com', False),
])
def test_host_matches(pattern, host, matches):
    assert _mx.host_matches(pattern, host) is matches


def test_matching_pattern_returns_the_first_match():
    patterns = ['other.example.com', '*.example.com', 'mx.example.com']
    assert _mx.matching_pattern(patterns, 'mx.example.com.') == '*.example.com'
    assert _mx.matching_pattern(patterns, 'mx.example.net') is None
    assert _mx.matching_pattern([], 'mx.example.com') is None


@pytest.mark.parametrize('pattern', ['mail.example.com', '*.example.com', 'xn--mnchen-3ya.de', 'localhost',
                                     '*.xn--bcher-kva.example', 'a-b.c--d.example', '1.2.3.example',
                                     'a' * 63 + '.example.com'])
def test_valid_patterns(pattern):
    assert _mx.pattern_error(pattern) is None


@pytest.mark.parametrize('pattern, words', [
    ('', 'empty'), ('*.', 'bare'), ('*', "'*'"), ('mail.*.example.com', "'*'"), ('*.*.example.com', "'*'"),
    ('**.example.com', "'*'"), ('m\u00fcnchen.de', 'A-labels'), ('mail.example.com.', 'trailing'),
    ('mail..example.com', 'empty label'), ('.example.com', 'empty label'), ('-a.example.com', 'label'),
    ('a-.example.com', 'label'), ('a_b.example.com', 'label'), ('a' * 64 + '.example.com', 'longer than 63'),
    ('.'.join(['a' * 60] * 5), 'longer than 253'), ('mail.example.com\nmode: none', 'label'),
    ('mail example.com', 'label'), (None, 'string'),
])
def test_invalid_patterns_say_why(pattern, words):
    assert words in _mx.pattern_error(pattern)


@given(labels(), domains(min_labels=1))
def test_wildcard_matches_exactly_one_extra_label(label, domain):
    pattern = '*.' + domain
    assert _mx.host_matches(pattern, label + '.' + domain)
    assert _mx.host_matches(pattern, (label + '.' + domain).upper() + '.')
    assert not _mx.host_matches(pattern, domain)
    assert not _mx.host_matches(pattern, 'x.' + label + '.' + domain)


@given(domains(), domains(min_labels=1))
def test_literal_matches_only_itself(pattern, other):
    assert _mx.host_matches(pattern, pattern.swapcase())
    assert not _mx.host_matches(pattern, pattern + '.' + other)
    assert not _mx.host_matches(pattern, other + '.' + pattern)


@given(mx_patterns(), st.text(max_size=80))
def test_matching_never_raises(pattern, host):
    assert _mx.host_matches(pattern, host) in (True, False)
