# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One question to a Postfix socketmap server (TCP or UNIX socket), with one total deadline.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import time

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.postfix_tables import (
    SocketmapError, parse_netstring, parse_socketmap_reply, parse_socketmap_spec, socketmap_request)


def socketmap_query(spec, key, timeout):
    """Ask the socketmap of ``spec`` (parsed or text) for ``key``; ``(status, data, seconds)``.

    One total deadline of ``timeout`` seconds for connect, send and reply. Raises SocketmapError
    when the server cannot be reached, does not answer in time or answers outside the protocol.
    """
    target = parse_socketmap_spec(spec) if not isinstance(spec, dict) else spec
    started = time.monotonic()
    deadline = started + timeout

    def left():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SocketmapError('no answer within %g s' % timeout)
        return remaining

    request = socketmap_request(target['name'], key)
    try:
        if target['family'] == 'unix':
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(left())
            sock.connect(target['path'])
        else:
            sock = socket.create_connection((target['host'], target['port']), timeout=left())
    except socket.timeout:
        raise SocketmapError('no connection within %g s' % timeout)
    except (OSError, socket.error) as exc:
        raise SocketmapError('cannot connect: %s' % (exc.strerror or exc))
    try:
        sock.settimeout(left())
        sock.sendall(request)
        buffer = b''
        while True:
            sock.settimeout(left())
            chunk = sock.recv(4096)
            if not chunk:
                raise SocketmapError('the server closed the connection without a whole reply (got %r)' % buffer[:80])
            buffer += chunk
            try:
                payload, dummy = parse_netstring(buffer)
            except ValueError as exc:
                raise SocketmapError('not a socketmap reply: %s' % exc)
            if payload is not None:
                break
        try:
            status, data = parse_socketmap_reply(payload)
        except ValueError as exc:
            raise SocketmapError(str(exc))
        return status, data, time.monotonic() - started
    except socket.timeout:
        raise SocketmapError('no answer within %g s' % timeout)
    except (OSError, socket.error) as exc:
        raise SocketmapError('connection failed: %s' % (exc.strerror or exc))
    finally:
        sock.close()
