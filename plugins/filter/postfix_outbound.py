# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.resolver_config import settings_problems


def postfix_outbound_problems(settings):
    """What breaks a rule in the postfix_outbound role's values; see plugins/module_utils/_core/resolver_config.py."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError('postfix_outbound_problems: the input must be a dict, got %s' % type(settings).__name__)
    return settings_problems(settings)


class FilterModule(object):

    def filters(self):
        return {'postfix_outbound_problems': postfix_outbound_problems}
