# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mta_sts_record_info module's backend: read TXT records with a resolver, say what must change.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

The backend contract is in ``_backend``. Uses from the AnsibleModule: ``params``, ``fail_json``, ``exit_json``. It only reads, so check
mode runs exactly like a normal run.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import resolver as _resolver
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.deadline import ProbeError

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import record_changes as _record_changes
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import check_libraries, fail_on_problems
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.records import MAX_TTL


def argument_spec():
    """The mta_sts_record_info options; DOCUMENTATION in plugins/modules/ mirrors it."""
    return dict(
        records=dict(type='list', elements='dict', required=True, options=dict(
            name=dict(type='str', required=True),
            value=dict(type='str'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
        )),
        ttl=dict(type='int', default=3600),
        nameservers=dict(type='list', elements='str'),
        dns_port=dict(type='int', default=53),
        timeout=dict(type='float', default=10.0),
    )


MODULE_KWARGS = dict(supports_check_mode=True)
LIBRARIES = (_resolver.DNSPYTHON,)


def option_problems(params):
    """``(option, message)`` pairs for every rule the options break. Pure."""
    problems = [('records', message) for message in _record_changes.entry_errors(params['records'])]
    if not 0 <= params['ttl'] <= MAX_TTL:
        problems.append(('ttl', 'ttl: must be a number of seconds from 0 to %d (RFC 2181 8)' % MAX_TTL))
    if not 1 <= params['dns_port'] <= 65535:
        problems.append(('dns_port', 'dns_port: must be a port number from 1 to 65535'))
    if not 0 < params['timeout'] <= 3600:
        problems.append(('timeout', 'timeout: must be a number of seconds greater than 0 and at most 3600'))
    return problems


def _resolver_text(params):
    if params['nameservers']:
        return ', '.join('%s port %d' % (server, params['dns_port']) for server in params['nameservers'])
    return 'the system resolver'


def run_module(module):
    """Read the records' names and exit with the changes (never changed: it only reads)."""
    params = module.params
    fail_on_problems(module, option_problems(params))
    check_libraries(module, LIBRARIES)
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
