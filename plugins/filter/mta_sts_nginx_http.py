# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.domains import DomainSpecError, is_table, table_rows
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.nginx import http_settings, policy_servers


def mta_sts_nginx_http(dump, names, own_files, failure=''):
    """What the role's http-level nginx file holds; see plugins/module_utils/_core/nginx.py."""
    if is_table(names):
        names = [site['mta_sts_host'] for site in table_rows(names, 'mta_sts_nginx_http')]
    if not isinstance(names, (list, tuple)) or not isinstance(own_files, (list, tuple)):
        raise AnsibleFilterError('mta_sts_nginx_http: names (or a domain table) and own_files must be lists')
    return http_settings(dump or '', list(names), list(own_files), failure or '')


def mta_sts_nginx_servers(domains, certificates=None, webroot=None):
    """The policy hosts' HTTPS server blocks, one per certificate; see plugins/module_utils/_core/nginx.py."""
    try:
        return policy_servers(table_rows(domains, 'mta_sts_nginx_servers'), certificates, webroot)
    except DomainSpecError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):

    def filters(self):
        return {'mta_sts_nginx_http': mta_sts_nginx_http, 'mta_sts_nginx_servers': mta_sts_nginx_servers}
