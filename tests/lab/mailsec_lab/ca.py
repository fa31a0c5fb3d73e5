# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The test CA and certificates (trustme, imported lazily).

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

import atexit
import datetime
import re
import secrets
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable, Optional, Union

from .config import LabError, PathLike, default_state_dir
from .files import _write_text


def _trustme():
    try:
        import trustme
    except ImportError as exc:  # pragma: no cover - environment problem
        raise LabError(f"trustme is not importable from {sys.executable}: {exc}; run the lab "
                       "with the project virtualenv's python") from None
    return trustme


def new_ca():
    """A fresh CA (e.g. an *untrusted* one for negative tests)."""
    return _trustme().CA()


def load_ca(source: Any = None):
    """The lab CA: ``source`` is a lab info dict, a state dir, or None (the default lab)."""
    if isinstance(source, dict):
        state_dir = Path(source["state_dir"])
    else:
        state_dir = Path(source or default_state_dir())
    try:
        cert = (state_dir / "ca.pem").read_bytes()
        key = (state_dir / "ca.key").read_bytes()
    except OSError as exc:
        raise LabError(f"no lab CA in {state_dir} ({exc}); is the lab up?") from None
    return _trustme().CA.from_pem(cert, key)


def write_leaf(leaf, cert_path: PathLike, key_path: PathLike) -> tuple[str, str]:
    """Write a trustme LeafCert as fullchain PEM + key PEM (0600)."""
    chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
    _write_text(Path(cert_path), chain.decode("ascii"), 0o644)
    _write_text(Path(key_path), leaf.private_key_pem.bytes().decode("ascii"), 0o600)
    return str(cert_path), str(key_path)


def issue_cert(names: Union[str, Iterable[str]], not_before: Optional[datetime.datetime] = None,
               not_after: Optional[datetime.datetime] = None, ca: Any = None,
               out_dir: Optional[PathLike] = None,
               basename: Optional[str] = None) -> tuple[str, str]:
    """Issue a certificate for ``names`` and write it; returns ``(cert_path, key_path)``.

    ``ca``: a trustme.CA (e.g. ``new_ca()`` for an untrusted issuer), a lab info dict or a state
    dir (that lab's CA), or None (the lab at ``default_state_dir()``). ``not_before`` /
    ``not_after``: timezone-aware datetimes (an expired certificate: both in the past).
    ``out_dir``: default ``<state_dir>/extra-certs`` for a lab CA, else a new temp dir.
    The certificate file is the full chain (leaf first), the key file has mode 0600.
    """
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise LabError("issue_cert needs at least one name")
    trustme = _trustme()
    if isinstance(ca, trustme.CA):
        ca_obj = ca
        if out_dir:
            base_dir = Path(out_dir)
        else:
            base_dir = Path(tempfile.mkdtemp(prefix="mailsec-certs-"))
            # A CA of no lab has no lab dir to keep them in: gone when this process ends.
            atexit.register(shutil.rmtree, base_dir, True)
    else:
        ca_obj = load_ca(ca)
        state_dir = Path(ca["state_dir"]) if isinstance(ca, dict) else Path(
            ca or default_state_dir())
        base_dir = Path(out_dir) if out_dir else state_dir / "extra-certs"
    base_dir.mkdir(parents=True, exist_ok=True)
    kwargs = {}
    if not_before is not None:
        kwargs["not_before"] = not_before
    if not_after is not None:
        kwargs["not_after"] = not_after
    leaf = ca_obj.issue_cert(*names, common_name=names[0], **kwargs)
    stem = basename or (re.sub(r"[^A-Za-z0-9_.-]", "_", names[0]) + "-" + secrets.token_hex(3))
    return write_leaf(leaf, base_dir / f"{stem}.crt", base_dir / f"{stem}.key")
