# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.domains import (
    DomainSpecError, changed_domains, complete_domains, domain_scope, txt_records, union)
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.rollout import plan


def mta_sts_domains(domains, defaults, modes=None):
    """Complete and check the role's domain list; see plugins/module_utils/_core/domains.py."""
    try:
        return complete_domains(domains, defaults, modes)
    except DomainSpecError as exc:
        raise AnsibleFilterError(str(exc))


def mta_sts_union(domain_lists):
    """The domain lists of several web hosts merged, each domain once; see plugins/module_utils/_core/domains.py."""
    try:
        return union(domain_lists)
    except DomainSpecError as exc:
        raise AnsibleFilterError(str(exc))


def mta_sts_txt_records(domains):
    """The TXT records of the domains, ``_mta-sts`` ones first; see plugins/module_utils/_core/domains.py."""
    if not isinstance(domains, (list, tuple)):
        raise AnsibleFilterError('mta_sts_txt_records: the input must be a domain list as mta_sts_domains returns it, '
                                 'got %s' % type(domains).__name__)
    return txt_records(domains)


def mta_sts_plan(domains, preflight_results, reports_summary, min_days, min_sessions, today=None):
    """The run's plan (held domains, mode auto decisions); see plugins/module_utils/_core/rollout.py."""
    return plan(domains, preflight_results, reports_summary, int(min_days), int(min_sessions), today)


def mta_sts_changes(domains, changed_paths=None, changed_record_names=None):
    """The names of the domains this run may change; see plugins/module_utils/_core/domains.py."""
    return changed_domains(domains, changed_paths, changed_record_names)


def mta_sts_scope(domains, changed, unchanged='none', size=0, turn=0, attribute=None):
    """The changed domains and all, none or a rolling share of the rest (``attribute``: that key of each,
    empty ones left out); see plugins/module_utils/_core/domains.py."""
    try:
        scope = domain_scope(domains, changed, unchanged, int(size), int(turn))
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))
    if attribute:
        return [item[attribute] for item in scope if item.get(attribute)]
    return scope


class FilterModule(object):

    def filters(self):
        return {'mta_sts_domains': mta_sts_domains, 'mta_sts_plan': mta_sts_plan, 'mta_sts_txt_records': mta_sts_txt_records,
                'mta_sts_union': mta_sts_union, 'mta_sts_changes': mta_sts_changes, 'mta_sts_scope': mta_sts_scope}
