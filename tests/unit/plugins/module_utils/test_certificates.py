# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificate facts and the renewal decision (no network, certificates from trustme)."""

import datetime

import pytest
import trustme

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import certificates as _certificates

NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.timezone.utc)
HOST = 'mta-sts.example.com'


def leaf(*names, days=90, ca=None):
    ca = ca or trustme.CA()
    cert = ca.issue_cert(*names, not_before=NOW - datetime.timedelta(days=1),
                         not_after=NOW + datetime.timedelta(days=days))
    chain = b''.join(blob.bytes() for blob in cert.cert_chain_pems)
    return chain, cert.private_key_pem.bytes()


def assess(pem, key=None, days=30, **kwargs):
    facts = _certificates.certificate_facts(pem)
    public = _certificates.key_public_bytes(key) if key is not None else None
    return _certificates.assess(facts, HOST, days, NOW.timestamp(), key_public=public, **kwargs)


def test_facts_of_the_leaf_of_a_full_chain():
    pem, dummy = leaf(HOST, 'other.example.com', days=90)
    facts = _certificates.certificate_facts(pem)
    assert facts['names'] == [HOST, 'other.example.com']
    assert facts['not_after'] == '2027-02-26T12:00:00Z'
    assert facts['not_before'] == '2026-11-27T12:00:00Z'
    assert int(facts['serial'], 16) > 0


def test_a_certificate_far_from_expiry_with_its_key_is_fine():
    pem, key = leaf(HOST, days=90)
    assert assess(pem, key) == (None, 'valid until 2027-02-26T12:00:00Z (90 days)')


@pytest.mark.parametrize('days, threshold, reason', [
    (29, 30, 'expiring'),
    (30, 30, None),
    (90, 91, 'expiring'),
    (-1, 0, 'expiring'),
])
def test_fewer_days_left_than_the_threshold_means_renewal(days, threshold, reason):
    pem, key = leaf(HOST, days=days)
    got, sentence = assess(pem, key, days=threshold)
    assert got == reason, sentence
    if days < 0:
        assert 'expired on' in sentence


def test_the_reasons_in_their_order():
    pem, key = leaf('mta-sts.example.org')
    assert assess(pem, key)[0] == 'name'
    pem, key = leaf(HOST)
    dummy, other_key = leaf(HOST)
    assert assess(pem, other_key)[0] == 'key_mismatch'
    assert assess(pem, None, key_exists=False)[0] == 'key_missing'
    reason, sentence = assess(pem, key, issued_by='https://acme.example/dir', stamp='https://staging.example/dir')
    assert (reason, sentence) == ('issuer', 'the certificate was issued by https://staging.example/dir, '
                                            'not by https://acme.example/dir')
    assert assess(pem, key, issued_by='https://acme.example/dir', stamp=None)[0] == 'issuer'
    assert assess(pem, key, issued_by='https://acme.example/dir', stamp='https://acme.example/dir')[0] is None
    assert _certificates.assess(None, HOST, 30, 0)[0] == 'missing'
    assert _certificates.assess(_certificates.CertificateError('x'), HOST, 30, 0)[0] == 'unreadable'


@pytest.mark.parametrize('names, host, ok', [
    (['*.example.com'], 'mta-sts.example.com', True),
    (['*.example.com'], 'a.mta-sts.example.com', False),
    (['MTA-STS.Example.com'], 'mta-sts.example.com', True),
    (['example.com'], 'mta-sts.example.com', False),
])
def test_names_host(names, host, ok):
    assert _certificates.names_host(names, host) is ok


@pytest.mark.parametrize('data', [b'', b'hello', b'-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'])
def test_not_a_certificate(data):
    with pytest.raises(_certificates.CertificateError):
        _certificates.certificate_facts(data)


def test_not_a_key():
    with pytest.raises(_certificates.CertificateError):
        _certificates.key_public_bytes(b'-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')
