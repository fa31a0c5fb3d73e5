# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nginx_config against a real nginx with a private configuration (tests/lab start_nginx), never the host's.

The private nginx.conf includes ``sites/*.conf`` of the test's folder; the module writes there, checks
with ``nginx -t -c`` that configuration and reloads the running nginx, which answers on a lab address.
"""

import os
import stat
import time
import urllib.error
import urllib.request

import pytest

import mailsec_lab as labtools
from mailsec_testing.modules import run_module

ADDRESS = '127.%d.86.1' % labtools.LAB_NET


def server(body, extra=''):
    return 'server {\n    listen %s:80;\n    %s\n    location / { return 200 "%s\\n"; }\n}\n' % (ADDRESS, extra, body)


def served():
    """The body nginx answers on ADDRESS, or None when nothing answers."""
    try:
        with urllib.request.urlopen('http://%s/' % ADDRESS, timeout=5) as response:
            return response.read().decode()
    except (urllib.error.URLError, OSError):
        return None


def wait_served(body, timeout=10):
    """The served body once it is ``body`` (a reload takes effect when the old workers are gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = served()
        if seen == body:
            return seen
        time.sleep(0.05)
    return served()


class Site(object):
    """A private nginx whose nginx.conf includes SITES/*.conf; the module's files go to SITES."""

    def __init__(self, root):
        self.root = root
        self.sites = root / 'sites'
        self.sites.mkdir()
        self.work = root / 'work'
        self.work.mkdir()
        self.conf = root / 'nginx.conf'
        self.conf.write_text(labtools.render_nginx_conf('    include %s/*.conf;\n' % self.sites, self.work))
        self.pid = None

    def path(self, name):
        return str(self.sites / name)

    def read(self, name):
        return (self.sites / name).read_text()

    def names(self):
        return sorted(os.listdir(str(self.sites)))

    def start(self):
        self.pid = labtools.start_nginx(self.conf, self.root)

    def args(self, files, **options):
        return dict(dict(files=files, config_file=str(self.conf)), **options)


@pytest.fixture
def site(tmp_path):
    instance = Site(tmp_path)
    (instance.sites / 'main.conf').write_text(server('v1'))
    instance.start()
    assert wait_served('v1\n') == 'v1\n'
    yield instance
    labtools.stop_pid(instance.pid)


@pytest.fixture
def ansible_module():
    """The module run in-process (its nginx -t and reload are real; Ansible's own layer is not under test)."""
    def runner(name, args, check=False, diff=False):
        return run_module(name, args, check=check, diff=diff)
    return runner


def test_check_mode_then_apply_then_rerun_changes_nothing(site, ansible_module):
    files = [{'path': site.path('main.conf'), 'content': server('v2'), 'mode': '0640'},
             {'path': site.path('http.conf'), 'content': 'server_names_hash_bucket_size 128;\n', 'mode': '0644'}]
    before = site.read('main.conf')
    # Check mode: the diff of both files, nothing written, nginx not asked.
    run = ansible_module('nginx_config', site.args(files, reload=True), check=True, diff=True)
    assert not run.failed, run.result
    assert run.changed and not run.result['reloaded']
    assert [entry['created'] for entry in run.result['files']] == [False, True]
    assert [diff['after_header'] for diff in run.result['diff']] == [site.path('main.conf') + ' (mode 0640)',
                                                                     site.path('http.conf') + ' (mode 0644)']
    assert run.result['diff'][0]['before'] == before and 'v2' in run.result['diff'][0]['after']
    assert run.result['diff'][1]['before'] == ''
    assert site.read('main.conf') == before and site.names() == ['main.conf']
    assert served() == 'v1\n'
    # Applied: both written, nginx -t passed, reloaded.
    run = ansible_module('nginx_config', site.args(files, reload=True), diff=True)
    assert not run.failed, run.result
    assert run.changed and run.result['reloaded']
    assert site.read('main.conf') == server('v2') and site.names() == ['http.conf', 'main.conf']
    assert stat.S_IMODE(os.stat(site.path('main.conf')).st_mode) == 0o640
    assert wait_served('v2\n') == 'v2\n'
    # Again: nothing changes, nothing is reloaded; check mode agrees.
    for check in (True, False):
        run = ansible_module('nginx_config', site.args(files, reload=True), check=check, diff=True)
        assert not run.failed, run.result
        assert not run.changed and not run.result['reloaded'] and run.result['diff'] == []
    # A mode alone is a change too (nothing for nginx to reload, but the file is not as asked).
    files[0]['mode'] = '0644'
    run = ansible_module('nginx_config', site.args(files))
    assert run.changed and [entry['changed'] for entry in run.result['files']] == [True, False]
    assert stat.S_IMODE(os.stat(site.path('main.conf')).st_mode) == 0o644


def test_a_refused_configuration_is_rolled_back_and_the_old_one_keeps_serving(site, ansible_module):
    before = site.read('main.conf')
    mode = stat.S_IMODE(os.stat(site.path('main.conf')).st_mode)
    files = [{'path': site.path('main.conf'), 'content': server('v2', 'ssl_certificate /nonexistent/missing.crt;'),
              'mode': '0600'},
             {'path': site.path('new.conf'), 'content': '# a new file\n'}]
    run = ansible_module('nginx_config', site.args(files, reload=True))
    assert run.failed and not run.changed and not run.result['reloaded']
    assert run.msg.startswith('nginx -t refused the configuration with the new %s, %s, so the previous files were '
                              'put back and nginx was not reloaded: ' % (site.path('main.conf'), site.path('new.conf')))
    # nginx's own words, naming the file it refused.
    assert 'missing.crt' in run.msg and 'missing.crt' in run.result['nginx_output']
    assert 'without them too' not in run.msg
    # The previous file byte for byte with its mode, the new one gone, no temporary file left.
    assert site.read('main.conf') == before and site.names() == ['main.conf']
    assert stat.S_IMODE(os.stat(site.path('main.conf')).st_mode) == mode
    assert labtools.pid_alive(site.pid) and served() == 'v1\n'


def test_a_configuration_broken_before_is_named(site, ansible_module):
    (site.sites / 'other.conf').write_text('this is not nginx;\n')
    files = [{'path': site.path('main.conf'), 'content': server('v2')}]
    run = ansible_module('nginx_config', site.args(files))
    assert run.failed and not run.changed
    assert 'nginx -t refuses the configuration without them too' in run.msg
    assert run.msg.count('unknown directive "this"') == 2, run.msg
    assert site.read('main.conf') == server('v1') and served() == 'v1\n'


@pytest.mark.parametrize('files, options, invalid', [
    ([{'path': 'relative.conf', 'content': ''}], {}, ['files[0].path']),
    ([{'path': '/x/a.conf', 'content': ''}, {'path': '/x/./a.conf', 'content': ''}], {}, ['files[1].path']),
    ([{'path': '/x/a.conf', 'content': '', 'mode': 'u=rw'}], {}, ['files[0].mode']),
    ([{'path': '/x/a.conf', 'content': '', 'mode': '0844'}], {}, ['files[0].mode']),
    ([], {}, ['files']),
])
def test_bad_input_names_the_option_and_changes_nothing(tmp_path, ansible_module, files, options, invalid):
    files = [dict(entry, path=str(tmp_path / entry['path'].lstrip('/')) if entry['path'].startswith('/')
                  else entry['path']) for entry in files]
    run = ansible_module('nginx_config', dict(files=files, **options))
    assert run.failed and not run.changed
    assert run.result['invalid_options'] == invalid
    assert invalid[0] in run.msg
    assert not list(tmp_path.rglob('*.conf'))


def test_no_nginx_binary_writes_nothing(tmp_path, ansible_module):
    target = tmp_path / 'a.conf'
    run = ansible_module('nginx_config', {'files': [{'path': str(target), 'content': 'x;\n'}],
                                          'binary': 'mailsec-no-such-nginx'})
    assert run.failed and not run.changed
    assert run.msg.startswith('binary: mailsec-no-such-nginx was not found on the PATH')
    assert not target.exists()


def test_a_missing_folder_writes_nothing(site, ansible_module):
    files = [{'path': site.path('main.conf'), 'content': server('v2')},
             {'path': str(site.root / 'nowhere' / 'a.conf'), 'content': 'x;\n'}]
    run = ansible_module('nginx_config', site.args(files))
    assert run.failed and not run.changed
    assert 'the folder %s does not exist' % (site.root / 'nowhere') in run.msg
    assert site.read('main.conf') == server('v1')


def test_reload_of_an_nginx_that_does_not_run_fails_with_the_files_in_place(site, ansible_module):
    labtools.stop_pid(site.pid)
    files = [{'path': site.path('main.conf'), 'content': server('v2')}]
    run = ansible_module('nginx_config', site.args(files, reload=True))
    assert run.failed and run.changed and not run.result['reloaded']
    assert run.msg.startswith('the new files passed nginx -t and are in place, but nginx -s reload failed')
    assert site.read('main.conf') == server('v2')


def test_running_says_whether_the_nginx_of_the_pid_file_runs(site, ansible_module, tmp_path):
    files = [{'path': site.path('main.conf'), 'content': server('v1')}]
    pid_file = str(site.work / 'nginx.pid')
    run = ansible_module('nginx_config', site.args(files, pid_file=pid_file), check=True)
    assert not run.failed and run.result['running'] is True, run.result
    assert 'running' not in ansible_module('nginx_config', site.args(files)).result
    # A PID file that names another program (the PID was reused), or nothing, is not a running nginx.
    other = tmp_path / 'other.pid'
    other.write_text('%d\n' % os.getpid())
    assert ansible_module('nginx_config', site.args(files, pid_file=str(other))).result['running'] is False
    other.write_text('')
    assert ansible_module('nginx_config', site.args(files, pid_file=str(other))).result['running'] is False
    labtools.stop_pid(site.pid)
    run = ansible_module('nginx_config', site.args(files, pid_file=pid_file))
    assert not run.failed and run.result['running'] is False, run.result
