# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module options declared once: ``ArgumentSpec`` and the option sets several modules share.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Modelled on community.crypto's ``_argspec.ArgumentSpec``. An ``ArgumentSpec`` holds options, the
AnsibleModule constraints between them and the pure checks of their values; ``merge()`` adds another
one, so a shared option set (``resolver_options()``, ``dns_update_options()``, ``file_options()``)
is declared and checked in one place for every module that takes it, and its doc fragment documents
exactly these options.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible_collections.mailsec.mta_sts.plugins.module_utils._client import resolver as _resolver
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import txt_update
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.records import DEFAULT_TTL

CONSTRAINTS = ('mutually_exclusive', 'required_together', 'required_one_of', 'required_if', 'required_by')


class ArgumentSpec(object):
    """Options (``argument_spec``), constraints between them, and ``checks``: pure functions
    ``params -> [(option, message)]`` for the rules their values must follow."""

    def __init__(self, argument_spec=None, checks=(), **constraints):
        unknown = set(constraints) - set(CONSTRAINTS)
        if unknown:
            raise TypeError('unknown constraint(s): %s' % ', '.join(sorted(unknown)))
        self.argument_spec = dict(argument_spec or {})
        self.constraints = dict((name, list(constraints.get(name) or [])) for name in CONSTRAINTS)
        self.checks = list(checks)

    def merge(self, other):
        """Add ``other``'s options, constraints and checks; an option declared by both is an error."""
        twice = set(self.argument_spec) & set(other.argument_spec)
        if twice:
            raise ValueError('option(s) declared twice: %s' % ', '.join(sorted(twice)))
        self.argument_spec.update(other.argument_spec)
        for name in CONSTRAINTS:
            self.constraints[name].extend(other.constraints[name])
        self.checks.extend(other.checks)
        return self

    def spec(self):
        """A copy of the options, for ``AnsibleModule(argument_spec=...)``."""
        return copy.deepcopy(self.argument_spec)

    def module_kwargs(self):
        """``supports_check_mode`` (every module of the collection supports it) and the constraints."""
        kwargs = dict(supports_check_mode=True)
        kwargs.update((name, list(value)) for name, value in self.constraints.items() if value)
        return kwargs

    def problems(self, params):
        """Every ``(option, message)`` the checks find in ``params``."""
        found = []
        for check in self.checks:
            found.extend(check(params))
        return found


def resolver_options():
    """``nameservers``, ``dns_port``, ``timeout``: how the module asks DNS (a lookup's whole lifetime)."""
    return ArgumentSpec(
        dict(
            nameservers=dict(type='list', elements='str'),
            dns_port=dict(type='int', default=_resolver.DEFAULT_PORT),
            timeout=dict(type='float', default=_resolver.DEFAULT_TIMEOUT),
        ),
        checks=[lambda params: _resolver.resolver_option_problems(
            params.get('nameservers'), params.get('dns_port'), params.get('timeout'))],
    )


def dns_update_options():
    """The RFC 2136 update options; plugins/doc_fragments/dns_update.py documents exactly these."""
    return ArgumentSpec(
        dict(
            server=dict(type='str', required=True),
            port=dict(type='int', default=txt_update.DEFAULT_PORT),
            zone=dict(type='str'),
            key_name=dict(type='str'),
            # No environment fallback: Ansible puts a task's environment: on the command line of the
            # shell that starts the module (visible in /proc/*/cmdline and at -vvv). key_secret travels
            # inside the module's arguments; key_secret_file is read by the module itself.
            key_secret=dict(type='str', no_log=True),
            key_secret_file=dict(type='path'),
            key_algorithm=dict(type='str', default=txt_update.DEFAULT_TSIG_ALGORITHM,
                               choices=list(txt_update.TSIG_ALGORITHMS)),
            timeout=dict(type='float', default=txt_update.DEFAULT_TIMEOUT),
            ttl=dict(type='int', default=DEFAULT_TTL),
        ),
        checks=[txt_update.update_option_problems],
        mutually_exclusive=[('key_secret', 'key_secret_file')],
    )


def file_options():
    """The common file options (owner, group, SELinux, attributes) less ``mode``, which in this
    collection is often something else (the policy mode): the file's mode is ``file_mode``."""
    return ArgumentSpec(dict(
        file_mode=dict(type='raw'),
        owner=dict(type='str'),
        group=dict(type='str'),
        seuser=dict(type='str'),
        serole=dict(type='str'),
        selevel=dict(type='str'),
        setype=dict(type='str'),
        attributes=dict(type='str', aliases=['attr']),
        unsafe_writes=dict(type='bool', default=False),
    ))
