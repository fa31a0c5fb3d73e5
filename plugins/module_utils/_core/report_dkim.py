# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Whether a mailed TLS report counts: which DKIM signer domains may vouch for it, and the verdict
from the signatures' results. Pure: the signatures are verified elsewhere (``_client/dkim``).

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

RFC 8460 section 3 requires mailed reports to be DKIM-signed, and lets the receiver reject the rest.
A valid signature alone proves only that *some* domain signed: anyone with a domain can sign a report
claiming to come from Google. So a signature counts only when its ``d=`` is related (the same domain,
a parent or a child, whole labels) to every domain the mail names for its sender: the
``TLS-Report-Submitter`` header (RFC 8460 section 5.3; else the From address), the From address, and
the report's ``contact-info`` when that names a domain. ``organization-name`` is free text
("Google Inc.") and cannot be compared with a domain.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.names import domain_error

# The verdicts, in the order a message is judged; every one but ACCEPTED discards the report.
ACCEPTED = 'accepted'
NOT_A_REPORT = 'not-a-report'
NO_SIGNATURE = 'no-signature'
BAD_SIGNATURE = 'bad-signature'
BODY_CHANGED = 'body-changed'
UNRELATED_SIGNER = 'unrelated-signer'
DISCARD_REASONS = (NOT_A_REPORT, NO_SIGNATURE, BAD_SIGNATURE, BODY_CHANGED, UNRELATED_SIGNER)

# What one signature's check found (``_client/dkim`` returns one of these per DKIM-Signature).
SIG_PASS = 'pass'
SIG_BODY_CHANGED = 'body-changed'
SIG_FAIL = 'fail'

_ADDRESS = re.compile(r'[^@<>\s,;"]+@([A-Za-z0-9.-]+)')
_URL_HOST = re.compile(r'^[a-z][a-z0-9+.-]*://(?:[^@/]*@)?([A-Za-z0-9.-]+)', re.IGNORECASE)


def normalize_domain(value):
    """``value`` lower case without a trailing dot, or None when it is not a domain of two labels or more."""
    if not isinstance(value, str):
        return None
    name = value.strip().rstrip('.').lower()
    if '.' not in name or domain_error(name) is not None:
        return None
    return name


def related(one, other):
    """True when two domains are the same, or one is a subdomain of the other (whole labels).

    Without a public suffix list this stands in for DMARC's relaxed alignment: mail.google.com and
    google.com are related, google.com and evilgoogle.com are not. Domains of one label never are.
    """
    one, other = normalize_domain(one), normalize_domain(other)
    if one is None or other is None:
        return False
    return one == other or one.endswith('.' + other) or other.endswith('.' + one)


def address_domain(value):
    """The domain of the first mail address in a header value or ``contact-info``, or of a URL, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.lower().startswith('mailto:'):
        text = text[len('mailto:'):]
    match = _ADDRESS.search(text)
    if match:
        return normalize_domain(match.group(1))
    match = _URL_HOST.match(text)
    if match:
        return normalize_domain(match.group(1))
    return normalize_domain(text)


def claimed_domains(from_header, submitter_header, contact_infos):
    """``{role: domain}`` of every domain the message names for its sender (roles ``from``,
    ``submitter``, ``contact-info``); the submitter falls back to the From domain."""
    claimed = {}
    sender = address_domain(from_header)
    if sender:
        claimed['from'] = sender
    submitter = normalize_domain(submitter_header) or sender
    if submitter:
        claimed['submitter'] = submitter
    for contact in contact_infos:
        domain = address_domain(contact)
        if domain:
            claimed['contact-info'] = domain
            break
    return claimed


def unrelated_roles(signer, claimed):
    """The roles in ``claimed`` whose domain is not related to the signing domain ``signer``."""
    return sorted(role for role, domain in claimed.items() if not related(signer, domain))


def decide(is_report, signatures, claimed):
    """``(verdict, detail)`` for one message.

    ``signatures`` is ``[{'domain': d=, 'selector': s=, 'result': SIG_*, 'detail': str}]``, one per
    DKIM-Signature header, as checked by ``_client/dkim``. The report is ACCEPTED when one signature
    passes and its domain is related to every claimed domain; otherwise the most telling reason wins:
    a valid but unrelated signer, then a changed body, then any other failure.
    """
    if not is_report:
        return NOT_A_REPORT, 'the message carries no TLS report'
    if not signatures:
        return NO_SIGNATURE, 'the message has no DKIM-Signature header (RFC 8460 section 3 requires one)'
    if not claimed:
        return UNRELATED_SIGNER, ('the message names no sender domain (no From, TLS-Report-Submitter or '
                                  'contact-info) a signer could be related to')
    unrelated = []
    for signature in signatures:
        if signature['result'] != SIG_PASS:
            continue
        roles = unrelated_roles(signature['domain'], claimed)
        if not roles:
            return ACCEPTED, 'DKIM signature of %s (selector %s) verified' % (signature['domain'], signature['selector'])
        unrelated.append('%s is not related to the %s' % (
            signature['domain'], ', '.join('%s domain %s' % (role, claimed[role]) for role in roles)))
    if unrelated:
        return UNRELATED_SIGNER, 'valid signature, but ' + '; '.join(unrelated)
    changed = [signature for signature in signatures if signature['result'] == SIG_BODY_CHANGED]
    if changed:
        return BODY_CHANGED, ('the body was changed after %s signed it (body hash mismatch)'
                              % ', '.join(signature['domain'] or '?' for signature in changed))
    return BAD_SIGNATURE, '; '.join('%s (selector %s): %s' % (signature['domain'] or '?', signature['selector'] or '?',
                                                              signature['detail']) for signature in signatures)
