# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Postfix TLS policy maps: netstrings, the socketmap protocol against a real socket, policy strings,
smtp_tls_policy_maps lists and the lookup keys."""

import socket
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import postfix_tables as pp
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.socketmap import socketmap_query

# -- netstrings


@given(st.binary(max_size=300), st.binary(max_size=20))
def test_netstring_round_trip(data, rest):
    assert pp.parse_netstring(pp.netstring(data) + rest) == (data, rest)


@given(st.binary(min_size=1, max_size=100), st.data())
def test_a_partial_netstring_asks_for_more(data, draw):
    whole = pp.netstring(data)
    cut = draw.draw(st.integers(min_value=0, max_value=len(whole) - 1))
    assert pp.parse_netstring(whole[:cut]) == (None, whole[:cut])


@pytest.mark.parametrize('buffer', [b'x:abc,', b'3:abcd', b'03:abc,', b'-1:,', b'3:abc;', b'abc', b'99999999'])
def test_not_a_netstring(buffer):
    with pytest.raises(ValueError):
        pp.parse_netstring(buffer)


def test_a_netstring_longer_than_the_limit_is_refused():
    with pytest.raises(ValueError, match='longer than 10'):
        pp.parse_netstring(b'11:', limit=10)


def test_request_and_replies():
    assert pp.socketmap_request('postfix', 'example.com') == b'19:postfix example.com,'
    assert pp.parse_socketmap_reply(b'OK secure match=mx.example.com') == ('OK', 'secure match=mx.example.com')
    assert pp.parse_socketmap_reply(b'NOTFOUND ') == ('NOTFOUND', '')
    assert pp.parse_socketmap_reply(b'TEMP cache down') == ('TEMP', 'cache down')
    with pytest.raises(ValueError, match='not a socketmap reply'):
        pp.parse_socketmap_reply(b'MAYBE so')
    with pytest.raises(ValueError):
        pp.socketmap_request('two words', 'example.com')


# -- socketmap specs


@pytest.mark.parametrize('spec, expected', [
    ('socketmap:inet:127.0.0.1:8461:postfix', ('inet', '127.0.0.1', 8461, None, 'postfix')),
    ('socketmap:inet:[::1]:8461:postfix', ('inet', '::1', 8461, None, 'postfix')),
    ('socketmap:inet:localhost:1:z', ('inet', 'localhost', 1, None, 'z')),
    ('socketmap:unix:/var/spool/postfix/run/mta-sts.sock:postfix',
     ('unix', None, None, '/var/spool/postfix/run/mta-sts.sock', 'postfix')),
])
def test_socketmap_specs(spec, expected):
    got = pp.parse_socketmap_spec(spec)
    assert (got['family'], got['host'], got['port'], got['path'], got['name']) == expected


@pytest.mark.parametrize('spec', ['hash:/etc/postfix/tls_policy', 'proxy:socketmap:inet:h:1:n', 'inline:{a=b}'])
def test_other_tables_are_not_socketmaps(spec):
    assert pp.parse_socketmap_spec(spec) is None


@pytest.mark.parametrize('spec', ['socketmap:inet:127.0.0.1:8461', 'socketmap:inet:127.0.0.1:0:postfix',
                                  'socketmap:inet:127.0.0.1:http:postfix', 'socketmap:tcp:h:1:postfix',
                                  'socketmap:inet::8461:postfix'])
def test_broken_socketmap_specs(spec):
    with pytest.raises(ValueError, match='socketmap'):
        pp.parse_socketmap_spec(spec)


def test_socketmap_entry():
    assert pp.socketmap_entry('127.0.0.1', 8461, 'postfix') == 'socketmap:inet:127.0.0.1:8461:postfix'
    assert pp.socketmap_entry('::1', '8461', 'postfix') == 'socketmap:inet:[::1]:8461:postfix'
    assert pp.parse_socketmap_spec(pp.socketmap_entry('::1', 8461, 'postfix'))['host'] == '::1'


# -- policy strings


def test_policies():
    assert pp.parse_policy('secure match=mx1.example.com:mx2.example.com servername=hostname') == {
        'level': 'secure', 'match': ['mx1.example.com', 'mx2.example.com'], 'attributes': {'servername': 'hostname'}}
    assert pp.parse_policy('dane-only') == {'level': 'dane-only', 'match': [], 'attributes': {}}
    assert pp.parse_policy('secure match=.example.com')['match'] == ['.example.com']
    with pytest.raises(ValueError):
        pp.parse_policy('  ')
    with pytest.raises(ValueError, match='name=value'):
        pp.parse_policy('secure mx.example.com')


# -- smtp_tls_policy_maps lists

SOCKETMAP = 'socketmap:inet:127.0.0.1:8461:postfix'


@pytest.mark.parametrize('value, entries', [
    ('', []),
    ('hash:/etc/postfix/tls_policy', ['hash:/etc/postfix/tls_policy']),
    ('hash:/a,hash:/b', ['hash:/a', 'hash:/b']),
    ('  hash:/a ,\n\thash:/b  ', ['hash:/a', 'hash:/b']),
    ('inline:{ a.example=dane-only, b.example=secure } hash:/c',
     ['inline:{ a.example=dane-only, b.example=secure }', 'hash:/c']),
    ('$smtp_tls_policy_maps_extra, ' + SOCKETMAP, ['$smtp_tls_policy_maps_extra', SOCKETMAP]),
])
def test_split_maps(value, entries):
    assert pp.split_maps(value) == entries


@pytest.mark.parametrize('entries, state, expected', [
    ([], 'present', [SOCKETMAP]),
    (['hash:/etc/postfix/tls_policy'], 'present', ['hash:/etc/postfix/tls_policy', SOCKETMAP]),
    (['hash:/a', SOCKETMAP], 'present', ['hash:/a', SOCKETMAP]),
    # already there in front of another map: left where the admin put it
    ([SOCKETMAP, 'hash:/a'], 'present', [SOCKETMAP, 'hash:/a']),
    # the same service on another address: replaced where it stands, not left behind as a dead map
    (['hash:/a', 'socketmap:inet:127.0.0.2:9000:postfix', 'hash:/b'], 'present', ['hash:/a', SOCKETMAP, 'hash:/b']),
    # a socketmap of another name is another service: kept
    (['socketmap:inet:127.0.0.1:9999:dane'], 'present', ['socketmap:inet:127.0.0.1:9999:dane', SOCKETMAP]),
    # twice (by hand): once is enough
    ([SOCKETMAP, 'hash:/a', SOCKETMAP], 'present', [SOCKETMAP, 'hash:/a']),
    (['hash:/a', SOCKETMAP], 'absent', ['hash:/a']),
    (['hash:/a'], 'absent', ['hash:/a']),
    ([SOCKETMAP], 'absent', []),
])
def test_place_entry(entries, state, expected):
    assert pp.place_entry(entries, SOCKETMAP, state) == expected


def test_place_entry_wants_a_socketmap():
    with pytest.raises(ValueError, match='not a socketmap'):
        pp.place_entry([], 'hash:/a')


@given(st.lists(st.sampled_from(['hash:/a', 'lmdb:/b', 'inline:{ x=y, z=w }', 'texthash:/c', SOCKETMAP,
                                 'socketmap:inet:127.0.0.9:1:postfix']), max_size=6))
def test_place_entry_is_idempotent_and_keeps_the_others_in_order(entries):
    once = pp.place_entry(entries, SOCKETMAP)
    assert pp.place_entry(once, SOCKETMAP) == once
    assert pp.split_maps(pp.join_maps(once)) == once
    assert once.count(SOCKETMAP) == 1
    others = [entry for entry in entries if not entry.startswith('socketmap:')]
    assert [entry for entry in once if not entry.startswith('socketmap:')] == others


def test_lookup_keys():
    assert pp.lookup_keys('Mail.Example.COM.') == ['mail.example.com', '.example.com', '.com']
    assert pp.lookup_keys('localhost') == ['localhost']
    assert pp.lookup_keys('[192.0.2.1]') == ['[192.0.2.1]']
    with pytest.raises(ValueError):
        pp.lookup_keys(' ')


# -- the socketmap client against a real socket


class Server(object):
    """A one-shot socketmap server on 127.0.0.1: answers each request with ``reply(request)`` (raw bytes)."""

    def __init__(self, reply):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        self.reply = reply
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b''
                while True:
                    try:
                        payload, dummy = pp.parse_netstring(data)
                    except ValueError:
                        break
                    if payload is not None:
                        break
                    chunk = conn.recv(1024)
                    if not chunk:
                        break
                    data += chunk
                self.requests.append(data)
                answer = self.reply(data)
                if answer is not None:
                    conn.sendall(answer)

    @property
    def spec(self):
        return 'socketmap:inet:127.0.0.1:%d:postfix' % self.port

    def close(self):
        self.sock.close()


@pytest.fixture
def server():
    servers = []

    def start(reply):
        servers.append(Server(reply))
        return servers[-1]

    yield start
    for item in servers:
        item.close()


def test_query_ok_and_notfound(server):
    srv = server(lambda request: pp.netstring(b'OK secure match=mx.example.com') if b'example.com' in request
                 else pp.netstring(b'NOTFOUND '))
    status, data, seconds = socketmap_query(srv.spec, 'example.com', 2)
    assert (status, data) == ('OK', 'secure match=mx.example.com') and 0 <= seconds < 2
    assert socketmap_query(srv.spec, 'other.test', 2)[:2] == ('NOTFOUND', '')
    assert srv.requests[0] == b'19:postfix example.com,'


def test_a_reply_in_pieces(server):
    srv = server(lambda request: pp.netstring(b'OK ' + b'x' * 9000))
    assert socketmap_query(srv.spec, 'example.com', 2)[1] == 'x' * 9000


def test_temp_is_a_reply_too(server):
    srv = server(lambda request: pp.netstring(b'TEMP cache unavailable'))
    assert socketmap_query(srv.spec, 'example.com', 2)[:2] == ('TEMP', 'cache unavailable')


@pytest.mark.parametrize('raw, message', [
    (b'garbage', 'not a socketmap reply'),
    (b'5:HELLO,', 'not a socketmap reply'),
    (b'', 'closed the connection'),
    (b'20:OK sec', 'closed the connection'),
])
def test_protocol_violations(server, raw, message):
    srv = server(lambda request: raw)
    with pytest.raises(pp.SocketmapError, match=message):
        socketmap_query(srv.spec, 'example.com', 2)


def test_nobody_listening():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(pp.SocketmapError, match='cannot connect: Connection refused'):
        socketmap_query('socketmap:inet:127.0.0.1:%d:postfix' % port, 'example.com', 2)


def test_one_deadline_for_a_silent_server():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(5)  # accepts (in the backlog) and never answers
    try:
        started = time.monotonic()
        with pytest.raises(pp.SocketmapError, match='no answer within 0.5 s'):
            socketmap_query('socketmap:inet:127.0.0.1:%d:postfix' % sock.getsockname()[1], 'example.com', 0.5)
        assert time.monotonic() - started < 1.5
    finally:
        sock.close()


def test_a_slow_reply_is_bounded_by_the_deadline(server):
    srv = server(lambda request: (time.sleep(1.5), b'4:OK x,')[1])
    started = time.monotonic()
    with pytest.raises(pp.SocketmapError, match='no answer within 0.5 s'):
        socketmap_query(srv.spec, 'example.com', 0.5)
    assert time.monotonic() - started < 1.2


@pytest.mark.parametrize('text, value', [
    ('smtp_tlsrpt_enable = yes\n', 'yes'),
    ('smtp_tlsrpt_enable=yes\nsmtp_tlsrpt_enable = no\n', 'no'),  # the last setting wins
    ('# smtp_tlsrpt_enable = yes\n', None),
    ('smtp_tlsrpt_enable =\n', None),
    ('smtp_tlsrpt_enable_x = yes\nx = smtp_tlsrpt_enable = yes\n', None),
    ('smtp_tlsrpt_socket_name = run/tlsrpt/\n  tlsrpt.sock\n# c\n  other\n', 'run/tlsrpt/ tlsrpt.sock other'),
])
def test_main_cf_value_reads_as_postfix_does(text, value):
    name = 'smtp_tlsrpt_socket_name' if 'socket' in text else 'smtp_tlsrpt_enable'
    assert pp.main_cf_value(text, name) == value
