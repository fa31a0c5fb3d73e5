#!/usr/bin/env python
"""STARTTLS SMTP listeners for the mailsec lab: accept every message and discard it.

    smtp_listener.py --listen IP:PORT[:CERTFILE:KEYFILE[:HOSTNAME]] [--listen ...]
                     [--greeting-delay SECONDS] [--no-starttls] [--verbose]

One process serves every ``--listen``. A listener with a certificate offers STARTTLS (TLS 1.2 or
newer, never required); one without (or all, with ``--no-starttls``) offers no STARTTLS.
``--greeting-delay`` holds the 220 banner back (for the verify concurrency benchmark).
Addresses must be in 127.0.0.0/8. Stops cleanly on SIGTERM/SIGINT. Needs aiosmtpd.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP


class DiscardHandler:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        return "250 2.0.0 Ok: discarded by the mailsec lab"


class LabSMTP(SMTP):
    greeting_delay = 0.0

    async def _handle_client(self) -> None:
        if self.greeting_delay > 0:
            await asyncio.sleep(self.greeting_delay)
        await super()._handle_client()


def parse_listen(spec: str) -> dict:
    parts = spec.split(":")
    if len(parts) not in (2, 4, 5):
        raise argparse.ArgumentTypeError(
            f"{spec!r}: want IP:PORT or IP:PORT:CERTFILE:KEYFILE[:HOSTNAME]")
    ip = ipaddress.ip_address(parts[0])
    if ip.version != 4 or ip not in ipaddress.ip_network("127.0.0.0/8"):
        raise argparse.ArgumentTypeError(f"{parts[0]} is outside 127.0.0.0/8")
    out = {"address": str(ip), "port": int(parts[1]), "cert": None, "key": None,
           "hostname": None}
    if len(parts) >= 4:
        out["cert"], out["key"] = parts[2], parts[3]
    if len(parts) == 5:
        out["hostname"] = parts[4]
    return out


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx


async def serve(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    servers = []
    for lst in args.listen:
        ctx = tls_context(lst["cert"], lst["key"]) if lst["cert"] and not args.no_starttls \
            else None
        hostname = lst["hostname"] or lst["address"]

        def factory(ctx=ctx, hostname=hostname):
            smtp = LabSMTP(DiscardHandler(), tls_context=ctx, require_starttls=False,
                           hostname=hostname, ident="mailsec-lab ESMTP", timeout=60, loop=loop)
            smtp.greeting_delay = args.greeting_delay
            return smtp

        server = await loop.create_server(factory, host=lst["address"], port=lst["port"],
                                          reuse_address=True)
        servers.append(server)
        print(f"listening on {lst['address']}:{lst['port']} as {hostname}, STARTTLS "
              f"{'offered' if ctx else 'not offered'}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()
    print("stopping", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--listen", action="append", type=parse_listen, required=True)
    parser.add_argument("--greeting-delay", type=float, default=0.0)
    parser.add_argument("--no-starttls", action="store_true")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
