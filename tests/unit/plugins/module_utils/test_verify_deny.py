# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mta_sts_verify connects only where it may (issue 21, finding 9), and an overlong SMTP line is an SMTP error."""

import socket
import threading

import pytest

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import smtp, tls
from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify import options as verify_options
from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify import run as verify_run

from test_verify import DOMAIN, FakeProbes


class ManyAddresses(FakeProbes):
    """mta-sts.<domain> and every MX host resolve to loopback, private, documentation and public addresses."""

    ADDRESSES = ['127.0.0.1', '10.1.2.3', '192.0.2.7', '8.8.8.8', '::1', 'fd00::1']

    def __init__(self, addresses=None):
        FakeProbes.__init__(self, mx_count=1, delay=0)
        self.addresses = addresses or self.ADDRESSES
        self.connected = []

    def lookup_addresses(self, resolver, host):
        return list(self.addresses)

    def fetch_policy(self, domain, address, context, timeout, port):
        self.connected.append(('https', address))
        return FakeProbes.fetch_policy(self, domain, address, context, timeout, port)

    def probe_smtp(self, host, address, context, timeout, port, ehlo_name):
        self.connected.append(('smtp', address))
        return FakeProbes.probe_smtp(self, host, address, context, timeout, port, ehlo_name)


def _messages(result):
    return ' '.join(entry['msg'] for entry in result['checks'])


def test_by_default_every_address_is_probed():
    # The role's pre-flight and verify use the defaults: your own domains may live on private addresses.
    probes = ManyAddresses()
    verify_run.verify_domain(DOMAIN, {}, probes=probes)
    assert sorted(probes.connected) == sorted([(kind, a) for kind in ('https', 'smtp') for a in ManyAddresses.ADDRESSES])


def test_finding9_denied_ranges_are_never_connected_and_named():
    probes = ManyAddresses()
    result = verify_run.verify_domain(DOMAIN, {'deny_networks': ['10.0.0.0/8', 'non-global']}, probes=probes)
    assert sorted(probes.connected) == [('https', '8.8.8.8'), ('smtp', '8.8.8.8')]
    assert not result['passed']
    text = _messages(result)
    assert '10.1.2.3 of mta-sts.example.test is in 10.0.0.0/8 (deny_networks); not connected' in text
    assert '127.0.0.1 of mta-sts.example.test is in non-global (deny_networks); not connected' in text
    assert 'fd00::1 of mx-0.example.test is in non-global (deny_networks); not connected; STARTTLS was not checked' in text


def test_finding9_addresses_past_the_cap_are_not_connected():
    addresses = ['198.51.100.%d' % index for index in range(1, 41)]
    probes = ManyAddresses(addresses)
    result = verify_run.verify_domain(DOMAIN, {'max_addresses_per_host': 3}, probes=probes)
    assert sorted(probes.connected) == sorted([(kind, a) for kind in ('https', 'smtp') for a in addresses[:3]])
    assert ('mta-sts.example.test has 40 addresses; the first 3 were probed, this one and the 36 after it were not '
            '(max_addresses_per_host)') in _messages(result)
    assert not result['passed']


@pytest.mark.parametrize('options, option, message', [
    ({'deny_networks': ['10.0.0.0/33']}, 'deny_networks', "deny_networks entry '10.0.0.0/33' is neither"),
    ({'deny_networks': ['private']}, 'deny_networks', 'nor non-global'),
    ({'max_addresses_per_host': 0}, 'max_addresses_per_host', 'max_addresses_per_host must be from 1 to 1024'),
])
def test_bad_address_options_are_named(options, option, message):
    problems = verify_options.setting_problems(options)
    assert [name for name, dummy in problems] == [option]
    assert message in problems[0][1]


def test_an_overlong_smtp_line_is_an_smtp_error():
    # Issue 21: it was reported with error_kind http.
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)

    def serve():
        conn, dummy = listener.accept()
        conn.sendall(b'220' + b'x' * (smtp.MAX_SMTP_LINE + 100))
        conn.recv(10)
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        result = smtp.probe_smtp('mx.example.test', '127.0.0.1', tls.insecure_tls_context(), 5,
                                 port=listener.getsockname()[1], ehlo_name='verify.example')
    finally:
        listener.close()
    assert result['error_kind'] == 'smtp'
    assert result['error'].startswith('a line longer than %d bytes arrived while waiting for the 220 greeting'
                                      % smtp.MAX_SMTP_LINE)
