#!/usr/bin/env python
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fetch MTA-STS policies over and over, as a sender would, until a stop file appears.

Each round connects to ADDRESS:443 once per host, with SNI and a certificate check for the host
against CAFILE, sends GET /.well-known/mta-sts.txt, and counts the answer as good only when it is
``200`` with a body starting ``version: STSv1``. Writes a JSON summary to OUT when it stops:
``{rounds, fetches, failures: [..], seconds, hosts: {host: {ok, certificates: [sha256, ...]}}}``,
``certificates`` being the distinct leaf certificates served, in the order they were first seen.

    fetch_loop.py --address 127.0.80.1 --cafile ca.pem --stop-file STOP --out OUT.json \\
        --host mta-sts.alpha.mailsec.test --host mta-sts.beta.mailsec.test
"""

import argparse
import hashlib
import json
import os
import pathlib
import ssl
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / 'tests' / 'lab'))

import mailsec_lab as labtools  # noqa: E402  pylint: disable=wrong-import-position


def fetch(address, host, cafile, timeout):
    """``(ok, leaf sha256 or None, error or None)`` for one policy fetch."""
    try:
        status, leaf, body = labtools.fetch_policy(address, host, cafile, timeout)
    except (OSError, ssl.SSLError) as exc:
        return False, None, '%s: %s' % (host, exc)
    leaf = hashlib.sha256(leaf).hexdigest()
    if not status.startswith('HTTP/1.1 200') or not body.startswith(b'version: STSv1'):
        return False, leaf, '%s: %s, body %r' % (host, status, body[:40])
    return True, leaf, None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--address', required=True)
    parser.add_argument('--host', action='append', required=True)
    parser.add_argument('--cafile', required=True)
    parser.add_argument('--stop-file', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--interval', type=float, default=0.05)
    parser.add_argument('--max-seconds', type=float, default=600)
    parser.add_argument('--timeout', type=float, default=2)
    args = parser.parse_args(argv)
    hosts = dict((host, {'ok': 0, 'certificates': []}) for host in args.host)
    failures = []
    rounds = fetches = 0
    start = time.monotonic()
    while not os.path.exists(args.stop_file) and time.monotonic() - start < args.max_seconds:
        rounds += 1
        for host in args.host:
            fetches += 1
            ok, leaf, error = fetch(args.address, host, args.cafile, args.timeout)
            if ok:
                hosts[host]['ok'] += 1
            else:
                failures.append('%.2f s: %s' % (time.monotonic() - start, error))
            if leaf and leaf not in hosts[host]['certificates']:
                hosts[host]['certificates'].append(leaf)
        time.sleep(args.interval)
    summary = {'rounds': rounds, 'fetches': fetches, 'failures': failures[:50], 'failure_count': len(failures),
               'seconds': round(time.monotonic() - start, 2), 'stopped': os.path.exists(args.stop_file),
               'hosts': hosts}
    with open(args.out, 'w') as handle:
        json.dump(summary, handle, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
