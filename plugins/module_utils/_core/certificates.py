# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Certificate files of the policy hosts: what they hold, and whether they must be (re)issued.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Everything here reads local files only: deciding that a certificate is fine must never cost a
request to an ACME server (a role run over thousands of valid certificates contacts none).
``certificate_facts`` and ``key_public_bytes`` parse with the ``cryptography`` library (the ACME
modules of community.crypto need it on the same host); ``assess`` is a pure function of those
facts and the clock.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.libraries import Library
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.mx import matching_pattern
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.time import format_timestamp

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID
except ImportError:
    CRYPTOGRAPHY = Library.missing('cryptography')
else:
    CRYPTOGRAPHY = Library('cryptography')

_PEM_CERTIFICATE = re.compile(br'-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----')
_UTC = datetime.timezone.utc
SECONDS_PER_DAY = 86400


class CertificateError(ValueError):
    """A file that is not a PEM certificate (or key) this module can read."""


def utc_time(cert, name):
    """The aware UTC datetime of ``cert``'s ``not_valid_before`` or ``not_valid_after``.

    cryptography >= 42 has the timezone-aware ``*_utc`` properties; older ones return naive UTC.
    """
    value = getattr(cert, name + '_utc', None)
    if value is None:
        value = getattr(cert, name).replace(tzinfo=_UTC)
    return value


def certificate_facts(pem):
    """``{serial, not_before, not_after, not_after_epoch, names, public_key}`` of the first
    certificate in ``pem`` (bytes; a full chain starts with the leaf).

    ``names`` are the DNS names of the subjectAltName extension, or the subject's common name
    when there is none; ``public_key`` is the DER SubjectPublicKeyInfo. Raises CertificateError.
    """
    match = _PEM_CERTIFICATE.search(pem or b'')
    if not match:
        raise CertificateError('no PEM certificate in it')
    try:
        cert = x509.load_pem_x509_certificate(match.group(0))
    except ValueError as exc:
        raise CertificateError('not a certificate: %s' % exc)
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName)
    except x509.ExtensionNotFound:
        names = [attribute.value for attribute in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    not_after = utc_time(cert, 'not_valid_after')
    return {
        'serial': '%x' % cert.serial_number,
        'not_before': format_timestamp(utc_time(cert, 'not_valid_before')),
        'not_after': format_timestamp(not_after),
        'not_after_epoch': (not_after - datetime.datetime(1970, 1, 1, tzinfo=_UTC)).total_seconds(),
        'names': list(names),
        'public_key': cert.public_key().public_bytes(serialization.Encoding.DER,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo),
    }


def key_public_bytes(pem):
    """The DER SubjectPublicKeyInfo of the unencrypted PEM private key ``pem``. Raises CertificateError."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise CertificateError('not an unencrypted PEM private key: %s' % exc)
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def names_host(names, host):
    """Whether a certificate with DNS ``names`` is valid for ``host`` (a wildcard covers one left-most label).

    The rule is the one of mx patterns (RFC 8461 4.1 uses it for MX certificates too), so it is
    written once, in ``_mx.host_matches``.
    """
    return matching_pattern(names, host) is not None


def assess(facts, host, remaining_days, now, key_public=None, key_exists=True, issued_by=None, stamp=None):
    """``(reason, sentence)`` saying why the certificate must be (re)issued, or ``(None, sentence)``.

    ``facts``: from ``certificate_facts``, or None when the file is missing, or a CertificateError
    when it could not be read. ``key_public``: the key's public bytes (None: not checked).
    ``issued_by``/``stamp``: what should have issued it and what the stamp file says did (None:
    not checked). ``now``: seconds since the epoch.
    """
    if facts is None:
        return 'missing', 'no certificate yet'
    if isinstance(facts, Exception):
        return 'unreadable', 'the certificate file cannot be used (%s)' % facts
    if not names_host(facts['names'], host):
        return 'name', 'the certificate names %s, not %s' % (', '.join(facts['names']) or 'nothing', host)
    if not key_exists:
        return 'key_missing', 'the private key is missing'
    if key_public is not None and key_public != facts['public_key']:
        return 'key_mismatch', 'the private key does not belong to the certificate'
    if issued_by is not None and stamp != issued_by:
        return 'issuer', 'the certificate was issued by %s, not by %s' % (stamp or 'an unknown issuer', issued_by)
    seconds_left = facts['not_after_epoch'] - now
    days_left = int(seconds_left // SECONDS_PER_DAY)
    if seconds_left < remaining_days * SECONDS_PER_DAY:
        if seconds_left <= 0:
            return 'expiring', 'the certificate expired on %s' % facts['not_after']
        return 'expiring', 'the certificate expires on %s, in %d day(s), fewer than %d' % (
            facts['not_after'], days_left, remaining_days)
    return None, 'valid until %s (%d days)' % (facts['not_after'], days_left)
