#!/usr/bin/env python
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""STARTTLS SMTP listeners that record every message they accept (one JSON line each).

    python -m mailsec_testing.recording_smtp --record FILE [--maildir DIR] --listen IP:PORT[:CERTFILE:KEYFILE[:HOSTNAME]] [--listen ...]

Like tests/lab/smtp_listener.py (which only discards), but each accepted message is appended to
FILE as ``{"local_address", "hostname", "tls", "tls_version", "mail_from", "rcpt_tos", "subject"}``,
so a test sees which MX host got which message and whether it came over TLS. With ``--maildir DIR``
each message is also stored whole, as received, in the Maildir DIR (``DIR/new/``), for tests that read
what was sent (TLS reports, DKIM signatures).
"""

import argparse
import asyncio
import email
import json
import os
import signal
import sys
import uuid

from smtp_listener import LabSMTP, parse_listen, tls_context


class RecordingHandler(object):
    def __init__(self, record, address, hostname, maildir=None):
        self.record = record
        self.maildir = maildir
        self.address = address
        self.hostname = hostname

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        tls = session.ssl is not None and server.transport.get_extra_info('ssl_object') is not None
        ssl_object = server.transport.get_extra_info('ssl_object')
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        entry = {'local_address': self.address, 'hostname': self.hostname, 'tls': tls,
                 'tls_version': ssl_object.version() if ssl_object is not None else None,
                 'mail_from': envelope.mail_from, 'rcpt_tos': list(envelope.rcpt_tos),
                 'subject': message.get('Subject')}
        if self.maildir:
            # Written in tmp/, then renamed into new/: a reader never sees half a message (Maildir's rule).
            name = uuid.uuid4().hex
            tmp = os.path.join(self.maildir, 'tmp', name)
            with open(tmp, 'wb') as handle:
                handle.write(envelope.original_content or envelope.content)
            os.rename(tmp, os.path.join(self.maildir, 'new', name))
            entry['file'] = os.path.join(self.maildir, 'new', name)
        with open(self.record, 'a') as handle:
            handle.write(json.dumps(entry) + '\n')
        return '250 2.0.0 Ok: recorded by the mailsec tests'


async def serve(args):
    loop = asyncio.get_running_loop()
    servers = []
    for item in args.listen:
        context = tls_context(item['cert'], item['key']) if item['cert'] else None
        hostname = item['hostname'] or item['address']
        handler = RecordingHandler(args.record, item['address'], hostname, args.maildir)

        def factory(context=context, hostname=hostname, handler=handler):
            return LabSMTP(handler, tls_context=context, require_starttls=False, hostname=hostname,
                           ident='mailsec-test ESMTP', timeout=60, loop=loop)

        servers.append(await loop.create_server(factory, host=item['address'], port=item['port'],
                                                reuse_address=True))
        print('listening on %s:%d as %s' % (item['address'], item['port'], hostname), flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--listen', action='append', type=parse_listen, required=True)
    parser.add_argument('--record', required=True)
    parser.add_argument('--maildir')
    args = parser.parse_args(argv)
    if args.maildir:
        for sub in ('tmp', 'new', 'cur'):
            os.makedirs(os.path.join(args.maildir, sub), exist_ok=True)
    asyncio.run(serve(args))
    return 0


if __name__ == '__main__':
    sys.exit(main())
