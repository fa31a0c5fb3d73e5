# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The mta_sts_verify module's backend: check the options, verify one domain or many, report.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

The backend contract is in ``common``. Uses from the AnsibleModule: ``params``, ``fail_json``,
``exit_json``, ``check_mode``, ``atomic_move``. Check mode runs exactly the same as a normal run (the module
only looks), except that O(metrics_path) is not written.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client.resolver import DNSPYTHON

from ansible_collections.mailsec.mta_sts.plugins.module_utils._verify import evaluate, options as verify_options, run
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import metrics
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import files
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.policy import MODES
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.argspec import ArgumentSpec, resolver_options

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


def _arguments():
    defaults = verify_options.DEFAULTS
    spec = ArgumentSpec(
        dict(
            domain=dict(type='str'),
            domains=dict(type='list', elements='dict', options=dict(
                domain=dict(type='str', required=True),
                expect=_expect_spec(),
                policy=_policy_spec(),
            )),
            workers=dict(type='int', default=verify_options.DEFAULT_WORKERS),
            ca_path=dict(type='path'),
            smtp_port=dict(type='int', default=defaults['smtp_port']),
            checks=dict(type='list', elements='str', choices=list(verify_options.CHECK_GROUPS),
                        default=list(defaults['checks'])),
            expect=_expect_spec(),
            policy=_policy_spec(),
            fail_on=dict(type='str', default='error', choices=list(verify_options.FAIL_ON)),
            metrics_path=dict(type='path'),
            deny_networks=dict(type='list', elements='str', default=[]),
            max_addresses_per_host=dict(type='int', default=defaults['max_addresses_per_host']),
        ),
        checks=[_own_problems],
        mutually_exclusive=[('domain', 'domains')],
        required_one_of=[('domain', 'domains')],
    )
    return spec.merge(resolver_options())


def _own_problems(params):
    if params['domains'] is None:
        problems = verify_options.domain_problems([params['domain']])
    else:
        problems = verify_options.entry_problems(params['domains']) + verify_options.workers_problems(params['workers'])
    return verify_options.check_problems(_options(params)) + problems + files.metrics_path_problems(params['metrics_path'])


ARGUMENTS = _arguments()
MODULE_KWARGS = ARGUMENTS.module_kwargs()
LIBRARIES = (DNSPYTHON,)


def argument_spec():
    """The mta_sts_verify options; DOCUMENTATION in plugins/modules/mta_sts_verify.py mirrors it."""
    return ARGUMENTS.spec()


def _options(params):
    return dict((key, params[key]) for key in OPTION_KEYS)


def option_problems(params):
    """``(option, message)`` for every rule the options break. Pure."""
    return ARGUMENTS.problems(params)


def fleet_summary(results, failing):
    """One sentence for ``msg`` over many domains, ``failing`` being the results that fail."""
    if not failing:
        return '%d domain(s) verified, none fails' % len(results)
    return '%d of %d domain(s) fail MTA-STS verification: %s' % (
        len(failing), len(results), ' || '.join(result['msg'] for result in failing))


def write_metrics(module, results):
    """Write O(metrics_path) (not in check mode); return ``changed``: whether its content differs."""
    path = module.params['metrics_path']
    if path is None:
        return False
    return files.write_metrics(module, path, metrics.verify_metrics(results))


def run_module(module):
    """Verify O(domain) or O(domains); exits the module, failing when a finding reaches O(fail_on)."""
    params = module.params
    if params['ca_path'] and not os.access(params['ca_path'], os.R_OK):
        module.fail_json(msg='ca_path %s is not a readable file; give a PEM bundle of trusted roots' % params['ca_path'],
                         invalid_options=['ca_path'])
    if params['metrics_path']:
        problem = files.metrics_target_problem(params['metrics_path'])
        if problem:
            module.fail_json(msg=problem, invalid_options=['metrics_path'])
    options = _options(params)
    fail_on = params['fail_on']

    if params['domains'] is None:
        result = run.verify_domains([params['domain']], options, workers=1)[0]
        result['changed'] = write_metrics(module, [result])
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
    output = dict(changed=write_metrics(module, results), passed=all(result['passed'] for result in results), results=results,
                  failed_domains=[result['domain'] for result in failing], msg=fleet_summary(results, failing))
    if failing:
        module.fail_json(**output)
    module.exit_json(**output)
