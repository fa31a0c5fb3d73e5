# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mta_sts_certificate_info module's backend: read many certificate files, say which need issuing.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

The backend contract is in ``common``. Uses from the AnsibleModule: ``params``, ``fail_json``, ``exit_json``. It only reads files, so
check mode runs exactly like a normal run.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import certificates as _certificates
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.files import read_file
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.names import domain_error
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.policy import policy_host


def argument_spec():
    """The mta_sts_certificate_info options; DOCUMENTATION in plugins/modules/ mirrors it."""
    return dict(
        certificates=dict(type='list', elements='dict', required=True, options=dict(
            domain=dict(type='str', required=True),
            path=dict(type='path', required=True),
            key_path=dict(type='path'),
            issued_by_path=dict(type='path'),
        )),
        remaining_days=dict(type='int', default=30),
        issued_by=dict(type='str'),
    )


MODULE_KWARGS = dict(supports_check_mode=True)
LIBRARIES = (_certificates.CRYPTOGRAPHY,)


def option_problems(params):
    """``(option, message)`` for every rule the options break. Pure."""
    problems = []
    if params['remaining_days'] < 0:
        problems.append(('remaining_days', 'remaining_days must be 0 or more, got %d' % params['remaining_days']))
    for index, entry in enumerate(params['certificates']):
        error = domain_error(entry['domain'])
        if error:
            problems.append(('certificates', 'certificates[%d].domain %r %s' % (index, entry['domain'], error)))
    return problems


def _read(path):
    """``(bytes or None, error or None)``: None bytes and no error when the file does not exist."""
    try:
        # certbot's live/ files are links into archive/ by design; this module only reads.
        return read_file(path, follow_links=True), None
    except (IOError, OSError) as exc:
        return None, exc


def inspect(entry, remaining_days, issued_by, now):
    """The result for one O(certificates) entry (see RETURN)."""
    domain = entry['domain']
    host = policy_host(domain)
    result = {'domain': domain, 'host': host, 'path': entry['path'], 'exists': False, 'serial': None,
              'not_before': None, 'not_after': None, 'days_left': None, 'names': [],
              'key_exists': None, 'usable': False}
    pem, error = _read(entry['path'])
    facts = None
    if error is not None:
        facts = _certificates.CertificateError('cannot read %s: %s' % (entry['path'], to_native(error)))
    elif pem is not None:
        result['exists'] = True
        try:
            facts = _certificates.certificate_facts(pem)
        except _certificates.CertificateError as exc:
            facts = exc
    key_public = None
    key_exists = True
    if entry['key_path']:
        key_pem, key_error = _read(entry['key_path'])
        key_exists = key_pem is not None or key_error is not None
        result['key_exists'] = key_exists
        if key_pem is not None:
            try:
                key_public = _certificates.key_public_bytes(key_pem)
            except _certificates.CertificateError:
                key_public = b''
        elif key_error is not None:
            key_public = b''
    stamp = None
    if issued_by is not None and entry['issued_by_path']:
        stamp_bytes, dummy = _read(entry['issued_by_path'])
        stamp = to_native(stamp_bytes, errors='surrogate_or_replace').strip() if stamp_bytes else None
    checked_issuer = issued_by if entry['issued_by_path'] else None
    reason, sentence = _certificates.assess(facts, host, remaining_days, now, key_public=key_public,
                                            key_exists=key_exists, issued_by=checked_issuer, stamp=stamp)
    if isinstance(facts, dict):
        result.update(serial=facts['serial'], not_before=facts['not_before'], not_after=facts['not_after'],
                      days_left=int((facts['not_after_epoch'] - now) // _certificates.SECONDS_PER_DAY),
                      names=facts['names'])
        # What nginx needs to load it: a certificate and the key that belongs to it (in date or not).
        result['usable'] = key_exists and (key_public is None or key_public == facts['public_key'])
    result.update(needs_issue=reason is not None, reason=reason, msg='%s: %s' % (host, sentence))
    return result


def summary(results, remaining_days):
    due = [result for result in results if result['needs_issue']]
    if not due:
        return '%d certificate(s), each valid for at least %d more days' % (len(results), remaining_days)
    return '%d of %d certificate(s) need issuing: %s' % (
        len(due), len(results), '; '.join(result['msg'] for result in due))


def run_module(module):
    """Inspect every O(certificates) entry; exits the module (never changed)."""
    params = module.params
    now = time.time()
    results = [inspect(entry, params['remaining_days'], params['issued_by'], now) for entry in params['certificates']]
    module.exit_json(
        changed=False,
        certificates=results,
        needs_issue=[result['domain'] for result in results if result['needs_issue']],
        usable=[result['domain'] for result in results if result['usable']],
        msg=summary(results, params['remaining_days']),
    )
