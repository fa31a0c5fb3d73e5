# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""For any value the validators accept, the file it is written into reads back as exactly that value
(issue 21): the role's nginx vhost through the real ``nginx -T``, main.cf through the real
``postconf``, the resolver's YAML through ``yaml.safe_load``, policy files through the collection's
own parser. Values are drawn from alphabets full of the characters each grammar treats as syntax, so
both what is refused and what passes are exercised; what is refused raises before anything is rendered.

Needs nginx and Postfix's postconf (installed by ``make venv``); no server is started, nothing listens.
"""

import os
import pathlib
import shutil
import subprocess
import tempfile

import jinja2
import pytest
import trustme
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ansible.plugins.filter.core import FilterModule as AnsibleCoreFilters, to_nice_yaml

from ansible_collections.mailsec.mta_sts.plugins.filter.mta_sts_nginx_http import mta_sts_nginx_servers
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import domains as _domains
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import grammar, policy, postfix_tables
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.resolver_config import settings_problems

ROOT = pathlib.Path(__file__).resolve().parents[2]
VHOST_TEMPLATE = ROOT / 'roles' / 'mta_sts' / 'templates' / 'mta-sts.conf.j2'
MTA_STS_WEBROOT = '/var/www/mta-sts'
RESOLVER_TEMPLATE = ROOT / 'roles' / 'postfix_outbound' / 'templates' / 'mta-sts-daemon.yml.j2'
NGINX = shutil.which('nginx') or '/usr/sbin/nginx'
POSTCONF = shutil.which('postconf') or '/usr/sbin/postconf'
# Path characters, the ones nginx and Postfix read as syntax among them.
HOSTILE = 'abcXYZ019._-/ \t\n\r;{}#\'"$\\`,~@%+=:\u2028\x00\x85'
DEFAULTS = {'mode': 'testing', 'mx': ['mx.example.com'], 'max_age': 86400, 'state': 'present'}


# ---------------------------------------------------------------- nginx's tokenizer, for reading -T back

def nginx_tokens(text):
    """The tokens of an nginx configuration as ngx_conf_read_token reads them: blanks separate, ";",
    "{" and "}" are tokens, "#" starts a comment, quotes group and "\\" escapes inside them."""
    tokens, i, n = [], 0, len(text)
    while i < n:
        char = text[i]
        if char in ' \t\r\n':
            i += 1
        elif char == '#':
            while i < n and text[i] != '\n':
                i += 1
        elif char in ';{}':
            tokens.append(char)
            i += 1
        elif char in '"\'':
            i += 1
            word = []
            while text[i] != char:
                if text[i] == '\\' and text[i + 1] in (char, '\\', 't', 'r', 'n'):
                    i += 1
                    word.append({'t': '\t', 'r': '\r', 'n': '\n'}.get(text[i], text[i]))
                else:
                    word.append(text[i])
                i += 1
            tokens.append(''.join(word))
            i += 1
        else:
            start = i
            while i < n and text[i] not in ' \t\r\n;{}':
                i += 1
            tokens.append(text[start:i])
    return tokens


def server_blocks(text):
    """``[{directive: [argument lists]}]`` of the top-level server blocks (nested locations as ``location root``)."""
    tokens, servers, stack, current, statement = nginx_tokens(text), [], [], None, []
    for token in tokens:
        if token == '{':
            stack.append(statement)
            if statement == ['server']:
                current = {}
                servers.append(current)
            statement = []
        elif token == '}':
            stack.pop()
            statement = []
        elif token == ';':
            if current is not None and statement:
                where = 'location ' if len(stack) > 1 else ''
                current.setdefault(where + statement[0], []).append(statement[1:])
            statement = []
        else:
            statement.append(token)
    return servers


def vhost_dump(vhost_text, workdir):
    """The vhost as ``nginx -T`` prints it from a private configuration (nginx -t must pass first)."""
    work = pathlib.Path(workdir)
    (work / 'vhost.conf').write_text(vhost_text)
    temps = ''.join('    %s_temp_path %s/%s_temp;\n' % (kind, work, kind)
                    for kind in ('client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'))
    (work / 'nginx.conf').write_text(
        'pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\nhttp {\n    access_log off;\n%s'
        '    server_names_hash_bucket_size 512;\n    server_names_hash_max_size 4096;\n'
        '    include %s/vhost.conf;\n}\n' % (work, work, temps, work))
    done = subprocess.run([NGINX, '-T', '-q', '-p', str(work), '-e', str(work / 'error.log'), '-c', str(work / 'nginx.conf')],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr + vhost_text
    marker = '# configuration file %s/vhost.conf:\n' % work
    return done.stdout.split(marker, 1)[1].split('\n# configuration file ', 1)[0]


def render_vhost(sites, listen, http_listen, acme_webroot):
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters['zip'] = lambda left, right: list(zip(left, right))
    env.filters.update(AnsibleCoreFilters().filters())  # hash, ... as the role's template runs in Ansible
    # The role's own filter, under the name the template calls it by.
    env.filters['mailsec.mta_sts.mta_sts_nginx_servers'] = mta_sts_nginx_servers
    return env.from_string(VHOST_TEMPLATE.read_text()).render(
        ansible_managed='test', _mta_sts_certificates={'certificates': []}, _mta_sts_vhost_domains=sites,
        mta_sts_nginx_listen=listen, mta_sts_nginx_http_listen=http_listen, mta_sts_acme_webroot=acme_webroot,
        mta_sts_webroot=MTA_STS_WEBROOT, mta_sts_nginx_conf_path='/etc/nginx/conf.d/mta-sts.conf')


@pytest.fixture(scope='module')
def certificate_pair():
    ca = trustme.CA()
    leaf = ca.issue_cert('mta-sts.example.com')
    return leaf.cert_chain_pems[0].bytes(), leaf.private_key_pem.bytes()


def _place(base, relative, content):
    """``relative`` made absolute under ``base``; the file created when the path is one nginx may hold."""
    path = base + '/' + relative
    if grammar.path_error(path) is None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.isdir(path):
            with open(path, 'wb') as handle:
                handle.write(content)
    return path


SAFE = 'abcXYZ019._-/~@%+=:'
# Half the draws from characters paths may hold (they reach nginx), half from the hostile set.
path_parts = st.one_of(st.text(alphabet=SAFE, min_size=1, max_size=12), st.text(alphabet=HOSTILE, min_size=1, max_size=12))
listen_values = st.one_of(
    st.integers(min_value=1, max_value=65535).map(str),
    st.tuples(st.integers(1, 254), st.integers(1, 65535)).map(lambda t: '127.0.40.%d:%d' % t),
    st.integers(min_value=1, max_value=65535).map(lambda port: '[::1]:%d' % port),
    st.text(alphabet='0123456789[]:. ;{}#\n', min_size=1, max_size=12),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sites=st.lists(st.tuples(path_parts, path_parts, path_parts), min_size=1, max_size=4),
       listen=st.lists(listen_values, min_size=1, max_size=2, unique=True),
       acme=path_parts)
@example(sites=[('a', 'b.pem', 'c.key'), ('x/y~z', 'p@q=r:s', '%2B+')], listen=['443', '[::1]:8443'], acme='acme')
@example(sites=[('a;b', 'c', 'd')], listen=['443'], acme='a')
def test_accepted_vhost_values_read_back_from_nginx_exactly(certificate_pair, sites, listen, acme):
    work = tempfile.mkdtemp(prefix='mailsec-grammar-', dir='/tmp')
    try:
        entries = []
        for index, (webroot, certificate, key) in enumerate(sites):
            entries.append({
                'domain': 'd%d.example.com' % index, 'webroot': work + '/www/' + webroot,
                'tls_certificate': _place(work, 'c%d/%s' % (index, certificate), certificate_pair[0]),
                'tls_certificate_key': _place(work, 'k%d/%s' % (index, key), certificate_pair[1]),
            })
        # A path ending in '/' names a folder, which no certificate can be: nginx -t refuses it, rightly.
        assume(not any(os.path.isdir(e[k]) for e in entries for k in ('tls_certificate', 'tls_certificate_key')))
        defaults = dict(DEFAULTS, nginx_listen=listen, nginx_http_listen=['80'], acme_webroot=work + '/acme/' + acme)
        try:
            completed = _domains.complete_domains(entries, defaults)
        except _domains.DomainSpecError as exc:
            # Refused: then some value broke its grammar, and the message names its variable.
            keys = ('webroot', 'tls_certificate', 'tls_certificate_key')
            assert any(grammar.path_error(e[k]) for e in entries for k in keys) \
                or grammar.path_error(defaults['acme_webroot']) or any(grammar.listen_error(v) for v in listen), str(exc)
            return
        text = vhost_dump(render_vhost(completed, listen, ['80'], defaults['acme_webroot']), work)
        servers = server_blocks(text)
        https = [server for server in servers if server['listen'][0][-1:] == ['ssl']]
        plain = [server for server in servers if server['listen'][0][-1:] != ['ssl']]
        # One HTTPS server per host here (each has a web root and a certificate of its own), one port-80
        # server for all of them.
        assert len(https) == len(completed) and len(plain) == 1
        port80 = plain[0]
        assert sorted(name for names in port80['server_name'] for name in names) \
            == sorted(item['mta_sts_host'] for item in completed)
        assert port80['location root'] == [[defaults['acme_webroot']]]
        for item, server in zip(completed, https):
            assert server['server_name'] == [[item['mta_sts_host']]]
            assert server['root'] == [[item['webroot']]]
            assert server['ssl_certificate'] == [[item['tls_certificate']]]
            assert server['ssl_certificate_key'] == [[item['tls_certificate_key']]]
            assert server['listen'] == [value.split(' ') + ['ssl'] for value in listen]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_finding2_the_issue_webroot_never_reaches_nginx():
    # The value that made nginx serve /etc: refused by the filter, so no vhost is rendered from it.
    with pytest.raises(_domains.DomainSpecError, match=r"webroot contains ';' \(U\+003B\)"):
        _domains.complete_domains([{'domain': 'example.com',
                                    'webroot': '/var/www/x;\n location /leak/ { alias /etc/; autoindex on; }\n #'}], DEFAULTS)


# ---------------------------------------------------------------- main.cf through postconf

socketmap_values = st.one_of(
    st.tuples(st.sampled_from(['127.0.0.1', 'localhost', '[::1]', 'resolver.example']), st.integers(1, 65535),
              st.text(alphabet='abcz09_.-', min_size=1, max_size=10))
    .map(lambda t: 'socketmap:inet:%s:%d:%s' % t),
    st.text(alphabet='abc/._-', min_size=1, max_size=20).map(lambda p: 'socketmap:unix:/%s:postfix' % p),
    st.text(alphabet=HOSTILE + ':', min_size=1, max_size=30).map(lambda t: 'socketmap:inet:' + t),
)


@settings(max_examples=25, deadline=None)
@given(spec=socketmap_values)
@example(spec='socketmap:inet:[::1]:8461:postfix')
def test_an_accepted_socketmap_is_one_entry_of_main_cf(spec):
    if grammar.socketmap_error(spec) is not None:
        return
    work = tempfile.mkdtemp(prefix='mailsec-postconf-', dir='/tmp')
    try:
        before = ['hash:/etc/postfix/tls_policy', 'texthash:/etc/postfix/dane']
        pathlib.Path(work, 'main.cf').write_text('smtp_tls_policy_maps = %s\n' % ', '.join(before))
        pathlib.Path(work, 'master.cf').write_text('')
        value = postfix_tables.join_maps(postfix_tables.place_entry(before, spec, 'present'))
        subprocess.run([POSTCONF, '-c', work, '-e', 'smtp_tls_policy_maps = ' + value], check=True, capture_output=True)
        shown = subprocess.run([POSTCONF, '-c', work, '-n'], check=True, capture_output=True, text=True).stdout
        # (postconf -c DIR -n also prints the config_directory it was given)
        lines = [line for line in shown.splitlines() if not line.startswith('config_directory = ')]
        assert len(lines) == 1 and lines[0].startswith('smtp_tls_policy_maps = ')
        assert postfix_tables.split_maps(lines[0].split(' = ', 1)[1]) == before + [spec]
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- the resolver's YAML

@settings(max_examples=100, deadline=None)
@given(url=st.text(alphabet=HOSTILE + ':@[]?&!*|>', max_size=40), zone=st.text(alphabet=HOSTILE + ':!&*', min_size=1, max_size=12),
       path=path_parts)
def test_accepted_resolver_values_read_back_from_the_yaml_exactly(url, zone, path):
    settings_ = {'cache_redis_url': url, 'zone': zone, 'cache_sqlite_path': '/var/lib/' + path,
                 'listen_address': '127.0.0.1', 'zones': {zone: {'timeout': 4}}}
    if settings_problems(settings_):
        return
    config = {'host': '127.0.0.1', 'port': 8461,
              'cache': {'type': 'redis', 'options': {'url': url, 'filename': settings_['cache_sqlite_path']}},
              'zones': {zone: {'timeout': 4}}}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters['to_nice_yaml'] = to_nice_yaml
    text = env.from_string(RESOLVER_TEMPLATE.read_text()).render(ansible_managed='test', _postfix_outbound_config=config)
    assert yaml.safe_load(text) == config


# ---------------------------------------------------------------- policy files

@settings(max_examples=100, deadline=None)
@given(mode=st.text(alphabet='enforcetsingd\n\r ', max_size=9),
       mx=st.lists(st.text(alphabet='abc.*-\n\r\x00\u2028 :', min_size=1, max_size=12), min_size=1, max_size=3),
       max_age=st.integers(min_value=-1, max_value=policy.MAX_AGE_MAX + 1))
def test_accepted_policy_values_parse_back_exactly(mode, mx, max_age):
    if policy.policy_problems(mode, mx, max_age):
        return
    parsed, findings = policy.parse(policy.render({'mode': mode, 'mx': mx, 'max_age': max_age}))
    assert not [f for f in findings if f.severity == 'error']
    assert (parsed['mode'], parsed['mx'], parsed['max_age']) == (mode, policy.unique_mx(mx), max_age)
