# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mta_sts_verify module's backend: check the options, verify one domain or many, report.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Uses from the AnsibleModule: ``params``, ``fail_json``, ``exit_json``. Check mode runs exactly the
same as a normal run: the module only looks.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailsec.mta_sts.plugins.module_utils import _verify

OPTION_KEYS = ('nameservers', 'dns_port', 'ca_path', 'timeout', 'smtp_port', 'checks', 'expect', 'policy')


def _fail_on_problems(module, problems):
    if problems:
        module.fail_json(msg='; '.join(message for dummy, message in problems),
                         invalid_options=sorted(set(option for option, dummy in problems)))


def fleet_summary(results, failing):
    """One sentence for ``msg`` over many domains, ``failing`` being the results that fail."""
    if not failing:
        return '%d domain(s) verified, none fails' % len(results)
    return '%d of %d domain(s) fail MTA-STS verification: %s' % (
        len(failing), len(results), ' || '.join(result['msg'] for result in failing))


def run_module(module):
    """Verify O(domain) or O(domains); exits the module, failing when a finding reaches O(fail_on)."""
    params = module.params
    options = dict((key, params[key]) for key in OPTION_KEYS)
    fail_on = params['fail_on']

    if params['domains'] is None:
        _fail_on_problems(module, _verify.validate([params['domain']], options))
        result = _verify.verify_domains([params['domain']], options, workers=1)[0]
        result['changed'] = False
        result['msg'] = _verify.summary(result, fail_on)
        if _verify.fails(result, fail_on):
            module.fail_json(**result)
        module.exit_json(**result)

    entries = params['domains']
    _fail_on_problems(module, _verify.validate_entries(entries, options, params['workers']))
    results = _verify.verify_domains([(entry['domain'], entry['expect'], entry['policy']) for entry in entries],
                                     options,
                                     workers=params['workers'])
    for result in results:
        result['msg'] = _verify.summary(result, fail_on)
    failing = [result for result in results if _verify.fails(result, fail_on)]
    output = dict(changed=False, passed=all(result['passed'] for result in results), results=results,
                  failed_domains=[result['domain'] for result in failing], msg=fleet_summary(results, failing))
    if failing:
        module.fail_json(**output)
    module.exit_json(**output)
