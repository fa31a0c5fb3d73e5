# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What must change in the ``_mta-sts`` and ``_smtp._tls`` TXT records, from what a resolver sees.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

For DNS that is not updated by RFC 2136 (hosted DNS, published by the provider's own modules):
``read_current()`` reads the TXT records with a resolver, ``compute_changes()`` (pure) says which
names must change and to what, in the provider-neutral form the role hands to the user's task file
(``name``, ``type``, ``value`` (all TXT values the name must hold), ``ttl``, ``state``). The record
kind is the name's prefix; other TXT strings at a name are kept, as by mta_sts_record.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.names import domain_error
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.records import (
    KINDS,
    STS_PREFIX,
    TLSRPT_PREFIX,
    TLSRPT_VERSION,
    has_version,
    join_strings,
)


def kind_of(name):
    """The version tag of the record kind at ``name`` (``v=STSv1`` / ``v=TLSRPTv1``), or None."""
    for kind in KINDS.values():
        # The DKIM key record has no fixed prefix; the role's DNS tasks hook gets it on its own.
        if kind['prefix'] is not None and name.lower().startswith(kind['prefix'] + '.'):
            return kind['version']
    return None


def entry_errors(entries):
    """Why the O(records) entries cannot be used, as messages naming the entry. Pure."""
    errors = []
    seen = {}
    for index, entry in enumerate(entries):
        where = 'records[%d]' % index
        name = (entry.get('name') or '').rstrip('.')
        version = kind_of(name)
        if version is None:
            errors.append('%s.name: %r must start with %s. or %s.' % (where, name, STS_PREFIX, TLSRPT_PREFIX))
            continue
        problem = domain_error(name.split('.', 2 if version == TLSRPT_VERSION else 1)[-1])
        if problem:
            errors.append('%s.name: %r %s' % (where, name, problem))
        if name.lower() in seen:
            errors.append('%s.name: %s is already listed at [%d]' % (where, name, seen[name.lower()]))
        seen[name.lower()] = index
        value = entry.get('value')
        if entry.get('state', 'present') == 'present':
            if not value:
                errors.append('%s.value: required when state is present' % where)
            elif not has_version(value, version):
                errors.append('%s.value: %r must start with %s, the kind of record at %s' % (where, value, version, name))
    return errors


def compute_changes(entries, current, ttl):
    """The changes that give each entry's name its wanted record of its kind. Pure.

    ``entries``: ``{name, value, state}`` (``state`` absent: no record of the name's kind);
    ``current``: ``{name: [joined TXT values]}`` as read. Records of the name's kind are replaced by
    the wanted one, other TXT values stay. Only names whose set of values changes are returned, in
    entry order, as ``{name, type: TXT, value, ttl, state, before}``: ``value`` is every TXT value
    the name must hold (``state: present``), or, when none is left, the values to remove
    (``state: absent``). A TTL alone is never a change: a resolver's TTL counts down.
    """
    changes = []
    for entry in entries:
        name = entry['name'].rstrip('.')
        version = kind_of(name)
        before = list(current.get(name, []))
        after = [value for value in before if not has_version(value, version)]
        if entry.get('state', 'present') == 'present':
            after.append(entry['value'])
        if sorted(set(after)) == sorted(set(before)) and len(after) == len(before):
            continue
        changes.append({
            'name': name,
            'type': 'TXT',
            'value': after if after else before,
            'ttl': ttl,
            'state': 'present' if after else 'absent',
            'before': before,
        })
    return changes


def read_current(resolver, names, lookup_txt, workers=8):
    """``{name: [joined TXT values]}`` for every name, read ``workers`` at a time with ``lookup_txt``."""
    names = list(names)
    if not names:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(names)))) as pool:
        found = list(pool.map(lambda name: [join_strings(record) for record in lookup_txt(resolver, name)], names))
    return dict(zip(names, found))
