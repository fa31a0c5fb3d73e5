# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The record of how this host's nginx was found (lab.py up --host-record), which lab_stop.yml follows."""

import json
import os
import subprocess
import sys

from mailsec_lab import nginx


def test_records_a_running_nginx_and_the_missing_files_once(tmp_path):
    existing = tmp_path / 'site.conf'
    existing.write_text('')
    dangling = tmp_path / 'link.conf'
    dangling.symlink_to(tmp_path / 'nowhere')
    missing = str(tmp_path / 'lab.conf')
    # A process whose comm is "nginx": a copy of sleep by that name.
    fake = tmp_path / 'nginx'
    fake.write_bytes(open('/bin/sleep', 'rb').read())
    fake.chmod(0o755)
    proc = subprocess.Popen([str(fake), '30'])
    try:
        pid_file = tmp_path / 'nginx.pid'
        pid_file.write_text('%d\n' % proc.pid)
        record = tmp_path / 'host.json'
        assert nginx.record_host(record, [str(existing), str(dangling), missing], pid_file=pid_file)
        assert json.loads(record.read_text()) == {'created_files': [missing], 'nginx_was_running': True}
        assert oct(os.stat(record).st_mode & 0o777) == '0o600'
        # Once: a second call keeps what the first found, even though the host changed since.
        proc.kill()
        proc.wait()
        assert not nginx.record_host(record, [], pid_file=pid_file)
        assert json.loads(record.read_text())['nginx_was_running'] is True
    finally:
        proc.kill()
        proc.wait()


def test_a_pid_file_of_another_program_or_a_dead_one_is_not_a_running_nginx(tmp_path):
    pid_file = tmp_path / 'nginx.pid'
    assert not nginx.host_nginx_running(pid_file)  # no file
    pid_file.write_text('%d\n' % os.getpid())  # this python, not an nginx
    assert not nginx.host_nginx_running(pid_file)
    pid_file.write_text('not a pid\n')
    assert not nginx.host_nginx_running(pid_file)
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    pid_file.write_text('%d\n' % proc.pid)
    assert not nginx.host_nginx_running(pid_file)
