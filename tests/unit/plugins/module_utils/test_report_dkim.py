# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which DKIM signer may vouch for a mailed TLS report, and the verdict (pure: _core/report_dkim), the
discard counts in the summary, the mode-auto note, and the pure parts of the IMAP source."""

import base64

import pytest
from hypothesis import given, strategies as st

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_dkim as rd
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_summary, rollout
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.imap import encode_folder
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import tlsrpt_report_info as backend

LABEL = st.from_regex(r'[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?', fullmatch=True)
DOMAIN = st.lists(LABEL, min_size=2, max_size=4).map('.'.join)


def sig(domain, result=rd.SIG_PASS, selector='s1', detail=''):
    return {'domain': domain, 'selector': selector, 'result': result, 'detail': detail}


GOOGLE = rd.claimed_domains('noreply-smtp-tls-reporting@google.com', 'google.com',
                            ['smtp-tls-reporting@google.com'])


@pytest.mark.parametrize('one, other, expected', [
    ('google.com', 'google.com', True),
    ('mail.google.com', 'google.com', True),
    ('google.com', 'mail.google.com', True),
    ('GOOGLE.com.', 'google.COM', True),
    ('evilgoogle.com', 'google.com', False),
    ('google.com.evil.example', 'google.com', False),
    ('com', 'google.com', False),
    ('', 'google.com', False),
    (None, 'google.com', False),
])
def test_related(one, other, expected):
    assert rd.related(one, other) is expected


@given(DOMAIN, DOMAIN)
def test_related_is_symmetric_and_a_subdomain_is_always_related(first, second):
    assert rd.related(first, second) == rd.related(second, first)
    assert rd.related('x.' + first, first)


@pytest.mark.parametrize('value, domain', [
    ('"Google" <noreply-smtp-tls-reporting@google.com>', 'google.com'),
    ('mailto:sts-reporting@company-x.example', 'company-x.example'),
    ('https://reports.company-x.example/report_info', 'reports.company-x.example'),
    ('microsoft.com', 'microsoft.com'),
    ('', None),
    (None, None),
    ('Google Inc.', None),
])
def test_address_domain(value, domain):
    assert rd.address_domain(value) == domain


def test_claimed_domains_fall_back_to_from_for_the_submitter():
    assert rd.claimed_domains('tlsrpt-noreply@microsoft.com', '', [None]) == {
        'from': 'microsoft.com', 'submitter': 'microsoft.com'}
    assert GOOGLE == {'from': 'google.com', 'submitter': 'google.com', 'contact-info': 'google.com'}


@pytest.mark.parametrize('is_report, signatures, verdict, words', [
    (False, [sig('google.com')], rd.NOT_A_REPORT, 'no TLS report'),
    (True, [], rd.NO_SIGNATURE, 'RFC 8460 section 3'),
    (True, [sig('google.com')], rd.ACCEPTED, 'google.com (selector s1) verified'),
    (True, [sig('mail.google.com')], rd.ACCEPTED, 'verified'),
    (True, [sig('evil.example')], rd.UNRELATED_SIGNER, 'evil.example is not related to the contact-info domain '
                                                       'google.com, from domain google.com, submitter domain google.com'),
    (True, [sig('google.com', rd.SIG_BODY_CHANGED)], rd.BODY_CHANGED, 'body was changed after google.com signed it'),
    (True, [sig('google.com', rd.SIG_FAIL, detail='missing public key')], rd.BAD_SIGNATURE,
     'google.com (selector s1): missing public key'),
    # A forwarder's valid signature beside the sender's broken one: the report still does not count.
    (True, [sig('google.com', rd.SIG_BODY_CHANGED), sig('lists.example')], rd.UNRELATED_SIGNER, 'lists.example'),
    # One good signature of the sender is enough, whatever else the message carries.
    (True, [sig('lists.example'), sig('google.com', rd.SIG_FAIL, detail='x'), sig('google.com')], rd.ACCEPTED, ''),
])
def test_decide(is_report, signatures, verdict, words):
    got, detail = rd.decide(is_report, signatures, GOOGLE)
    assert got == verdict and words in detail


def test_a_message_that_names_no_sender_cannot_be_vouched_for():
    assert rd.decide(True, [sig('google.com')], {})[0] == rd.UNRELATED_SIGNER


@given(DOMAIN, DOMAIN)
def test_a_valid_signature_counts_exactly_when_its_domain_is_related_to_every_claimed_domain(signer, sender):
    claimed = rd.claimed_domains('reports@' + sender, sender, [])
    verdict, dummy = rd.decide(True, [sig(signer)], claimed)
    assert (verdict == rd.ACCEPTED) == rd.related(signer, sender)
    assert verdict in (rd.ACCEPTED, rd.UNRELATED_SIGNER)


def report(domain, report_id, organization='Google Inc.', start='2026-05-01T00:00:00Z'):
    return {'organization_name': organization, 'report_id': report_id, 'start': start, 'end': start[:11] + '23:59:59Z',
            'contact_info': None,
            'policies': [{'policy_domain': domain, 'policy_type': 'sts', 'mode': 'testing',
                          'total_successful_session_count': 10, 'total_failure_session_count': 0,
                          'failure_details': [], 'policy_string': [], 'mx_host': []}]}


def test_add_discards_counts_per_domain_and_gives_a_discarded_only_domain_an_entry():
    summary = report_summary.summarize([report('a.example', '1')])
    result = report_summary.add_discards(summary, [(report('a.example', '2'), 'no-signature'),
                                                   (report('b.example', '3'), 'unrelated-signer'),
                                                   (report('b.example', '4'), 'unrelated-signer')])
    assert (result['a.example']['accepted_count'], result['a.example']['discarded_count']) == (1, 1)
    assert result['a.example']['discarded_reasons'] == {'no-signature': 1}
    only = result['b.example']
    assert only['ready_for_enforce'] is False and only['accepted_count'] == 0 and only['days'] == {}
    assert only['discarded_reasons'] == {'unrelated-signer': 2}
    assert 'all 2 were discarded (unrelated-signer: 2)' in only['reason']
    assert set(only) == set(result['a.example'])


def outcome(domain, report_id, verdict):
    return {'source': report_id, 'report': report(domain, report_id), 'findings': [],
            'dkim': {'verdict': verdict, 'detail': 'd', 'signers': []}}


def test_evaluate_counts_only_accepted_reports_and_a_discarded_duplicate_once():
    outcomes = [outcome('a.example', '1', rd.ACCEPTED), outcome('a.example', '2', rd.NO_SIGNATURE),
                outcome('a.example', '2', rd.NO_SIGNATURE),
                {'source': 'm', 'report': None, 'findings': [], 'dkim': {'verdict': rd.NOT_A_REPORT}}]
    result = backend.evaluate(outcomes, dkim_required=True)
    assert result['summary']['a.example']['report_count'] == 1
    assert result['summary']['a.example']['discarded_count'] == 1
    assert [entry['reason'] for entry in result['discarded']] == ['no-signature']
    assert result['dkim_counts'] == {'accepted': 1, 'no-signature': 2, 'not-a-report': 1}
    # Without require_dkim every report counts.
    assert backend.evaluate(outcomes)['summary']['a.example']['report_count'] == 2


def test_message_goes_to():
    accepted = [outcome('a.example', '1', rd.ACCEPTED)]
    assert backend.message_goes_to(accepted, True) == 'processed'
    assert backend.message_goes_to([outcome('a.example', '1', rd.BAD_SIGNATURE)], True) == 'other'
    assert backend.message_goes_to([outcome('a.example', '1', rd.BAD_SIGNATURE)], False) == 'processed'
    assert backend.message_goes_to([{'report': None}], False) == 'other'


def test_mode_auto_says_why_it_stays_in_testing_when_reports_were_discarded():
    decision = rollout.decide_auto('example.com', 'testing', None, {}, None, 14, 100, {'no-signature': 14})
    assert decision['mode'] == 'testing'
    assert '14 reports DISCARDED (no-signature: 14), not counted' in decision['msg']
    assert rollout.discarded_note({}) is None


def imap(**changes):
    value = dict(server='imap.example.com', port=None, security='tls', ca_path=None, user='u', password='p',
                 password_file=None, folder='INBOX', processed_folder=None, other_folder=None, read_only=True,
                 max_messages=500, max_message_bytes=10485760, timeout=60.0)
    value.update(changes)
    return value


@pytest.mark.parametrize('changes, words', [
    ({'read_only': False}, 'imap.read_only: false moves messages, but neither'),
    ({'processed_folder': 'done'}, 'are only used with imap.read_only: false'),
    ({'read_only': False, 'processed_folder': 'INBOX'}, 'imap.processed_folder: is the folder read'),
    ({'max_messages': 0}, 'imap.max_messages: must be a positive number'),
    ({'timeout': 0.0}, 'imap.timeout'),
    ({'port': 70000}, 'imap.port'),
    ({'folder': 'a\nb'}, 'imap.folder'),
])
def test_imap_problems(changes, words):
    problems = backend.imap_problems(imap(**changes))
    assert problems and all(option == 'imap' for option, dummy in problems)
    assert any(words in message for dummy, message in problems)


def test_good_imap_options_have_no_problem():
    assert backend.imap_problems(imap()) == []
    assert backend.imap_problems(imap(read_only=False, other_folder='x')) == []
    assert backend.imap_problems(None) == []


def test_require_dkim_defaults_to_true_with_imap_only():
    assert backend.require_dkim({'imap': imap(), 'require_dkim': None}) is True
    assert backend.require_dkim({'imap': None, 'require_dkim': None}) is False
    assert backend.require_dkim({'imap': imap(), 'require_dkim': False}) is False


@pytest.mark.parametrize('name, encoded', [
    ('INBOX', '"INBOX"'),
    ('TLSRPT/processed', '"TLSRPT/processed"'),
    ('Berichte & Co', '"Berichte &- Co"'),
    ('Entwürfe', '"Entw&APw-rfe"'),
    ('a"b\\c', '"a\\"b\\\\c"'),
])
def test_encode_folder(name, encoded):
    assert encode_folder(name) == encoded


@given(st.text(min_size=1, max_size=20))
def test_encode_folder_is_ascii_and_round_trips_through_modified_utf7(name):
    encoded = encode_folder(name)
    assert encoded.isascii()
    inner = encoded[1:-1].replace('\\"', '"').replace('\\\\', '\\')
    decoded, rest = [], inner
    while rest:
        head, amp, rest = rest.partition('&')
        decoded.append(head)
        if not amp:
            break
        chunk, dummy, rest = rest.partition('-')
        if not chunk:
            decoded.append('&')
            continue
        data = chunk.replace(',', '/')
        decoded.append(base64.b64decode(data + '=' * (-len(data) % 4)).decode('utf-16-be'))
    assert ''.join(decoded) == name
