# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""DKIM keys of the lab's report senders: made at every lab start (RSA 2048, as Google and Microsoft
use), the public keys published as ``<selector>._domainkey.<domain>`` TXT records in the main zone,
and ``sign()`` (dkimpy) for the tests' reports.

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

import base64
from pathlib import Path

from .config import DKIM_SIGNERS, ZONE, PathLike
from .files import _write_text


def make_keys(directory: PathLike) -> list[dict]:
    """A new key per signer in ``directory``; ``[{domain, selector, key_path, txt}]``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    keys = []
    for domain, selector in DKIM_SIGNERS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path = directory / f"{selector}.{domain}.key"
        _write_text(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                            serialization.NoEncryption()).decode("ascii"), 0o600)
        public = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        keys.append({"domain": domain, "selector": selector, "key_path": str(path),
                     "txt": "v=DKIM1; k=rsa; p=" + base64.b64encode(public).decode("ascii")})
    return keys


def zone_records(keys: list[dict]) -> list[str]:
    """The TXT records of ``keys`` for the main zone file, split into strings of at most 255 bytes."""
    records = []
    for entry in keys:
        owner = f"{entry['selector']}._domainkey.{entry['domain'][: -len(ZONE) - 1]}"
        text = entry["txt"]
        chunks = " ".join(f'"{text[i:i + 250]}"' for i in range(0, len(text), 250))
        records.append(f"{owner}\tIN\tTXT\t( {chunks} )")
    return records


def sign(message: bytes, domain: str, selector: str, key_path: PathLike,
         headers=(b"from", b"to", b"subject", b"date", b"message-id", b"tls-report-domain",
                  b"tls-report-submitter", b"content-type", b"mime-version")) -> bytes:
    """``message`` with a DKIM-Signature (relaxed/simple, rsa-sha256) of ``domain`` on top."""
    import dkim

    signature = dkim.sign(message, selector.encode(), domain.encode(), Path(key_path).read_bytes(),
                          include_headers=list(headers), canonicalize=(b"relaxed", b"simple"))
    return signature + message
