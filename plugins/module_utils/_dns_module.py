# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The backend of the mta_sts_record and tlsrpt_record modules: options, then read, compute, update.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Uses from the AnsibleModule: ``params``, ``check_mode``, ``fail_json``, ``exit_json``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.mailsec.mta_sts.plugins.module_utils import _dns
from ansible_collections.mailsec.mta_sts.plugins.module_utils._mx import domain_error
from ansible_collections.mailsec.mta_sts.plugins.module_utils._records import (
    STS_PREFIX,
    STS_VERSION,
    TLSRPT_PREFIX,
    TLSRPT_VERSION,
    record_name,
    render_sts,
    render_tlsrpt,
    sts_id_error,
    uri_error,
)

DEFAULT_TTL = 3600

# The record kinds: owner name prefix, version tag, and the option holding the record's content.
KINDS = {
    'sts': {'prefix': STS_PREFIX, 'version': STS_VERSION, 'option': 'id'},
    'tlsrpt': {'prefix': TLSRPT_PREFIX, 'version': TLSRPT_VERSION, 'option': 'rua'},
}


def dns_update_argument_spec():
    """The shared DNS update options; plugins/doc_fragments/dns_update.py documents exactly these."""
    return dict(
        server=dict(type='str', required=True),
        port=dict(type='int', default=_dns.DEFAULT_PORT),
        zone=dict(type='str'),
        key_name=dict(type='str'),
        key_secret=dict(type='str', no_log=True, fallback=(env_fallback, [_dns.SECRET_ENV])),
        key_algorithm=dict(type='str', default=_dns.DEFAULT_TSIG_ALGORITHM, choices=list(_dns.TSIG_ALGORITHMS)),
        timeout=dict(type='float', default=_dns.DEFAULT_TIMEOUT),
        ttl=dict(type='int', default=DEFAULT_TTL),
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
    return render_tlsrpt(unique(params['rua']))


def record_option_errors(params, kind):
    """Why the options of a record module cannot be used, as ``(option, message)`` pairs. Pure."""
    errors = []
    domain = params.get('domain')
    problem = domain_error(domain)
    if problem is not None:
        errors.append(('domain', 'domain: %r %s' % (domain, problem)))
    if params.get('state', 'present') == 'present':
        if kind == 'sts':
            problem = sts_id_error(params.get('id'))
            if problem is not None:
                errors.append(('id', 'id: %s' % problem))
        else:
            rua = params.get('rua') or []
            if not rua:
                errors.append(('rua', 'rua: give at least one mailto: or https: URI (RFC 8460 3)'))
            for index, uri in enumerate(rua):
                problem = uri_error(uri)
                if problem is not None:
                    rule = '' if 'RFC 8460' in problem else ' (RFC 8460 3)'
                    errors.append(('rua', 'rua[%d]: %r %s%s' % (index, uri, problem, rule)))
    errors.extend(_dns.option_errors(params))
    zone = params.get('zone')
    if zone and domain_error(domain) is None and not any(option == 'zone' for option, dummy in errors):
        name = record_name(KINDS[kind]['prefix'], domain).lower()
        bare = zone.rstrip('.').lower()
        if name != bare and not name.endswith('.' + bare):
            errors.append(('zone', 'zone: %s is not inside the zone %s; give the zone that holds it, or omit zone '
                                   'to find it' % (record_name(KINDS[kind]['prefix'], domain), zone)))
    return errors


def run_record_module(module, kind):
    """Bring the TXT record of ``kind`` ('sts' or 'tlsrpt') at the domain to the wanted state; exits."""
    params = module.params
    problems = record_option_errors(params, kind)
    if problems:
        module.fail_json(msg='; '.join(message for dummy, message in problems),
                         invalid_options=sorted(set(option for option, dummy in problems)))
    if not _dns.HAS_DNSPYTHON:
        module.fail_json(msg=missing_required_lib('dnspython'), exception=_dns.DNSPYTHON_IMPORT_ERROR)

    info = KINDS[kind]
    name = record_name(info['prefix'], params['domain'])
    value = desired_value(params, kind)
    failure = None
    try:
        with _dns.TxtUpdater.from_options(params) as updater:
            zone = params['zone'] or updater.find_zone(name)
            change = updater.plan([(name, info['version'], value, params['ttl'])])[0]
            if change.changed and not module.check_mode:
                updater.apply(zone, [change])
    except _dns.DNSError as exc:
        failure = exc.msg
    if failure is not None:
        # Outside the except block: an expected failure needs its message, not a traceback.
        module.fail_json(msg=failure)

    module.exit_json(
        changed=change.changed,
        record={'name': name, 'value': value, 'ttl': change.ttl if value is not None else None},
        zone=str(zone).rstrip('.'),
        diff=change.diff(),
    )
