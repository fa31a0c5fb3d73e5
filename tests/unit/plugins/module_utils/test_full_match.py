# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every validator matches the whole value (issue 21, finding 4).

A pattern ending in ``$`` matches before a final ``\\n``: ``example\\n.com`` passed as a domain, an id
``abc123\\n`` as a policy id. Each validator of the collection is walked here with a value it accepts,
then with that value plus a line break, NUL or unicode line separator, at the end, at the start and
in the middle: every one must be refused. A source check keeps ``$`` out of the patterns.
"""

import ast
import datetime
import pathlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import domains as _domains
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import grammar, mx, names, policy, records, txt_update
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import tlsrpt_report_info
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import postfix_tls_policy_maps
from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify import options as verify_options

from mailsec_testing.strategies import domains, mx_patterns, sts_ids

PLUGINS = pathlib.Path(__file__).resolve().parents[4] / 'plugins'
SUFFIXES = ['\n', '\r', '\r\n', '\x00', '\u2028', '\u2029', '\x85', '\x0b', '\x0c', '\t']
SECRET = 'c2VjcmV0c2VjcmV0c2VjcmV0'
ROLE_DEFAULTS = {'mode': 'testing', 'mx': ['mx.example.com'], 'max_age': 86400, 'webroot': '/var/www/mta-sts',
                 'tls_certificate': '/etc/ssl/{domain}.pem', 'tls_certificate_key': '/etc/ssl/{domain}.key'}


def _role(key):
    """A validator of one key of a role domain entry (through the filter's pure function)."""
    def accepts(value):
        entry = {'domain': 'example.com', key: value}
        if key == 'domain':
            entry = {'domain': value}
        if key == 'mx':
            entry['mx'] = [value]
        try:
            _domains.complete_domains([entry], ROLE_DEFAULTS)
        except _domains.DomainSpecError:
            return False
        return True
    return accepts


def _role_default(key):
    def accepts(value):
        try:
            _domains.complete_domains([{'domain': 'example.com'}], dict(ROLE_DEFAULTS, **{key: value}))
        except _domains.DomainSpecError:
            return False
        return True
    return accepts


def _update(option):
    def accepts(value):
        params = {'server': '192.0.2.1', 'port': 53, 'key_name': 'key.example', 'key_secret': SECRET,
                  'timeout': 10, 'zone': 'example.com'}
        params[option] = value
        return not txt_update.update_option_problems(params)
    return accepts


def _parsed_sts(make):
    def accepts(value):
        record, findings = records.parse_sts(make(value))
        return record is not None and not any(f.severity == 'error' for f in findings)
    return accepts


def _parsed_tlsrpt(make):
    def accepts(value):
        record, findings = records.parse_tlsrpt(make(value))
        return record is not None and not any(f.severity == 'error' for f in findings)
    return accepts


def _policy_field(make):
    def accepts(value):
        parsed, findings = policy.parse(make(value))
        return not any(f.severity == 'error' for f in findings)
    return accepts


def _since(value):
    try:
        tlsrpt_report_info.parse_since(value, now=datetime.datetime(2026, 1, 1))
    except ValueError:
        return False
    return True


def _verify_expect(key):
    def accepts(value):
        expect = {key: [value] if key in ('mx', 'rua') else value}
        return not verify_options.setting_problems({'expect': expect})
    return accepts


def _record_entry(kind, key):
    from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import record_update

    def accepts(value):
        entry = {'domain': 'example.com', 'state': 'present', 'id': 'abc123', 'rua': ['mailto:tlsrpt@example.com']}
        entry[key] = [value] if key == 'rua' else value
        return not record_update.entry_problems(entry, kind)
    return accepts


# (name, accepts(value) -> bool, a value it accepts)
VALIDATORS = [
    ('names.domain_error', lambda v: names.domain_error(v) is None, 'mta-sts.example.com'),
    ('mx.pattern_error', lambda v: mx.pattern_error(v) is None, '*.example.com'),
    ('records.sts_id_error', lambda v: records.sts_id_error(v) is None, 'abc123'),
    ('records.uri_error mailto', lambda v: records.uri_error(v) is None, 'mailto:tlsrpt@example.com'),
    ('records.uri_error https', lambda v: records.uri_error(v) is None, 'https://reports.example.com:8443/x'),
    ('records.parse_sts id', _parsed_sts(lambda v: 'v=STSv1; id=%s' % v), 'abc123'),
    ('records.parse_sts extension name', _parsed_sts(lambda v: 'v=STSv1; id=a; %s=1' % v), 'ext'),
    ('records.parse_sts extension value', _parsed_sts(lambda v: 'v=STSv1; id=a; ext=%s' % v), 'value'),
    ('records.parse_tlsrpt rua', _parsed_tlsrpt(lambda v: 'v=TLSRPTv1; rua=%s' % v), 'mailto:r@example.com'),
    ('records.parse_tlsrpt extension value', _parsed_tlsrpt(lambda v: 'v=TLSRPTv1; rua=mailto:r@example.com; x=%s' % v),
     'value'),
    ('policy.policy_problems mode', lambda v: not policy.policy_problems(v, ['mx.example.com'], 1), 'enforce'),
    ('policy.policy_problems mx', lambda v: not policy.policy_problems('enforce', [v], 1), 'mx.example.com'),
    ('policy.parse mx', _policy_field(lambda v: 'version: STSv1\r\nmode: enforce\r\nmx: %s\r\nmax_age: 1\r\n' % v),
     'mx.example.com'),
    ('policy.parse max_age', _policy_field(lambda v: 'version: STSv1\r\nmode: enforce\r\nmx: a.example\r\nmax_age: %s\r\n'
                                           % v), '86400'),
    ('policy.parse field name', _policy_field(lambda v: 'version: STSv1\r\nmode: enforce\r\nmx: a.example\r\n'
                                              'max_age: 1\r\n%s: x\r\n' % v), 'extension'),
    ('txt_update server', _update('server'), 'ns1.example.com'),
    ('txt_update zone', _update('zone'), 'example.com'),
    ('txt_update key_name', _update('key_name'), 'mta-sts-key.example'),
    ('record_update sts domain', _record_entry('sts', 'domain'), 'example.com'),
    ('record_update sts id', _record_entry('sts', 'id'), 'abc123'),
    ('record_update tlsrpt rua', _record_entry('tlsrpt', 'rua'), 'mailto:tlsrpt@example.com'),
    ('verify domain', lambda v: not verify_options.domain_problems([v]), 'example.com'),
    ('verify expect.id', _verify_expect('id'), 'abc123'),
    ('verify expect.mx', _verify_expect('mx'), 'mx.example.com'),
    ('verify expect.rua', _verify_expect('rua'), 'mailto:r@example.com'),
    ('verify expect.mode', _verify_expect('mode'), 'enforce'),
    ('tlsrpt_report_info since (age)', _since, '30d'),
    ('tlsrpt_report_info since (date)', _since, '2026-05-01'),
    ('role domain', _role('domain'), 'example.com'),
    ('role mx', _role('mx'), 'mx.example.com'),
    ('role mode', _role('mode'), 'enforce'),
    ('role tlsrpt_rua', _role('tlsrpt_rua'), 'mailto:tlsrpt@example.com'),
    ('role webroot', _role('webroot'), '/srv/www/example'),
    ('role tls_certificate', _role('tls_certificate'), '/etc/ssl/example.pem'),
    ('role tls_certificate_key', _role('tls_certificate_key'), '/etc/ssl/example.key'),
    ('role state', _role('state'), 'present'),
    ('role default webroot', _role_default('webroot'), '/var/www/mta-sts'),
    ('role default acme_certificate_dir', _role_default('acme_certificate_dir'), '/etc/mailsec-mta-sts/acme'),
    ('grammar.path_error', lambda v: grammar.path_error(v) is None, '/etc/ssl/a.pem'),
    ('grammar.listen_error', lambda v: grammar.listen_error(v) is None, '[::]:443'),
    ('grammar.listen_error parameters', lambda v: grammar.listen_error(v) is None, '192.0.2.1:443 default_server'),
    ('grammar.socketmap_error inet', lambda v: grammar.socketmap_error(v) is None, 'socketmap:inet:127.0.0.1:8461:postfix'),
    ('grammar.socketmap_error unix', lambda v: grammar.socketmap_error(v) is None, 'socketmap:unix:/run/sts.sock:postfix'),
    ('grammar.host_error', lambda v: grammar.host_error(v) is None, '127.0.0.1'),
    ('grammar.scalar_error', lambda v: grammar.scalar_error(v) is None, 'redis://:pw@127.0.0.1:6379/0'),
    ('postfix_tls_policy_maps map', lambda v: not postfix_tls_policy_maps.option_problems({'map': v, 'state': 'present'}),
     'socketmap:inet:127.0.0.1:8461:postfix'),
]
IDS = [name for name, dummy, dummy in VALIDATORS]


@pytest.mark.parametrize('name, accepts, good', VALIDATORS, ids=IDS)
def test_the_good_value_is_accepted(name, accepts, good):
    # Without this the rejections below could come from a validator that refuses everything.
    assert accepts(good), name


# In a policy file LF and CRLF end the line and blanks around a value are stripped (RFC 8461 3.2): for
# the policy parser those are the grammar, not part of the value.
TRAILING = [(name, accepts, good, suffix) for name, accepts, good in VALIDATORS for suffix in SUFFIXES
            if not (name.startswith('policy.parse') and suffix in ('\n', '\r\n', '\t'))]


@pytest.mark.parametrize('name, accepts, good, suffix', TRAILING, ids=['%s-%r' % (c[0], c[3]) for c in TRAILING])
def test_a_trailing_break_is_refused(name, accepts, good, suffix):
    assert not accepts(good + suffix), '%s accepted %r' % (name, good + suffix)


@pytest.mark.parametrize('name, accepts, good', VALIDATORS, ids=IDS)
@pytest.mark.parametrize('char', ['\n', '\x00', '\u2028'], ids=['LF', 'NUL', 'U+2028'])
def test_a_break_inside_or_in_front_is_refused(name, accepts, good, char):
    middle = len(good) // 2
    assert not accepts(good[:middle] + char + good[middle:])
    if not name.startswith(('policy.parse', 'records.parse')):
        # (the record and policy parsers strip leading blanks of a field value, as senders do)
        assert not accepts(char + good)


@settings(max_examples=60, deadline=None)
@given(domain=domains(), suffix=st.sampled_from(SUFFIXES))
def test_no_domain_with_a_break_passes(domain, suffix):
    assert names.domain_error(domain) is None
    assert names.domain_error(domain + suffix) is not None
    label, dot, rest = domain.partition('.')
    assert names.domain_error(label + suffix + dot + rest) is not None
    assert _role('domain')(domain + suffix) is False


@settings(max_examples=60, deadline=None)
@given(pattern=mx_patterns(), id_=sts_ids(), suffix=st.sampled_from(SUFFIXES))
def test_no_pattern_or_id_with_a_break_passes(pattern, id_, suffix):
    assert mx.pattern_error(pattern + suffix) is not None
    assert policy.policy_problems('enforce', [pattern + suffix], 1)
    assert records.sts_id_error(id_ + suffix) is not None


def _patterns(path):
    """The string constants compiled or matched as regular expressions in one source file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in
                ('compile', 'match', 'fullmatch', 'search', 'sub', 'split', 'findall')
                and isinstance(node.func.value, ast.Name) and node.func.value.id == 're' and node.args):
            for part in ast.walk(node.args[0]):
                if isinstance(part, ast.Constant) and isinstance(part.value, (str, bytes)):
                    found.append(part.value)
    return found


def test_no_pattern_anchors_with_a_dollar():
    offenders = []
    for path in sorted(PLUGINS.rglob('*.py')):
        for pattern in _patterns(path):
            text = pattern.decode('latin-1') if isinstance(pattern, bytes) else pattern
            # An unescaped "$" outside a character class is an end anchor that lets "\n" through.
            if re.search(r'(?<!\\)\$(?![^\[]*\])', text):
                offenders.append('%s: %r' % (path.relative_to(PLUGINS), text))
    assert not offenders, 'use re.fullmatch or \\Z instead of $: %s' % offenders
    assert len([p for p in PLUGINS.rglob('*.py') if _patterns(p)]) > 5  # the walk saw the patterns
