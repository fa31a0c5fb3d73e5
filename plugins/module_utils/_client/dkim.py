# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""DKIM verification of one mail message (dkimpy), every signature on its own, keys looked up through
the collection's resolver (``_client/resolver``: the ``nameservers``/``dns_port``/``timeout`` options).

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

dkimpy's ``verify()`` checks only the first signature and answers True/False; a report can carry
several (the sender's and its provider's), and the reason a signature failed decides what the user
is told. So each DKIM-Signature is verified by index, and dkimpy's error log is caught to say why.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import logging

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.libraries import Library
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_dkim
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import resolver as _resolver
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import ProbeError

try:
    import dkim
    from dkim.util import parse_tag_value
except ImportError:
    DKIMPY = Library.missing('dkimpy')
else:
    DKIMPY = Library('dkimpy')

# A sender signing with a shorter key gets no credit (RFC 8301 section 3.2: at least 1024 bits).
MIN_KEY_BITS = 1024
# The most DKIM-Signature headers looked at in one message; each may cost a DNS lookup.
MAX_SIGNATURES = 5


class _Collect(logging.Handler):
    """Keeps dkimpy's error messages (the only place it says why a key was refused)."""

    def __init__(self):
        logging.Handler.__init__(self, logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def txt_lookup(resolver):
    """A dkimpy ``dnsfunc``: the TXT record at a name, its strings joined, through ``resolver``.

    dkimpy wants the bytes of one record or None; several TXT records at a key name are ambiguous
    (RFC 6376 section 3.6.2.2 lets the verifier fail), so the first one is used like dkimpy does.
    """
    def lookup(name, timeout=None):
        qname = name.decode('ascii', 'replace') if isinstance(name, bytes) else name
        records = _resolver.lookup_txt(resolver, qname)
        if not records:
            return None
        return b''.join(records[0])
    return lookup


def _tag(tags, name):
    value = tags.get(name)
    return value.decode('ascii', 'replace') if isinstance(value, bytes) else None


def signature_headers(message):
    """The raw DKIM-Signature header values of ``message`` (bytes), top first."""
    head = message.split(b'\r\n\r\n', 1)[0] if b'\r\n\r\n' in message else message.split(b'\n\n', 1)[0]
    values = []
    current = None
    for line in head.splitlines():
        if line[:1] in (b' ', b'\t') and current is not None:
            current.append(line)
            continue
        if current is not None:
            values.append(b'\r\n'.join(current))
            current = None
        name, colon, rest = line.partition(b':')
        if colon and name.strip().lower() == b'dkim-signature':
            current = [rest]
    if current is not None:
        values.append(b'\r\n'.join(current))
    return values


def verify_signatures(message, resolver):
    """``[{'domain', 'selector', 'result', 'detail'}]``: every DKIM-Signature of ``message`` checked.

    ``result`` is ``report_dkim.SIG_PASS``, ``SIG_BODY_CHANGED`` or ``SIG_FAIL``. A DNS failure
    (timeout, SERVFAIL) raises ProbeError: the answer is unknown, and the report must not be
    discarded for it as if it were forged.
    """
    results = []
    lookup = txt_lookup(resolver)
    for index, raw in enumerate(signature_headers(message)[:MAX_SIGNATURES]):
        try:
            tags = parse_tag_value(raw.replace(b'\r\n', b''))
        except Exception:  # pylint: disable=broad-except
            tags = {}
        entry = {'domain': (_tag(tags, b'd') or '').lower().rstrip('.'), 'selector': _tag(tags, b's') or '',
                 'result': report_dkim.SIG_FAIL, 'detail': ''}
        logger = logging.getLogger('mailsec.mta_sts.dkim')
        logger.propagate = False
        collect = _Collect()
        logger.addHandler(collect)
        try:
            verifier = dkim.DKIM(message, logger=logger, minkey=MIN_KEY_BITS, tlsrpt=True)
            passed = verifier.verify(idx=index, dnsfunc=lookup)
        except ProbeError:
            raise
        except dkim.ValidationError as exc:
            passed = False
            text = str(exc)
            if text.startswith('body hash mismatch'):
                entry['result'] = report_dkim.SIG_BODY_CHANGED
                entry['detail'] = 'body hash mismatch'
            else:
                entry['detail'] = text
        except dkim.DKIMException as exc:
            passed = False
            entry['detail'] = str(exc) or exc.__class__.__name__
        finally:
            logger.removeHandler(collect)
        if passed:
            entry['result'] = report_dkim.SIG_PASS
            entry['detail'] = 'verified'
        elif not entry['detail']:
            entry['detail'] = '; '.join(collect.messages) or 'signature does not match the signed headers'
        results.append(entry)
    return results
