# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action groups of meta/runtime.yml are usable with module_defaults: every member accepts every
option its group is for (module_defaults hands all of them to each member, and a member without one
fails with "Unsupported parameters"), and the modules document the groups they belong to.
"""

import json
import os
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The options each group is for, as the README and the doc fragments promise them.
GROUP_OPTIONS = {
    'dns_update': ['server', 'port', 'zone', 'key_name', 'key_secret', 'key_algorithm', 'timeout', 'ttl'],
    'resolve': ['nameservers', 'dns_port', 'timeout'],
}


def action_groups():
    with open(os.path.join(REPO, 'meta', 'runtime.yml')) as f:
        return yaml.safe_load(f).get('action_groups') or {}


def module_docs():
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(REPO, 'plugins', 'modules'))
                     if name.endswith('.py') and name != '__init__.py')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, '.collections'), ANSIBLE_NOCOLOR='1')
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-doc'), '-t', 'module', '--json']
                          + ['mailsec.mta_sts.' + name for name in modules],
                          env=env, capture_output=True, text=True, check=True, timeout=120)
    return dict((name.rsplit('.', 1)[1], value['doc']) for name, value in json.loads(proc.stdout).items())


@pytest.fixture(scope='module')
def docs():
    return module_docs()


def test_every_group_says_what_it_is_for():
    assert sorted(action_groups()) == sorted(GROUP_OPTIONS)


@pytest.mark.parametrize('group', sorted(GROUP_OPTIONS))
def test_every_member_accepts_the_group_options(docs, group):
    members = action_groups()[group]
    assert members, group
    for member in members:
        assert member in docs, '%s lists %s, which is not a module of the collection' % (group, member)
        missing = [option for option in GROUP_OPTIONS[group] if option not in docs[member]['options']]
        assert not missing, ('%s is in group %s but has no option %s: module_defaults on the group would fail it '
                             'with "Unsupported parameters"' % (member, group, ', '.join(missing)))


def test_modules_document_their_groups(docs):
    runtime = dict((member, sorted('mailsec.mta_sts.' + group for group, members in action_groups().items()
                                   if member in members)) for member in docs)
    documented = dict((member, sorted(doc.get('attributes', {}).get('action_group', {}).get('membership') or []))
                      for member, doc in docs.items())
    assert documented == runtime
