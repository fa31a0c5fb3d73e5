# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The SMTP STARTTLS probe of one MX address, on raw sockets with one total deadline (not ``smtplib``,
whose timeouts bound each read only). It reports the TLS version and the certificate as seen.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import socket
import ssl
from typing import List, Optional, TypedDict

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import Deadline, ProbeError
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.tls import (
    Stream, connect, handshake, insecure_tls_context,
)
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.tls import peer_certificate_summary, der_certificate_summary

SMTP_PORT = 25

MAX_SMTP_LINE = 4096
MAX_SMTP_LINES = 100


class SmtpProbe(TypedDict):
    """What the STARTTLS probe of one MX address saw (``probe_smtp``); judged by ``_verify.evaluate``."""

    address: str
    starttls: Optional[bool]  # None when the exchange failed before EHLO was answered
    tls_version: Optional[str]
    cert_not_after: Optional[str]
    cert_days_left: Optional[int]
    cert_names: List[str]
    error_kind: Optional[str]  # None, or timeout, connect, smtp, tls, certificate
    cert_problem: Optional[str]  # for certificate: untrusted, expired, not_yet_valid, name, other
    error: Optional[str]


_SMTP_REPLY_RE = re.compile(r'([2-5][0-9]{2})([ -])(.*)')


def _read_reply(stream, stage):
    """One SMTP reply: ``(code, [text lines])``."""
    lines = []
    while len(lines) < MAX_SMTP_LINES:
        line = stream.read_line(MAX_SMTP_LINE, stage).decode('utf-8', 'replace')
        match = _SMTP_REPLY_RE.fullmatch(line)
        if not match:
            raise ProbeError('smtp', 'not an SMTP reply while %s: %r' % (stage, line[:80]))
        lines.append(match.group(3))
        if match.group(2) == ' ':
            return int(match.group(1)), lines
    raise ProbeError('smtp', 'a reply of more than %d lines while %s' % (MAX_SMTP_LINES, stage))


def _smtp_session(stream, ehlo_name):
    """Greeting and EHLO; returns the upper-case EHLO keywords. Raises ProbeError."""
    code, lines = _read_reply(stream, 'waiting for the 220 greeting')
    if code != 220:
        raise ProbeError('smtp', 'the greeting is %d %s, not 220' % (code, ' '.join(lines)[:120]))
    stream.send(('EHLO %s\r\n' % ehlo_name).encode('ascii'), 'sending EHLO')
    code, lines = _read_reply(stream, 'waiting for the EHLO reply')
    if code != 250:
        raise ProbeError('smtp', 'EHLO was answered %d %s' % (code, ' '.join(lines)[:120]))
    return set(line.split(' ', 1)[0].upper() for line in lines[1:])


def _quit(stream):
    try:
        stream.send(b'QUIT\r\n', 'sending QUIT')
    except ProbeError:
        pass


def _starttls(address, host, port, context, deadline, ehlo_name):
    """Connect, EHLO, STARTTLS and handshake; returns ``(tls socket or None, offered)``."""
    sock = connect(address, port, deadline, 'connecting to %s port %d' % (address, port))
    try:
        stream = Stream(sock, deadline, 'smtp')
        keywords = _smtp_session(stream, ehlo_name)
        if 'STARTTLS' not in keywords:
            _quit(stream)
            sock.close()
            return None, False
        stream.send(b'STARTTLS\r\n', 'sending STARTTLS')
        code, lines = _read_reply(stream, 'waiting for the STARTTLS reply')
        if code != 220:
            raise ProbeError('smtp', 'STARTTLS was answered %d %s' % (code, ' '.join(lines)[:120]))
        if stream.buffer:
            raise ProbeError('smtp', 'the server sent data after its STARTTLS reply (possible injection)')
    except ProbeError:
        sock.close()
        raise
    return handshake(sock, context, host, deadline), True


def probe_smtp(host: str, address: str, context: ssl.SSLContext, timeout: float, port: int = SMTP_PORT,
               ehlo_name: Optional[str] = None, describe_failures: bool = True) -> SmtpProbe:
    """Check one MX address as a sending MTA does: EHLO, STARTTLS, TLS 1.2+, certificate for ``host``.

    One deadline of ``timeout`` seconds covers the whole exchange. Never raises: returns an
    ``SmtpProbe``. When the certificate
    fails, a second handshake without checks (same deadline) fills in its dates and names.
    """
    ehlo_name = ehlo_name or socket.gethostname() or 'localhost'
    result: SmtpProbe = {'address': address, 'starttls': None, 'tls_version': None, 'cert_not_after': None,
                         'cert_days_left': None, 'cert_names': [], 'error_kind': None, 'cert_problem': None,
                         'error': None}
    deadline = Deadline(timeout)
    try:
        tls, offered = _starttls(address, host, port, context, deadline, ehlo_name)
        result['starttls'] = offered
        if tls is None:
            return result
        facts = peer_certificate_summary(tls.getpeercert())
        result.update(tls_version=tls.version(), cert_not_after=facts['not_after'],
                      cert_days_left=facts['days_left'], cert_names=facts['names'])
        _quit(Stream(tls, deadline, 'smtp'))
        tls.close()
    except ProbeError as exc:
        result['error_kind'] = exc.kind
        result['error'] = exc.msg
        if exc.kind in ('certificate', 'tls'):
            result['starttls'] = True
        if exc.kind == 'certificate':
            result['cert_problem'] = getattr(exc, 'cert_problem', 'other')
            if describe_failures:
                result.update(_describe_certificate(host, address, port, deadline, ehlo_name))
    return result


def _describe_certificate(host, address, port, deadline, ehlo_name):
    """Dates, names and TLS version of a certificate that failed checks (best effort)."""
    try:
        tls, dummy = _starttls(address, host, port, insecure_tls_context(), deadline, ehlo_name)
    except ProbeError:
        return {}
    if tls is None:
        return {}
    try:
        facts = der_certificate_summary(tls.getpeercert(binary_form=True))
        return {'tls_version': tls.version(), 'cert_not_after': facts['not_after'],
                'cert_days_left': facts['days_left'], 'cert_names': facts['names']}
    finally:
        tls.close()
