# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The network probes on loopback sockets: deadlines, HTTP/1.1 parsing, SMTP, TLS and DNS failure mapping."""

import datetime
import socket
import ssl
import threading
import time

import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset
import pytest
import trustme

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import certificates as _certificates

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import resolver as _resolver
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import tls
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import https
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import smtp
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.libraries import Library
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import Deadline, ProbeError

DOMAIN = 'example.test'
POLICY_HOST = 'mta-sts.example.test'
POLICY = b'version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n'


# -- Deadline

class FakeClock(object):
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_deadline_counts_down_and_refuses_when_spent():
    clock = FakeClock()
    deadline = Deadline(3, clock=clock)
    assert deadline.remaining() == 3
    clock.now += 2.5
    assert deadline.remaining() == pytest.approx(0.5)
    left, right = socket.socketpair()
    try:
        deadline.arm(left, 'reading')
        assert left.gettimeout() == pytest.approx(0.5)
        clock.now += 1
        with pytest.raises(ProbeError) as info:
            deadline.arm(left, 'reading the body')
        assert info.value.kind == 'timeout'
        assert '3 s deadline' in info.value.msg and 'reading the body' in info.value.msg
    finally:
        left.close()
        right.close()


# -- Stream and HTTP parsing over a socket pair

@pytest.fixture
def pair():
    left, right = socket.socketpair()
    yield left, right
    left.close()
    right.close()


def stream_of(pair, data, close=True, seconds=2.0):
    left, right = pair
    right.sendall(data)
    if close:
        right.shutdown(socket.SHUT_WR)
    return tls.Stream(left, Deadline(seconds))


def test_read_line_accepts_crlf_and_lf(pair):
    stream = stream_of(pair, b'one\r\ntwo\nthree\r\n')
    assert [stream.read_line(100, 'x') for dummy in range(3)] == [b'one', b'two', b'three']
    with pytest.raises(ProbeError) as info:
        stream.read_line(100, 'reading more')
    assert info.value.kind == 'connect'


def test_read_line_refuses_an_endless_line(pair):
    stream = stream_of(pair, b'x' * 5000, close=False)
    with pytest.raises(ProbeError) as info:
        stream.read_line(1024, 'reading headers')
    assert info.value.kind == 'http' and '1024' in info.value.msg


def test_a_drip_cannot_outlast_the_deadline(pair):
    left, right = pair
    stop = threading.Event()

    def drip():
        while not stop.wait(0.05):
            try:
                right.sendall(b'a')
            except OSError:
                return

    thread = threading.Thread(target=drip)
    thread.start()
    started = time.monotonic()
    try:
        with pytest.raises(ProbeError) as info:
            tls.Stream(left, Deadline(0.5)).read_to_close(10 ** 6, 'reading the body')
    finally:
        stop.set()
        thread.join()
    assert info.value.kind == 'timeout'
    assert 0.45 < time.monotonic() - started < 1.0


def response(head, body=b''):
    return head.replace('\n', '\r\n').encode('latin-1') + body


@pytest.mark.parametrize('raw, status, body, too_large', [
    (response('HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 5\n\n', b'hello'), 200, b'hello', False),
    (response('HTTP/1.0 200 OK\n\n', b'until close'), 200, b'until close', False),
    (response('HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n',
              b'5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: y\r\n\r\n'), 200, b'hello world', False),
    (response('HTTP/1.1 100 Continue\n\nHTTP/1.1 200 OK\nContent-Length: 2\n\n', b'ok'), 200, b'ok', False),
    (response('HTTP/1.1 200 OK\n\n', b'x' * 70000), 200, None, True),
    (response('HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n', b'10000\r\n' + b'x' * 65536 + b'\r\n1\r\nx\r\n0\r\n\r\n'),
     200, b'x' * 65536, True),
])
def test_head_and_body(pair, raw, status, body, too_large):
    stream = stream_of(pair, raw)
    got_status, dummy, headers = https._read_head(stream)
    assert got_status == status
    got_body, got_too_large, dummy = https._read_body(stream, headers, https.MAX_POLICY_BYTES)
    assert got_too_large is too_large
    if not too_large:
        assert got_body == body


def test_a_declared_large_body_is_not_read_at_all(pair):
    # Nothing but the head is sent and the connection stays open: reading would time out.
    stream = stream_of(pair, response('HTTP/1.1 200 OK\nContent-Length: 1048576\n\n'), close=False, seconds=0.3)
    dummy, dummy, headers = https._read_head(stream)
    assert https._read_body(stream, headers, https.MAX_POLICY_BYTES) == (None, True, 1048576)


@pytest.mark.parametrize('raw, words', [
    (b'SSH-2.0-OpenSSH_9.2\r\n', 'not an HTTP/1.x response'),
    (response('HTTP/1.1 200 OK\n' + 'X-Pad: %s\n' % ('p' * 1000) * 20 + '\n'), 'exceed'),
    (response('HTTP/1.1 200 OK\nContent-Length: 3\nContent-Length: 4\n\n', b'abcd'), 'conflicting Content-Length'),
    (response('HTTP/1.1 200 OK\nContent-Length: -1\n\n'), 'invalid Content-Length'),
    (response('HTTP/1.1 200 OK\nTransfer-Encoding: gzip\n\n', b'x'), 'does not decode'),
    (response('HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n', b'zz\r\n'), 'invalid chunk size'),
    (response('HTTP/1.1 200 OK\nContent-Length: 10\n\n', b'short'), 'after 5 of 10 bytes'),
])
def test_broken_responses_are_errors(pair, raw, words):
    stream = stream_of(pair, raw)
    with pytest.raises(ProbeError) as info:
        dummy, dummy, headers = https._read_head(stream)
        https._read_body(stream, headers, https.MAX_POLICY_BYTES)
    assert words in info.value.msg


def test_request_is_http11_with_connection_close():
    request = https._request(POLICY_HOST).decode('ascii')
    assert request.startswith('GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.test\r\n')
    assert 'Connection: close\r\n' in request and request.endswith('\r\n\r\n')


# -- SMTP replies

def test_multiline_reply_and_ehlo_keywords(pair):
    stream = stream_of(pair, b'220 mx ESMTP\r\n250-mx hello\r\n250-PIPELINING\r\n250-starttls\r\n250 SIZE 100\r\n')
    left, right = pair
    assert smtp._smtp_session(stream, 'probe.test') == {'PIPELINING', 'STARTTLS', 'SIZE'}
    assert right.recv(100) == b'EHLO probe.test\r\n'


@pytest.mark.parametrize('raw, words', [
    (b'554 go away\r\n', 'greeting is 554'),
    (b'220 hi\r\n550 no\r\n', 'EHLO was answered 550'),
    (b'hello there\r\n', 'not an SMTP reply'),
    (b'220-x\r\n' * 101, 'more than 100 lines'),
])
def test_smtp_dialogue_failures(pair, raw, words):
    with pytest.raises(ProbeError) as info:
        smtp._smtp_session(stream_of(pair, raw), 'probe.test')
    assert info.value.kind == 'smtp' and words in info.value.msg


# -- certificates

@pytest.fixture(scope='module')
def ca():
    return trustme.CA()


def test_peer_certificate_summary_from_a_peer_cert_dict():
    cert = {'notAfter': 'Jan  2 00:00:00 2030 GMT', 'subject': ((('commonName', 'cn.test'),),),
            'subjectAltName': (('DNS', 'a.test'), ('DNS', '*.b.test'))}
    now = ssl.cert_time_to_seconds('Dec 31 00:00:00 2029 GMT')
    assert tls.peer_certificate_summary(cert, now=now) == {
        'not_after': '2030-01-02T00:00:00Z', 'days_left': 2, 'names': ['a.test', '*.b.test']}
    assert tls.peer_certificate_summary({'subject': ((('commonName', 'cn.test'),),)})['names'] == ['cn.test']
    assert tls.peer_certificate_summary({}) == {'not_after': None, 'days_left': None, 'names': []}


def _der(ca, *names, **kwargs):
    leaf = ca.issue_cert(*names, **kwargs)
    return ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode('ascii'))


def test_der_certificate_summary(ca):
    der = _der(ca, 'mx.example.test', '127.0.0.5',
               not_after=datetime.datetime(2031, 5, 6, tzinfo=datetime.timezone.utc))
    now = ssl.cert_time_to_seconds('May  1 00:00:00 2031 GMT')
    assert tls.der_certificate_summary(der, now=now) == {
        'not_after': '2031-05-06T00:00:00Z', 'days_left': 5, 'names': ['mx.example.test', '127.0.0.5']}
    empty = {'not_after': None, 'days_left': None, 'names': []}
    assert tls.der_certificate_summary(b'not a certificate') == empty
    assert tls.der_certificate_summary(b'') == empty


def _hide_cryptography(monkeypatch):
    """As on a host without cryptography: _certificates recorded a failed import."""
    monkeypatch.setattr(_certificates, 'CRYPTOGRAPHY', Library('cryptography', 'ImportError: hidden by the test'))


def test_the_cpython_fallback_decodes_like_cryptography(ca, monkeypatch):
    """Without cryptography the fallback must give the same summary (and must still exist)."""
    der = _der(ca, 'mx.example.test', '*.mx.example.test', '127.0.0.5')
    now = 1900000000
    with_cryptography = tls.der_certificate_summary(der, now=now)
    _hide_cryptography(monkeypatch)
    assert tls.der_certificate_summary(der, now=now) == with_cryptography
    assert tls.der_certificate_summary(b'not a certificate', now=now)['names'] == []


def _der_without_alt_names(common_name):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(datetime.datetime(2030, 1, 1))
            .not_valid_after(datetime.datetime(2030, 1, 3)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def test_a_certificate_without_alt_names_is_named_by_its_common_name(monkeypatch):
    der = _der_without_alt_names('cn.example.test')
    now = ssl.cert_time_to_seconds('Jan  1 00:00:00 2030 GMT')
    expected = {'not_after': '2030-01-03T00:00:00Z', 'days_left': 2, 'names': ['cn.example.test']}
    assert tls.der_certificate_summary(der, now=now) == expected
    _hide_cryptography(monkeypatch)
    assert tls.der_certificate_summary(der, now=now) == expected


def test_the_private_cpython_decoder_still_exists():
    """The day CPython drops ssl._ssl._test_decode_cert, tls._decode_with_cpython must change."""
    assert callable(ssl._ssl._test_decode_cert)  # pylint: disable=protected-access


class FakeVerifyError(Exception):
    def __init__(self, code, message):
        super(FakeVerifyError, self).__init__(message)
        self.verify_code = code
        self.verify_message = message


@pytest.mark.parametrize('code, kind', [(62, 'name'), (10, 'expired'), (9, 'not_yet_valid'), (20, 'untrusted'),
                                        (19, 'untrusted'), (18, 'untrusted'), (23, 'other')])
def test_describe_verify_error(code, kind):
    got_kind, sentence = tls.describe_verify_error(FakeVerifyError(code, 'openssl says'), 'mx.test')
    assert got_kind == kind
    assert ('openssl says' in sentence) is (kind in ('untrusted', 'other'))
    assert ('mx.test' in sentence) is (kind == 'name')


def test_tls_context_wants_tls12_and_checks_names():
    context = tls.tls_context()
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED


# -- real TLS on 127.0.0.1: fetch_policy and probe_smtp

class Server(object):
    """A loopback listener calling ``handler(conn)`` per connection in a thread."""

    def __init__(self, handler):
        self.handler = handler
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.threads = []
        accept = threading.Thread(target=self._loop, daemon=True)
        accept.start()

    def _loop(self):
        while True:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._run, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _run(self, conn):
        try:
            self.handler(conn, self.stop)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.sock.close()
        for thread in self.threads:
            thread.join(timeout=2)


def server_context(ca, *names, **kwargs):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names, **kwargs).configure_cert(context)
    return context


def client_context(ca):
    context = tls.tls_context()
    ca.configure_trust(context)
    return context


def https_handler(context, raw, drip=None):
    def handler(conn, stop):
        tls = context.wrap_socket(conn, server_side=True)
        request = b''
        while b'\r\n\r\n' not in request:
            request += tls.recv(1024)
        tls.sendall(raw)
        for byte in drip or b'':
            if stop.wait(0.1):
                return
            tls.sendall(bytes([byte]))
    return handler


@pytest.fixture
def serve():
    servers = []

    def start(handler):
        servers.append(Server(handler))
        return servers[-1].port
    yield start
    for server in servers:
        server.close()


def test_fetch_policy(ca, serve):
    raw = response('HTTP/1.1 200 OK\nContent-Type: text/plain; charset=utf-8\nContent-Length: %d\n\n' % len(POLICY),
                   POLICY)
    port = serve(https_handler(server_context(ca, POLICY_HOST), raw))
    got = https.fetch_policy(DOMAIN, '127.0.0.1', client_context(ca), 2, port=port)
    assert got['status'] == 200 and got['body'] == POLICY and not got['too_large']
    assert got['content_type'] == 'text/plain; charset=utf-8'
    assert got['tls_version'] in ('TLSv1.2', 'TLSv1.3') and got['cert_days_left'] > 14


def test_fetch_policy_never_follows_a_redirect(ca, serve):
    raw = response('HTTP/1.1 301 Moved\nLocation: https://elsewhere.test/p\nContent-Length: 4\n\n', b'gone')
    port = serve(https_handler(server_context(ca, POLICY_HOST), raw))
    got = https.fetch_policy(DOMAIN, '127.0.0.1', client_context(ca), 2, port=port)
    assert (got['status'], got['location'], got['body']) == (301, 'https://elsewhere.test/p', None)


@pytest.mark.parametrize('names, trusted, problem', [
    (('other.example.test',), True, 'name'),
    ((POLICY_HOST,), False, 'untrusted'),
])
def test_fetch_policy_checks_the_certificate(ca, serve, names, trusted, problem):
    issuer = ca if trusted else trustme.CA()
    port = serve(https_handler(server_context(issuer, *names), b''))
    with pytest.raises(ProbeError) as info:
        https.fetch_policy(DOMAIN, '127.0.0.1', client_context(ca), 2, port=port)
    assert info.value.kind == 'certificate' and info.value.cert_problem == problem


def test_fetch_policy_one_deadline_against_a_drip(ca, serve):
    raw = response('HTTP/1.1 200 OK\nContent-Length: %d\n\n' % len(POLICY))
    port = serve(https_handler(server_context(ca, POLICY_HOST), raw, drip=POLICY))
    started = time.monotonic()
    with pytest.raises(ProbeError) as info:
        https.fetch_policy(DOMAIN, '127.0.0.1', client_context(ca), 0.8, port=port)
    assert info.value.kind == 'timeout'
    assert time.monotonic() - started < 1.3


def test_fetch_policy_one_deadline_against_silence(serve):
    port = serve(lambda conn, stop: stop.wait(5))
    started = time.monotonic()
    with pytest.raises(ProbeError) as info:
        https.fetch_policy(DOMAIN, '127.0.0.1', tls.tls_context(), 0.5, port=port)
    assert info.value.kind == 'timeout' and 'TLS handshake' in info.value.msg
    assert time.monotonic() - started < 1.0


def test_fetch_policy_connection_refused():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ProbeError) as info:
        https.fetch_policy(DOMAIN, '127.0.0.1', tls.tls_context(), 1, port=port)
    assert info.value.kind == 'connect'


def smtp_handler(context=None, greeting=b'220 mx.example.test ESMTP\r\n'):
    def handler(conn, stop):
        conn.settimeout(5)
        conn.sendall(greeting)
        stream = conn.makefile('rb')
        while True:
            line = stream.readline()
            if not line or line.upper().startswith(b'QUIT'):
                return
            if line.upper().startswith(b'EHLO'):
                conn.sendall(b'250-mx.example.test\r\n' + (b'250-STARTTLS\r\n' if context else b'') + b'250 8BITMIME\r\n')
            elif line.upper().startswith(b'STARTTLS'):
                conn.sendall(b'220 go ahead\r\n')
                tls = context.wrap_socket(conn, server_side=True)
                tls.recv(100)
                return
    return handler


def test_probe_smtp_good(ca, serve):
    port = serve(smtp_handler(server_context(ca, 'mx.example.test')))
    got = smtp.probe_smtp('mx.example.test', '127.0.0.1', client_context(ca), 2, port=port, ehlo_name='p.test')
    assert got['error'] is None and got['starttls'] is True
    assert got['tls_version'] in ('TLSv1.2', 'TLSv1.3') and got['cert_names'] == ['mx.example.test']


def test_probe_smtp_without_starttls(serve):
    port = serve(smtp_handler())
    got = smtp.probe_smtp('mx.example.test', '127.0.0.1', tls.tls_context(), 2, port=port)
    assert got['starttls'] is False and got['error'] is None and got['tls_version'] is None


def test_probe_smtp_wrong_name_is_described(ca, serve):
    port = serve(smtp_handler(server_context(ca, 'other.example.test')))
    got = smtp.probe_smtp('mx.example.test', '127.0.0.1', client_context(ca), 2, port=port)
    assert got['starttls'] is True and got['error_kind'] == 'certificate' and got['cert_problem'] == 'name'
    assert got['cert_names'] == ['other.example.test'] and got['cert_not_after']


def test_probe_smtp_expired(ca, serve):
    now = datetime.datetime.now(datetime.timezone.utc)
    context = server_context(ca, 'mx.example.test', not_before=now - datetime.timedelta(days=9),
                             not_after=now - datetime.timedelta(days=2))
    port = serve(smtp_handler(context))
    got = smtp.probe_smtp('mx.example.test', '127.0.0.1', client_context(ca), 2, port=port)
    assert got['cert_problem'] == 'expired' and got['cert_days_left'] < 0


def test_probe_smtp_slow_greeting_hits_the_deadline(serve):
    port = serve(lambda conn, stop: stop.wait(5))
    started = time.monotonic()
    got = smtp.probe_smtp('mx.example.test', '127.0.0.1', tls.tls_context(), 0.4, port=port)
    assert got['error_kind'] == 'timeout' and '220 greeting' in got['error'] and got['starttls'] is None
    assert time.monotonic() - started < 0.9


# -- DNS through a resolver

class FakeAnswer(object):
    def __init__(self, rrset=None, response=None):
        self.rrset = rrset
        self.response = response


class FakeResolver(object):
    nameservers = ['192.0.2.53']
    port = 53
    lifetime = 3.0

    def __init__(self, answers):
        self.answers = answers
        self.asked = []

    def resolve(self, qname, rdtype, raise_on_no_answer=True, search=None, lifetime=None):
        self.asked.append((qname.to_text(), rdtype))
        answer = self.answers[qname.to_text()]
        if isinstance(answer, Exception):
            raise answer
        return answer


def rrset(name, rdtype, *texts):
    return dns.rrset.from_text(name, 60, 'IN', rdtype, *texts)


@pytest.mark.parametrize('error, expected', [
    (dns.resolver.NXDOMAIN(), []),
    (dns.resolver.LifetimeTimeout(timeout=3.0, errors=[]), 'no answer for TXT x.test. from 192.0.2.53:53 within 3 s'),
    (dns.resolver.NoNameservers(), 'no usable answer'),
])
def test_resolve_failures(error, expected):
    resolver = FakeResolver({'x.test.': error})
    if expected == []:
        assert _resolver.resolve(resolver, 'x.test.', 'TXT') == []
    else:
        with pytest.raises(ProbeError) as info:
            _resolver.resolve(resolver, 'x.test.', 'TXT')
        assert info.value.kind == 'dns' and expected in info.value.msg


def test_resolve_follows_a_cname_out_of_zone():
    query = dns.message.make_query('_mta-sts.a.test.', 'TXT')
    first = dns.message.make_response(query)
    first.answer.append(rrset('_mta-sts.a.test.', 'CNAME', '_mta-sts.b.test.'))
    resolver = FakeResolver({
        '_mta-sts.a.test.': FakeAnswer(None, first),
        '_mta-sts.b.test.': FakeAnswer(rrset('_mta-sts.b.test.', 'TXT', '"v=STSv1; " "id=1;"')),
    })
    assert _resolver.lookup_txt(resolver, '_mta-sts.a.test.') == [[b'v=STSv1; ', b'id=1;']]
    assert [name for name, dummy in resolver.asked] == ['_mta-sts.a.test.', '_mta-sts.b.test.']


def test_resolve_no_data_is_empty():
    query = dns.message.make_query('a.test.', 'MX')
    resolver = FakeResolver({'a.test.': FakeAnswer(None, dns.message.make_response(query))})
    assert _resolver.lookup_mx(resolver, 'a.test.') == []


def test_lookup_mx_sorted_and_null_mx():
    resolver = FakeResolver({'a.test.': FakeAnswer(rrset('a.test.', 'MX', '20 mx2.a.test.', '10 mx1.a.test.', '0 .'))})
    assert _resolver.lookup_mx(resolver, 'a.test.') == [(0, ''), (10, 'mx1.a.test'), (20, 'mx2.a.test')]


def test_make_resolver_asks_the_given_servers_only():
    resolver = _resolver.make_resolver(['127.0.53.1'], 5353, 2.5)
    assert resolver.nameservers == ['127.0.53.1'] and resolver.port == 5353
    assert resolver.lifetime == 2.5 and resolver.cache is None
