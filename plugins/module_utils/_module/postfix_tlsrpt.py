# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The postfix_tlsrpt module's backend: smtp_tlsrpt_enable and smtp_tlsrpt_socket_name, nothing else.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Reads both values from main.cf (``postfix_tables.main_cf_value``: the same with every Postfix version); only when one differs, changes them through
``postfix.change_main_cf`` (``postconf -e``/``-X``, ``postfix check``, main.cf put back byte for byte
when the check fails), the same path as postfix_tls_policy_maps. The backend contract is in
``common``. Uses from the AnsibleModule: ``params``, ``check_mode``, ``_diff``, ``fail_json``,
``exit_json``, ``atomic_move``, ``get_bin_path``, ``run_command``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import postfix as _postfix

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import grammar, postfix_tables
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.files import read_file

ENABLE = 'smtp_tlsrpt_enable'
SOCKET = 'smtp_tlsrpt_socket_name'


def argument_spec():
    """The postfix_tlsrpt options; DOCUMENTATION in plugins/modules/ mirrors it."""
    return dict(
        socket_name=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        config_directory=dict(type='path', default='/etc/postfix'),
        check=dict(type='bool', default=True),
    )


MODULE_KWARGS = dict(supports_check_mode=True, required_if=[('state', 'present', ['socket_name'])])
LIBRARIES = ()


def option_problems(params):
    """``(option, message)`` for every rule the options break. Pure."""
    error = grammar.postfix_socket_name_error(params.get('socket_name'))
    if error is not None:
        return [('socket_name', 'socket_name: %r %s; nothing was changed' % (params.get('socket_name'), error))]
    return []


def wanted_settings(params):
    """``{parameter: value or None}`` after the run; None = not in main.cf (Postfix's default: off). Pure."""
    if params['state'] == 'present':
        return {ENABLE: 'yes', SOCKET: params['socket_name']}
    return {ENABLE: None, SOCKET: None}


def _text(settings):
    return ''.join('%s = %s\n' % (name, settings[name]) for name in (ENABLE, SOCKET) if settings[name] is not None)


def run_module(module):
    params = module.params
    config_directory = params['config_directory']
    main_cf = _postfix.main_cf_to_change(module, config_directory)
    try:
        text = read_file(main_cf).decode('utf-8', 'replace')
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot read %s: %s' % (main_cf, exc))
    before = dict((name, postfix_tables.main_cf_value(text, name)) for name in (ENABLE, SOCKET))
    wanted = wanted_settings(params)
    changes = [(name, wanted[name]) for name in (ENABLE, SOCKET) if wanted[name] != before[name]]
    result = dict(changed=bool(changes), settings=wanted, previous_settings=before, config_directory=config_directory)
    if module._diff:
        result['diff'] = dict(before=_text(before), after=_text(wanted), before_header=main_cf, after_header=main_cf)
    if not changes or module.check_mode:
        module.exit_json(**result)
    ok, words, restore_error = _postfix.change_main_cf(module, config_directory, main_cf, changes, params['check'])
    if ok:
        module.exit_json(**result)
    if restore_error is not None:
        module.fail_json(msg='postfix check failed after setting %s (%s), and restoring %s failed too: %s; restore it '
                         'by hand before Postfix reloads' % (_text(wanted).strip(), words, main_cf, restore_error),
                         **result)
    result.update(changed=False, settings=before)
    module.fail_json(msg='postfix check failed after setting %s, so %s was restored as it was and Postfix was not '
                     'reloaded: %s' % (_text(wanted).strip().replace('\n', ', '), main_cf, words), **result)
