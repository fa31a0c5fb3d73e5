# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The private copy of this machine's nginx (tests/lab/mailsec_lab/private_host.py): what the copy changes."""

import os

import pytest

from mailsec_lab import private_host

ADDRESS = '127.40.80.1'


@pytest.mark.parametrize('line, pinned', [
    ('\tlisten 80 default_server;\n', '\tlisten 127.40.80.1:80 default_server;\n'),
    ('    listen 80;\n', '    listen 127.40.80.1:80;\n'),
    ('listen *:80 default_server reuseport;\n', 'listen 127.40.80.1:80 default_server reuseport;\n'),
    ('listen 0.0.0.0:80;\n', 'listen 127.40.80.1:80;\n'),
    ('\tlisten [::]:80 default_server;\n', ''),
    # Already on one address, another port, or a comment: left alone.
    ('listen 192.0.2.1:80;\n', 'listen 192.0.2.1:80;\n'),
    ('listen 8080;\n', 'listen 8080;\n'),
    ('listen 443 ssl;\n', 'listen 443 ssl;\n'),
    ('# listen 80 default_server;\n', '# listen 80 default_server;\n'),
])
def test_only_listens_on_every_address_of_port_80_are_pinned(line, pinned):
    assert private_host.pin_port_80('server {\n' + line + '}\n', ADDRESS) == 'server {\n' + pinned + '}\n'


def test_the_copy_keeps_the_host_pins_the_default_site_and_leaves_out_the_labs_files(tmp_path):
    etc = tmp_path / 'etc-nginx'
    for folder in ('conf.d', 'sites-available', 'sites-enabled'):
        (etc / folder).mkdir(parents=True)
    (etc / 'nginx.conf').write_text('http { include /etc/nginx/conf.d/*.conf; }\n')
    (etc / 'sites-available' / 'default').write_text('server {\n\tlisten 80 default_server;\n\tlisten [::]:80 default_server;\n}\n')
    os.symlink('../sites-available/default', etc / 'sites-enabled' / 'default')
    (etc / 'conf.d' / 'shop.conf').write_text('server { listen 192.0.2.1:443 ssl; }\n')
    (etc / 'conf.d' / 'mailsec-mta-sts-lab.conf').write_text('left over by a killed run\n')
    copy = tmp_path / 'copy'
    private_host.copy_configuration(copy, ADDRESS, source_etc=etc)
    assert sorted(os.listdir(copy / 'conf.d')) == ['shop.conf']
    assert (copy / 'conf.d' / 'shop.conf').read_text() == 'server { listen 192.0.2.1:443 ssl; }\n'
    enabled = copy / 'sites-enabled' / 'default'
    assert not enabled.is_symlink()
    assert enabled.read_text() == 'server {\n\tlisten 127.40.80.1:80 default_server;\n}\n'
    # The source is untouched, its link too.
    assert os.readlink(etc / 'sites-enabled' / 'default') == '../sites-available/default'
    assert (copy / 'sites-available' / 'default').read_text() == (etc / 'sites-available' / 'default').read_text()
