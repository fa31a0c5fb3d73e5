# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The postfix_outbound role's values that reach the resolver's YAML, Postfix's main.cf, a unit file
or a command line, checked before the role changes anything.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
Pure: no I/O. The role calls it through the ``postfix_outbound_problems`` filter.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.grammar import (
    host_error, path_error, postfix_socket_name_error, scalar_error, socketmap_error)

# postfix_outbound_<key>: how each is checked.
PATHS = ('config_path', 'cache_sqlite_path', 'pid_file', 'log_file', 'virtualenv', 'postfix_config_directory',
         'tlsrpt_virtualenv', 'tlsrpt_config_directory', 'tlsrpt_state_directory', 'tlsrpt_log_directory',
         'tlsrpt_pid_directory')


def settings_problems(settings):
    """Messages for the role's values (``settings`` keyed without the ``postfix_outbound_`` prefix) that
    break their target's grammar, each naming the variable and the character or rule."""
    problems = []
    for key in PATHS:
        value = settings.get(key)
        if value not in (None, '') and path_error(value) is not None:
            problems.append('postfix_outbound_%s: %s' % (key, path_error(value)))
    if host_error(settings.get('listen_address')) is not None:
        problems.append('postfix_outbound_listen_address: %s' % host_error(settings.get('listen_address')))
    socket_problem = postfix_socket_name_error(settings.get('tlsrpt_socket'))
    if socket_problem is not None:
        problems.append('postfix_outbound_tlsrpt_socket: %r %s' % (settings['tlsrpt_socket'], socket_problem))
    for key in ('cache_redis_url', 'zone', 'service_name', 'pip_version', 'tlsrpt_version', 'tlsrpt_dkimpy_version'):
        value = settings.get(key)
        if scalar_error(value) is not None:
            problems.append('postfix_outbound_%s: %s' % (key, scalar_error(value)))
    for name in sorted(settings.get('zones') or {}):
        if scalar_error(name.replace(' ', '\t')) is not None or not name:
            problems.append('postfix_outbound_zones: the zone name %r %s' % (name, scalar_error(name) or 'is empty'))
    map_spec = settings.get('map')
    if map_spec is not None and socketmap_error(map_spec) is not None:
        problems.append('postfix_outbound_zone / postfix_outbound_listen_address give the socketmap entry %r, which %s'
                        % (map_spec, socketmap_error(map_spec)))
    return problems
