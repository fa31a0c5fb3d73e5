# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Domain names as the collection accepts them: RFC 5321 Domains in A-label form.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Everything here is pure: no I/O, no AnsibleModule.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

MAX_DOMAIN_LENGTH = 253
MAX_LABEL_LENGTH = 63

# RFC 5321 sub-domain = Let-dig [Ldh-str]; an A-label ("xn--...") is already of this shape.
_LABEL_RE = re.compile(r'[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?')


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
        if not _LABEL_RE.fullmatch(label):
            return 'has the label %r; labels are letters, digits and inner hyphens only' % label
    return None
