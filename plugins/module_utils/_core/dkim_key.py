# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The DKIM key record (RFC 6376 3.6.1) at ``<selector>._domainkey.<domain>``: checked, rendered, parsed.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Everything here is pure: no I/O, no AnsibleModule. The collection publishes the key of the reports
it signs (RFC 8460 3: TLS reports by mail MUST be DKIM-signed) and renders the record always as
``v=DKIM1; k=<type>; p=<base64>``: the version tag first (RFC 6376 3.6.1: if present, it MUST be
the first tag), the key type, the public key. An empty ``p=`` means the key was revoked (RFC 6376
3.6.1), so it is never rendered: to withdraw a key, the record is removed (``state: absent``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import re

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.findings import ERROR, Finding
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.names import domain_error

DKIM_VERSION = 'v=DKIM1'
DKIM_LABEL = '_domainkey'
KEY_TYPES = ('rsa', 'ed25519')  # RFC 6376 3.6.1 (rsa), RFC 8463 (ed25519)
DEFAULT_KEY_TYPE = 'rsa'
# RFC 8301 3.2: verifiers MUST NOT accept signatures of RSA keys shorter than 1024 bits.
MIN_RSA_BITS = 1024
ED25519_KEY_BYTES = 32  # RFC 8463 4.2: p= is the base64 of the 32-byte public key

# RFC 6376 3.2 tag-list: tag-name = ALPHA *ALNUMPUNC; tag-value = tval *(1*(WSP/FWS) tval),
# tval = 1*VALCHAR (%x21-3A / %x3C-7E); whitespace around names, "=" and values is ignored.
_TAG_NAME_RE = re.compile(r'[A-Za-z][A-Za-z0-9_]*')
_TAG_VALUE_RE = re.compile(r'(?:[\x21-\x3a\x3c-\x7e]+(?:[ \t\r\n]+[\x21-\x3a\x3c-\x7e]+)*)?')
_WSP = ' \t\r\n'
_BASE64_RE = re.compile(r'[A-Za-z0-9+/]*={0,2}')
_PEM_RE = re.compile(r'-----BEGIN PUBLIC KEY-----(.*)-----END PUBLIC KEY-----', re.DOTALL)


def key_record_name(selector, domain):
    """The owner name of a selector's key record (RFC 6376 3.6.2.1), e.g. ``tlsrpt._domainkey.example.com``."""
    return '%s.%s.%s' % (selector, DKIM_LABEL, domain)


def selector_error(selector):
    """Why ``selector`` is not an RFC 6376 3.1 selector (``sub-domain *("." sub-domain)``), or None."""
    return domain_error(selector)


def normalize_public_key(public_key):
    """The base64 text of ``public_key`` without whitespace and PEM armour (``-----BEGIN PUBLIC KEY-----``)."""
    if not isinstance(public_key, str):
        return public_key
    match = _PEM_RE.fullmatch(public_key.strip())
    if match is not None:
        public_key = match.group(1)
    return ''.join(public_key.split())


def _der_item(data, pos):
    """One DER item at ``pos``: ``(tag, content start, content end)``; ValueError when cut short."""
    if pos + 2 > len(data):
        raise ValueError('short')
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError('length')
        length = int(binascii.hexlify(data[pos:pos + count]), 16)
        pos += count
    if pos + length > len(data):
        raise ValueError('short')
    return tag, pos, pos + length


def rsa_modulus_bits(der):
    """The modulus size in bits of an RSA public key in DER (SubjectPublicKeyInfo, as ``openssl rsa -pubout``
    writes it, or a bare RSAPublicKey, which RFC 6376 3.6.1 also allows), or None when it is neither."""
    try:
        tag, start, end = _der_item(der, 0)
        if tag != 0x30 or end != len(der):
            return None
        tag, inner, inner_end = _der_item(der, start)
        if tag == 0x30:
            # SubjectPublicKeyInfo: AlgorithmIdentifier, then a BIT STRING holding the RSAPublicKey.
            tag, bits, bits_end = _der_item(der, inner_end)
            if tag != 0x03 or bits_end != end or der[bits] != 0:
                return None
            tag, start, end = _der_item(der, bits + 1)
            if tag != 0x30:
                return None
            tag, inner, inner_end = _der_item(der, start)
        if tag != 0x02:
            return None
        modulus = der[inner:inner_end].lstrip(b'\x00')
        if not modulus:
            return None
        return (len(modulus) - 1) * 8 + modulus[0].bit_length()
    except (ValueError, IndexError):
        return None


def public_key_error(public_key, key_type=DEFAULT_KEY_TYPE):
    """Why ``public_key`` (base64, or PEM for RSA) cannot be the ``p=`` of a ``k=<key_type>`` record, or None."""
    if key_type not in KEY_TYPES:
        return 'the key type must be one of %s (RFC 6376 3.6.1, RFC 8463), got %r' % (', '.join(KEY_TYPES), key_type)
    text = normalize_public_key(public_key)
    if not isinstance(text, str):
        return 'must be a string: the base64 of the public key'
    if text == '':
        return ('is empty; an empty p= revokes the key (RFC 6376 3.6.1): give the public key, or remove the record '
                'with state absent')
    if not _BASE64_RE.fullmatch(text) or len(text) % 4:
        return 'is not base64 (RFC 6376 3.6.1 p=: letters, digits, "+", "/", "=" padding)'
    data = base64.b64decode(text)
    if key_type == 'ed25519':
        if len(data) != ED25519_KEY_BYTES:
            return ('decodes to %d bytes; an ed25519 key (RFC 8463 4.2) is the base64 of its %d raw bytes'
                    % (len(data), ED25519_KEY_BYTES))
        return None
    bits = rsa_modulus_bits(data)
    if bits is None:
        return ('is not an RSA public key in DER (SubjectPublicKeyInfo, as "openssl rsa -pubout -outform DER" '
                'writes it; RFC 6376 3.6.1)')
    if bits < MIN_RSA_BITS:
        return 'is a %d-bit RSA key; RFC 8301 3.2 wants at least %d bits (use 2048)' % (bits, MIN_RSA_BITS)
    return None


def render_dkim(public_key, key_type=DEFAULT_KEY_TYPE):
    """The key record's TXT value (``public_key`` checked with ``public_key_error`` first)."""
    return '%s; k=%s; p=%s' % (DKIM_VERSION, key_type, normalize_public_key(public_key))


def parse_tag_list(value):
    """An RFC 6376 3.2 tag-list as ``[(name, value)]``; raises ValueError naming the first problem.

    A tag name given twice makes the whole list invalid (RFC 6376 3.2).
    """
    parts = value.split(';')
    if parts and parts[-1].strip(_WSP) == '':
        parts.pop()  # a trailing ";" is allowed
    tags = []
    for part in parts:
        name, sep, tag_value = part.partition('=')
        name, tag_value = name.strip(_WSP), tag_value.strip(_WSP)
        if not sep or not _TAG_NAME_RE.fullmatch(name):
            raise ValueError('%r is not tag=value with a tag name of letters, digits and "_"' % part.strip(_WSP)[:40])
        if not _TAG_VALUE_RE.fullmatch(tag_value):
            raise ValueError('the value of %s= has characters a tag value cannot hold' % name)
        if any(name == seen for seen, dummy in tags):
            raise ValueError('the tag %s= is given twice' % name)
        tags.append((name, tag_value))
    return tags


def parse_dkim(value):
    """Parse a joined key record TXT value. Returns ``({'key_type', 'public_key', 'tags'} or None, findings)``.

    ``public_key`` is the base64 text without whitespace; '' means revoked (RFC 6376 3.6.1), an error.
    """
    try:
        tags = parse_tag_list(value)
    except ValueError as exc:
        return None, [Finding(ERROR, 'dkim-record', '%s (RFC 6376 3.2)' % exc)]
    names = [name for name, dummy in tags]
    found = dict(tags)
    if 'v' in found and (names[0] != 'v' or found['v'] != 'DKIM1'):
        return None, [Finding(ERROR, 'dkim-record', 'v= must be the first tag and exactly DKIM1 (RFC 6376 3.6.1)')]
    key_type = found.get('k', DEFAULT_KEY_TYPE)
    if 'p' not in found:
        return None, [Finding(ERROR, 'dkim-key', 'the record has no p= tag (RFC 6376 3.6.1: REQUIRED)')]
    public_key = ''.join(found['p'].split())
    if public_key == '':
        return None, [Finding(ERROR, 'dkim-key', 'p= is empty: the key is revoked (RFC 6376 3.6.1)')]
    problem = public_key_error(public_key, key_type)
    if problem is not None:
        return None, [Finding(ERROR, 'dkim-key', 'p= %s' % problem)]
    return {'key_type': key_type, 'public_key': public_key, 'tags': tags}, []
