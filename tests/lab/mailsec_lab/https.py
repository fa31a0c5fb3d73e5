# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fetching a policy the way a sender does (HTTPS with SNI and a certificate check).

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

import socket
import ssl

from .config import check_loopback


def fetch_policy(address: str, host: str, ca_path: str, timeout: float = 5.0) -> tuple[str, bytes, bytes]:
    """GET https://<host>/.well-known/mta-sts.txt from ``address``:443 with SNI and a certificate check.

    Returns ``(status line, leaf certificate DER, body)``; raises OSError / ssl.SSLError when the
    connection or the certificate check fails.
    """
    check_loopback(address)
    context = ssl.create_default_context(cafile=ca_path)
    with socket.create_connection((address, 443), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            leaf = tls.getpeercert(binary_form=True)
            tls.sendall((f"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {host}\r\n"
                         "Connection: close\r\n\r\n").encode("ascii"))
            data = b""
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
    head, dummy, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0].decode("latin-1"), leaf, body
