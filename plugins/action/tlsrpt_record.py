# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailsec.mta_sts.plugins.plugin_utils.domain_table_action import DomainTableAction


class ActionModule(DomainTableAction):
    """tlsrpt_record: a domain table given as records stands for its domains' tlsrpt_record_entry entries."""

    LIST_OPTION = 'records'
    ENTRY = 'tlsrpt_record_entry'
