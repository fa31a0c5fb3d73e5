# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile servers for the mta_sts_verify integration tests, as threads of the test process.

``HTTPSServer(address, cert, key, behaviour)`` answers every request on ``address:443`` the
way ``behaviour`` says (see ``BEHAVIOURS``); ``SilentDNS(address)`` takes DNS queries on UDP and
TCP and never answers. Addresses must be in 127.0.0.0/8. ``close()`` stops a server and drops
its open connections; nothing outlives the test process.
"""

import ipaddress
import socket
import ssl
import threading

LOOPBACK = ipaddress.ip_network('127.0.0.0/8')
ACCEPT_POLL = 0.2
HOLD_LIMIT = 120.0


def _check_loopback(address):
    if ipaddress.ip_address(address) not in LOOPBACK:
        raise ValueError('%s is outside 127.0.0.0/8' % address)
    return address


class _Listener(object):
    """A TCP listener that hands every connection to ``serve(conn)`` in its own daemon thread."""

    def __init__(self, address, port):
        self.address = _check_loopback(address)
        self.port = port
        self.stopping = threading.Event()
        self._conns = set()
        self._lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, port))
        self.sock.listen(64)
        self.sock.settimeout(ACCEPT_POLL)
        self._thread = threading.Thread(target=self._accept_loop, name='hostile-%s' % address, daemon=True)
        self._thread.start()

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                conn, dummy = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)
            with self._lock:
                self._conns.add(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        try:
            self.serve(conn)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def serve(self, conn):
        raise NotImplementedError

    def hold(self):
        """Keep a connection open doing nothing until the server closes (bounded)."""
        self.stopping.wait(HOLD_LIMIT)

    def close(self):
        self.stopping.set()
        self.sock.close()
        self._thread.join(timeout=2)
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()


def _response(status, reason, body=b'', content_type='text/plain', headers=(), length=True):
    head = ['HTTP/1.1 %d %s' % (status, reason), 'Connection: close']
    if content_type:
        head.append('Content-Type: %s' % content_type)
    if length:
        head.append('Content-Length: %d' % len(body))
    head.extend(headers)
    return ('\r\n'.join(head) + '\r\n\r\n').encode('latin-1')


def _chunked(body, size=7):
    out = b''
    for start in range(0, len(body), size):
        piece = body[start:start + size]
        out += b'%x\r\n%s\r\n' % (len(piece), piece)
    return out + b'0\r\n\r\n'


class HTTPSServer(_Listener):
    """An HTTPS server on ``address:port`` that answers as ``behaviour`` says.

    Behaviours: ``policy`` (200 text/plain, Content-Length), ``chunked`` (200 text/plain, chunked),
    ``redirect`` (301 to ``location``), ``status`` (``status``, default 404), ``html`` (200
    text/html), ``huge`` (200 text/plain, ``size`` bytes, no Content-Length, until close),
    ``drip`` (headers at once, then the body one byte every ``interval`` seconds), ``silent``
    (accepts TCP and never says a word, not even the TLS handshake).
    """

    BEHAVIOURS = ('policy', 'chunked', 'redirect', 'status', 'html', 'huge', 'drip', 'silent')

    def __init__(self, address, cert, key, behaviour='policy', body=b'', port=443, **params):
        if behaviour not in self.BEHAVIOURS:
            raise ValueError('unknown behaviour %r' % behaviour)
        self.behaviour = behaviour
        self.body = body
        self.params = params
        self.requests = 0
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        super(HTTPSServer, self).__init__(address, port)

    def serve(self, conn):
        self.requests += 1
        if self.behaviour == 'silent':
            self.hold()
            return
        conn.settimeout(10)
        tls = self.context.wrap_socket(conn, server_side=True)
        request = b''
        while b'\r\n\r\n' not in request and len(request) < 65536:
            data = tls.recv(4096)
            if not data:
                return
            request += data
        getattr(self, '_' + self.behaviour)(tls)
        try:
            tls.unwrap()
        except (OSError, ssl.SSLError, ValueError):
            pass

    def _policy(self, tls):
        tls.sendall(_response(200, 'OK', self.body, self.params.get('content_type', 'text/plain')) + self.body)

    def _chunked(self, tls):
        tls.sendall(_response(200, 'OK', content_type='text/plain', length=False,
                              headers=['Transfer-Encoding: chunked']) + _chunked(self.body))

    def _redirect(self, tls):
        tls.sendall(_response(301, 'Moved Permanently', b'moved', headers=['Location: %s' % self.params['location']])
                    + b'moved')

    def _status(self, tls):
        status = self.params.get('status', 404)
        body = b'not here'
        tls.sendall(_response(status, self.params.get('reason', 'Not Found'), body) + body)

    def _html(self, tls):
        body = b'<html><body><pre>' + self.body + b'</pre></body></html>'
        tls.sendall(_response(200, 'OK', body, 'text/html; charset=utf-8') + body)

    def _huge(self, tls):
        tls.sendall(_response(200, 'OK', content_type='text/plain', length=False))
        block = b'mx: filler.mailsec.test\r\n' * 1000
        sent = 0
        size = self.params.get('size', 1024 * 1024)
        while sent < size and not self.stopping.is_set():
            tls.sendall(block)
            sent += len(block)

    def _drip(self, tls):
        tls.sendall(_response(200, 'OK', self.body))
        for index in range(len(self.body)):
            if self.stopping.wait(self.params.get('interval', 1.0)):
                return
            tls.sendall(self.body[index:index + 1])


class SilentDNS(object):
    """A "DNS server" on ``address:port`` (UDP and TCP) that reads queries and never answers."""

    def __init__(self, address, port=53):
        self.address = _check_loopback(address)
        self.queries = 0
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((address, port))
        self.udp.settimeout(ACCEPT_POLL)
        self.tcp = _HoldingListener(address, port)
        self._thread = threading.Thread(target=self._loop, name='silent-dns', daemon=True)
        self._thread.start()

    def _loop(self):
        while not self.tcp.stopping.is_set():
            try:
                self.udp.recvfrom(4096)
                self.queries += 1
            except socket.timeout:
                continue
            except OSError:
                return

    def close(self):
        self.tcp.close()
        self._thread.join(timeout=2)
        self.udp.close()


class _HoldingListener(_Listener):
    def serve(self, conn):
        self.hold()
