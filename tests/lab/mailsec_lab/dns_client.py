# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A DNS client for the lab: SOA probe, UPDATE with TSIG, queries (dnspython, imported lazily).

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

import secrets
import socket
import struct
import sys
import time
from typing import Any, Optional, Sequence

from .config import LabError, TTL


def _encode_qname(name: str) -> bytes:
    out = b""
    for label in name.strip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def soa_answers(server: str, port: int, zone: str, timeout: float = 0.5) -> bool:
    """True when ``server`` answers an authoritative SOA for ``zone`` (stdlib only, UDP)."""
    qid = secrets.randbelow(65536)
    query = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + _encode_qname(zone) + struct.pack(
        "!HH", 6, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(query, (server, port))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                data, dummy = sock.recvfrom(4096)
                if len(data) < 12:
                    continue
                rid, flags, _qd, ancount, _ns, _ar = struct.unpack("!HHHHHH", data[:12])
                if rid != qid:
                    continue
                return bool(flags & 0x8000 and flags & 0x0400 and (flags & 0xF) == 0
                            and ancount > 0)
        except OSError:
            return False
    return False


def _dns():
    try:
        import dns.message  # noqa: F401
        import dns.name
        import dns.query
        import dns.rcode
        import dns.rdata
        import dns.rdataclass
        import dns.rdatatype
        import dns.rdtypes.ANY.TXT
        import dns.resolver
        import dns.tsig
        import dns.update
    except ImportError as exc:  # pragma: no cover
        raise LabError(f"dnspython is not importable from {sys.executable}: {exc}") from None
    return dns


def _zone_for(info: dict, name: str, zone: Optional[str]) -> tuple[str, str]:
    """(absolute name with trailing dot, zone) for a name given absolute or relative to zone."""
    d = info["dns"]
    n = name.rstrip(".")
    if zone is None:
        candidates = [z for z in (d["zone"], d.get("other_zone") or "")
                      if z and (n.lower() == z.lower() or n.lower().endswith("." + z.lower()))]
        zone = max(candidates, key=len) if candidates else d["zone"]
    z = zone.rstrip(".")
    if not (name.endswith(".") or n.lower() == z.lower() or n.lower().endswith("." + z.lower())):
        n = f"{n}.{z}" if n not in ("", "@") else z
    return n + ".", z + "."


def _tsig_key(info: dict):
    dns = _dns()
    d = info["dns"]
    return dns.tsig.Key(d["key_name"], d["key_secret"], d["key_algorithm"])


def _rdatas(rdtype: str, values: Sequence[Any], origin: str):
    dns = _dns()
    rdt = dns.rdatatype.from_text(rdtype)
    out = []
    for value in values:
        if rdt in (dns.rdatatype.TXT, dns.rdatatype.SPF) and not (
                isinstance(value, str) and value.startswith('"')):
            parts = [value] if isinstance(value, (str, bytes)) else list(value)
            strings = [p.encode() if isinstance(p, str) else bytes(p) for p in parts]
            out.append(dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rdt, strings))
        else:
            out.append(dns.rdata.from_text(dns.rdataclass.IN, rdt, str(value),
                                           origin=dns.name.from_text(origin), relativize=False))
    return out


def _send_update(info: dict, update, check: bool, timeout: float) -> str:
    dns = _dns()
    d = info["dns"]
    resp = dns.query.tcp(update, d["server"], port=int(d["port"]), timeout=timeout)
    rcode = dns.rcode.to_text(resp.rcode())
    if check and rcode != "NOERROR":
        raise LabError(f"DNS UPDATE refused by {d['server']}:{d['port']}: {rcode}")
    return rcode


def dns_update(lab_info: dict, name: str, rdtype: str, values: Sequence[Any], ttl: int = TTL,
               zone: Optional[str] = None, check: bool = True, timeout: float = 5.0) -> str:
    """Replace the whole ``rdtype`` RRset at ``name`` with ``values``; returns the rcode text.

    ``name``: absolute (``_mta-sts.alpha.mailsec.test``) or relative to the zone
    (``_mta-sts.alpha``).
    The zone is the lab zone, or ``other.test`` for names under it (whose update is REFUSED: pass
    ``check=False`` to get ``"REFUSED"`` back instead of an exception).
    TXT values: a str is one character-string (no quoting needed, ``;`` and spaces are literal),
    a list/tuple of str is ONE record made of several strings, a str starting with ``"`` is zone
    file presentation text. Other types take presentation text (``"10 mx1.mailsec.test."``).
    """
    if isinstance(values, (str, bytes)):
        values = [values]
    if not values:
        raise LabError("dns_update needs at least one value; use dns_delete to remove")
    dns = _dns()
    fqdn, zname = _zone_for(lab_info, name, zone)
    update = dns.update.UpdateMessage(zname, keyring=_tsig_key(lab_info))
    update.replace(fqdn, ttl, *_rdatas(rdtype, values, zname))
    return _send_update(lab_info, update, check, timeout)


def dns_delete(lab_info: dict, name: str, rdtype: Optional[str] = None,
               zone: Optional[str] = None, check: bool = True, timeout: float = 5.0) -> str:
    """Delete the ``rdtype`` RRset at ``name`` (every RRset there when rdtype is None)."""
    dns = _dns()
    fqdn, zname = _zone_for(lab_info, name, zone)
    update = dns.update.UpdateMessage(zname, keyring=_tsig_key(lab_info))
    if rdtype:
        update.delete(fqdn, rdtype)
    else:
        update.delete(fqdn)
    return _send_update(lab_info, update, check, timeout)


def dns_query(lab_info: dict, name: str, rdtype: str, timeout: float = 5.0) -> list[str]:
    """The RRset at ``name`` as presentation strings, asked over TCP from the lab named."""
    dns = _dns()
    d = lab_info["dns"]
    fqdn, dummy = _zone_for(lab_info, name, None)
    query = dns.message.make_query(fqdn, rdtype)
    resp = dns.query.tcp(query, d["server"], port=int(d["port"]), timeout=timeout)
    rdt = dns.rdatatype.from_text(rdtype)
    for rrset in resp.answer:
        if rrset.rdtype == rdt:
            return [rd.to_text() for rd in rrset]
    return []


def dns_serial(lab_info: dict, zone: Optional[str] = None) -> int:
    """The SOA serial of the lab zone (or ``zone``)."""
    z = zone or lab_info["dns"]["zone"]
    soa = dns_query(lab_info, z + "." if not z.endswith(".") else z, "SOA")
    return int(soa[0].split()[2])


def lab_resolver(lab_info: dict, timeout: float = 5.0):
    """A dnspython Resolver that asks only the lab named."""
    dns = _dns()
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [lab_info["dns"]["server"]]
    res.port = int(lab_info["dns"]["port"])
    res.lifetime = timeout
    return res
