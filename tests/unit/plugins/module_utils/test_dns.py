# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The DNS updater without a server: RRset computation, chunking, wire format, option validation."""

import base64

import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import txt_update
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import dns_messages
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import records


from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import record_update as _record_update

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import argspec
from mailsec_testing.strategies import domains, sts_ids

STS = 'v=STSv1'
TLSRPT = 'v=TLSRPTv1'
SECRET = base64.b64encode(b'0123456789abcdef0123456789abcdef').decode('ascii')
SPF = (b'v=spf1 -all',)


def rec(*strings):
    return tuple(s.encode('utf-8') if isinstance(s, str) else s for s in strings)


# -- compute_txt_change

@pytest.mark.parametrize('current, desired, expected', [
    ([], 'v=STSv1; id=a;', [rec('v=STSv1; id=a;')]),
    ([SPF], 'v=STSv1; id=a;', [SPF, rec('v=STSv1; id=a;')]),
    ([rec('v=STSv1; id=old;'), SPF], 'v=STSv1; id=a;', [SPF, rec('v=STSv1; id=a;')]),
    # two records of our kind (senders then ignore both): exactly one remains
    ([rec('v=STSv1; id=x;'), SPF, rec('v=STSv1; id=y;')], 'v=STSv1; id=a;', [SPF, rec('v=STSv1; id=a;')]),
    # the wanted record is already there, next to a second one: keep it, drop the other
    ([rec('v=STSv1; id=y;'), rec('v=STSv1; id=a;')], 'v=STSv1; id=a;', [rec('v=STSv1; id=a;')]),
    # already there, cut into two strings: joined it is equal, so it stays as it is
    ([rec('v=STSv1; ', 'id=a;')], 'v=STSv1; id=a;', [rec('v=STSv1; ', 'id=a;')]),
    # not our kind: a different version, a prefix that only looks alike, another record kind
    ([rec('v=STSv10; id=x;'), rec('V=STSv1; id=x;'), rec('v=TLSRPTv1; rua=mailto:a@b.c')], 'v=STSv1; id=a;',
     [rec('v=STSv10; id=x;'), rec('V=STSv1; id=x;'), rec('v=TLSRPTv1; rua=mailto:a@b.c'), rec('v=STSv1; id=a;')]),
    # removal
    ([rec('v=STSv1; id=x;'), SPF], None, [SPF]),
    ([rec('v=STSv1', '; id=x;')], None, []),
    ([SPF], None, [SPF]),
    ([], None, []),
])
def test_compute_txt_change(current, desired, expected):
    assert txt_update.compute_txt_change(current, STS, desired) == expected


def test_compute_txt_change_tlsrpt_keeps_sts():
    current = [rec('v=STSv1; id=a;'), rec('v=TLSRPTv1; rua=mailto:old@example.com')]
    after = txt_update.compute_txt_change(current, TLSRPT, 'v=TLSRPTv1; rua=mailto:new@example.com')
    assert after == [rec('v=STSv1; id=a;'), rec('v=TLSRPTv1; rua=mailto:new@example.com')]


def other_records():
    text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=300)
    return text.filter(lambda value: not value.startswith('v=STSv1')).map(txt_update.to_strings)


@given(current=st.lists(st.one_of(other_records(), sts_ids().map(lambda i: txt_update.to_strings('v=STSv1; id=%s;' % i))),
                        max_size=6, unique=True),
       policy_id=sts_ids(), present=st.booleans())
@settings(max_examples=200)
def test_compute_txt_change_properties(current, policy_id, present):
    desired = 'v=STSv1; id=%s;' % policy_id if present else None
    after = txt_update.compute_txt_change(current, STS, desired)
    ours = [r for r in after if records.join_strings(r).startswith('v=STSv1;')]
    others = [r for r in current if not records.has_version(records.join_strings(r), STS)]
    assert [r for r in after if r not in ours] == others           # every other record stays, in order
    assert [records.join_strings(r) for r in ours] == ([desired] if present else [])
    assert txt_update.compute_txt_change(after, STS, desired) == after  # idempotent


# -- chunking and exact strings

def test_to_strings_short_value_is_one_string():
    assert txt_update.to_strings('v=STSv1; id=abc;') == (b'v=STSv1; id=abc;',)


@pytest.mark.parametrize('length', [255, 256, 510, 511, 1000])
def test_to_strings_splits_at_255_bytes(length):
    value = 'v=TLSRPTv1; rua=' + 'x' * (length - 16)
    strings = txt_update.to_strings(value)
    assert all(len(s) <= 255 for s in strings)
    assert len(strings) == -(-length // 255)
    assert b''.join(strings).decode() == value


def test_to_strings_never_cuts_a_utf8_character():
    value = 'a' + '\u00e9' * 300
    strings = txt_update.to_strings(value)
    assert all(len(s) <= 255 for s in strings)
    assert [s.decode('utf-8') for s in strings]  # each decodes alone
    assert records.join_strings(strings) == value


@pytest.mark.parametrize('value', [
    'v=STSv1; id=a; x=1',
    'with "double quotes" and \\backslash\\ and ; semicolons',
    '\\"', '"', '\\', ' leading and trailing spaces ',
])
def test_txt_strings_survive_the_wire_unchanged(value):
    change = txt_update.TxtChange('n.example.com.', [], None, [txt_update.to_strings(value)], 60)
    message = txt_update.build_update('example.com', [change])
    parsed = dns.message.from_wire(message.to_wire())
    assert [rr[3] for rr in rrs(parsed.update) if rr[1] == 'add'] == [(value.encode(),)]


# -- TxtChange and plan_change

def test_change_detection():
    a = rec('v=STSv1; id=a;')
    assert not txt_update.TxtChange('n.', [a, SPF], 60, [SPF, a], 60).changed      # order does not matter
    assert txt_update.TxtChange('n.', [a, SPF], 60, [SPF, a], 300).changed          # TTL alone is a change
    assert txt_update.TxtChange('n.', [], None, [a], 60).changed
    assert txt_update.TxtChange('n.', [a], 60, [], None).changed
    assert not txt_update.TxtChange('n.', [], None, [], None).changed


def test_plan_change_ttl_rules():
    a = rec('v=STSv1; id=a;')
    present = txt_update.plan_change('n.', [SPF], 300, STS, 'v=STSv1; id=a;', 3600)
    assert present.ttl == 3600 and present.changed
    removal = txt_update.plan_change('n.', [SPF, a], 300, STS, None, 3600)
    assert removal.after == [SPF] and removal.ttl == 300  # the others keep their TTL
    nothing = txt_update.plan_change('n.', [SPF], 300, STS, None, 3600)
    assert not nothing.changed


def test_diff_lists_joined_values_and_ttl():
    change = txt_update.plan_change('_mta-sts.example.com.', [rec('v=STSv1; ', 'id=old;'), SPF], 300,
                                    STS, 'v=STSv1; id=new;', 3600)
    diff = change.diff()
    assert diff['before'] == {'values': ['v=STSv1; id=old;', 'v=spf1 -all'], 'ttl': 300}
    assert diff['after'] == {'values': ['v=spf1 -all', 'v=STSv1; id=new;'], 'ttl': 3600}
    assert diff['before_header'] == '_mta-sts.example.com TXT'


# -- build_update

def rrs(section):
    """(name, what, ttl, strings) per RR of a parsed UPDATE section; what: add, delete-rrset, delete-rr."""
    out = []
    for rrset in section:
        what = {None: 'add', dns.rdataclass.ANY: 'delete-rrset', dns.rdataclass.NONE: 'delete-rr'}[rrset.deleting]
        if len(rrset) == 0:
            out.append((str(rrset.name), what, rrset.ttl, None))
        for rdata in rrset:
            out.append((str(rrset.name), what, rrset.ttl, rdata.strings))
    return out


def test_update_with_prerequisite_on_exact_rrset():
    old = rec('v=STSv1; id=old;')
    change = txt_update.plan_change('_mta-sts.example.com.', [old, SPF], 300, STS, 'v=STSv1; id=new;', 3600)
    message = dns.message.from_wire(txt_update.build_update('example.com', [change]).to_wire())
    assert message.zone[0].name == dns.name.from_text('example.com')
    name = '_mta-sts.example.com.'
    # RFC 2136 2.4.2 "RRset exists (value dependent)": class IN, TTL 0, every RR that was read
    assert sorted(rrs(message.prerequisite)) == sorted([(name, 'add', 0, old), (name, 'add', 0, SPF)])
    assert all(rrset.rdclass == dns.rdataclass.IN for rrset in message.prerequisite)
    assert rrs(message.update) == [(name, 'delete-rrset', 0, None),
                                   (name, 'add', 3600, SPF), (name, 'add', 3600, rec('v=STSv1; id=new;'))]


def test_update_requires_absence_when_nothing_was_read():
    change = txt_update.plan_change('_mta-sts.example.com.', [], None, STS, 'v=STSv1; id=new;', 3600)
    prereq, = txt_update.build_update('example.com', [change]).prerequisite
    assert prereq.rdclass == dns.rdataclass.NONE and prereq.rdtype == dns.rdatatype.TXT  # RRset does not exist
    assert len(prereq) == 0


def test_removing_the_last_record_only_deletes():
    change = txt_update.plan_change('_mta-sts.example.com.', [rec('v=STSv1; id=a;')], 60, STS, None, 3600)
    message = txt_update.build_update('example.com', [change])
    assert rrs(message.update) == [('_mta-sts.example.com.', 'delete-rrset', 0, None)]


def update_messages(zone, changes, key=None, **kwargs):
    """The messages of ``txt_update.update_batches``, without their changes."""
    return [message for message, dummy in txt_update.update_batches(zone, changes, key, **kwargs)]


def test_many_names_in_one_update_and_unchanged_ones_left_out():
    changes = [txt_update.plan_change('_mta-sts.d%d.example.com.' % i, [], None, STS, 'v=STSv1; id=a%d;' % i, 60)
               for i in range(50)]
    changes.append(txt_update.plan_change('_mta-sts.same.example.com.', [rec('v=STSv1; id=a;')], 60,
                                          STS, 'v=STSv1; id=a;', 60))
    message = txt_update.build_update('example.com', changes)
    assert len(rrs(message.prerequisite)) == 50
    assert len(rrs(message.update)) == 100
    assert update_messages('example.com', changes[-1:]) == []


def test_same_name_twice_is_refused():
    change = txt_update.plan_change('n.example.com.', [], None, STS, 'v=STSv1; id=a;', 60)
    with pytest.raises(ValueError):
        txt_update.build_update('example.com', [change, change])


def test_update_batches_cut_only_beyond_the_size_limit():
    changes = [txt_update.plan_change('_mta-sts.d%d.example.com.' % i, [], None, STS, 'v=STSv1; id=a%d;' % i, 60)
               for i in range(40)]
    assert len(update_messages('example.com', changes)) == 1
    messages = update_messages('example.com', changes, max_size=600)
    assert len(messages) > 1
    assert all(len(m.to_wire()) <= 600 for m in messages)
    assert sum(len(rrs(m.prerequisite)) for m in messages) == 40


def test_update_batches_split_what_dnspython_cannot_encode_at_all():
    # 5000 names are far past 64 KiB: to_wire() raises TooBig instead of returning a long message.
    changes = [txt_update.plan_change('_mta-sts.fleet%05d.example.com.' % i, [rec('v=STSv1; id=old%d;' % i)], 60, STS,
                                      'v=STSv1; id=%032d;' % i, 60) for i in range(5000)]
    key = txt_update.make_key('mailsec-lab-key.', SECRET, 'hmac-sha256')
    messages = update_messages('example.com', changes, key)
    assert 1 < len(messages) < 100
    assert all(len(m.to_wire()) <= txt_update.MAX_UPDATE_SIZE + 512 for m in messages)
    assert sum(len(rrs(m.prerequisite)) for m in messages) == 5000


@pytest.mark.parametrize('label', ['a', 'l' * 58])
def test_every_cut_message_fits_even_where_names_no_longer_compress(label):
    # Past the first 16 KiB a compression pointer cannot reach a name's first occurrence: long labels below the
    # zone are then written out again in the delete and add sections. Each run still fits, and the runs are
    # nearly full (the bound counts those repeats from where the run passes 16 KiB, a little early).
    changes = [txt_update.plan_change('_mta-sts.%s%05d.example.com.' % (label, i), [rec('v=STSv1; id=old%d;' % i)], 60,
                                      STS, 'v=STSv1; id=%032d;' % i, 60) for i in range(3000)]
    limit = 20000
    messages = update_messages('example.com', changes, max_size=limit)
    sizes = [len(m.to_wire()) for m in messages]
    assert max(sizes) <= limit
    assert min(sizes[:-1]) >= 0.85 * limit, sizes
    assert [str(rrset.name) for m in messages for rrset in m.update if rrset.rdtype == dns.rdatatype.TXT and rrset] \
        == [change.name for change in changes]


_LABELS = st.text(alphabet='abcXYZ019-_', min_size=1, max_size=63)
_STRINGS = st.lists(st.binary(max_size=255), min_size=1, max_size=3).map(tuple)


@given(zone=st.sampled_from(['example.com', 'Sub.Example.COM.', 'x.y.z.example']),
       labels=st.lists(_LABELS, max_size=4),
       before=st.sets(_STRINGS, max_size=3), after=st.sets(_STRINGS, max_size=3))
@settings(max_examples=300, deadline=None)
def test_a_changes_counted_size_is_its_built_size(zone, labels, before, after):
    # The cut into messages counts each change's bytes instead of building a message per change; the count must be
    # what dnspython writes (the zone's name compressed, the owner once in full, pointers after).
    assume(before or after)
    name = '.'.join(labels + [zone.rstrip('.')]) + '.'
    change = txt_update.TxtChange(name, sorted(before), 60 if before else None, sorted(after), 3600)
    if not change.changed:
        change.ttl = 7200
    origin = dns.name.from_text(zone)
    built = len(txt_update.build_update(zone, [change]).to_wire()) - len(txt_update.build_update(zone, []).to_wire())
    assert txt_update.change_size(origin, change) == built


def test_a_name_outside_the_zone_is_measured_by_building_it():
    change = txt_update.plan_change('_mta-sts.example.org.', [], None, STS, 'v=STSv1; id=a;', 60)
    assert txt_update.change_size(dns.name.from_text('example.com'), change) is None
    changes = [change, txt_update.plan_change('_mta-sts.example.com.', [], None, STS, 'v=STSv1; id=a;', 60)]
    batches = txt_update.update_batches('example.com', changes, max_size=100)
    names = [[item.name for item in chunk] for dummy, chunk in batches]
    assert names == [['_mta-sts.example.org.'], ['_mta-sts.example.com.']]


def test_update_is_signed_with_the_key():
    key = txt_update.make_key('mailsec-lab-key.', SECRET, 'hmac-sha512')
    change = txt_update.plan_change('n.example.com.', [], None, STS, 'v=STSv1; id=a;', 60)
    message = txt_update.build_update('example.com', [change], key)
    wire = message.to_wire()
    parsed = dns.message.from_wire(wire, keyring={key.name: key})
    assert parsed.had_tsig
    assert parsed.keyname == dns.name.from_text('mailsec-lab-key.')
    assert parsed.keyalgorithm == dns.tsig.HMAC_SHA512


@pytest.mark.parametrize('algorithm', txt_update.TSIG_ALGORITHMS)
def test_every_algorithm_makes_a_working_key(algorithm):
    key = txt_update.make_key('k.', SECRET, algorithm)
    message = dns.message.make_query('example.com', 'SOA')
    message.use_tsig(key)
    dns.message.from_wire(message.to_wire(), keyring={key.name: key})


def test_key_repr_never_shows_the_secret():
    key = txt_update.make_key('k.', SECRET)
    assert SECRET not in repr(key) and SECRET not in str(key)
    assert SECRET not in repr([key]) and SECRET not in '%r %s' % (key, key)


# -- options

def good(**changes):
    params = dict(server='127.0.53.1', port=53, zone=None, key_name='k.', key_secret=SECRET,
                  key_algorithm='hmac-sha256', timeout=10.0, ttl=3600, domain='example.com', state='present',
                  id='abc123', rua=['mailto:tlsrpt@example.com'])
    params.update(changes)
    return params


def test_good_options_pass():
    assert txt_update.update_option_problems(good()) == []
    assert _record_update.RecordBackend('sts').option_problems(good()) == []
    assert _record_update.RecordBackend('tlsrpt').option_problems(good()) == []
    assert _record_update.RecordBackend('sts').option_problems(good(key_name=None, key_secret=None, zone='example.com.')) == []


@pytest.mark.parametrize('kind, changes, option, message', [
    ('sts', dict(id='ab-cd'), 'id', 'id: must be 1 to 32 letters and digits (RFC 8461 3.1)'),
    ('sts', dict(id='a' * 33), 'id', 'id: must be 1 to 32 letters and digits (RFC 8461 3.1)'),
    ('sts', dict(id=None), 'id', 'id: required when state is present'),
    ('sts', dict(domain='example.com.'), 'domain', "domain: 'example.com.' ends with a dot"),
    ('sts', dict(domain='b\u00fccher.de'), 'domain', 'A-labels'),
    ('tlsrpt', dict(rua=[]), 'rua', 'rua: give at least one mailto: or https: URI (RFC 8460 3)'),
    ('tlsrpt', dict(rua=['ftp://x.example']), 'rua', "rua[0]: 'ftp://x.example' must be a mailto: or https: URI "
                                                     "(RFC 8460 3)"),
    ('tlsrpt', dict(rua=['mailto:a@example.com', 'mailto:a,b@example.com']), 'rua',
     "rua[1]: 'mailto:a,b@example.com' contains a comma; RFC 8460 3 wants it percent-encoded (%2C)"),
    ('sts', dict(server=''), 'server', 'server: must be the IP address or host name'),
    ('sts', dict(port=0), 'port', 'port: must be a TCP port number from 1 to 65535'),
    ('sts', dict(port=65536), 'port', 'port: must be a TCP port number from 1 to 65535'),
    ('sts', dict(ttl=-1), 'ttl', 'ttl: must be a number of seconds from 0 to 2147483647 (RFC 2181 8)'),
    ('sts', dict(timeout=0), 'timeout', 'timeout: must be a number of seconds greater than 0'),
    ('sts', dict(key_algorithm='hmac-sha256-128'), 'key_algorithm', 'key_algorithm: must be one of hmac-sha256'),
    ('sts', dict(key_secret=None), 'key_secret', 'key_secret: required when key_name is set (or give '
                                                 'key_secret_file)'),
    ('sts', dict(key_name=None), 'key_name', 'key_name: required when key_secret or key_secret_file is set'),
    ('sts', dict(key_name='bad name'), 'key_name', 'key_name: must be a DNS name'),
    ('sts', dict(zone='exa mple.com'), 'zone', "zone: 'exa mple.com' has the label"),
    ('sts', dict(zone='example.org'), 'zone', 'zone: _mta-sts.example.com is not inside the zone example.org'),
    ('tlsrpt', dict(zone='other.example.com'), 'zone', 'zone: _smtp._tls.example.com is not inside the zone'),
])
def test_bad_options_name_option_and_rule(kind, changes, option, message):
    errors = _record_update.RecordBackend(kind).option_problems(good(**changes))
    assert [o for o, dummy in errors] == [option]
    assert message in errors[0][1]


def test_absent_needs_no_record_content():
    assert _record_update.RecordBackend('sts').option_problems(good(state='absent', id=None, rua=None)) == []
    assert _record_update.RecordBackend('tlsrpt').option_problems(good(state='absent', id=None, rua=None)) == []


@pytest.mark.parametrize('secret', ['not base64!', 'QUJD=====', 'c2VjcmV0', '', 'AAAA' + 'x'])
def test_bad_secret_message_never_shows_it(secret):
    errors = txt_update.update_option_problems(good(key_secret=secret))
    text = ' '.join(message for dummy, message in errors)
    if secret and txt_update.secret_bytes(secret) is None:
        assert 'key_secret: must be the base64 secret' in text
    assert not secret or secret not in text


def test_secret_may_be_wrapped_like_in_a_key_file():
    assert txt_update.secret_bytes(SECRET[:20] + '\n ' + SECRET[20:]) == base64.b64decode(SECRET)


@given(domain=domains(), policy_id=sts_ids())
def test_valid_domains_and_ids_pass(domain, policy_id):
    assert _record_update.RecordBackend('sts').option_problems(good(domain=domain, id=policy_id)) == []


def test_desired_values():
    assert _record_update.desired_value(good(), 'sts') == 'v=STSv1; id=abc123;'
    rua = ['mailto:a@example.com', 'https://r.example.com/x', 'mailto:a@example.com']
    assert _record_update.desired_value(good(rua=rua), 'tlsrpt') == \
        'v=TLSRPTv1; rua=mailto:a@example.com,https://r.example.com/x'
    assert _record_update.desired_value(good(state='absent'), 'sts') is None


def test_argspec_mirrors_the_doc_fragment():
    import yaml
    from ansible_collections.mailsec.mta_sts.plugins.doc_fragments.dns_update import ModuleDocFragment
    docs = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    spec = argspec.dns_update_options().spec()
    assert sorted(docs) == sorted(spec)
    for name, option in spec.items():
        doc = docs[name]
        assert doc['type'] == option['type'], name
        assert doc.get('default') == option.get('default'), name
        assert doc.get('required', False) == option.get('required', False), name
        assert doc.get('choices') == option.get('choices'), name
    assert spec['key_secret']['no_log'] is True


# -- many records in one call

def test_records_entries_are_checked_each_and_named():
    params = good(domain=None, id=None, records=[
        {'domain': 'a.example.com', 'id': 'abc', 'state': 'present'},
        {'domain': 'b..example.com', 'id': 'abc', 'state': 'present'},
        {'domain': 'c.example.com', 'id': 'a-b', 'state': 'present'},
        {'domain': 'd.example.com', 'id': None, 'state': 'absent'},
        {'domain': 'A.example.com', 'id': 'abc', 'state': 'present'},
    ])
    errors = _record_update.RecordBackend('sts').option_problems(params)
    assert [option for option, dummy in errors] == ['records', 'records', 'records']
    assert errors[0][1].startswith('records[1].domain: ')
    assert errors[1][1] == 'records[2].id: must be 1 to 32 letters and digits (RFC 8461 3.1)'
    assert errors[2][1] == 'records[4].domain: A.example.com is also given at records[0]'


def test_records_argument_spec_mirrors_the_single_options():
    for kind, content in (('sts', 'id'), ('tlsrpt', 'rua')):
        spec = _record_update.record_arguments(kind).spec()
        entry = spec['records']['options']
        assert sorted(entry) == sorted(['domain', 'state', content])
        assert entry[content] == spec[content]
        assert entry['state'] == spec['state']


# -- what each server's answer means (BIND 9, Knot DNS, PowerDNS)

WHERE = '192.0.2.53 port 53'
KEY = 'upd-key with algorithm hmac-sha256'


@pytest.mark.parametrize('failure, rcode, key_worked, update, cause, says', [
    # Knot: BADKEY to an UPDATE right after a signed read with the same key was answered: known, not allowed
    ('BADKEY', None, True, True, 'key-not-allowed', ['knows the TSIG key upd-key', 'does not allow it to update',
                                                     'acl with action update', 'TSIG-ALLOW-DNSUPDATE']),
    # BADKEY on the first read (BIND, Knot): the key or its algorithm is unknown
    ('BADKEY', None, False, False, 'BADKEY', ['does not know the TSIG key upd-key', 'key_algorithm']),
    ('BADKEY', None, False, True, 'BADKEY', ['does not know the TSIG key upd-key']),
    ('BADKEY', None, True, False, 'BADKEY', ['does not know the TSIG key upd-key']),
    ('BADSIG', None, False, False, 'BADSIG', ['(BADSIG); key_secret is not the secret']),
    ('BADTIME', None, False, False, 'BADTIME', ['(BADTIME)', 'clocks']),
    # PowerDNS: NOTAUTH without a TSIG record for a wrong key name, secret or algorithm; Knot 3.4 the same for
    # an unknown key, a wrong algorithm or a key no acl allows the update
    ('unsigned', 'NOTAUTH', False, False, 'unsigned-answer',
     ['refused to sign its answer (NOTAUTH without a TSIG record)', 'key_name', 'key_secret', 'key_algorithm',
      'Knot 3.4: no acl of the zone gives the key the action update', 'TSIG-ALLOW-DNSUPDATE', 'allow-dnsupdate-from']),
    ('unsigned', 'NOTAUTH', True, True, 'key-not-allowed',
     ['refused to sign its answer (NOTAUTH without a TSIG record) although it accepted the key upd-key',
      'TSIG-ALLOW-DNSUPDATE']),
])
def test_tsig_failure_messages(failure, rcode, key_worked, update, cause, says):
    what = 'updating zone example.com' if update else 'reading _mta-sts.example.com TXT'
    msg, got_cause = dns_messages.tsig_failure_message(what, WHERE, KEY, failure, rcode=rcode, key_worked=key_worked,
                                                       update=update)
    assert got_cause == cause
    assert msg.startswith(what + ': ' + WHERE + ' ')  # the step (zone or name) and the server come first
    assert 'upd-key' in msg  # the key, by name
    for text in says:
        assert text in msg, msg
    assert 'FormError' not in msg


def test_refused_update_reason_says_how_each_server_allows_updates():
    reason = dns_messages.refused_update_reason('upd-key')
    assert reason.startswith('the key upd-key may not update it (BIND: the zone\'s update-policy or allow-update; ')
    for text in ('Knot: an acl with action update', 'PowerDNS: dnsupdate=yes', 'TSIG-ALLOW-DNSUPDATE',
                 'allow-dnsupdate-from'):
        assert text in reason


def test_messages_never_hold_the_secret():
    key = txt_update.make_key('upd-key', SECRET)
    key_text = '%s with algorithm hmac-sha256' % str(key.name).rstrip('.')
    for failure in ('BADKEY', 'BADSIG', 'BADTIME', 'unsigned'):
        for key_worked in (False, True):
            msg, dummy = dns_messages.tsig_failure_message('updating zone example.com', WHERE, key_text, failure,
                                                           rcode='NOTAUTH', key_worked=key_worked, update=True)
            assert SECRET not in msg and SECRET not in repr(key)
