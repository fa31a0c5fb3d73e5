# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.postfix_tables import socketmap_entry


def postfix_socketmap_entry(host, port, name):
    """The smtp_tls_policy_maps entry of a socketmap server; see plugins/module_utils/_core/postfix_tables.py."""
    try:
        number = int(port)
    except (TypeError, ValueError):
        number = None
    if number is None or not 0 < number < 65536:
        raise AnsibleFilterError('postfix_socketmap_entry: the port must be a number from 1 to 65535, got %r' % (port,))
    if not host or not name:
        raise AnsibleFilterError('postfix_socketmap_entry: the address (input) and the socketmap name must not be '
                                 'empty, got %r and %r' % (host, name))
    return socketmap_entry(str(host), number, str(name))


class FilterModule(object):

    def filters(self):
        return {'postfix_socketmap_entry': postfix_socketmap_entry}
