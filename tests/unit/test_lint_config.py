# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
""".ansible-lint stands in for every module and role of the collection, so that `ansible-lint` in a
plain clone (nothing installed, offline) resolves them; `make release-check` runs it there."""

import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def config():
    with open(os.path.join(REPO, '.ansible-lint')) as f:
        return yaml.safe_load(f)


def test_every_module_has_a_stand_in():
    modules = sorted('mailsec.mta_sts.' + name[:-3] for name in os.listdir(os.path.join(REPO, 'plugins', 'modules'))
                     if name.endswith('.py') and name != '__init__.py')
    missing = [name for name in modules if name not in config().get('mock_modules', [])]
    assert not missing, 'add to mock_modules in .ansible-lint: %s' % ', '.join(missing)


def test_every_role_has_a_stand_in():
    roles = sorted('mailsec.mta_sts.' + name for name in os.listdir(os.path.join(REPO, 'roles')))
    missing = [name for name in roles if name not in config().get('mock_roles', [])]
    assert not missing, 'add to mock_roles in .ansible-lint: %s' % ', '.join(missing)
