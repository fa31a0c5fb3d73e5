# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.domains import (
    DomainSpecError, attribute_values, changed_domains, complete_domains, domain_scope, is_table, select_rows, table_rows,
    to_table, txt_records, union, with_entries)
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.rollout import plan


def _rows(domains, name):
    """The completed domains of a table or a completed list; AnsibleFilterError naming the filter if neither."""
    try:
        return table_rows(domains, name)
    except DomainSpecError as exc:
        raise AnsibleFilterError(str(exc))


def mta_sts_domains(domains, defaults, modes=None):
    """Complete and check the role's domain list; see plugins/module_utils/_core/domains.py."""
    try:
        return complete_domains(domains, defaults, modes)
    except DomainSpecError as exc:
        raise AnsibleFilterError(str(exc))


def mta_sts_table(domains, defaults, modes=None):
    """The completed, checked domain list as a table (few values for Ansible to walk, whatever the count)."""
    return to_table(mta_sts_domains(domains, defaults, modes))


def _selected(domains, name, names, exclude, acme, state):
    return select_rows(_rows(domains, name), names=names, exclude=exclude, acme=acme, state=state)


def mta_sts_select(domains, names=None, exclude=None, acme=None, state=None):
    """A table of the domains named (all by default), without ``exclude``, with that ``acme`` and ``state``."""
    return to_table(_selected(domains, 'mta_sts_select', names, exclude, acme, state))


def mta_sts_rows(domains, attribute=None, names=None, exclude=None, acme=None, state=None):
    """The domains selected as mta_sts_select does, as a list (or their ``attribute``, empty ones left out)."""
    rows = _selected(domains, 'mta_sts_rows', names, exclude, acme, state)
    if attribute:
        return attribute_values(rows, attribute)
    return [with_entries(item) for item in rows]


def mta_sts_union(domain_lists):
    """The domains of several web hosts merged, each domain once (a table when any of them was one); see
    plugins/module_utils/_core/domains.py."""
    domain_lists = list(domain_lists or [])
    try:
        merged = union([_rows(domains, 'mta_sts_union') for domains in domain_lists])
    except DomainSpecError as exc:
        raise AnsibleFilterError(str(exc))
    return to_table(merged) if any(is_table(domains) for domains in domain_lists) else merged


def mta_sts_txt_records(domains):
    """The TXT records of the domains, ``_mta-sts`` ones first; see plugins/module_utils/_core/domains.py."""
    return txt_records(_rows(domains, 'mta_sts_txt_records'))


def mta_sts_plan(domains, preflight_results, reports_summary, min_days, min_sessions, today=None):
    """The run's plan (held domains, mode auto decisions); see plugins/module_utils/_core/rollout.py."""
    return plan(_rows(domains, 'mta_sts_plan'), preflight_results, reports_summary, int(min_days), int(min_sessions),
                today)


def mta_sts_changes(domains, changed_paths=None, changed_record_names=None):
    """The names of the domains this run may change; see plugins/module_utils/_core/domains.py."""
    return changed_domains(_rows(domains, 'mta_sts_changes'), changed_paths, changed_record_names)


def mta_sts_scope(domains, changed, unchanged='none', size=0, turn=0, attribute=None):
    """The changed domains and all, none or a rolling share of the rest (``attribute``: that key of each,
    empty ones left out); see plugins/module_utils/_core/domains.py."""
    try:
        scope = domain_scope(_rows(domains, 'mta_sts_scope'), changed, unchanged, int(size), int(turn))
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))
    if attribute:
        return attribute_values(scope, attribute)
    return [with_entries(item) for item in scope]


class FilterModule(object):

    def filters(self):
        return {'mta_sts_domains': mta_sts_domains, 'mta_sts_table': mta_sts_table, 'mta_sts_select': mta_sts_select,
                'mta_sts_rows': mta_sts_rows, 'mta_sts_plan': mta_sts_plan, 'mta_sts_txt_records': mta_sts_txt_records,
                'mta_sts_union': mta_sts_union, 'mta_sts_changes': mta_sts_changes, 'mta_sts_scope': mta_sts_scope}
