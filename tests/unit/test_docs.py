# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each role's three descriptions of its variables (defaults, argument specs, README table) agree."""

import json
import os
import re

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# role: (the README holding its variable table, the prefix of its variables)
ROLES = {
    'mta_sts': (os.path.join(REPO, 'README.md'), 'mta_sts_'),
    'postfix_outbound': (os.path.join(REPO, 'roles', 'postfix_outbound', 'README.md'), 'postfix_outbound_'),
}


def load(*parts):
    with open(os.path.join(*parts)) as handle:
        return yaml.safe_load(handle)


def specs(role):
    return load(REPO, 'roles', role, 'meta', 'argument_specs.yml')['argument_specs']['main']['options']


def readme_table(role):
    with open(ROLES[role][0]) as handle:
        text = handle.read()
    table = text.split('<!-- BEGIN VARIABLES')[1].split('<!-- END VARIABLES -->')[0]
    rows = {}
    for line in table.splitlines():
        match = re.match(r'^\| `([a-z_]+)` \| (.+?) \| (.+) \|$', line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


@pytest.mark.parametrize('role', sorted(ROLES))
def test_every_default_is_specified_with_the_same_value(role):
    defaults = load(REPO, 'roles', role, 'defaults', 'main.yml')
    options = specs(role)
    assert sorted(defaults) == sorted(options)
    for name, value in defaults.items():
        if options[name].get('required'):
            continue
        assert options[name].get('default') == value, name


@pytest.mark.parametrize('role', sorted(ROLES))
def test_every_option_is_typed_and_described_and_named_after_the_role(role):
    for name, option in specs(role).items():
        assert option.get('type'), name
        assert option.get('description'), name
        assert name.startswith(ROLES[role][1]), name


@pytest.mark.parametrize('role', sorted(ROLES))
def test_readme_lists_every_variable_with_its_default(role):
    rows = readme_table(role)
    options = specs(role)
    assert sorted(rows) == sorted(options)
    for name, option in options.items():
        if option.get('required'):
            assert rows[name] == '(required)', name
            continue
        shown = rows[name].strip('`')
        default = option['default']
        if isinstance(default, (list, dict)):
            assert yaml.safe_load(shown) == default, name
        elif isinstance(default, bool):
            assert shown == json.dumps(default), name
        elif default == '':
            assert shown == '""', name
        else:
            assert shown == str(default), name
