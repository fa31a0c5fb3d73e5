# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The postfix_tls_policy_maps module's backend: one socketmap entry in smtp_tls_policy_maps, nothing else.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Reads the value with ``postconf -h``, computes the new list (``postfix_tables.place_entry``), and
only when it differs: keeps main.cf's bytes, sets the value with ``postconf -e``, runs ``postfix
check``, and puts the old main.cf back when the check fails. The backend contract is in
``common``. Uses from the AnsibleModule:
``params``, ``check_mode``, ``_diff``, ``fail_json``, ``exit_json``, ``atomic_move``,
``get_bin_path``, ``run_command``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import postfix as _postfix

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import grammar
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import postfix_tables

PARAMETER = 'smtp_tls_policy_maps'


def argument_spec():
    """The postfix_tls_policy_maps options; DOCUMENTATION in plugins/modules/ mirrors it."""
    return dict(
        map=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        config_directory=dict(type='path', default='/etc/postfix'),
        check=dict(type='bool', default=True),
    )


MODULE_KWARGS = dict(supports_check_mode=True)
LIBRARIES = ()


def option_problems(params):
    """``(option, message)`` for every rule the options break. Pure.

    ``map`` becomes one entry of a main.cf list, where commas, whitespace and braces separate
    entries: ``socketmap:inet:127.0.0.1, texthash:/tmp/evil,x:8461:postfix`` would add a table of
    its own. Only the socketmap grammar passes (``_core.grammar.socketmap_error``).
    """
    error = grammar.socketmap_error(params['map'])
    if error is not None:
        return [('map', 'map: %s; nothing was changed' % error)]
    return []


def _line(value):
    return '%s = %s\n' % (PARAMETER, value)


def run_module(module):
    params = module.params
    config_directory = params['config_directory']
    main_cf = _postfix.main_cf_to_change(module, config_directory)
    try:
        before = _postfix.postconf_get(module, config_directory, PARAMETER)
    except _postfix.PostfixError as exc:
        module.fail_json(msg=str(exc))
    entries = postfix_tables.split_maps(before)
    wanted = postfix_tables.place_entry(entries, params['map'], params['state'])
    after = postfix_tables.join_maps(wanted)
    changed = wanted != entries
    result = dict(changed=changed, maps=wanted, previous_maps=entries, value=after, config_directory=config_directory)
    if module._diff:
        result['diff'] = dict(before=_line(before), after=_line(after),
                              before_header='%s (%s)' % (main_cf, PARAMETER), after_header='%s (%s)' % (main_cf, PARAMETER))
    if not changed or module.check_mode:
        module.exit_json(**result)

    ok, words, restore_error = _postfix.change_main_cf(module, config_directory, main_cf,
                                                       [(PARAMETER, after if wanted else None)], params['check'])
    if ok:
        module.exit_json(**result)
    if restore_error is not None:
        reason = (PARAMETER, after, words, main_cf, restore_error)
        module.fail_json(msg='postfix check failed after setting %s = %s (%s), and restoring %s failed too: %s; '
                         'restore it by hand before Postfix reloads' % reason, **result)
    result.update(changed=False, maps=entries, value=before)
    module.fail_json(msg='postfix check failed after setting %s = %s, so %s was restored as it was and Postfix '
                     'was not reloaded: %s' % (PARAMETER, after, main_cf, words), **result)
