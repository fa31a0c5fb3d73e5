# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The postfix_tls_policy_info module's backend: the TLS policy Postfix applies to each domain, asked as Postfix asks.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

For each domain, the keys Postfix uses (the domain, then ``.parent`` names) are looked up in the
tables of ``smtp_tls_policy_maps`` in their order, and the first answer wins - exactly Postfix's
walk. A socketmap table is asked directly over its socket (``socketmap_query``:
one deadline, and a dead daemon is told apart from "no policy", which ``postmap -q`` reports
alike); every other table with ``postmap -q``. Only reads: check mode runs like a normal run.
The backend contract is in ``common``. Uses from the AnsibleModule: ``params``, ``fail_json``, ``exit_json``, ``get_bin_path``,
``run_command``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import postfix as _postfix

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import postfix_tables
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.socketmap import socketmap_query

PARAMETER = 'smtp_tls_policy_maps'
# Asked of every socketmap to see that it answers at all: postfix-mta-sts-resolver answers a name
# with a leading dot (a parent-domain lookup) at once, without any DNS or HTTPS.
PROBE_KEY = '.mailsec-probe.invalid'


def argument_spec():
    """The postfix_tls_policy_info options; DOCUMENTATION in plugins/modules/ mirrors it."""
    return dict(
        domains=dict(type='list', elements='str', default=[], aliases=['domain']),
        config_directory=dict(type='path', default='/etc/postfix'),
        maps=dict(type='list', elements='str'),
        timeout=dict(type='float', default=10.0),
    )


MODULE_KWARGS = dict(supports_check_mode=True)
LIBRARIES = ()


def option_problems(params):
    """``(option, message)`` for every rule the options break. Pure."""
    problems = []
    if params['timeout'] <= 0:
        problems.append(('timeout', 'timeout must be more than 0 seconds, got %s' % params['timeout']))
    for domain in params['domains']:
        try:
            postfix_tables.lookup_keys(domain)
        except ValueError as exc:
            problems.append(('domains', 'domains: %r: %s' % (domain, exc)))
    return problems


class Unanswered(Exception):
    pass


def _ask(module, params, table, key, socketmaps):
    """The value of ``key`` in ``table`` or None; Unanswered when the table cannot say."""
    spec = postfix_tables.parse_socketmap_spec(table)
    if spec is None:
        try:
            return _postfix.postmap_query(module, params['config_directory'], key, table)
        except _postfix.PostfixError as exc:
            raise Unanswered(str(exc))
    try:
        status, data, seconds = socketmap_query(spec, key, params['timeout'])
    except postfix_tables.SocketmapError as exc:
        socketmaps[table].update(answers=False, error=str(exc))
        raise Unanswered('%s did not answer for %s: %s' % (table, key, exc))
    socketmaps[table]['seconds'] = max(socketmaps[table].get('seconds') or 0.0, round(seconds, 3))
    if status == 'OK':
        return data
    if status == 'NOTFOUND':
        return None
    socketmaps[table].update(answers=False, error='%s %s' % (status, data))
    raise Unanswered('%s answered %s for %s: %s (Postfix defers mail on that)' % (table, status, key, data))


def policy_for(module, params, domain, tables, socketmaps):
    """The result entry for one domain (see RETURN)."""
    for key in postfix_tables.lookup_keys(domain):
        for table in tables:
            value = _ask(module, params, table, key, socketmaps)
            if value is not None:
                entry = {'domain': domain, 'policy': value, 'table': table, 'key': key,
                         'level': None, 'match': [], 'attributes': {}}
                try:
                    entry.update(postfix_tables.parse_policy(value))
                except ValueError:
                    pass
                return entry
    return {'domain': domain, 'policy': None, 'table': None, 'key': None, 'level': None, 'match': [], 'attributes': {}}


def run_module(module):
    params = module.params
    config_directory = params['config_directory']
    try:
        _postfix.check_config_directory(config_directory)
        if params['maps'] is None:
            tables = postfix_tables.split_maps(_postfix.postconf_get(module, config_directory, PARAMETER))
        else:
            tables = [table for value in params['maps'] for table in postfix_tables.split_maps(value)]
        default_level = _postfix.postconf_get(module, config_directory, 'smtp_tls_security_level')
    except _postfix.PostfixError as exc:
        module.fail_json(msg=str(exc))
    socketmaps = {}
    for table in tables:
        try:
            if postfix_tables.parse_socketmap_spec(table) is not None:
                socketmaps[table] = {'map': table, 'answers': True, 'error': None, 'seconds': None}
        except ValueError as exc:
            module.fail_json(msg='%s: %s' % (PARAMETER, exc))
    result = dict(changed=False, maps=tables, default_security_level=default_level or 'none')
    problems = []
    for table in socketmaps:
        try:
            _ask(module, params, table, PROBE_KEY, socketmaps)
        except Unanswered as exc:
            problems.append(str(exc))
    policies = []
    if not problems:
        for domain in params['domains']:
            try:
                policies.append(policy_for(module, params, domain, tables, socketmaps))
            except Unanswered as exc:
                problems.append(str(exc))
                break
    result['policies'] = policies
    result['socketmaps'] = list(socketmaps.values())
    result['summary'] = ['%s: %s' % (entry['domain'], entry['policy'] if entry['policy'] is not None else
                                     'no policy (smtp_tls_security_level = %s applies)' % result['default_security_level'])
                         for entry in policies]
    if problems:
        module.fail_json(msg='Postfix cannot get its TLS policy (mail waits in the queue, deferred, until it can): '
                         + '; '.join(problems), **result)
    module.exit_json(**result)
