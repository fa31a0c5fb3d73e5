# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Network probes for mta_sts_verify: DNS through a chosen resolver, the HTTPS policy fetch, STARTTLS.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Every probe is one network operation with one total deadline (``Deadline``): before each socket
call the socket timeout is set to the time that is left, so a server that drips a byte a second,
or accepts and never answers, cannot hold a probe longer than its timeout. Hosts are always
connected by IP address, with SNI and certificate checks for the host *name*, so a lab or a zone
that is not public yet is checked exactly like the internet.

That is why the HTTPS fetch is written here on ``ssl`` sockets instead of using ``requests``
(urllib3) or ``urllib``, and the STARTTLS probe instead of ``smtplib``: their timeouts bound each
socket operation, not the whole exchange, so a server that drip-feeds the policy body held a
requests-based checker for 132 s. The collection therefore needs no ``requests`` (requirements.txt).

The probes report what they saw (status, headers, certificate dates, ...); judging it against
RFC 8461 is the job of ``_verify``. No AnsibleModule here.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import os
import re
import socket
import ssl
import tempfile
import time

from ansible_collections.mailsec.mta_sts.plugins.module_utils._libraries import Library
from ansible_collections.mailsec.mta_sts.plugins.module_utils._policy import POLICY_PATH, policy_host

try:
    import dns.exception
    import dns.flags
    import dns.name
    import dns.rdatatype
    import dns.resolver
except ImportError:
    DNSPYTHON = Library.missing('dnspython')
else:
    DNSPYTHON = Library('dnspython')

HTTPS_PORT = 443
SMTP_PORT = 25
MAX_POLICY_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024
MAX_SMTP_LINE = 4096
MAX_SMTP_LINES = 100
MAX_CNAME_HOPS = 8
USER_AGENT = 'mailsec.mta_sts-verify'
_RECV_SIZE = 16384

_STATUS_LINE_RE = re.compile(r'^HTTP/([0-9])\.([0-9]) ([0-9]{3})(?: (.*))?$')
_SMTP_REPLY_RE = re.compile(r'^([2-5][0-9]{2})([ -])(.*)$')
# OpenSSL verify codes (X509_V_ERR_*) and how a sender sees them.
_UNTRUSTED_CODES = frozenset((2, 18, 19, 20, 21, 27, 28))
_EXPIRED_CODE = 10
_NOT_YET_VALID_CODE = 9
_HOSTNAME_MISMATCH_CODE = 62


class ProbeError(Exception):
    """A probe could not complete. ``kind`` says which stage failed (see ``KINDS``)."""

    KINDS = ('dns', 'timeout', 'connect', 'tls', 'certificate', 'http', 'smtp')

    def __init__(self, kind, msg):
        super(ProbeError, self).__init__(msg)
        self.kind = kind
        self.msg = msg


class Deadline(object):
    """One total deadline for one network operation, on the monotonic clock."""

    def __init__(self, seconds, clock=time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._end = clock() + seconds

    def remaining(self):
        return max(0.0, self._end - self._clock())

    def expired(self):
        return self.remaining() <= 0

    def arm(self, sock, stage):
        """Set ``sock``'s timeout to the time left; raise when none is left."""
        left = self.remaining()
        if left <= 0:
            raise self.timeout(stage)
        sock.settimeout(left)

    def timeout(self, stage):
        return ProbeError('timeout', 'no complete answer within the %g s deadline (stopped while %s)'
                          % (self.seconds, stage))


# ---------------------------------------------------------------------------------------------
# DNS

def make_resolver(nameservers=None, port=53, timeout=10.0):
    """A dnspython resolver asking ``nameservers`` (IPs) on ``port``, or the system's when None.

    ``timeout`` is the lifetime of one lookup, retries included. No cache: every run sees the
    live zone.
    """
    if nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = list(nameservers)
    else:
        resolver = dns.resolver.Resolver()
    resolver.port = int(port)
    resolver.timeout = float(timeout)
    resolver.lifetime = float(timeout)
    resolver.cache = None
    return resolver


def _servers(resolver):
    return ', '.join('%s:%s' % (server, resolver.port) for server in resolver.nameservers)


def _cname_target(response, qname):
    """The end of the CNAME chain starting at ``qname`` inside ``response``, or None."""
    target = None
    current = qname
    for dummy in range(MAX_CNAME_HOPS):
        rrset = None
        for candidate in response.answer:
            if candidate.name == current and candidate.rdtype == dns.rdatatype.CNAME:
                rrset = candidate
        if rrset is None:
            break
        current = target = list(rrset)[0].target
    return target


def resolve(resolver, name, rdtype):
    """The rdatas of ``rdtype`` at ``name``; [] for NXDOMAIN or no data.

    CNAMEs are followed, also when an authoritative server answers with a CNAME to a name it
    does not serve (the chain is asked for again by its target, at most ``MAX_CNAME_HOPS``).
    Any other failure (timeout, SERVFAIL, REFUSED, ...) raises ``ProbeError('dns', ...)``.
    """
    qname = dns.name.from_text(name)
    for dummy in range(MAX_CNAME_HOPS):
        try:
            answer = resolver.resolve(qname, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            return []
        except dns.resolver.LifetimeTimeout:
            raise ProbeError('dns', 'no answer for %s %s from %s within %g s'
                             % (rdtype, name, _servers(resolver), resolver.lifetime))
        except dns.resolver.NoNameservers as exc:
            raise ProbeError('dns', 'no usable answer for %s %s from %s: %s'
                             % (rdtype, name, _servers(resolver), exc))
        except dns.exception.DNSException as exc:
            raise ProbeError('dns', 'lookup of %s %s through %s failed: %s'
                             % (rdtype, name, _servers(resolver), exc))
        if answer.rrset is not None:
            return list(answer.rrset)
        target = _cname_target(answer.response, qname)
        if target is None:
            return []
        qname = target
    raise ProbeError('dns', 'more than %d CNAMEs in a row at %s' % (MAX_CNAME_HOPS, name))


def lookup_txt(resolver, name):
    """All TXT records at ``name``, each a list of its character strings (bytes)."""
    return [list(rdata.strings) for rdata in resolve(resolver, name, 'TXT')]


def lookup_mx(resolver, domain):
    """The MX RRset of ``domain`` as ``[(preference, host)]``, by preference then name.

    ``host`` has no trailing dot; a null MX (RFC 7505) shows as ``(0, '')``.
    """
    records = []
    for rdata in resolve(resolver, domain, 'MX'):
        host = rdata.exchange.to_text(omit_final_dot=True)
        records.append((int(rdata.preference), '' if host in ('', '.') else host))
    return sorted(records)


def lookup_addresses(resolver, host):
    """The IPv4 then IPv6 addresses of ``host`` through ``resolver``."""
    addresses = []
    for rdtype in ('A', 'AAAA'):
        addresses.extend(rdata.address for rdata in resolve(resolver, host, rdtype))
    return addresses


# ---------------------------------------------------------------------------------------------
# TLS

def tls_context(ca_path=None):
    """A client context: TLS 1.2 or newer, certificate chain and host name checked.

    ``ca_path``: a PEM bundle of trusted roots; None uses the system store.
    """
    context = ssl.create_default_context(cafile=ca_path) if ca_path else ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def insecure_tls_context():
    """A context that accepts any certificate: used only to *describe* one that failed checks."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _iso_time(seconds):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(seconds))


def _summary(not_after_seconds, names, now):
    if not_after_seconds is None:
        return {'not_after': None, 'days_left': None, 'names': names}
    return {'not_after': _iso_time(not_after_seconds),
            'days_left': int((not_after_seconds - (time.time() if now is None else now)) // 86400),
            'names': names}


def peer_certificate_summary(cert, now=None):
    """``{not_after, days_left, names}`` of a certificate dict as ``getpeercert()`` gives it.

    ``names``: the DNS and IP address entries of subjectAltName, or the subject's common name
    when there are none.
    """
    if not cert:
        return _summary(None, [], now)
    seconds = None
    if cert.get('notAfter'):
        try:
            seconds = ssl.cert_time_to_seconds(cert['notAfter'])
        except ValueError:
            seconds = None
    names = [value for kind, value in cert.get('subjectAltName', ()) if kind in ('DNS', 'IP Address')]
    if not names:
        for rdn in cert.get('subject', ()):
            names.extend(value for key, value in rdn if key == 'commonName')
    return _summary(seconds, names, now)


def der_certificate_summary(der, now=None):
    """``{not_after, days_left, names}`` (as ``peer_certificate_summary``) of a DER certificate.

    ``getpeercert()`` gives no details of a certificate it did not verify, and the certificates
    described here are the ones that failed verification. They are decoded with the
    ``cryptography`` library where it is installed (a supported API, imported by ``_certificates``);
    the module does not require it (dnspython is its only requirement), so without it CPython's own
    decoder is used (``_decode_with_cpython``). Anything that cannot be decoded gives no details.
    """
    if not der:
        return _summary(None, [], now)
    # Imported here, not at the top: only a refused certificate needs it, and loading cryptography
    # would cost every verify call some 80 ms.
    from ansible_collections.mailsec.mta_sts.plugins.module_utils import _certificates
    if not _certificates.CRYPTOGRAPHY.found:
        return peer_certificate_summary(_decode_with_cpython(der), now)
    x509 = _certificates.x509
    try:
        cert = x509.load_der_x509_certificate(der)
        not_after = _certificates.utc_time(cert, 'not_valid_after')
        try:
            alt_names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names = alt_names.get_values_for_type(x509.DNSName) + [
                str(address) for address in alt_names.get_values_for_type(x509.IPAddress)]
        except x509.ExtensionNotFound:
            names = []
        if not names:
            names = [attribute.value for attribute in cert.subject.get_attributes_for_oid(_certificates.NameOID.COMMON_NAME)]
    except ValueError:
        return _summary(None, [], now)
    return _summary(calendar.timegm(not_after.utctimetuple()), names, now)


def _decode_with_cpython(der):
    """A ``getpeercert()``-style dict for a DER certificate, or None, with CPython's decoder.

    ``ssl._ssl._test_decode_cert(path)`` is private, but it is the function ``getpeercert()``'s
    dict comes from, it reads a PEM file, and it exists unchanged from Python 3.2 through 3.14
    (tests/unit/plugins/module_utils/test_probe.py fails the day the running Python lacks it).
    Should it go, the fallback only loses the details of a refused certificate, never a verdict.
    """
    decoder = getattr(getattr(ssl, '_ssl', None), '_test_decode_cert', None)
    if decoder is None:
        return None
    handle, path = tempfile.mkstemp(suffix='.pem')
    try:
        with os.fdopen(handle, 'w') as stream:
            stream.write(ssl.DER_cert_to_PEM_cert(der))
        return decoder(path)
    except Exception:  # pylint: disable=broad-except
        return None
    finally:
        os.unlink(path)


def describe_verify_error(exc, host):
    """``(kind, sentence)`` for a failed certificate check of ``host``.

    ``kind`` is one of ``untrusted``, ``expired``, ``not_yet_valid``, ``name``, ``other``.
    """
    code = getattr(exc, 'verify_code', None)
    message = getattr(exc, 'verify_message', None) or str(exc)
    if code == _HOSTNAME_MISMATCH_CODE:
        return 'name', 'the certificate does not name %s' % host
    if code == _EXPIRED_CODE:
        return 'expired', 'the certificate has expired'
    if code == _NOT_YET_VALID_CODE:
        return 'not_yet_valid', 'the certificate is not valid yet'
    if code in _UNTRUSTED_CODES:
        return 'untrusted', 'the certificate does not chain to a trusted root (%s)' % message
    return 'other', 'the certificate was refused (%s)' % message


def _tls_failure(exc, host):
    """A ProbeError for an ssl exception raised during a handshake with ``host``."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        kind, sentence = describe_verify_error(exc, host)
        error = ProbeError('certificate', sentence)
        error.cert_problem = kind
        return error
    reason = getattr(exc, 'reason', None) or str(exc)
    if reason and ('PROTOCOL' in reason.upper() or 'VERSION' in reason.upper()):
        return ProbeError('tls', 'the TLS handshake failed (%s): the server offers no TLS 1.2 or newer' % reason)
    return ProbeError('tls', 'the TLS handshake failed (%s)' % reason)


def _connect(address, port, deadline, stage):
    """A TCP connection to ``address:port`` within the deadline."""
    left = deadline.remaining()
    if left <= 0:
        raise deadline.timeout(stage)
    try:
        sock = socket.create_connection((address, port), timeout=left)
    except socket.timeout:
        raise deadline.timeout(stage)
    except (OSError, socket.error) as exc:
        raise ProbeError('connect', 'cannot connect to %s port %d: %s'
                         % (address, port, getattr(exc, 'strerror', None) or exc))
    return sock


def _handshake(sock, context, host, deadline):
    """Wrap ``sock`` in TLS for ``host`` (SNI + name check) within the deadline."""
    tls = context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
    deadline.arm(tls, 'waiting for the TLS handshake')
    try:
        tls.do_handshake()
    except socket.timeout:
        tls.close()
        raise deadline.timeout('waiting for the TLS handshake')
    except (ssl.SSLError, ssl.CertificateError) as exc:
        tls.close()
        raise _tls_failure(exc, host)
    except (OSError, socket.error) as exc:
        tls.close()
        raise ProbeError('tls', 'the connection broke during the TLS handshake: %s' % exc)
    return tls


class _Stream(object):
    """Buffered reads from a socket, each recv bounded by what is left of the deadline."""

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.buffer = b''
        self.closed = False

    def _fill(self, stage):
        if self.closed:
            return False
        self.deadline.arm(self.sock, stage)
        try:
            data = self.sock.recv(_RECV_SIZE)
        except socket.timeout:
            raise self.deadline.timeout(stage)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            data = b''
        except (OSError, socket.error) as exc:
            raise ProbeError('connect', 'the connection broke while %s: %s' % (stage, exc))
        if not data:
            self.closed = True
            return False
        self.buffer += data
        return True

    def read_line(self, limit, stage):
        """One line without its CRLF/LF; ProbeError when longer than ``limit`` or at EOF."""
        while True:
            end = self.buffer.find(b'\n')
            if end >= 0:
                line, self.buffer = self.buffer[:end], self.buffer[end + 1:]
                return line[:-1] if line.endswith(b'\r') else line
            if len(self.buffer) > limit:
                raise ProbeError('http', 'a line longer than %d bytes arrived while %s' % (limit, stage))
            if not self._fill(stage):
                raise ProbeError('connect', 'the server closed the connection while %s' % stage)

    def read_exact(self, count, stage):
        while len(self.buffer) < count:
            if not self._fill(stage):
                raise ProbeError('http', 'the server closed the connection after %d of %d bytes while %s'
                                 % (len(self.buffer), count, stage))
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def read_to_close(self, limit, stage):
        """Everything up to EOF; ``(data, True)`` as soon as more than ``limit`` bytes arrived."""
        while len(self.buffer) <= limit:
            if not self._fill(stage):
                data, self.buffer = self.buffer, b''
                return data, False
        return self.buffer[:limit], True

    def send(self, data, stage):
        self.deadline.arm(self.sock, stage)
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise self.deadline.timeout(stage)
        except (OSError, socket.error) as exc:
            raise ProbeError('connect', 'the connection broke while %s: %s' % (stage, exc))


# ---------------------------------------------------------------------------------------------
# HTTPS policy fetch

def _read_head(stream):
    """The status line and headers: ``(status, reason, {lower-case name: [values]})``."""
    size = 0
    while True:
        line = stream.read_line(MAX_HEADER_BYTES, 'reading the response status line')
        size += len(line)
        text = line.decode('latin-1')
        match = _STATUS_LINE_RE.match(text)
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


def fetch_policy(domain, address, context, timeout, port=HTTPS_PORT, limit=MAX_POLICY_BYTES):
    """GET ``https://mta-sts.<domain>/.well-known/mta-sts.txt`` from ``address``, within ``timeout``.

    One deadline covers connect, TLS handshake, request, headers and body. Redirects are never
    followed; a body is read only for status 200, and never more than ``limit`` bytes.
    Returns ``{address, status, reason, content_type, location, body, too_large, length,
    tls_version, cert_not_after, cert_days_left}`` (``body`` is None when not read or too large).
    Raises ``ProbeError`` (kind timeout, connect, tls, certificate or http).
    """
    host = policy_host(domain)
    deadline = Deadline(timeout)
    sock = _connect(address, port, deadline, 'connecting to %s port %d' % (address, port))
    try:
        tls = _handshake(sock, context, host, deadline)
    except ProbeError:
        sock.close()
        raise
    try:
        facts = peer_certificate_summary(tls.getpeercert())
        stream = _Stream(tls, deadline)
        stream.send(_request(host), 'sending the request')
        status, reason, headers = _read_head(stream)
        result = {
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


# ---------------------------------------------------------------------------------------------
# SMTP STARTTLS

def _read_reply(stream, stage):
    """One SMTP reply: ``(code, [text lines])``."""
    lines = []
    while len(lines) < MAX_SMTP_LINES:
        line = stream.read_line(MAX_SMTP_LINE, stage).decode('utf-8', 'replace')
        match = _SMTP_REPLY_RE.match(line)
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
    sock = _connect(address, port, deadline, 'connecting to %s port %d' % (address, port))
    try:
        stream = _Stream(sock, deadline)
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
    return _handshake(sock, context, host, deadline), True


def probe_smtp(host, address, context, timeout, port=SMTP_PORT, ehlo_name=None, describe_failures=True):
    """Check one MX address as a sending MTA does: EHLO, STARTTLS, TLS 1.2+, certificate for ``host``.

    One deadline of ``timeout`` seconds covers the whole exchange. Never raises: returns
    ``{address, starttls, tls_version, cert_not_after, cert_days_left, cert_names, error_kind,
    cert_problem, error}``. ``starttls`` is None when the exchange failed before EHLO was answered.
    ``error_kind`` is None, or timeout, connect, smtp, tls or certificate; for certificate,
    ``cert_problem`` is untrusted, expired, not_yet_valid, name or other. When the certificate
    fails, a second handshake without checks (same deadline) fills in its dates and names.
    """
    ehlo_name = ehlo_name or socket.gethostname() or 'localhost'
    result = {'address': address, 'starttls': None, 'tls_version': None, 'cert_not_after': None,
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
        _quit(_Stream(tls, deadline))
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
