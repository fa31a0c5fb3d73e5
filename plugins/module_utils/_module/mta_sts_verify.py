# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mta_sts_verify module's backend: check the options, verify one domain or many, report.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

The backend contract is in ``_backend``. Uses from the AnsibleModule: ``params``, ``fail_json``,
``exit_json``. Check mode runs exactly the same as a normal run: the module only looks.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.resolver import DNSPYTHON
from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.smtp import SMTP_PORT

from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify import evaluate, options as verify_options, run
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import check_libraries, fail_on_problems
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.policy import MODES

# The options that are the same for every domain of a call (``verify_options.settings`` keys).
OPTION_KEYS = ('nameservers', 'dns_port', 'ca_path', 'timeout', 'smtp_port', 'checks', 'expect', 'policy',
               'deny_networks', 'max_addresses_per_host')


def _expect_spec():
    return dict(type='dict', options=dict(
        id=dict(type='str'),
        mode=dict(type='str', choices=list(MODES)),
        mx=dict(type='list', elements='str'),
        max_age=dict(type='int'),
        rua=dict(type='list', elements='str'),
    ))


def _policy_spec():
    return dict(type='dict', options=dict(
        mode=dict(type='str', required=True, choices=list(MODES)),
        mx=dict(type='list', elements='str', default=[]),
        max_age=dict(type='int', required=True),
    ))


def argument_spec():
    """The mta_sts_verify options; DOCUMENTATION in plugins/modules/mta_sts_verify.py mirrors it."""
    return dict(
        domain=dict(type='str'),
        domains=dict(type='list', elements='dict', options=dict(
            domain=dict(type='str', required=True),
            expect=_expect_spec(),
            policy=_policy_spec(),
        )),
        workers=dict(type='int', default=verify_options.DEFAULT_WORKERS),
        nameservers=dict(type='list', elements='str'),
        dns_port=dict(type='int', default=53),
        ca_path=dict(type='path'),
        timeout=dict(type='float', default=10.0),
        smtp_port=dict(type='int', default=SMTP_PORT),
        checks=dict(type='list', elements='str', choices=list(verify_options.CHECK_GROUPS),
                    default=list(verify_options.CHECK_GROUPS)),
        expect=_expect_spec(),
        policy=_policy_spec(),
        fail_on=dict(type='str', default='error', choices=list(verify_options.FAIL_ON)),
        deny_networks=dict(type='list', elements='str', default=[]),
        max_addresses_per_host=dict(type='int', default=verify_options.MAX_ADDRESSES_PER_HOST),
    )


MODULE_KWARGS = dict(supports_check_mode=True, mutually_exclusive=[('domain', 'domains')],
                     required_one_of=[('domain', 'domains')])
LIBRARIES = (DNSPYTHON,)


def _options(params):
    return dict((key, params[key]) for key in OPTION_KEYS)


def option_problems(params):
    """``(option, message)`` for every rule the options break. Pure."""
    if params['domains'] is None:
        return verify_options.option_problems([params['domain']], _options(params))
    return verify_options.entry_problems(params['domains'], _options(params), params['workers'])


def fleet_summary(results, failing):
    """One sentence for ``msg`` over many domains, ``failing`` being the results that fail."""
    if not failing:
        return '%d domain(s) verified, none fails' % len(results)
    return '%d of %d domain(s) fail MTA-STS verification: %s' % (
        len(failing), len(results), ' || '.join(result['msg'] for result in failing))


def run_module(module):
    """Verify O(domain) or O(domains); exits the module, failing when a finding reaches O(fail_on)."""
    params = module.params
    fail_on_problems(module, option_problems(params))
    check_libraries(module, LIBRARIES)
    options = _options(params)
    fail_on = params['fail_on']

    if params['domains'] is None:
        result = run.verify_domains([params['domain']], options, workers=1)[0]
        result['changed'] = False
        result['msg'] = evaluate.summary(result, fail_on)
        if evaluate.fails(result, fail_on):
            module.fail_json(**result)
        module.exit_json(**result)

    entries = params['domains']
    results = run.verify_domains([(entry['domain'], entry['expect'], entry['policy']) for entry in entries],
                                 options, workers=params['workers'])
    for result in results:
        result['msg'] = evaluate.summary(result, fail_on)
    failing = [result for result in results if evaluate.fails(result, fail_on)]
    output = dict(changed=False, passed=all(result['passed'] for result in results), results=results,
                  failed_domains=[result['domain'] for result in failing], msg=fleet_summary(results, failing))
    if failing:
        module.fail_json(**output)
    module.exit_json(**output)
