# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The postfix_outbound role's three descriptions of its variables (defaults, argument specs, README) agree."""

import json
import os
import re

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(REPO, 'roles', 'postfix_outbound')


def load(*parts):
    with open(os.path.join(*parts)) as handle:
        return yaml.safe_load(handle)


def specs():
    return load(ROLE, 'meta', 'argument_specs.yml')['argument_specs']['main']['options']


def readme_table():
    with open(os.path.join(ROLE, 'README.md')) as handle:
        text = handle.read()
    table = text.split('<!-- BEGIN VARIABLES')[1].split('<!-- END VARIABLES -->')[0]
    rows = {}
    for line in table.splitlines():
        match = re.match(r'^\| `([a-z_]+)` \| (.+?) \| (.+) \|$', line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_every_default_is_specified_with_the_same_value():
    defaults = load(ROLE, 'defaults', 'main.yml')
    options = specs()
    assert sorted(defaults) == sorted(options)
    for name, value in defaults.items():
        assert options[name].get('default') == value, name


def test_every_option_is_typed_and_described():
    for name, option in specs().items():
        assert option.get('type'), name
        assert option.get('description'), name
        assert name.startswith('postfix_outbound_'), name


def test_readme_lists_every_variable_with_its_default():
    rows = readme_table()
    options = specs()
    assert sorted(rows) == sorted(options)
    for name, option in options.items():
        shown = rows[name].strip('`')
        default = option['default']
        if isinstance(default, (list, dict)):
            assert yaml.safe_load(shown) == default, name
        elif isinstance(default, bool):
            assert shown == json.dumps(default), name
        else:
            assert shown == str(default), name
