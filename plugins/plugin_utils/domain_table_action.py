# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The controller side of the modules whose list option also takes a domain table.

A domain table (the mta_sts_table filter) is the role's domain list as one JSON text. Given one in
place of the list option, the action expands it here, into each domain's ready-made module entry,
and runs the module with the list. Built in a template instead, the list of 20,000 entries is
walked value by value by Ansible's templating (about 7 s for the policy files of 20,000 domains);
built here it is only encoded once, into the module's arguments.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.domains import attribute_values, is_table, table_rows


class DomainTableAction(ActionBase):
    """Runs the module of the same name; a domain table given as ``LIST_OPTION`` becomes the
    ``ENTRY`` of each of its domains (domains without one are left out)."""

    LIST_OPTION = None
    ENTRY = None
    # As ansible.builtin.normal, the action of a module without one of its own.
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super(DomainTableAction, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        args = dict(self._task.args)
        value = args.get(self.LIST_OPTION)
        if isinstance(value, dict):
            if not is_table(value):
                raise AnsibleActionFail('%s: a dict given must be a domain table (the mta_sts_table filter: count and '
                                        'rows), got the keys %s' % (self.LIST_OPTION, ', '.join(sorted(value))))
            try:
                args[self.LIST_OPTION] = attribute_values(table_rows(value, self.LIST_OPTION), self.ENTRY)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                # Not what mta_sts_table writes: bad JSON, or rows without the keys of a completed domain.
                raise AnsibleActionFail('%s: the rows of the domain table are not the JSON that mta_sts_table writes (%s: %s)'
                                        % (self.LIST_OPTION, type(exc).__name__, exc))
        wrap_async = self._task.async_val
        result = merge_hash(result, self._execute_module(module_args=args, task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
