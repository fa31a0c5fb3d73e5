# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mta_sts_policy module's backend: compute the policy file, then write it only when it differs.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Uses from the AnsibleModule: ``params``, ``check_mode``, ``_diff``, ``fail_json``, ``exit_json``,
``backup_local``, ``atomic_move``, ``load_file_common_arguments``,
``set_fs_attributes_if_different``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.module_utils.common.text.converters import to_native, to_text

from ansible_collections.mailsec.mta_sts.plugins.module_utils import _policy
from ansible_collections.mailsec.mta_sts.plugins.module_utils._files import read_file, remove_file, write_file

DEFAULT_MAX_AGE = 604800


def argument_spec():
    """The mta_sts_policy options; DOCUMENTATION in plugins/modules/mta_sts_policy.py mirrors it."""
    return dict(
        path=dict(type='path', required=True),
        mode=dict(type='str', choices=list(_policy.MODES)),
        mx=dict(type='list', elements='str'),
        max_age=dict(type='int', default=DEFAULT_MAX_AGE),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        backup=dict(type='bool', default=False),
        # The common file options, less "mode", which in an MTA-STS policy is the policy mode.
        file_mode=dict(type='raw'),
        owner=dict(type='str'),
        group=dict(type='str'),
        seuser=dict(type='str'),
        serole=dict(type='str'),
        selevel=dict(type='str'),
        setype=dict(type='str'),
        attributes=dict(type='str', aliases=['attr']),
        unsafe_writes=dict(type='bool', default=False),
    )


def file_arguments(module, path):
    """The file attribute arguments for ``set_fs_attributes_if_different``, ``file_mode`` as ``mode``."""
    params = dict(module.params)
    params['mode'] = params.pop('file_mode')
    return module.load_file_common_arguments(params, path=path)


def desired_policy(params):
    """The policy dict from module parameters; the caller validates with ``_policy.validate`` first."""
    return {'mode': params['mode'], 'mx': params['mx'], 'max_age': params['max_age']}


def _fail_on_bad_input(module):
    problems = _policy.validate(module.params['mode'], module.params['mx'], module.params['max_age'])
    if problems:
        module.fail_json(msg='; '.join(message for dummy, message in problems),
                         invalid_options=sorted(set(option for option, dummy in problems)))


def run_module(module):
    """Bring the policy file at ``path`` to the desired state; exits the module."""
    path = module.params['path']
    state = module.params['state']
    if state == 'present':
        _fail_on_bad_input(module)
    if os.path.isdir(path):
        module.fail_json(msg='path: %s is a directory; give the policy file name '
                             '(normally .../.well-known/mta-sts.txt)' % path)
    directory = os.path.dirname(os.path.abspath(path))
    if state == 'present' and not os.path.isdir(directory):
        module.fail_json(msg='path: the folder %s does not exist; create the web root first' % directory)

    try:
        current = read_file(path)
    except (IOError, OSError) as exc:
        module.fail_json(msg='path: cannot read %s: %s' % (path, to_native(exc)))

    # No "path" key: exit_json would add the file's attributes, and their "mode" is not the policy mode.
    result = {'changed': False, 'policy': None, 'policy_id': None}
    if state == 'present':
        policy = desired_policy(module.params)
        wanted = _policy.render(policy)
        result['policy'] = wanted
        result['policy_id'] = _policy.policy_id(policy)
        wanted_bytes = wanted.encode('ascii')
    else:
        wanted = ''
        wanted_bytes = None
    content_changes = current != wanted_bytes

    if module._diff:
        result['diff'] = {
            'before_header': path,
            'after_header': path,
            'before': to_text(current, errors='surrogate_or_strict') if current is not None else '',
            'after': wanted,
        }

    if content_changes:
        result['changed'] = True
        if not module.check_mode:
            try:
                if module.params['backup'] and current is not None:
                    result['backup_file'] = module.backup_local(path)
                if wanted_bytes is None:
                    remove_file(path)
                else:
                    write_file(module, path, wanted_bytes)
            except (IOError, OSError) as exc:
                module.fail_json(msg='path: cannot write %s: %s' % (path, to_native(exc)), **result)

    if state == 'present' and (current is not None or not module.check_mode):
        result['changed'] = module.set_fs_attributes_if_different(file_arguments(module, path), result['changed'])
    module.exit_json(**result)
