# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # The record modules (O(records), RV(records)).
    DOCUMENTATION = r'''
options:
  report_unchanged:
    description:
      - With V(false), the result's RV(records) lists only the entries that changed (in check mode, that would change);
        for thousands of entries the result is otherwise as large as the input, and Ansible handles every value of a
        registered result. Not used without O(records).
    type: bool
    default: true
'''

    # mta_sts_policy (O(policies), RV(policies)).
    POLICIES = r'''
options:
  report_unchanged:
    description:
      - With V(false), the result's RV(policies) lists only the entries that changed (in check mode, that would change);
        for thousands of entries the result is otherwise as large as the input, and Ansible handles every value of a
        registered result. Not used without O(policies).
    type: bool
    default: true
'''
