# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mta_sts_record_info module's backend: read TXT records with a resolver, say what must change.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

The backend contract is in ``common``. Uses from the AnsibleModule: ``params``, ``fail_json``, ``exit_json``. It only reads, so check
mode runs exactly like a normal run.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import resolver as _resolver
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import ProbeError

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import record_changes as _record_changes
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.records import DEFAULT_TTL, MAX_TTL
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.argspec import ArgumentSpec, resolver_options


def _own_problems(params):
    problems = [('records', message) for message in _record_changes.entry_errors(params['records'])]
    if not 0 <= params['ttl'] <= MAX_TTL:
        problems.append(('ttl', 'ttl: must be a number of seconds from 0 to %d (RFC 2181 8)' % MAX_TTL))
    return problems


ARGUMENTS = ArgumentSpec(
    dict(
        records=dict(type='list', elements='dict', required=True, options=dict(
            name=dict(type='str', required=True),
            value=dict(type='str'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
        )),
        ttl=dict(type='int', default=DEFAULT_TTL),
    ),
    checks=[_own_problems],
).merge(resolver_options())
MODULE_KWARGS = ARGUMENTS.module_kwargs()
LIBRARIES = (_resolver.DNSPYTHON,)


def argument_spec():
    """The mta_sts_record_info options; DOCUMENTATION in plugins/modules/ mirrors it."""
    return ARGUMENTS.spec()


def option_problems(params):
    """``(option, message)`` pairs for every rule the options break. Pure."""
    return ARGUMENTS.problems(params)


def _resolver_text(params):
    if params['nameservers']:
        return ', '.join('%s port %d' % (server, params['dns_port']) for server in params['nameservers'])
    return 'the system resolver'


def run_module(module):
    """Read the records' names and exit with the changes (never changed: it only reads)."""
    params = module.params
    resolver = _resolver.make_resolver(params['nameservers'], params['dns_port'], params['timeout'])
    names = [entry['name'].rstrip('.') for entry in params['records']]
    try:
        current = _record_changes.read_current(resolver, names, _resolver.lookup_txt)
    except ProbeError as exc:
        module.fail_json(msg='reading the TXT records: %s' % exc.msg)
    changes = _record_changes.compute_changes(params['records'], current, params['ttl'])
    module.exit_json(
        changed=False,
        records=[{'name': name, 'current': current[name]} for name in names],
        changes=changes,
        msg=('%d of %d name(s) do not hold the wanted TXT records (as %s sees them): %s'
             % (len(changes), len(names), _resolver_text(params), ', '.join(c['name'] for c in changes))
             if changes else '%d name(s) hold the wanted TXT records' % len(names)),
    )
