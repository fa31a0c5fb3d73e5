# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Debian 13 host (tests/lab/trixie.py): the parts that need no root file system."""

import fcntl
import os
import subprocess
import sys

import trixie

DEFAULT_SITE = ('server {\n\tlisten 80 default_server;\n\tlisten [::]:80 default_server;\n'
                '\t# listen 443 ssl default_server;\n\troot /var/www/html;\n}\n')


def _root_with_default_site(tmp_path, link):
    """A merged root whose sites-enabled/default links (``link``) to sites-available/default."""
    etc = tmp_path / 'etc' / 'nginx'
    (etc / 'sites-available').mkdir(parents=True)
    (etc / 'sites-enabled').mkdir()
    (etc / 'conf.d').mkdir()
    (etc / 'sites-available' / 'default').write_text(DEFAULT_SITE)
    os.symlink(link, etc / 'sites-enabled' / 'default')
    return etc


def test_the_default_site_is_pinned_inside_the_root_through_an_absolute_link(tmp_path):
    # Debian 13 links sites-enabled/default to /etc/nginx/sites-available/default (absolute): the file
    # edited must be the root's, never this machine's.
    etc = _root_with_default_site(tmp_path, '/etc/nginx/sites-available/default')
    trixie._pin_nginx_port_80(tmp_path)  # pylint: disable=protected-access
    text = (etc / 'sites-available' / 'default').read_text()
    assert '\tlisten %s:80 default_server;\n' % trixie.WEB_ADDRESS in text
    assert '[::]:80' not in text
    assert '# listen 443 ssl default_server;' in text
    assert os.readlink(etc / 'sites-enabled' / 'default') == '/etc/nginx/sites-available/default'


def test_the_default_site_is_pinned_through_a_relative_link(tmp_path):
    etc = _root_with_default_site(tmp_path, '../sites-available/default')
    trixie._pin_nginx_port_80(tmp_path)  # pylint: disable=protected-access
    assert 'listen %s:80 default_server;' % trixie.WEB_ADDRESS in (etc / 'sites-available' / 'default').read_text()


def test_an_unreachable_archive_is_a_skip_and_any_other_failure_is_not(tmp_path):
    log = tmp_path / 'build.log'
    log.write_text('I: Retrieving InRelease\nE: Failed getting release file http://deb.debian.org/debian/dists/trixie/Release\n')
    reason = trixie._unavailable_reason(log)  # pylint: disable=protected-access
    assert "archive is not reachable" in reason and str(log) in reason
    log.write_text('I: Extracting libc6...\nW: Failure trying to run: chroot /x /sbin/ldconfig\n')
    assert trixie._unavailable_reason(log) is None  # pylint: disable=protected-access


def test_the_root_holds_every_package_make_venv_installs(tmp_path):
    listed = subprocess.run(['make', '-s', '--no-print-directory', '-C', str(trixie.REPO), 'print-system-packages'],
                            capture_output=True, text=True, check=True).stdout.split()
    assert 'knot' in listed and 'postfix-mta-sts-resolver' in listed
    assert set(listed) <= set(trixie.all_packages())
    assert set(trixie.PACKAGES) <= set(trixie.all_packages())


def test_the_summary_lines_are_read_from_make_demos_output():
    output = ('TASK [Summarize the verification] ***\nok: [localhost] => {\n    "msg": [\n'
              '        "2 domain(s) verified, none fails",\n'
              '        "alpha.mailsec.test: 12 check(s) ok, 0 warning(s), 0 error(s)",\n'
              '        "beta.mailsec.test: 11 check(s) ok, 1 warning(s), 0 error(s)"\n    ]\n}\n')
    assert trixie.demo_summary(output) == ['2 domain(s) verified, none fails',
                                           'alpha.mailsec.test: 12 check(s) ok, 0 warning(s), 0 error(s)',
                                           'beta.mailsec.test: 11 check(s) ok, 1 warning(s), 0 error(s)']


def _root(cache, name):
    root = cache / name
    (root / 'etc').mkdir(parents=True)
    (root / 'etc' / 'debian_version').write_text('13.8\n')
    (root / trixie.BUILD_RECORD).write_text('{}\n')
    (cache / (name + '.log')).write_text('build log\n')
    return root


def test_a_build_removes_the_roots_of_other_recipes_that_no_running_host_uses(tmp_path, monkeypatch):
    monkeypatch.setenv('MAILSEC_LAB_CACHE', str(tmp_path))
    current = _root(tmp_path, trixie.root_path().name)
    stale = _root(tmp_path, 'trixie-aaaaaaaaaaaa')
    in_use = _root(tmp_path, 'trixie-bbbbbbbbbbbb')
    locked = _root(tmp_path, 'trixie-cccccccccccc')
    unfinished = tmp_path / '.trixie-aaaaaaaaaaaa.x1y2z3'
    unfinished.mkdir()
    other = tmp_path / 'pip-tlsrpt-2616830de661'
    other.mkdir()
    # A running host names its root on its init's command line, as up() starts it.
    host = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', '/w/tests/lab/trixie.py', '_init',
                             str(in_use), str(tmp_path / 'state')])
    try:
        with open(tmp_path / 'trixie-cccccccccccc.lock', 'w', encoding='ascii') as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)  # as up() holds it while starting a host on that root
            messages = []
            assert trixie.build(log=messages.append) == current
    finally:
        host.kill()
        host.wait()
    assert not stale.exists() and not unfinished.exists() and not (tmp_path / 'trixie-aaaaaaaaaaaa.log').exists()
    assert (tmp_path / 'trixie-aaaaaaaaaaaa.lock').exists()  # a waiting build may hold it open
    assert messages == ['removed the Debian 13 root of another recipe, used by no running host: %s (0 MB)' % stale]
    assert (in_use / trixie.BUILD_RECORD).exists() and (locked / trixie.BUILD_RECORD).exists()
    assert (current / trixie.BUILD_RECORD).exists() and other.is_dir()
    # Once its host has ended, the next build removes it too.
    assert trixie.remove_stale_roots(current, log=messages.append) == [in_use, locked]


def test_make_test_inside_runs_every_step_of_make_test_but_the_root_in_the_root():
    steps = trixie.test_steps(trixie.REPO)
    assert steps[:2] == ['unit', 'integration'] and 'sanity' in steps and 'docs' in steps
    assert 'trixie' not in steps and list(trixie.NOT_INSIDE) == ['trixie']
