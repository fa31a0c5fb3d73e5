# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's domain list: defaults, checks naming entry and key, derived values."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.mailsec.mta_sts.plugins.filter.mta_sts_domains import mta_sts_domains, mta_sts_txt_records, mta_sts_union
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import policy as _policy

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import records as _records

DEFAULTS = {
    'mode': 'testing', 'mx': ['mail.example.com'], 'max_age': 86400, 'tlsrpt_rua': ['mailto:tls@example.com'],
    'tls_certificate': '/etc/ssl/{domain}/fullchain.pem', 'tls_certificate_key': '/etc/ssl/{domain}/key.pem',
    'state': 'present', 'webroot': '/srv/mta-sts',
}


def test_defaults_fill_missing_keys_and_paths_are_derived():
    [item] = mta_sts_domains([{'domain': 'example.com'}], DEFAULTS)
    assert item['mode'] == 'testing'
    assert item['mx'] == ['mail.example.com']
    assert item['tls_certificate'] == '/etc/ssl/example.com/fullchain.pem'
    assert item['policy_path'] == '/srv/mta-sts/example.com/.well-known/mta-sts.txt'
    assert item['mta_sts_host'] == 'mta-sts.example.com'
    assert item['policy'] == _policy.render({'mode': 'testing', 'mx': ['mail.example.com'], 'max_age': 86400})
    assert item['policy_file'] == {'path': item['policy_path'], 'mode': 'testing', 'mx': ['mail.example.com'],
                                   'max_age': 86400}
    assert item['sts_record'] == {'name': '_mta-sts.example.com', 'value': _records.render_sts(item['policy_id'])}
    assert item['tlsrpt_record']['value'] == 'v=TLSRPTv1; rua=mailto:tls@example.com'


def test_entry_values_win_and_max_age_strings_become_ints():
    [item] = mta_sts_domains([{'domain': 'example.org', 'mode': 'enforce', 'max_age': '604800', 'tlsrpt_rua': []}],
                             DEFAULTS)
    assert (item['mode'], item['max_age'], item['tlsrpt_record']) == ('enforce', 604800, None)


def test_absent_publishes_mode_none_with_a_new_id():
    present, = mta_sts_domains([{'domain': 'example.com', 'mode': 'enforce'}], DEFAULTS)
    absent, = mta_sts_domains([{'domain': 'example.com', 'mode': 'enforce', 'state': 'absent'}], DEFAULTS)
    assert absent['mode'] == 'none'
    assert absent['mx'] == present['mx']
    assert absent['policy_id'] != present['policy_id']


@pytest.mark.parametrize('entry, words', [
    ({'domain': 'example.com', 'mode': 'doubt'}, 'mta_sts_domains[0] (example.com): mode must be one of'),
    ({'domain': 'example.com', 'mx': []}, 'mx must list at least one'),
    ({'domain': 'example.com', 'mx': ['mail..example.com']}, 'mx entry'),
    ({'domain': 'example.com', 'max_age': 31557601}, 'max_age must be'),
    ({'domain': 'example.com', 'tlsrpt_rua': ['ftp://x.example.com']}, 'tlsrpt_rua entry'),
    ({'domain': 'example.com', 'state': 'gone'}, 'state must be present or absent'),
    ({'domain': 'example.com', 'moed': 'enforce'}, 'unknown key(s) moed'),
    ({'domain': 'exa mple.com'}, 'mta_sts_domains[0]: domain'),
    ({'domain': 'example.com.'}, 'trailing'),
    ({}, 'domain is missing'),
    ('example.com', 'must be a dict'),
])
def test_bad_entries_name_entry_key_and_rule(entry, words):
    with pytest.raises(AnsibleFilterError) as info:
        mta_sts_domains([{'domain': 'ok.example.com'}, entry][1:], DEFAULTS)
    assert words in str(info.value)


def test_duplicate_domains_are_refused():
    with pytest.raises(AnsibleFilterError) as info:
        mta_sts_domains([{'domain': 'example.com'}, {'domain': 'EXAMPLE.com'}], DEFAULTS)
    assert 'already listed at [0]' in str(info.value)


def test_acme_certificates_live_in_the_acme_folder():
    defaults = dict(DEFAULTS, acme_certificate_dir='/etc/acme-test')
    acme, plain = mta_sts_domains([{'domain': 'example.com', 'tls_certificate': 'acme'}, {'domain': 'example.org'}],
                                  defaults)
    folder = '/etc/acme-test/mta-sts.example.com'
    assert (acme['acme'], acme['acme_dir']) == (True, folder)
    assert acme['tls_certificate'] == folder + '/fullchain.pem'
    assert acme['tls_certificate_key'] == folder + '/privkey.pem'
    assert acme['acme_entry'] == {'domain': 'example.com', 'path': folder + '/fullchain.pem',
                                  'key_path': folder + '/privkey.pem', 'issued_by_path': folder + '/acme-directory'}
    assert (plain['acme'], plain['acme_dir'], plain['acme_entry']) == (False, None, None)
    assert plain['tls_certificate'] == '/etc/ssl/example.org/fullchain.pem'


def test_acme_as_the_role_wide_default_and_its_default_folder():
    defaults = dict(DEFAULTS, tls_certificate='acme')
    del defaults['tls_certificate_key']
    item, own = mta_sts_domains([{'domain': 'example.com'},
                                 {'domain': 'example.net', 'tls_certificate': '/etc/ssl/net.pem',
                                  'tls_certificate_key': '/etc/ssl/net.key'}], defaults)
    assert item['acme'] is True
    assert item['tls_certificate'] == '/etc/mailsec-mta-sts/acme/mta-sts.example.com/fullchain.pem'
    assert (own['acme'], own['tls_certificate'], own['tls_certificate_key']) == (False, '/etc/ssl/net.pem',
                                                                                 '/etc/ssl/net.key')


def test_acme_entry_may_not_name_its_key():
    with pytest.raises(AnsibleFilterError) as info:
        mta_sts_domains([{'domain': 'example.com', 'tls_certificate': 'acme', 'tls_certificate_key': '/k.pem'}],
                        DEFAULTS)
    assert 'mta_sts_domains[0] (example.com): tls_certificate_key cannot be set when tls_certificate is acme' \
        in str(info.value)


def test_a_domain_webroot_of_its_own_holds_its_policy():
    result = mta_sts_domains([{'domain': 'example.com', 'webroot': '/srv/www/mta-sts.example.com'},
                              {'domain': 'example.org'}], DEFAULTS)
    assert result[0]['webroot'] == '/srv/www/mta-sts.example.com'
    assert result[0]['policy_path'] == '/srv/www/mta-sts.example.com/.well-known/mta-sts.txt'
    assert result[0]['policy_file']['path'] == result[0]['policy_path']
    assert result[1]['webroot'] == DEFAULTS['webroot'] + '/example.org'


def test_a_relative_domain_webroot_is_refused():
    with pytest.raises(AnsibleFilterError, match=r'mta_sts_domains\[0\] \(example.com\): webroot must be an absolute'):
        mta_sts_domains([{'domain': 'example.com', 'webroot': 'www'}], DEFAULTS)


def test_union_of_web_hosts_lists_each_domain_once_in_the_order_first_seen():
    web1 = mta_sts_domains([{'domain': 'a.example'}, {'domain': 'b.example'}], DEFAULTS)
    web2 = mta_sts_domains([{'domain': 'B.example'}, {'domain': 'c.example'}], DEFAULTS)
    assert [item['domain'] for item in mta_sts_union([web1, web2, []])] == ['a.example', 'b.example', 'c.example']
    assert mta_sts_union([]) == []


def test_union_refuses_a_domain_with_different_records_on_two_hosts():
    web1 = mta_sts_domains([{'domain': 'a.example'}], DEFAULTS)
    web2 = mta_sts_domains([{'domain': 'a.example', 'mode': 'enforce'}], DEFAULTS)
    with pytest.raises(AnsibleFilterError) as error:
        mta_sts_union([web1, web2])
    assert str(error.value).startswith('a.example has different settings on two web hosts of the play')
    assert 'nothing of it is published' in str(error.value)


def test_txt_records_list_every_sts_record_then_every_tlsrpt_record():
    domains = mta_sts_domains([{'domain': 'a.example'}, {'domain': 'b.example', 'tlsrpt_rua': []},
                               {'domain': 'c.example'}], DEFAULTS)
    records = mta_sts_txt_records(domains)
    assert [record['name'] for record in records] == [
        '_mta-sts.a.example', '_mta-sts.b.example', '_mta-sts.c.example', '_smtp._tls.a.example', '_smtp._tls.c.example']
    assert records[0] == domains[0]['sts_record'] and records[3]['value'] == 'v=TLSRPTv1; rua=mailto:tls@example.com'
    assert mta_sts_txt_records([]) == []
    with pytest.raises(AnsibleFilterError, match='mta_sts_txt_records: the input must be a domain table .mta_sts_table. or a completed domain list'):
        mta_sts_txt_records('a.example')


# Issue 21, finding 2: nginx -t cannot refuse what is valid nginx, so every value that reaches the
# vhost is checked here, before anything changes, and the message names the variable and the character.
INJECTION = '/var/www/x;\n location /leak/ { alias /etc/; autoindex on; }\n #'


@pytest.mark.parametrize('entry, defaults, message', [
    ({'webroot': INJECTION}, {}, "mta_sts_domains[0] (example.com): webroot contains ';' (U+003B) at position 10"),
    ({'tls_certificate': '/etc/ssl/a.pem;\nlocation / {}'}, {},
     "mta_sts_domains[0] (example.com): tls_certificate contains ';' (U+003B) at position 14"),
    ({'tls_certificate_key': '/etc/ssl/a key.pem'}, {},
     'mta_sts_domains[0] (example.com): tls_certificate_key contains a space (U+0020) at position 10'),
    ({}, {'tls_certificate': '/etc/ssl/{domain}/$ssl_server_name.pem'},
     "mta_sts_domains[0] (example.com): tls_certificate contains '$' (U+0024) at position 21"),
    ({}, {'webroot': '/srv/mta-sts\u2028'}, 'mta_sts_webroot: contains a line separator (U+2028) at position 12'),
    ({}, {'acme_webroot': INJECTION}, "mta_sts_acme_webroot: contains ';' (U+003B) at position 10"),
    ({}, {'acme_certificate_dir': 'relative/acme'}, 'mta_sts_acme_certificate_dir: must be an absolute path'),
    ({}, {'nginx_listen': ['443', '443 ssl; location /leak/ { alias /etc/; }']},
     "mta_sts_nginx_listen[1]: contains ';' (U+003B) at position 7"),
    ({}, {'nginx_http_listen': ['80\n']}, 'mta_sts_nginx_http_listen[0]: contains a newline (U+000A) at position 2'),
    ({}, {'nginx_listen': ['example.com:443:443']}, "mta_sts_nginx_listen[0]: 'example.com:443:443' is not an nginx listen value"),
])
def test_finding2_values_reaching_the_vhost_are_checked_naming_variable_and_character(entry, defaults, message):
    with pytest.raises(AnsibleFilterError) as info:
        mta_sts_domains([dict({'domain': 'example.com'}, **entry)], dict(DEFAULTS, **defaults))
    assert str(info.value).startswith(message), str(info.value)
    assert 'nothing was changed' in str(info.value)


@pytest.mark.parametrize('entry, message', [
    ({'domain': 'example\n.com'}, 'mta_sts_domains[0]: domain has the label'),
    ({'domain': 'example.com\n'}, 'mta_sts_domains[0]: domain has the label'),
    ({'domain': 'example.com', 'mx': ['mx\n.example.com']}, "mx entry 'mx\\n.example.com' has the label"),
    ({'domain': 'example.com', 'tlsrpt_rua': ['mailto:r@example.com\n']}, 'tlsrpt_rua entry'),
])
def test_finding4_a_line_break_in_a_domain_mx_or_rua_is_refused(entry, message):
    with pytest.raises(AnsibleFilterError, match=None) as info:
        mta_sts_domains([entry], DEFAULTS)
    assert message in str(info.value)


def test_accepted_listen_values_and_quoted_paths_pass():
    [item] = mta_sts_domains([{'domain': 'example.com', 'webroot': '/srv/www/mta-sts.example.com'}],
                             dict(DEFAULTS, nginx_listen=['443', '[::]:443', '192.0.2.10:443 default_server',
                                                          'unix:/run/nginx-mta-sts.sock'],
                                  nginx_http_listen=['80', '[2001:db8::1]:80 ipv6only=on'], acme_webroot='/var/www/acme'))
    assert item['webroot'] == '/srv/www/mta-sts.example.com'
