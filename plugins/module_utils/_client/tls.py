# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""TLS for the probes: client contexts, the handshake under a deadline, a bounded line reader, and the
description of a certificate that failed the checks.

Every socket call runs under the operation's ``Deadline`` (``_client.deadline`` says why), and the
certificate is checked for the host *name* while the socket goes to an IP address.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import os
import socket
import ssl
import tempfile
import time

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import ProbeError
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.time import format_epoch

RECV_SIZE = 16384

# OpenSSL verify codes (X509_V_ERR_*) and how a sender sees them.
_UNTRUSTED_CODES = frozenset((2, 18, 19, 20, 21, 27, 28))
_EXPIRED_CODE = 10
_NOT_YET_VALID_CODE = 9
_HOSTNAME_MISMATCH_CODE = 62


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


def _summary(not_after_seconds, names, now):
    if not_after_seconds is None:
        return {'not_after': None, 'days_left': None, 'names': names}
    return {'not_after': format_epoch(not_after_seconds),
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
    from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import certificates as _certificates
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


def tls_failure(exc, host):
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


def connect(address, port, deadline, stage):
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


def handshake(sock, context, host, deadline):
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
        raise tls_failure(exc, host)
    except (OSError, socket.error) as exc:
        tls.close()
        raise ProbeError('tls', 'the connection broke during the TLS handshake: %s' % exc)
    return tls


class Stream(object):
    """Buffered reads from a socket, each recv bounded by what is left of the deadline.

    ``protocol`` (``http`` or ``smtp``) is the error kind of a reply that breaks the protocol's
    limits: an overlong SMTP line is an SMTP problem, not an HTTP one.
    """

    def __init__(self, sock, deadline, protocol='http'):
        self.sock = sock
        self.deadline = deadline
        self.protocol = protocol
        self.buffer = b''
        self.closed = False

    def _fill(self, stage):
        if self.closed:
            return False
        self.deadline.arm(self.sock, stage)
        try:
            data = self.sock.recv(RECV_SIZE)
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
                raise ProbeError(self.protocol, 'a line longer than %d bytes arrived while %s' % (limit, stage))
            if not self._fill(stage):
                raise ProbeError('connect', 'the server closed the connection while %s' % stage)

    def read_exact(self, count, stage):
        while len(self.buffer) < count:
            if not self._fill(stage):
                raise ProbeError(self.protocol, 'the server closed the connection after %d of %d bytes while %s'
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
