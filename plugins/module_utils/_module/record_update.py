# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the record backends share: options, then read, compute, update.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

The three backends (``mta_sts_record``, ``tlsrpt_record``, ``dkim_record``) are each a
``RecordBackend(kind)`` with kind 'sts', 'tlsrpt' or 'dkim': the backend contract of ``common``.
What differs between the kinds (the owner name, the options that give the record's content, their
rules, the value rendered) is in the functions below that take ``kind``; reading, computing, the
guarded UPDATE, TSIG, check mode and diff are one code path. Uses from the AnsibleModule:
``params``, ``check_mode``, ``fail_json``, ``exit_json``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import txt_update
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import dns_update
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.argspec import ArgumentSpec, dns_update_options
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import dkim_key
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.names import domain_error
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.records import (
    KINDS,
    record_name,
    render_sts,
    render_tlsrpt,
    sts_id_error,
    uri_error,
)


def unique(values):
    """``values`` without repeats, in the order given."""
    result = []
    for value in values:
        if value not in result:
            result.append(value)
    return result


def desired_value(params, kind):
    """The TXT value to publish for ``kind`` from validated params, or None for ``state=absent``."""
    if params.get('state', 'present') != 'present':
        return None
    if kind == 'sts':
        return render_sts(params['id'])
    if kind == 'dkim':
        return dkim_key.render_dkim(params['public_key'], params.get('public_key_type') or dkim_key.DEFAULT_KEY_TYPE)
    return render_tlsrpt(unique(params['rua']))


def owner_name(entry, kind):
    """The owner name of one validated record entry of ``kind``."""
    if kind == 'dkim':
        return dkim_key.key_record_name(entry['selector'], entry['domain'])
    return record_name(KINDS[kind]['prefix'], entry['domain'])


def content_specs(kind):
    """The options (besides ``domain`` and ``state``) that give one record of ``kind`` its content."""
    if kind == 'sts':
        return {'id': dict(type='str', aliases=['policy_id'])}
    if kind == 'dkim':
        return {'selector': dict(type='str'), 'public_key': dict(type='str'),
                'public_key_type': dict(type='str', default=dkim_key.DEFAULT_KEY_TYPE, choices=list(dkim_key.KEY_TYPES))}
    return {'rua': dict(type='list', elements='str')}


def record_arguments(kind):
    """Every option of the record module of ``kind``, its constraints and checks; DOCUMENTATION mirrors it.

    Whether the record's content is given is checked by ``record_option_problems``, for single
    records and for each element of O(records) alike.
    """
    contents = content_specs(kind)
    entry = dict(
        domain=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    entry.update((name, dict(spec)) for name, spec in contents.items())
    own = {
        'domain': dict(type='str'),
        'state': dict(type='str', default='present', choices=['present', 'absent']),
        'records': dict(type='list', elements='dict', options=entry),
        'report_unchanged': dict(type='bool', default=True),
    }
    own.update((name, dict(spec)) for name, spec in contents.items())
    # An option with a default is set even when not given, so it cannot be exclusive of records.
    exclusive = [(name, 'records') for name, spec in sorted(contents.items()) if 'default' not in spec]
    spec = ArgumentSpec(own, checks=[lambda params: record_option_problems(params, kind)],
                        mutually_exclusive=[('domain', 'records')] + exclusive,
                        required_one_of=[('domain', 'records')])
    return spec.merge(dns_update_options())


def targets(params, kind):
    """The records asked for, each ``(label, entry)``; the label prefixes messages about the entry."""
    if params.get('records') is None:
        entry = {'domain': params.get('domain'), 'state': params.get('state', 'present')}
        entry.update((name, params.get(name)) for name in content_specs(kind))
        return [('', entry)]
    return [('records[%d].' % index, entry) for index, entry in enumerate(params['records'])]


def entry_problems(entry, kind, zone=None, label=''):
    """Why one record entry (domain, content, state) cannot be published, as ``(option, message)``."""
    errors = []
    domain = entry.get('domain')
    domain_problem = domain_error(domain)
    if domain_problem is not None:
        errors.append(('domain', '%sdomain: %r %s' % (label, domain, domain_problem)))
    if entry.get('state', 'present') == 'present':
        if kind == 'sts':
            if entry.get('id') is None:
                errors.append(('id', '%sid: required when state is present' % label))
            else:
                problem = sts_id_error(entry.get('id'))
                if problem is not None:
                    errors.append(('id', '%sid: %s' % (label, problem)))
        elif kind == 'dkim':
            errors.extend(dkim_content_problems(entry, label))
        else:
            rua = entry.get('rua') or []
            if not rua:
                errors.append(('rua', '%srua: give at least one mailto: or https: URI (RFC 8460 3)' % label))
            for index, uri in enumerate(rua):
                problem = uri_error(uri)
                if problem is not None:
                    rule = '' if 'RFC 8460' in problem else ' (RFC 8460 3)'
                    errors.append(('rua', '%srua[%d]: %r %s%s' % (label, index, uri, problem, rule)))
    if kind == 'dkim':
        # The name is needed even to remove the record.
        selector = entry.get('selector')
        problem = dkim_key.selector_error(selector) if selector is not None else None
        if selector is None:
            errors.append(('selector', '%sselector: required; the record is at <selector>._domainkey.<domain> '
                                       '(RFC 6376 3.6.2.1)' % label))
        elif problem is not None:
            errors.append(('selector', '%sselector: %r %s (RFC 6376 3.1: the label(s) before ._domainkey)'
                           % (label, selector, problem)))
        if selector is None or problem is not None:
            domain_problem = domain_problem or 'no valid selector'
    if zone and domain_problem is None:
        name = owner_name(entry, kind)
        bare = zone.rstrip('.').lower()
        if name.lower() != bare and not name.lower().endswith('.' + bare):
            errors.append(('zone', 'zone: %s is not inside the zone %s; give the zone that holds it, or omit zone '
                                   'to find it' % (name, zone)))
    return errors


def dkim_content_problems(entry, label=''):
    """Why one DKIM entry's key cannot be published (state present), as ``(option, message)`` pairs.

    The value is rendered and parsed back with the key record grammar (RFC 6376 3.6.1), so what
    goes out is exactly what a verifier reads.
    """
    public_key = entry.get('public_key')
    key_type = entry.get('public_key_type') or dkim_key.DEFAULT_KEY_TYPE
    if public_key is None:
        return [('public_key', '%spublic_key: required when state is present (to remove the record, use state '
                               'absent; an empty p= would revoke the key, RFC 6376 3.6.1)' % label)]
    problem = dkim_key.public_key_error(public_key, key_type)
    if problem is not None:
        # Never the key itself in the message: it is public, but long; its start is enough.
        shown = dkim_key.normalize_public_key(public_key)
        shown = shown[:16] + '...' if isinstance(shown, str) and len(shown) > 20 else shown
        return [('public_key', '%spublic_key: %r %s' % (label, shown, problem))]
    parsed, findings = dkim_key.parse_dkim(dkim_key.render_dkim(public_key, key_type))
    if parsed is None:
        return [('public_key', '%spublic_key: the record would not parse: %s'
                               % (label, '; '.join(finding.msg for finding in findings)))]
    return []


def record_option_problems(params, kind):
    """Why the records asked for cannot be published, as ``(option, message)`` pairs (the DNS update
    options have their own checks, ``dns_update_options()``). Pure."""
    errors = []
    zone = params.get('zone') if not txt_update.update_option_problems(params) else None
    seen = {}
    for label, entry in targets(params, kind):
        for option, message in entry_problems(entry, kind, zone, label):
            errors.append(('records' if label else option, message))
        domain = (entry.get('domain') or '').lower().rstrip('.')
        shown = entry.get('domain')
        if kind == 'dkim':
            # One domain may have several selectors: the key is the owner name.
            shown = '%s._domainkey.%s' % (entry.get('selector'), entry.get('domain'))
            domain = shown.lower().rstrip('.')
        if label and domain in seen:
            errors.append(('records', '%sdomain: %s is also given at %s' % (label, shown, seen[domain])))
        seen.setdefault(domain, label.rstrip('.'))
    return errors


def update_records(module, kind):
    """Bring the TXT records of ``kind`` ('sts' or 'tlsrpt') to the wanted state; exits.

    The options were checked (``record_option_problems``). Every name is read first; then the
    changes of each zone go out in one UPDATE (more only beyond 64 KiB), each guarded by
    prerequisites on what was read.
    """
    params = module.params

    info = KINDS[kind]
    wanted = [(owner_name(entry, kind), desired_value(entry, kind)) for dummy, entry in targets(params, kind)]
    failure = None
    try:
        with dns_update.TxtUpdater.from_options(params) as updater:
            zones = ([params['zone']] * len(wanted) if params['zone']
                     else updater.find_zones([name for name, dummy in wanted]))
            changes = updater.plan([(name, info['version'], value, params['ttl']) for name, value in wanted])
            if not module.check_mode:
                for zone in unique(zones):
                    in_zone = [change for change, change_zone in zip(changes, zones) if change_zone == zone]
                    updater.apply(zone, in_zone)
    except dns_update.DNSError as exc:
        failure = exc.msg
    if failure is not None:
        # Outside the except block: an expected failure needs its message, not a traceback.
        module.fail_json(msg=failure)

    records = [{'name': name, 'value': value, 'ttl': change.ttl if value is not None else None,
                'zone': str(zone).rstrip('.'), 'changed': change.changed}
               for (name, value), change, zone in zip(wanted, changes, zones)]
    if params.get('records') is None:
        record = dict(records[0])
        zone = record.pop('zone')
        record.pop('changed')
        module.exit_json(changed=changes[0].changed, record=record, zone=zone, diff=changes[0].diff())
    if not params['report_unchanged']:
        records = [record for record in records if record['changed']]
    module.exit_json(changed=any(change.changed for change in changes), records=records,
                     diff=[change.diff() for change in changes if change.changed])


def read_key_secret_file(module):
    """Put the secret of O(key_secret_file) into ``params['key_secret']``, hidden from every output.

    Read on the host the module runs on, never passed on a command line or through the environment.
    """
    path = module.params.get('key_secret_file')
    if not path:
        return
    secret, why = None, None
    try:
        # Not O_NOFOLLOW: a secret is often a link into a mounted secret store; a fifo or device would block.
        if not os.path.isfile(path):
            raise IOError('not a regular file')
        with open(path, 'rb') as handle:
            secret = handle.read(64 * 1024).decode('ascii').strip()
    except (IOError, OSError, UnicodeError) as exc:
        why = getattr(exc, 'strerror', None) or str(exc)
    if secret is None:
        # Outside the except block: an expected failure needs its message, not a traceback.
        module.fail_json(msg='key_secret_file: cannot read the TSIG secret from %s (%s); give a file that holds only '
                             'the base64 secret' % (path, why))
    module.no_log_values.add(secret)
    if txt_update.secret_bytes(secret) is None:
        module.fail_json(msg='key_secret_file: %s does not hold a base64 TSIG secret (its content is not shown)' % path)
    module.params['key_secret'] = secret


class RecordBackend(object):
    """The backend contract (see ``common``) of the record module of ``kind`` ('sts', 'tlsrpt' or 'dkim')."""

    LIBRARIES = (dns_update.DNSPYTHON,)

    def __init__(self, kind):
        self.kind = kind
        self.arguments = record_arguments(kind)
        self.MODULE_KWARGS = self.arguments.module_kwargs()

    def argument_spec(self):
        return self.arguments.spec()

    def option_problems(self, params):
        return self.arguments.problems(params)

    def run_module(self, module):
        read_key_secret_file(module)
        update_records(module, self.kind)
