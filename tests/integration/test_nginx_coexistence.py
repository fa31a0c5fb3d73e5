# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role beside a host's own nginx configuration, for the variants real hosts have.

Each test gets a host of its own without touching this machine's nginx: a copy of /etc/nginx
(Debian's stock nginx.conf, its default site moved to the lab address) bind-mounted over
/etc/nginx in a private mount namespace, with private /run, /var/log/nginx and /var/lib/nginx, so
the role (tests/playbooks/lab.yml, nginx started by signal) and `nginx -t` see only that copy. The
nginx the role starts there is stopped by its PID at the end. After every run `nginx -t` passes.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

import mailsec_lab as labtools
from mailsec_testing.ansible_runner import REPO, ansible_env, recap_changed

VHOST = '/etc/nginx/conf.d/mailsec-mta-sts-lab.conf'
HTTP = '/etc/nginx/conf.d/mailsec-mta-sts-lab-http.conf'
# 81 characters: more than a 64-byte hash bucket holds (nginx needs 128 for it).
LONG_DOMAIN = 'l' * 60 + '.mailsec.test'
HTTP_PORT = 8080

NAMESPACE_SCRIPT = r'''
set -u
root=$1; shift
mount --bind "$root/etc" /etc/nginx
mount --bind "$root/run" /run
mount --bind "$root/log" /var/log/nginx
mount --bind "$root/lib" /var/lib/nginx
exec "$@"
'''


class PrivateHost(object):
    """A copy of /etc/nginx and private run/log/lib folders, used through a mount namespace."""

    def __init__(self, lab):
        self.lab = lab
        self.root = tempfile.mkdtemp(prefix='mailsec-nginx-host-', dir='/tmp')
        os.chmod(self.root, 0o755)
        self.etc = os.path.join(self.root, 'etc')
        shutil.copytree('/etc/nginx', self.etc, symlinks=True)
        for folder in ('conf.d', 'sites-enabled'):
            for name in os.listdir(os.path.join(self.etc, folder)):
                os.unlink(os.path.join(self.etc, folder, name))
        for name in ('run', 'log', 'lib', 'www', 'www-acme'):
            os.mkdir(os.path.join(self.root, name), 0o755)
        self.script = os.path.join(self.root, 'ns.sh')
        with open(self.script, 'w') as handle:
            handle.write(NAMESPACE_SCRIPT)
        # Debian's default site, on the lab's policy address: a default_server where the role's port-80
        # servers listen. Port HTTP_PORT, not 80: the machine's own nginx (which other tests run) may
        # hold *:80 with that very site, and one network namespace has one *:80.
        address = lab['domains'][0]['mta_sts_address']
        with open('/etc/nginx/sites-available/default') as handle:
            default = handle.read()
        default = default.replace('listen 80 default_server;', 'listen %s:%d default_server;' % (address, HTTP_PORT))
        default = default.replace('listen [::]:80 default_server;', '')
        self.write('sites-enabled/default', default)

    def path(self, name):
        return os.path.join(self.etc, name)

    def read(self, name):
        with open(self.path(name)) as handle:
            return handle.read()

    def write(self, name, text):
        with open(self.path(name), 'w') as handle:
            handle.write(text)

    def run(self, argv, env=None):
        return subprocess.run(['unshare', '--mount', '--propagation', 'private', 'bash', self.script, self.root]
                              + list(argv), env=env, capture_output=True, text=True, timeout=900, check=False)

    def nginx_t(self):
        proc = self.run(['nginx', '-t'])
        return proc.returncode, proc.stderr

    def role(self, extra=None):
        """tests/playbooks/lab.yml in this host; ``(returncode, output, seconds)``."""
        extra_vars = {'mta_sts_webroot': os.path.join(self.root, 'www'),
                      'mta_sts_acme_webroot': os.path.join(self.root, 'www-acme'),
                      'lab_demo_record': os.path.join(self.root, 'demo_host.json'),
                      'mta_sts_dns_method': 'none', 'mta_sts_verify': False, 'mta_sts_nginx_install': False,
                      'mta_sts_nginx_http_listen': ['%s:%d' % (self.lab['domains'][0]['mta_sts_address'], HTTP_PORT)]}
        extra_vars.update(extra or {})
        vars_file = os.path.join(self.root, 'extra-vars.json')
        with open(vars_file, 'w') as handle:
            json.dump(extra_vars, handle)
        argv = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'),
                os.path.join(REPO, 'tests', 'playbooks', 'lab.yml'), '-e', '@' + vars_file]
        started = time.monotonic()
        proc = self.run(argv, env=ansible_env({'MAILSEC_LAB_DIR': self.lab['state_dir']}))
        return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started

    def files(self):
        return sorted(name for name in os.listdir(self.path('conf.d')))

    def stop(self):
        pid_file = os.path.join(self.root, 'run', 'nginx.pid')
        try:
            with open(pid_file) as handle:
                pid = int(handle.read().strip() or 0)
        except (OSError, ValueError):
            pid = 0
        if pid:
            labtools.stop_pid(pid)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def host(lab):
    instance = PrivateHost(lab)
    yield instance
    instance.stop()


def lab_entries(lab):
    return [{key: entry[key] for key in ('domain', 'mx', 'tls_certificate', 'tls_certificate_key')}
            for entry in lab['domains']]


def served(lab, domain):
    status, dummy, body = labtools.fetch_policy(lab['domains'][0]['mta_sts_address'], 'mta-sts.' + domain,
                                                lab['ca_path'])
    return status, body


def assert_nginx_t_passes(host):
    code, output = host.nginx_t()
    assert code == 0, output
    return output


@pytest.fixture(scope='module')
def long_domain(lab):
    """A lab domain whose policy host name does not fit nginx's default 64-byte hash bucket."""
    labtools.dns_update(lab, 'mta-sts.' + LONG_DOMAIN, 'A', [lab['domains'][0]['mta_sts_address']])
    # A mail domain has MX hosts: the role's pre-flight holds a domain without any.
    labtools.dns_update(lab, LONG_DOMAIN, 'MX', ['10 mx1.mailsec.test.'])
    # The first name is the CN, which may not exceed 64 characters; the SANs hold both.
    cert, key = labtools.issue_cert(['long.mailsec.test', 'mta-sts.' + LONG_DOMAIN], ca=lab)
    yield {'domain': LONG_DOMAIN, 'mx': ['mx1.mailsec.test'], 'tls_certificate': cert, 'tls_certificate_key': key}
    labtools.dns_delete(lab, 'mta-sts.' + LONG_DOMAIN)
    labtools.dns_delete(lab, LONG_DOMAIN, 'MX')


def test_stock_debian_nginx_conf(host, lab, long_domain):
    code, output, seconds = host.role()
    assert code == 0, output[-3000:]
    assert host.files() == ['mailsec-mta-sts-lab.conf'], 'short names need no http-level setting'
    directives = [line.split('#')[0] for line in host.read('conf.d/mailsec-mta-sts-lab.conf').splitlines()]
    assert not [line for line in directives if 'server_names_hash' in line or 'default_server' in line]
    assert served(lab, 'alpha.mailsec.test')[0] == 'HTTP/1.1 200 OK'
    assert_nginx_t_passes(host)
    code, output, dummy = host.role()
    assert code == 0 and recap_changed(output) == 0, output[-3000:]
    # A name longer than the default bucket: the role's own http-level file sets what it needs, once.
    code, output, dummy = host.role({'mta_sts_domains': lab_entries(lab) + [long_domain]})
    assert code == 0, output[-3000:]
    assert host.read('conf.d/mailsec-mta-sts-lab-http.conf').count('server_names_hash_bucket_size 128;') == 1
    assert served(lab, LONG_DOMAIN)[0] == 'HTTP/1.1 200 OK'
    assert_nginx_t_passes(host)
    print('stock nginx.conf: role run %.1f s, rerun unchanged, long name -> role http file bucket 128' % seconds)


def test_host_sets_the_bucket_size_itself(host, lab, long_domain):
    host.write('nginx.conf', host.read('nginx.conf').replace('# server_names_hash_bucket_size 64;',
                                                             'server_names_hash_bucket_size 64;'))
    code, output, dummy = host.role()
    assert code == 0, output[-3000:]
    assert host.files() == ['mailsec-mta-sts-lab.conf']
    assert_nginx_t_passes(host)
    before = host.read('conf.d/mailsec-mta-sts-lab.conf')
    # A name that needs more than the host's 64: stopped before any change, naming where to raise it.
    code, output, dummy = host.role({'mta_sts_domains': lab_entries(lab) + [long_domain]})
    assert code != 0
    assert ('/etc/nginx/nginx.conf sets server_names_hash_bucket_size 64, but the name mta-sts.%s needs 128'
            % LONG_DOMAIN) in output
    assert host.read('conf.d/mailsec-mta-sts-lab.conf') == before and host.files() == ['mailsec-mta-sts-lab.conf']
    assert_nginx_t_passes(host)
    assert served(lab, 'alpha.mailsec.test')[0] == 'HTTP/1.1 200 OK'


def test_upgrade_from_a_vhost_file_that_set_the_bucket_size(host, lab):
    """The issue's host: the admin uncommented the directive, the old vhost file repeats it."""
    host.write('nginx.conf', host.read('nginx.conf').replace('# server_names_hash_bucket_size 64;',
                                                             'server_names_hash_bucket_size 64;'))
    host.write('conf.d/mailsec-mta-sts-lab.conf', 'server_names_hash_bucket_size 128;\n')
    assert 'directive is duplicate' in host.nginx_t()[1]
    code, output, dummy = host.role()
    assert code == 0, output[-3000:]
    assert 'server_names_hash' not in host.read('conf.d/mailsec-mta-sts-lab.conf')
    assert_nginx_t_passes(host)
    assert served(lab, 'beta.mailsec.test')[0] == 'HTTP/1.1 200 OK'


def test_default_server_and_another_site_on_the_same_address(host, lab, tmp_path):
    address = lab['domains'][0]['mta_sts_address']
    cert, key = labtools.issue_cert(['shop.mailsec.test', 'www.mailsec.test'], ca=lab)
    site = os.path.join(host.root, 'www', 'shop')
    os.mkdir(site)
    with open(os.path.join(site, 'index.html'), 'w') as handle:
        handle.write('shop')
    host.write('sites-enabled/shop', ''.join(
        'server {\n    listen %s:443 ssl%s;\n    server_name %s;\n    ssl_certificate %s;\n'
        '    ssl_certificate_key %s;\n    root %s;\n}\n' % (address, flag, name, cert, key, site)
        for name, flag in (('shop.mailsec.test', ' default_server'), ('www.mailsec.test', ''))))
    code, output, dummy = host.role()
    assert code == 0, output[-3000:]
    assert_nginx_t_passes(host)
    assert served(lab, 'alpha.mailsec.test')[0] == 'HTTP/1.1 200 OK'
    # The other sites keep their names, and the host's default_server stays the default.
    assert labtools.fetch_policy(address, 'www.mailsec.test', lab['ca_path'])[0] == 'HTTP/1.1 404 Not Found'
    proc = subprocess.run(['openssl', 's_client', '-connect', address + ':443', '-servername', 'unknown.mailsec.test'],
                          input='', capture_output=True, text=True, timeout=20, check=False)
    assert re.search(r'subject=.*shop\.mailsec\.test', proc.stdout), proc.stdout[-2000:]
    # A name that another site serves already is refused before any change.
    host.write('sites-enabled/mail', 'server {\n    listen %s:%d;\n    server_name mta-sts.beta.mailsec.test;\n}\n'
               % (address, HTTP_PORT))
    before = host.read('conf.d/mailsec-mta-sts-lab.conf')
    code, output, dummy = host.role()
    assert code != 0
    assert 'mta-sts.beta.mailsec.test is already a server_name in /etc/nginx/sites-enabled/mail' in output
    assert host.read('conf.d/mailsec-mta-sts-lab.conf') == before
    assert_nginx_t_passes(host)


def test_two_role_vhost_files(host, lab, long_domain):
    entries = lab_entries(lab)
    first = {'mta_sts_domains': entries[:1], 'lab_nginx_conf_path': '/etc/nginx/conf.d/mailsec-mta-sts-one.conf',
             'lab_nginx_http_conf_path': HTTP}
    second = {'mta_sts_domains': entries[1:] + [long_domain],
              'lab_nginx_conf_path': '/etc/nginx/conf.d/mailsec-mta-sts-two.conf', 'lab_nginx_http_conf_path': HTTP}
    for extra in (first, second):
        code, output, dummy = host.role(extra)
        assert code == 0, output[-3000:]
        assert_nginx_t_passes(host)
    assert host.files() == ['mailsec-mta-sts-lab-http.conf', 'mailsec-mta-sts-one.conf', 'mailsec-mta-sts-two.conf']
    # The first play again: the shared http-level file keeps what the second one's names need.
    for extra in (first, second):
        code, output, dummy = host.role(extra)
        assert code == 0 and recap_changed(output) == 0, output[-3000:]
    assert 'server_names_hash_bucket_size 128;' in host.read('conf.d/mailsec-mta-sts-lab-http.conf')
    for domain in ('alpha.mailsec.test', 'beta.mailsec.test', LONG_DOMAIN):
        assert served(lab, domain)[0] == 'HTTP/1.1 200 OK'
    # The same domain in both files would make nginx serve only one: refused, naming the other file.
    code, output, dummy = host.role(dict(second, mta_sts_domains=entries))
    assert code != 0
    assert 'mta-sts.alpha.mailsec.test is already a server_name in /etc/nginx/conf.d/mailsec-mta-sts-one.conf' in output
    assert_nginx_t_passes(host)


def test_5000_names(host, lab):
    started = time.monotonic()
    entries = labtools.add_fleet_domains(lab, 5000)
    # add_fleet_domains also writes fleet_vars.yml, which lab.yml would deploy in every later test.
    os.unlink(os.path.join(lab['state_dir'], 'fleet_vars.yml'))
    prepared = time.monotonic() - started
    code, output, seconds = host.role({'mta_sts_domains': entries, 'mta_sts_verify_workers': 32})
    assert code == 0, output[-3000:]
    assert host.read('conf.d/mailsec-mta-sts-lab-http.conf').count('server_names_hash_max_size') == 1
    output_t = assert_nginx_t_passes(host)
    assert 'could not build optimal' not in output_t
    assert served(lab, entries[-1]['domain'])[0] == 'HTTP/1.1 200 OK'
    print('5000 names: lab fleet %.1f s, role run %.1f s' % (prepared, seconds))


def test_a_stale_second_web_host_holds_the_id_back(host, lab, lab_nginx, tmp_path):
    """mta-sts.alpha gets a second address whose web host still serves the old policy: no new id."""
    code, output, dummy = host.role({'mta_sts_dns_method': 'nsupdate'})
    assert code == 0, output[-3000:]
    record = labtools.dns_query(lab, '_mta-sts.alpha.mailsec.test', 'TXT')
    stale_root = tmp_path / 'stale'
    (stale_root / '.well-known').mkdir(parents=True)
    (stale_root / '.well-known' / 'mta-sts.txt').write_bytes(served(lab, 'alpha.mailsec.test')[1])
    stale = '127.%d.92.9' % labtools.LAB_NET
    entry = lab['domains'][0]
    lab_nginx(labtools.render_tls_server(stale, entry['mta_sts_host'], entry['tls_certificate'],
                                         entry['tls_certificate_key'], stale_root))
    labtools.dns_update(lab, entry['mta_sts_host'], 'A', [entry['mta_sts_address'], stale])
    try:
        code, output, dummy = host.role({'mta_sts_dns_method': 'nsupdate', 'mta_sts_max_age': 3600,
                                         'mta_sts_verify_retries': 0})
    finally:
        labtools.dns_update(lab, entry['mta_sts_host'], 'A', [entry['mta_sts_address']])
    assert code != 0
    assert 'mta-sts.alpha.mailsec.test serves different policies' in output
    assert '%s serves mode enforce, max_age 86400' % stale in output
    assert labtools.dns_query(lab, '_mta-sts.alpha.mailsec.test', 'TXT') == record
    assert_nginx_t_passes(host)
