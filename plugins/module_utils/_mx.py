# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Domain names and MTA-STS mx patterns (RFC 8461 section 4.1).

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Everything here is pure: no I/O, no AnsibleModule.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

MAX_DOMAIN_LENGTH = 253
MAX_LABEL_LENGTH = 63

# RFC 5321 sub-domain = Let-dig [Ldh-str]; an A-label ("xn--...") is already of this shape.
_LABEL_RE = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$')


def domain_error(name):
    """Return why ``name`` is not an RFC 5321 Domain in A-label form, or None when it is one.

    The rules are those of an mx pattern after its optional ``*.``: ASCII letters, digits and
    hyphens only (internationalized names must be given as A-labels, ``xn--...``), labels of
    1-63 characters that neither start nor end with a hyphen, at most 253 characters in all, no
    trailing dot.
    """
    if not isinstance(name, str):
        return 'must be a string'
    if name == '':
        return 'is empty'
    if any(ord(char) > 127 for char in name):
        return 'contains non-ASCII characters; write internationalized names as A-labels (xn--...)'
    if name.endswith('.'):
        return 'ends with a dot; write the name without the trailing root dot'
    if len(name) > MAX_DOMAIN_LENGTH:
        return 'is longer than %d characters' % MAX_DOMAIN_LENGTH
    for label in name.split('.'):
        if label == '':
            return 'has an empty label (two dots in a row or a leading dot)'
        if len(label) > MAX_LABEL_LENGTH:
            return 'has a label longer than %d characters' % MAX_LABEL_LENGTH
        if '*' in label:
            return "has '*' outside a leading '*.' label"
        if not _LABEL_RE.match(label):
            return 'has the label %r; labels are letters, digits and inner hyphens only' % label
    return None


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
