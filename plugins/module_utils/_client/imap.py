# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""An IMAP client for the mailbox TLS reports arrive in (Python's imaplib): implicit TLS or STARTTLS,
certificate always checked for the server *name* while the socket goes to an address the collection's
resolver gave, one total deadline for the whole session, and bounded fetches (message sizes are read
with RFC822.SIZE first; a message over the limit is never downloaded).

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Nothing here changes the mailbox except ``move()``: the folder is opened with EXAMINE (read-only)
unless the caller will move, and messages are fetched with BODY.PEEK[] so that even then nothing is
marked read.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import imaplib
import ipaddress
import re
import socket
import ssl

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import Deadline
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import resolver as _resolver
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import ProbeError
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.tls import tls_context

SECURITY = ('tls', 'starttls')
DEFAULT_PORTS = {'tls': 993, 'starttls': 143}
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_MESSAGES = 500
DEFAULT_MAX_MESSAGE_BYTES = 10485760
# UIDs per FETCH of sizes: keeps one command line well under servers' limits (Dovecot: 64 KiB).
_SIZE_BATCH = 200
_SIZE_ITEM = re.compile(rb'UID (\d+).*RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+).*UID (\d+)')


class ImapError(Exception):
    """The mailbox could not be read. ``kind``: connect, tls, certificate, auth, folder, timeout,
    protocol. ``msg`` never holds the password."""

    def __init__(self, kind, msg):
        super(ImapError, self).__init__(msg)
        self.kind = kind
        self.msg = msg


def encode_folder(name):
    """``name`` as an IMAP mailbox name: modified UTF-7 (RFC 3501 section 5.1.3), quoted."""
    out = []
    pending = []

    def flush():
        if pending:
            data = ''.join(pending).encode('utf-16-be')
            out.append('&' + base64.b64encode(data).decode('ascii').rstrip('=').replace('/', ',') + '-')
            del pending[:]

    for char in name:
        if 0x20 <= ord(char) <= 0x7e:
            flush()
            out.append('&-' if char == '&' else char)
        else:
            pending.append(char)
    flush()
    text = ''.join(out)
    return '"%s"' % text.replace('\\', '\\\\').replace('"', '\\"')


def _server_text(data):
    """The server's words from an imaplib answer, clipped, for a message."""
    parts = []
    for item in data or ():
        if isinstance(item, tuple):
            item = item[0]
        if isinstance(item, bytes):
            item = item.decode('utf-8', 'replace')
        if item:
            parts.append(str(item))
    return ' '.join(parts)[:300]


class _IMAP(imaplib.IMAP4):
    """imaplib.IMAP4 that connects to a given address while it calls the server by its name (SNI,
    certificate check, STARTTLS), and wraps the socket in TLS at once for implicit TLS."""

    def __init__(self, name, address, port, context, implicit, deadline):
        self._address = address
        self._context = context
        self._implicit = implicit
        self._deadline = deadline
        imaplib.IMAP4.__init__(self, name, port, timeout=max(deadline.remaining(), 0.001))

    def _create_socket(self, timeout):
        sock = socket.create_connection((self._address, self.port), timeout=max(self._deadline.remaining(), 0.001))
        if self._implicit:
            try:
                sock = self._context.wrap_socket(sock, server_hostname=self.host)
            except BaseException:
                sock.close()
                raise
        return sock


class ImapSession(object):
    """One IMAP session under one deadline. Use as a context manager; ``ImapError`` for every failure."""

    def __init__(self, server, port=None, security='tls', ca_path=None, timeout=DEFAULT_TIMEOUT, resolver=None):
        self.server = server
        self.security = security
        self.port = port or DEFAULT_PORTS[security]
        self.ca_path = ca_path
        self.deadline = Deadline(timeout)
        self.resolver = resolver
        self.conn = None
        self.address = None
        self.capabilities = ()

    # -------------------------------------------------------------- plumbing
    def _arm(self, stage):
        if self.conn is not None and self.conn.sock is not None:
            left = self.deadline.remaining()
            if left <= 0:
                raise ImapError('timeout', 'IMAP %s:%d: no complete answer within the %g s timeout (stopped while %s)'
                                % (self.server, self.port, self.deadline.seconds, stage))
            self.conn.sock.settimeout(left)

    def _call(self, stage, func, *args):
        """Run one imaplib command under the deadline; an IMAP error or dropped connection raises ImapError."""
        self._arm(stage)
        try:
            return func(*args)
        except socket.timeout:
            raise ImapError('timeout', 'IMAP %s:%d: no complete answer within the %g s timeout (stopped while %s)'
                            % (self.server, self.port, self.deadline.seconds, stage))
        except imaplib.IMAP4.abort as exc:
            raise ImapError('protocol', 'IMAP %s:%d: the connection broke while %s: %s'
                            % (self.server, self.port, stage, exc))
        except (OSError, EOFError) as exc:
            raise ImapError('connect', 'IMAP %s:%d: the connection broke while %s: %s'
                            % (self.server, self.port, stage, exc))

    def _resolve(self):
        try:
            ipaddress.ip_address(self.server)
            return self.server
        except ValueError:
            pass
        if self.resolver is None:
            return self.server
        try:
            addresses = _resolver.lookup_addresses(self.resolver, self.server)
        except ProbeError as exc:
            raise ImapError('connect', 'server: cannot look up %s: %s' % (self.server, exc.msg))
        if not addresses:
            raise ImapError('connect', 'server: %s has no A or AAAA record' % self.server)
        return addresses[0]

    # -------------------------------------------------------------- the session
    def open(self, user, password):
        """Connect, secure the connection, check the certificate, and log in."""
        self.address = self._resolve()
        context = tls_context(self.ca_path)
        where = 'IMAP %s:%d (%s)' % (self.server, self.port, self.address)
        try:
            self.conn = _IMAP(self.server, self.address, self.port, context, self.security == 'tls', self.deadline)
            if self.security == 'starttls':
                self._arm('STARTTLS')
                self.conn.starttls(context)
        except ssl.SSLCertVerificationError as exc:
            raise ImapError('certificate', '%s: the server certificate is not valid for %s: %s; check ca_path '
                                           '(the CA that issued it) and server (the name in the certificate)'
                            % (where, self.server, exc.verify_message or exc))
        except ssl.SSLError as exc:
            raise ImapError('tls', '%s: TLS handshake failed: %s; is security (%s) right for port %d?'
                            % (where, exc, self.security, self.port))
        except socket.timeout:
            raise ImapError('timeout', '%s: no answer within the %g s timeout' % (where, self.deadline.seconds))
        except imaplib.IMAP4.error as exc:
            raise ImapError('tls', '%s: STARTTLS failed: %s' % (where, exc))
        except OSError as exc:
            raise ImapError('connect', '%s: cannot connect: %s' % (where, exc.strerror or exc))
        try:
            self._call('logging in', self.conn.login, user, password)
        except imaplib.IMAP4.error as exc:
            raise ImapError('auth', '%s: the server refused the login of user %s: %s; check user and password '
                                    '(or password_file)' % (where, user, _server_text([exc.args[0] if exc.args else ''])))
        # imaplib keeps the capabilities from before the login; servers add MOVE, UIDPLUS etc. after it.
        typ, data = self._call('asking for capabilities', self.conn.capability)
        if typ == 'OK' and data and data[0]:
            self.capabilities = tuple(cap.upper() for cap in data[0].decode('ascii', 'replace').split())
        else:
            self.capabilities = tuple(cap.upper() for cap in self.conn.capabilities)
        return self

    def close(self):
        if self.conn is None:
            return
        try:
            self._arm('logging out')
            self.conn.logout()
        except Exception:  # pylint: disable=broad-except
            # The session is over either way; closing must not hide the error that ended it.
            try:
                self.conn.shutdown()
            except Exception:  # pylint: disable=broad-except
                pass
        self.conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def folder_exists(self, folder):
        typ, data = self._call('listing folders', self.conn.list, '""', encode_folder(folder))
        return typ == 'OK' and any(item for item in data if item)

    def select(self, folder, read_only=True):
        """Open ``folder`` (EXAMINE when ``read_only``); ImapError('folder') when the server refuses."""
        typ, data = self._call('opening folder %s' % folder, self.conn.select, encode_folder(folder), read_only)
        if typ != 'OK':
            raise ImapError('folder', 'folder: the server has no folder %r for this user (it answered: %s); check the '
                                      'name (a subfolder is often INBOX.name or INBOX/name)' % (folder, _server_text(data)))

    def create(self, folder):
        typ, data = self._call('creating folder %s' % folder, self.conn.create, encode_folder(folder))
        if typ != 'OK' and not self.folder_exists(folder):
            raise ImapError('folder', 'cannot create folder %r: %s' % (folder, _server_text(data)))

    def uids(self):
        """Every message UID of the selected folder, oldest first."""
        typ, data = self._call('searching', self.conn.uid, 'SEARCH', 'ALL')
        if typ != 'OK':
            raise ImapError('protocol', 'UID SEARCH failed: %s' % _server_text(data))
        return sorted(int(item) for item in b' '.join(part for part in data if part).split())

    def sizes(self, uids):
        """``{uid: RFC822.SIZE}`` for ``uids``, asked in batches, without fetching any message."""
        found = {}
        for start in range(0, len(uids), _SIZE_BATCH):
            batch = uids[start:start + _SIZE_BATCH]
            typ, data = self._call('reading message sizes', self.conn.uid, 'FETCH',
                                   ','.join(str(uid) for uid in batch), '(UID RFC822.SIZE)')
            if typ != 'OK':
                raise ImapError('protocol', 'UID FETCH RFC822.SIZE failed: %s' % _server_text(data))
            for item in data:
                line = item[0] if isinstance(item, tuple) else item
                match = _SIZE_ITEM.search(line or b'')
                if match:
                    uid, size = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
                    found[int(uid)] = int(size)
        return found

    def fetch(self, uid, max_bytes):
        """The bytes of message ``uid`` (BODY.PEEK[]: not marked read); ImapError if it is over ``max_bytes``."""
        typ, data = self._call('fetching message %d' % uid, self.conn.uid, 'FETCH', str(uid), '(BODY.PEEK[])')
        if typ != 'OK':
            raise ImapError('protocol', 'UID FETCH %d failed: %s' % (uid, _server_text(data)))
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                if len(item[1]) > max_bytes:
                    raise ImapError('protocol', 'message %d grew past max_message_bytes while being fetched' % uid)
                return item[1]
        return None

    def move(self, uids, folder):
        """Move ``uids`` to ``folder`` in one command (MOVE, RFC 6851; else COPY, flag \\Deleted, expunge)."""
        if not uids:
            return
        uid_set = ','.join(str(uid) for uid in sorted(uids))
        target = encode_folder(folder)
        if 'MOVE' in self.capabilities:
            typ, data = self._call('moving messages to %s' % folder, self.conn.uid, 'MOVE', uid_set, target)
        else:
            typ, data = self._call('copying messages to %s' % folder, self.conn.uid, 'COPY', uid_set, target)
            if typ == 'OK':
                typ, data = self._call('flagging moved messages', self.conn.uid, 'STORE', uid_set, '+FLAGS.SILENT',
                                       '(\\Deleted)')
            if typ == 'OK':
                if 'UIDPLUS' in self.capabilities:
                    typ, data = self._call('expunging moved messages', self.conn.uid, 'EXPUNGE', uid_set)
                else:
                    typ, data = self._call('expunging moved messages', self.conn.expunge)
        if typ != 'OK':
            raise ImapError('protocol', 'moving messages %s to %r failed: %s' % (uid_set, folder, _server_text(data)))
