# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The http-level nginx settings the role may add, decided from `nginx -T` output (pure)."""

import pytest

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.nginx import (
    BUCKET, MAX_SIZE, bucket_size_needed, conflicting_names, http_settings, parse_dump,
)

VHOST = '/etc/nginx/conf.d/mailsec-mta-sts.conf'
HTTP = '/etc/nginx/conf.d/mailsec-mta-sts-http.conf'
OWN = [HTTP, VHOST]


def dump(*files):
    """``nginx -T``-style text from ``(path, text)`` pairs."""
    return ''.join('# configuration file %s:\n%s\n' % (path, text) for path, text in files)


STOCK = ('/etc/nginx/nginx.conf', 'http {\n\t# server_names_hash_bucket_size 64;\n\tinclude /etc/nginx/conf.d/*.conf;\n}')
UNCOMMENTED = ('/etc/nginx/nginx.conf', 'http {\n\tserver_names_hash_bucket_size 64;\n}')


@pytest.mark.parametrize('length, size', [(1, 24), (46, 64), (47, 72), (110, 128), (253, 272)])
def test_bucket_size_follows_nginx_hash_element_size(length, size):
    assert bucket_size_needed('a' * length) == size


def test_comments_are_ignored_and_files_named():
    parsed = parse_dump(dump(STOCK, ('/etc/nginx/sites-enabled/default', 'server { server_name _ www.example.com; }')))
    assert parsed['directives'] == []
    assert parsed['names'] == [('/etc/nginx/sites-enabled/default', '_'),
                               ('/etc/nginx/sites-enabled/default', 'www.example.com')]


def test_short_names_on_a_stock_host_need_nothing():
    result = http_settings(dump(STOCK), ['mta-sts.example.com'], OWN)
    assert result == {'directives': {}, 'host': {}, 'errors': [], 'notes': []}


def test_a_long_name_on_a_stock_host_gets_the_bucket_size_in_the_role_file():
    name = 'mta-sts.' + 'a' * 60 + '.example'
    assert http_settings(dump(STOCK), [name], OWN)['directives'] == {BUCKET: 128}


def test_the_host_setting_is_respected_and_never_repeated():
    result = http_settings(dump(UNCOMMENTED), ['mta-sts.example.com'], OWN)
    assert result['directives'] == {}
    assert result['host'] == {BUCKET: ['/etc/nginx/nginx.conf', 64]}
    assert result['errors'] == []


def test_a_host_bucket_size_too_small_stops_before_any_change_naming_the_file():
    name = 'mta-sts.' + 'a' * 60 + '.example'
    result = http_settings(dump(UNCOMMENTED), [name], OWN)
    assert result['directives'] == {}
    assert result['errors'] == [
        '/etc/nginx/nginx.conf sets server_names_hash_bucket_size 64, but the name %s needs 128: nginx would refuse '
        'the configuration ("could not build server_names_hash"); raise it there (nginx accepts the directive once, '
        'so the role cannot set it)' % name]


def test_the_role_file_keeps_a_larger_value_another_vhost_file_needed():
    files = dump(STOCK, (HTTP, 'server_names_hash_bucket_size 256;'), (VHOST, 'server { server_name mta-sts.a.example; }'))
    assert http_settings(files, ['mta-sts.a.example'], OWN)['directives'] == {BUCKET: 256}


def test_a_second_role_vhost_file_counts_as_the_host_for_names_only():
    other = '/etc/nginx/conf.d/mailsec-mta-sts-b.conf'
    files = dump(STOCK, (other, ''.join('server { server_name mta-sts.b%d.example; }\n' % i for i in range(300))))
    result = http_settings(files, ['mta-sts.a%d.example' % i for i in range(300)], [HTTP, VHOST])
    assert result['directives'] == {MAX_SIZE: 4096}
    assert result['errors'] == []


def test_5000_names_get_a_max_size_unless_the_host_sets_one():
    names = ['mta-sts.fleet%05d.mailsec.test' % i for i in range(5000)]
    assert http_settings(dump(STOCK), names, OWN)['directives'] == {MAX_SIZE: 32768}
    result = http_settings(dump(('/etc/nginx/nginx.conf', 'server_names_hash_max_size 1024;')), names, OWN)
    assert result['directives'] == {} and result['errors'] == []
    assert 'could not build optimal server_names_hash' in result['notes'][0]


def test_an_upgrade_from_a_vhost_file_with_the_directive_drops_the_role_copy():
    failure = ('nginx: [emerg] "server_names_hash_bucket_size" directive is duplicate in %s:7\n'
               'nginx: configuration file /etc/nginx/nginx.conf test failed' % VHOST)
    result = http_settings('', ['mta-sts.' + 'a' * 60 + '.example'], OWN, failure)
    assert result['errors'] == [] and result['directives'] == {}
    assert BUCKET in result['host']


def test_a_host_configuration_broken_elsewhere_stops_the_role():
    failure = 'nginx: [emerg] unknown directive "sever" in /etc/nginx/sites-enabled/shop:3\nnginx: test failed'
    result = http_settings('', ['mta-sts.example.com'], OWN, failure)
    assert result['errors'][0].startswith('the host nginx configuration does not pass nginx -t before this role')
    assert '/etc/nginx/sites-enabled/shop:3' in result['errors'][0]


def test_a_broken_role_file_does_not_stop_the_role_that_repairs_it():
    failure = 'nginx: [emerg] cannot load certificate "/tmp/gone.crt" in %s:12\nnginx: test failed' % VHOST
    assert http_settings('', ['mta-sts.example.com'], OWN, failure)['errors'] == []


def test_a_name_another_site_serves_is_refused():
    files = dump(STOCK, ('/etc/nginx/sites-enabled/mail', 'server { server_name MTA-STS.example.com; }'))
    assert conflicting_names(files, ['mta-sts.example.com'], OWN) == {'mta-sts.example.com': '/etc/nginx/sites-enabled/mail'}
    assert 'already a server_name in /etc/nginx/sites-enabled/mail' in http_settings(
        files, ['mta-sts.example.com'], OWN)['errors'][0]
