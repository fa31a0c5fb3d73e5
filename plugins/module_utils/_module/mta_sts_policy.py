# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mta_sts_policy module's backend: compute the policy file, then write it only when it differs.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

The backend contract is in ``common``. Uses from the AnsibleModule: ``params``, ``check_mode``, ``_diff``, ``fail_json``, ``exit_json``,
``backup_local``, ``atomic_move``, ``load_file_common_arguments``,
``set_fs_attributes_if_different``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.module_utils.common.text.converters import to_native, to_text

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import policy as _policy
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.argspec import ArgumentSpec, file_options
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.files import (
    NotRegularFileError, check_regular, read_file, remove_file, write_file,
)

DEFAULT_MAX_AGE = 604800
STATES = ('present', 'absent')


def _policy_options(path_required):
    """The options that describe one policy file, at the top level or in an O(policies) element."""
    return dict(
        path=dict(type='path', required=path_required),
        mode=dict(type='str', choices=list(_policy.MODES)),
        mx=dict(type='list', elements='str'),
        max_age=dict(type='int', default=DEFAULT_MAX_AGE),
        state=dict(type='str', default='present', choices=list(STATES)),
    )


def _policy_problems(params):
    """Every rule the requested policies break, as ``(option, message)``; empty when all are fine. Pure."""
    problems = []
    seen = {}
    for label, spec in targets(params):
        if spec['state'] == 'present':
            for option, message in _policy.policy_problems(spec['mode'], spec['mx'], spec['max_age']):
                problems.append((label + option, label + message))
        path = os.path.abspath(spec['path'])
        if path in seen:
            problems.append((label + 'path', '%spath: %s is also given as %spath' % (label, spec['path'], seen[path])))
        seen.setdefault(path, label)
    return problems


def _arguments():
    own = _policy_options(path_required=False)
    own.update(
        policies=dict(type='list', elements='dict', options=_policy_options(path_required=True),
                      required_if=[('state', 'present', ('mode', 'mx'))]),
        create_dirs=dict(type='bool', default=False),
        backup=dict(type='bool', default=False),
        report_unchanged=dict(type='bool', default=True),
    )
    # Without O(policies), mode and mx are checked by _policy_problems() with a message naming the rule.
    return ArgumentSpec(
        own, checks=[_policy_problems],
        mutually_exclusive=[('path', 'policies'), ('mode', 'policies'), ('mx', 'policies')],
        required_one_of=[('path', 'policies')],
    ).merge(file_options())


ARGUMENTS = _arguments()
MODULE_KWARGS = ARGUMENTS.module_kwargs()
LIBRARIES = ()


def argument_spec():
    """The mta_sts_policy options; DOCUMENTATION in plugins/modules/mta_sts_policy.py mirrors it."""
    return ARGUMENTS.spec()


def option_problems(params):
    """``(option, message)`` for every rule the options break. Pure."""
    return ARGUMENTS.problems(params)


def file_arguments(module, path):
    """The file attribute arguments for ``set_fs_attributes_if_different``, ``file_mode`` as ``mode``."""
    params = dict(module.params)
    params['mode'] = params.pop('file_mode')
    return module.load_file_common_arguments(params, path=path)


def reported(results, report_unchanged):
    """The per-entry results a call returns: all, or (``report_unchanged`` false) the changed ones only."""
    return results if report_unchanged else [result for result in results if result['changed']]


def targets(params):
    """The policy files to manage, each ``(label, spec)``; the label prefixes messages about it."""
    if params['policies'] is None:
        return [('', params)]
    return [('policies[%d].' % index, spec) for index, spec in enumerate(params['policies'])]


def desired_content(spec):
    """``(text, policy_id)`` for a present policy spec, ``('', None)`` for an absent one."""
    if spec['state'] != 'present':
        return '', None
    policy = {'mode': spec['mode'], 'mx': spec['mx'], 'max_age': spec['max_age']}
    return _policy.render(policy), _policy.policy_id(policy)


def _check_paths(module, label, spec):
    path = spec['path']
    if os.path.isdir(path):
        module.fail_json(msg='%spath: %s is a directory; give the policy file name '
                             '(normally .../.well-known/mta-sts.txt)' % (label, path))
    try:
        # Before anything is read or written, for every file: a link, fifo or directory at the policy
        # path is never followed (in --check --diff it printed its target's content).
        check_regular(path)
    except NotRegularFileError as exc:
        module.fail_json(msg='%spath: %s; nothing was changed' % (label, exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg='%spath: cannot look at %s: %s' % (label, path, to_native(exc)))
    directory = os.path.dirname(os.path.abspath(path))
    if spec['state'] == 'present' and not module.params['create_dirs'] and not os.path.isdir(directory):
        module.fail_json(msg='%spath: the folder %s does not exist; create the web root first, or set create_dirs'
                             % (label, directory))


def _apply(module, label, spec, result):
    """Bring one policy file to its desired state; fills ``result`` for it."""
    path = spec['path']
    try:
        current = read_file(path)
    except (IOError, OSError) as exc:
        module.fail_json(msg='%spath: cannot read %s: %s' % (label, path, to_native(exc)))
    wanted, policy_id = desired_content(spec)
    wanted_bytes = wanted.encode('ascii') if spec['state'] == 'present' else None
    result.update(policy=wanted if wanted_bytes is not None else None, policy_id=policy_id, changed=False)
    diff = {
        'before_header': path,
        'after_header': path,
        'before': to_text(current, errors='surrogate_or_strict') if current is not None else '',
        'after': wanted,
    }
    if current != wanted_bytes:
        result['changed'] = True
        if not module.check_mode:
            try:
                if module.params['backup'] and current is not None:
                    result['backup_file'] = module.backup_local(path)
                if wanted_bytes is None:
                    remove_file(path)
                else:
                    directory = os.path.dirname(os.path.abspath(path))
                    if not os.path.isdir(directory):
                        os.makedirs(directory, 0o755)
                    write_file(module, path, wanted_bytes)
            except (IOError, OSError) as exc:
                module.fail_json(msg='%spath: cannot write %s: %s' % (label, path, to_native(exc)))
    if spec['state'] == 'present' and (current is not None or not module.check_mode):
        result['changed'] = module.set_fs_attributes_if_different(file_arguments(module, path), result['changed'])
    return diff


def run_module(module):
    """Bring every requested policy file to its desired state; exits the module.

    All input is checked before any file is read or written, so one bad entry in O(policies)
    changes nothing at all.
    """
    files = targets(module.params)
    for label, spec in files:
        _check_paths(module, label, spec)

    results = []
    diffs = []
    for label, spec in files:
        result = {'path': spec['path']}
        diffs.append(_apply(module, label, spec, result))
        results.append(result)

    if module.params['policies'] is None:
        # No "path" key: exit_json would add the file's attributes, and their "mode" is not the policy mode.
        output = dict(results[0])
        del output['path']
        if module._diff:
            output['diff'] = diffs[0]
    else:
        output = {'changed': any(result['changed'] for result in results),
                  'policies': reported(results, module.params['report_unchanged'])}
        if module._diff:
            output['diff'] = [diff for diff, result in zip(diffs, results) if result['changed']]
    module.exit_json(**output)
