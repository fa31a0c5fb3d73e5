# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The HTTPS policy fetch (RFC 8461 3.3) on raw ssl sockets with one total deadline.

Written here instead of using ``requests`` (urllib3) or ``urllib``: their timeouts bound each socket
operation, not the whole exchange, so a server that drip-feeds the policy body held a requests-based
checker for 132 s. The collection therefore needs no ``requests`` (requirements.txt). The fetch
reports what it saw (status, headers, body); judging it against RFC 8461 is the job of ``_verify``.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import ssl
from typing import Optional, TypedDict

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.policy import POLICY_PATH, policy_host
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import Deadline, ProbeError
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.tls import Stream, connect, handshake
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.tls import peer_certificate_summary

HTTPS_PORT = 443

MAX_POLICY_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024

USER_AGENT = 'mailsec.mta_sts-verify'


class PolicyResponse(TypedDict):
    """What one HTTPS fetch of the policy saw (``fetch_policy``); judged by ``_verify.evaluate``."""

    address: str
    status: int
    reason: str
    content_type: Optional[str]
    location: Optional[str]
    body: Optional[bytes]  # None when not read (status other than 200) or too large
    too_large: bool
    length: Optional[int]
    tls_version: Optional[str]
    cert_not_after: Optional[str]
    cert_days_left: Optional[int]


_STATUS_LINE_RE = re.compile(r'HTTP/([0-9])\.([0-9]) ([0-9]{3})(?: (.*))?')


def _read_head(stream):
    """The status line and headers: ``(status, reason, {lower-case name: [values]})``."""
    size = 0
    while True:
        line = stream.read_line(MAX_HEADER_BYTES, 'reading the response status line')
        size += len(line)
        text = line.decode('latin-1')
        match = _STATUS_LINE_RE.fullmatch(text)
        if not match:
            raise ProbeError('http', 'the answer is not an HTTP/1.x response (it starts with %r)' % text[:60])
        status = int(match.group(3))
        reason = (match.group(4) or '').strip()
        headers = {}
        while True:
            line = stream.read_line(MAX_HEADER_BYTES, 'reading the response headers')
            size += len(line) + 2
            if size > MAX_HEADER_BYTES:
                raise ProbeError('http', 'the response headers exceed %d bytes' % MAX_HEADER_BYTES)
            if not line:
                break
            if line[:1] in (b' ', b'\t'):
                continue  # obsolete line folding: ignored
            name, sep, value = line.decode('latin-1').partition(':')
            if sep:
                headers.setdefault(name.strip().lower(), []).append(value.strip())
        if 100 <= status < 200 and status != 101:
            continue  # an interim answer; the real one follows
        return status, reason, headers


def _read_chunked(stream, limit):
    """A chunked body: ``(data, too_large)``, stopping once more than ``limit`` bytes arrived."""
    data = b''
    while True:
        line = stream.read_line(1024, 'reading a chunk size')
        size_text = line.split(b';', 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ProbeError('http', 'invalid chunk size %r in a chunked body' % size_text[:20])
        if size == 0:
            while stream.read_line(MAX_HEADER_BYTES, 'reading the chunked trailer'):
                pass
            return data, False
        if len(data) + size > limit:
            return data, True
        data += stream.read_exact(size, 'reading the body')
        stream.read_line(16, 'reading the end of a chunk')


def _read_body(stream, headers, limit):
    """``(body, too_large, declared_length)`` following Transfer-Encoding / Content-Length."""
    encodings = [item.strip().lower() for value in headers.get('transfer-encoding', []) for item in value.split(',')]
    if encodings and encodings[-1] == 'chunked':
        data, too_large = _read_chunked(stream, limit)
        return data, too_large, None
    if encodings and encodings != ['identity']:
        raise ProbeError('http', 'the body uses Transfer-Encoding %s, which this check does not decode'
                         % ', '.join(encodings))
    lengths = set(headers.get('content-length', []))
    if len(lengths) > 1:
        raise ProbeError('http', 'the response has conflicting Content-Length headers (%s)' % ', '.join(sorted(lengths)))
    if lengths:
        text = lengths.pop()
        if not text.isdigit():
            raise ProbeError('http', 'invalid Content-Length %r' % text[:20])
        length = int(text)
        if length > limit:
            return None, True, length
        return stream.read_exact(length, 'reading the body'), False, length
    data, too_large = stream.read_to_close(limit, 'reading the body')
    return (None if too_large else data), too_large, None


def _request(host):
    return ('GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: text/plain\r\n'
            'Connection: close\r\n\r\n' % (POLICY_PATH, host, USER_AGENT)).encode('ascii')


def fetch_policy(domain: str, address: str, context: ssl.SSLContext, timeout: float, port: int = HTTPS_PORT,
                 limit: int = MAX_POLICY_BYTES) -> PolicyResponse:
    """GET ``https://mta-sts.<domain>/.well-known/mta-sts.txt`` from ``address``, within ``timeout``.

    One deadline covers connect, TLS handshake, request, headers and body. Redirects are never
    followed; a body is read only for status 200, and never more than ``limit`` bytes.
    Returns a ``PolicyResponse``.
    Raises ``ProbeError`` (kind timeout, connect, tls, certificate or http).
    """
    host = policy_host(domain)
    deadline = Deadline(timeout)
    sock = connect(address, port, deadline, 'connecting to %s port %d' % (address, port))
    try:
        tls = handshake(sock, context, host, deadline)
    except ProbeError:
        sock.close()
        raise
    try:
        facts = peer_certificate_summary(tls.getpeercert())
        stream = Stream(tls, deadline)
        stream.send(_request(host), 'sending the request')
        status, reason, headers = _read_head(stream)
        result: PolicyResponse = {
            'address': address, 'status': status, 'reason': reason,
            'content_type': (headers.get('content-type') or [None])[0],
            'location': (headers.get('location') or [None])[0],
            'body': None, 'too_large': False, 'length': None,
            'tls_version': tls.version(),
            'cert_not_after': facts['not_after'], 'cert_days_left': facts['days_left'],
        }
        if status == 200:
            result['body'], result['too_large'], result['length'] = _read_body(stream, headers, limit)
        return result
    finally:
        tls.close()
