# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet_hosts scenario's web2 interpreter (extensions/molecule/fleet_hosts/hosts.py): pyenv's Python 3.9, and
on a machine without pyenv (a new Debian 13 machine, where `make test` crashed on FileNotFoundError 'pyenv') the
system Python, said as a SKIPPED part."""

import importlib.util
import subprocess
import sys
from pathlib import Path

HOSTS_PY = Path(__file__).resolve().parents[3] / 'extensions' / 'molecule' / 'fleet_hosts' / 'hosts.py'
_SPEC = importlib.util.spec_from_file_location('fleet_hosts_hosts', HOSTS_PY)
hosts = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(hosts)


def test_without_pyenv_web2_runs_the_system_python_and_says_what_is_not_tested(tmp_path, monkeypatch):
    monkeypatch.setenv('PATH', str(tmp_path / 'bin'))  # no pyenv on it
    monkeypatch.setenv('HOME', str(tmp_path))
    python, why = hosts.web2_python()
    assert python == '/usr/bin/python3'
    assert why.startswith('module code on Python 3.9 over SSH (web2): no Python 3.9 in %s/.pyenv/versions' % tmp_path)
    out = subprocess.run([sys.executable, str(HOSTS_PY), 'skipped'], capture_output=True, text=True, check=True,
                         env={'PATH': str(tmp_path / 'bin'), 'HOME': str(tmp_path)}).stdout
    assert out == '==> molecule: SKIPPED: fleet_hosts: %s\n' % why


def test_with_pyenv_web2_runs_its_python_3_9(tmp_path, monkeypatch):
    root = tmp_path / 'pyenv-root'
    for version in ('3.9.18', '3.12.1'):
        binary = root / 'versions' / version / 'bin' / ('python' + version.rsplit('.', 1)[0])
        binary.parent.mkdir(parents=True)
        binary.write_text('')
    (tmp_path / 'bin').mkdir()
    (tmp_path / 'bin' / 'pyenv').write_text('#!/bin/sh\necho %s\n' % root)
    (tmp_path / 'bin' / 'pyenv').chmod(0o755)
    monkeypatch.setenv('PATH', str(tmp_path / 'bin') + ':/usr/bin:/bin')
    assert hosts.web2_python() == (str(root / 'versions' / '3.9.18' / 'bin' / 'python3.9'), '')
