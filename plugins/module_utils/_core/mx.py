# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""MTA-STS mx patterns (RFC 8461 section 4.1): syntax, and matching MX host names against them.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Everything here is pure: no I/O, no AnsibleModule.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.names import domain_error


def pattern_error(pattern):
    """Return why ``pattern`` is not a valid mx pattern (``["*."] Domain``), or None."""
    if not isinstance(pattern, str):
        return 'must be a string'
    domain = pattern[2:] if pattern.startswith('*.') else pattern
    error = domain_error(domain)
    if error is None:
        return None
    if pattern.startswith('*.') and domain == '':
        return "is a bare '*.'; a wildcard needs a domain after it"
    return error


def normalize_host(host):
    """The form in which MX host names are compared: lower case, without the root dot."""
    host = host.lower()
    return host[:-1] if host.endswith('.') else host


def host_matches(pattern, host):
    """Whether the MX host name ``host`` matches the mx ``pattern`` (RFC 8461 section 4.1).

    A literal pattern matches the name exactly; ``*.example.com`` matches exactly one extra
    left-most label (``mx.example.com``, not ``example.com`` nor ``a.b.example.com``).
    Comparison ignores case and a trailing root dot on the host name. Invalid patterns match
    nothing.
    """
    if pattern_error(pattern) is not None:
        return False
    pattern = pattern.lower()
    host = normalize_host(host)
    if not pattern.startswith('*.'):
        return host == pattern
    suffix = pattern[1:]
    if not host.endswith(suffix):
        return False
    label = host[:-len(suffix)]
    return label != '' and '.' not in label


def matching_pattern(patterns, host):
    """The first of ``patterns`` that ``host`` matches, or None."""
    for pattern in patterns:
        if host_matches(pattern, host):
            return pattern
    return None
