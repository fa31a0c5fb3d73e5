# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The policy hosts' HTTPS servers: one per certificate, own roots and ACME certificates apart."""

from ansible_collections.mailsec.mta_sts.plugins.filter.mta_sts_domains import mta_sts_domains
from ansible_collections.mailsec.mta_sts.plugins.filter.mta_sts_nginx_http import mta_sts_nginx_servers

DEFAULTS = {'mode': 'enforce', 'mx': ['mail.example.com'], 'max_age': 86400, 'webroot': '/srv/mta-sts',
            'tls_certificate': '/etc/ssl/shared.pem', 'tls_certificate_key': '/etc/ssl/shared.key',
            'acme_certificate_dir': '/etc/acme'}


def test_hosts_of_one_certificate_share_a_server_with_the_shared_root():
    domains = mta_sts_domains([{'domain': 'a.example'}, {'domain': 'b.example'},
                               {'domain': 'c.example', 'tls_certificate': '/etc/ssl/c.pem',
                                'tls_certificate_key': '/etc/ssl/c.key'}], DEFAULTS)
    plan = mta_sts_nginx_servers(domains, [], '/srv/mta-sts/')
    assert plan['waiting'] == []
    assert [(server['names'], server['certificate'], server['root']) for server in plan['servers']] == [
        (['mta-sts.a.example', 'mta-sts.b.example'], '/etc/ssl/shared.pem', None),
        (['mta-sts.c.example'], '/etc/ssl/c.pem', None)]


def test_a_webroot_of_its_own_gets_a_server_of_its_own():
    domains = mta_sts_domains([{'domain': 'a.example'}, {'domain': 'b.example', 'webroot': '/srv/b'}], DEFAULTS)
    servers = mta_sts_nginx_servers(domains, [], '/srv/mta-sts')['servers']
    assert [(server['names'], server['root']) for server in servers] == [
        (['mta-sts.a.example'], None), (['mta-sts.b.example'], '/srv/b')]


def test_acme_hosts_wait_for_a_usable_certificate_and_carry_its_serial():
    domains = mta_sts_domains([{'domain': 'a.example', 'tls_certificate': 'acme'},
                               {'domain': 'b.example', 'tls_certificate': 'acme'}], DEFAULTS)
    certificates = [{'domain': 'a.example', 'usable': True, 'serial': 'ab12', 'not_after': '2027-01-01'},
                    {'domain': 'b.example', 'usable': False}]
    plan = mta_sts_nginx_servers(domains, certificates, '/srv/mta-sts')
    assert plan['waiting'] == ['mta-sts.b.example']
    [server] = plan['servers']
    assert server['names'] == ['mta-sts.a.example'] and server['acme'] == {'serial': 'ab12', 'not_after': '2027-01-01'}
    assert server['certificate'] == '/etc/acme/mta-sts.a.example/fullchain.pem'


def test_without_a_shared_webroot_every_server_names_its_root():
    domains = mta_sts_domains([{'domain': 'a.example'}], DEFAULTS)
    [server] = mta_sts_nginx_servers(domains, [], '')['servers']
    assert server['root'] == '/srv/mta-sts/a.example'
