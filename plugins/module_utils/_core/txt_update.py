# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""TXT record changes of one kind, computed and built into RFC 2136 UPDATE messages (pure: no I/O).

* ``compute_txt_change()`` replaces the strings of one kind (``v=STSv1`` or ``v=TLSRPTv1``) and keeps
  every other TXT string; ``plan_change()`` turns that into a ``TxtChange``;
* ``build_update()`` puts any number of changes of one zone into ONE UPDATE message, each guarded by
  a prerequisite on exactly the RRset that was read (RFC 2136 2.4.2 "RRset exists (value dependent)",
  or 2.4.3 "RRset does not exist" when there was none), so a concurrent writer makes the whole update
  fail instead of being overwritten;
* ``make_key()`` the TSIG key, whose repr never shows the secret.

A TXT record is handled as a tuple of its character strings (``bytes``, at most 255 each), exactly
as on the wire, so nothing is ever quoted or escaped on the way.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.libraries import Library
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.grammar import bad_character, host_error
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.names import domain_error
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.records import (
    MAX_TTL,
    is_kind,
    join_strings,
    split_strings,
)

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdataclass
    import dns.rdatatype
    import dns.rdtypes.ANY.TXT
    import dns.tsig
    import dns.update
except ImportError:
    DNSPYTHON = Library.missing('dnspython')
else:
    DNSPYTHON = Library('dnspython')

# The HMAC TSIG algorithms that both dnspython and BIND know, by the names used in key files.
# (dnspython's truncated variants, e.g. hmac-sha256-128, are left out: BIND sends truncated MACs
# under the untruncated algorithm name, so they would not interoperate.)
TSIG_ALGORITHMS = ('hmac-sha256', 'hmac-sha224', 'hmac-sha384', 'hmac-sha512', 'hmac-sha1', 'hmac-md5')
DEFAULT_TSIG_ALGORITHM = 'hmac-sha256'
DEFAULT_PORT = 53
DEFAULT_TIMEOUT = 10.0
# A DNS message over TCP is at most 65535 bytes; leave room for the TSIG record.
MAX_UPDATE_SIZE = 65535 - 512
# A compression pointer holds a 14-bit offset (RFC 1035 4.1.4).
_POINTER_REACH = 0x3FFF


def update_option_problems(params):
    """Why the shared DNS update options in ``params`` cannot be used, as ``(option, message)`` pairs.

    Pure: no I/O. Messages never contain the value of ``key_secret``.
    """
    errors = []
    server = params.get('server')
    if host_error(server) is not None:
        errors.append(('server', 'server: must be the IP address or host name of the primary name server (%s)'
                       % host_error(server)))
    port = params.get('port', DEFAULT_PORT)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        errors.append(('port', 'port: must be a TCP port number from 1 to 65535'))
    zone = params.get('zone')
    if zone is not None:
        problem = domain_error(zone[:-1] if isinstance(zone, str) and zone.endswith('.') else zone)
        if problem is not None:
            errors.append(('zone', 'zone: %r %s' % (zone, problem)))
    timeout = params.get('timeout', DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 3600:
        errors.append(('timeout', 'timeout: must be a number of seconds greater than 0 and at most 3600'))
    ttl = params.get('ttl')
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= MAX_TTL):
        errors.append(('ttl', 'ttl: must be a number of seconds from 0 to %d (RFC 2181 8)' % MAX_TTL))
    algorithm = params.get('key_algorithm') or DEFAULT_TSIG_ALGORITHM
    if algorithm not in TSIG_ALGORITHMS:
        errors.append(('key_algorithm', 'key_algorithm: must be one of %s' % ', '.join(TSIG_ALGORITHMS)))
    key_name = params.get('key_name')
    key_secret = params.get('key_secret')
    if key_name is not None:
        if not isinstance(key_name, str) or _key_name_error(key_name):
            errors.append(('key_name', 'key_name: must be a DNS name, as in the server\'s key statement'))
        if not key_secret and not params.get('key_secret_file'):
            errors.append(('key_secret', 'key_secret: required when key_name is set (or give key_secret_file)'))
    if key_secret or params.get('key_secret_file'):
        if key_name is None:
            errors.append(('key_name', 'key_name: required when key_secret or key_secret_file is set'))
    if key_secret:
        if secret_bytes(key_secret) is None:
            errors.append(('key_secret', 'key_secret: must be the base64 secret of the TSIG key, '
                                         'as in the server\'s key file (the value is not shown)'))
    return errors


def _key_name_error(name):
    bare = name[:-1] if name.endswith('.') else name
    if bare == '' or '..' in bare or len(bare) > 253:
        return True
    return bad_character(bare, '"\\()') is not None or any(len(label) > 63 for label in bare.split('.'))


def secret_bytes(secret):
    """The decoded TSIG secret, or None when ``secret`` is not valid base64 (never echoed)."""
    try:
        data = base64.b64decode(''.join(secret.split()).encode('ascii'), validate=True)
    except (binascii.Error, ValueError, UnicodeError, AttributeError):
        return None
    return data or None


def make_key(key_name, key_secret, key_algorithm=DEFAULT_TSIG_ALGORITHM):
    """A dnspython TSIG key whose repr never shows the secret (None without a key name)."""
    if not key_name:
        return None
    algorithm = dns.tsig.HMAC_MD5 if key_algorithm == 'hmac-md5' else dns.name.from_text(key_algorithm)
    return _quiet_key_class()(dns.name.from_text(key_name), secret_bytes(key_secret), algorithm)


_QUIET_KEY = []


def _quiet_key_class():
    if not _QUIET_KEY:
        class QuietKey(dns.tsig.Key):
            """dns.tsig.Key, except that repr() leaves the secret out (dnspython's shows it)."""

            def __repr__(self):
                return '<TSIG key %s (%s)>' % (self.name, self.algorithm)

            __str__ = __repr__
        _QUIET_KEY.append(QuietKey)
    return _QUIET_KEY[0]


# ------------------------------------------------------------------------- pure computation

def to_strings(value):
    """A TXT value as the tuple of character strings to publish (UTF-8, cut at 255 bytes)."""
    return tuple(part.encode('utf-8') for part in split_strings(value))


def compute_txt_change(current, version, desired_value):
    """The TXT records a name should have: ``current`` with the records of one kind replaced.

    ``current`` is a list of records, each a tuple of character strings (bytes) as read.
    Records whose joined value starts with ``version`` (the kind: ``v=STSv1`` / ``v=TLSRPTv1``; None:
    every record at the name, as for a DKIM key name) are removed, except one already equal to ``desired_value`` (kept as it is, however it is cut
    into strings); every other record stays, in its order. When ``desired_value`` is not None and
    no record equals it, it is appended, cut into strings of at most 255 bytes.
    """
    others = [record for record in current if not is_kind(join_strings(record), version)]
    if desired_value is None:
        return others
    for record in current:
        if join_strings(record) == desired_value:
            return others + [tuple(record)]
    return others + [to_strings(desired_value)]


class TxtChange(object):
    """The TXT RRset at one name: as read (``before``, ``before_ttl``) and as wanted (``after``, ``ttl``)."""

    __slots__ = ('name', 'before', 'before_ttl', 'after', 'ttl')

    def __init__(self, name, before, before_ttl, after, ttl):
        self.name = name
        self.before = [tuple(record) for record in before]
        self.before_ttl = before_ttl
        self.after = [tuple(record) for record in after]
        self.ttl = ttl

    @property
    def changed(self):
        """Whether the zone must change: other records, or the same ones with another TTL."""
        if set(self.before) != set(self.after):
            return True
        return bool(self.after) and self.before_ttl != self.ttl

    def values(self, which='after'):
        """The joined TXT values before or after, for diffs and return values."""
        return [join_strings(record) for record in getattr(self, which)]

    def diff(self):
        """``{before, after}`` for Ansible's diff mode: TXT values and TTL at the name."""
        before = {'values': self.values('before'), 'ttl': self.before_ttl if self.before else None}
        after = {'values': self.values('after'), 'ttl': self.ttl if self.after else None}
        name = str(self.name).rstrip('.')
        return {'before': before, 'after': after,
                'before_header': '%s TXT' % name, 'after_header': '%s TXT' % name}


def plan_change(name, current, current_ttl, version, desired_value, ttl):
    """The ``TxtChange`` that puts ``desired_value`` (None: nothing) of one kind at ``name``.

    The TTL is per RRset: when a record is published, every TXT record at the name gets ``ttl``;
    when one is only removed, the others keep ``current_ttl``.
    """
    after = compute_txt_change(current, version, desired_value)
    new_ttl = ttl if desired_value is not None else current_ttl
    return TxtChange(name, current, current_ttl, after, new_ttl)


def _txt_rdata(strings):
    return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, tuple(strings))


def build_update(zone, changes, key=None):
    """ONE UPDATE message for ``zone`` applying every changed ``TxtChange`` atomically.

    For each name: the prerequisite is the RRset exactly as read ("RRset exists (value
    dependent)"), or "RRset does not exist" when nothing was read; the update deletes the TXT
    RRset and adds the wanted records with the wanted TTL. Names must be distinct.
    """
    message = dns.update.UpdateMessage(dns_name(zone))
    seen = set()
    for change in changes:
        if not change.changed:
            continue
        name = dns_name(change.name)
        if name in seen:
            raise ValueError('%s appears twice in one update; merge its changes first' % name)
        seen.add(name)
        if change.before:
            message.present(name, *[_txt_rdata(record) for record in change.before])
        else:
            message.absent(name, dns.rdatatype.TXT)
        message.delete(name, dns.rdatatype.TXT)
        if change.after:
            message.add(name, change.ttl, *[_txt_rdata(record) for record in change.after])
    if key is not None:
        message.use_tsig(key)
    return message


def update_batches(zone, changes, key=None, max_size=MAX_UPDATE_SIZE):
    """As ``build_update``, cut into as few messages as fit in a TCP DNS message (usually one), each with
    its changes: ``[(message, [TxtChange])]``; ``[]`` when nothing changed.

    Every name's change stays guarded by its own prerequisite; only atomicity across names is
    lost when more than one message is needed (hundreds of names).
    """
    changed = [change for change in changes if change.changed]
    if len(changed) <= 1:
        return [(build_update(zone, changed, key), changed)] if changed else []
    return [(build_update(zone, chunk, key), chunk) for chunk in _chunks(zone, changed, max_size)]


def change_size(origin, change):
    """The bytes ``change`` adds to an UPDATE of the zone ``origin`` (a ``dns.name.Name``), counted as dnspython
    writes it in a message of its own, or None for a name outside the zone.

    Its owner name once in full below the zone (a length byte per label, then a pointer to the zone's name) and as
    a 2-byte pointer in every later record; 10 bytes of type, class, TTL and length per record; a length byte and the
    bytes of every TXT string. The records: the prerequisite (the RRset read, or one "does not exist"), one delete,
    and the records added. Counted, not built: building a message for each of 20,000 names to measure it took most
    of the time of cutting them into messages (tests/unit/plugins/module_utils/test_dns.py holds the count equal to
    the built message's size)."""
    name = dns_name(change.name)
    if not name.is_subdomain(origin):
        return None
    records = _record_count(change)
    strings = sum(1 + len(string) for record in change.before + change.after for string in record)
    owner = sum(len(label) + 1 for label in name.relativize(origin).labels) + 2
    return owner + 2 * (records - 1) + 10 * records + strings


def _record_count(change):
    """The records of ``change`` in an UPDATE: its prerequisite (the RRset read, or one "does not exist"), one delete,
    and the records added."""
    return (len(change.before) or 1) + 1 + len(change.after)


def _chunks(zone, changes, max_size):
    """``changes`` cut, in order, into runs whose message fits in ``max_size``, each message built once. (Halving
    until the halves fit rebuilt the whole list at every level: 12 s for 5,000 names.)

    A change counts at its size in a message of its own; once the run has reached 16 KiB, also its owner name's
    labels below the zone once more for each of its records after the first: a compression pointer reaches only the
    first 16 KiB of a message (RFC 1035 4.1.4), so the repeats of a name first written past there are written out
    again. The zone's own name, at the start, always compresses. That bound makes every run fit without
    building it to see."""
    origin = dns_name(zone)
    overhead = len(build_update(zone, []).to_wire())
    chunks, chunk, size = [], [], overhead
    for change in changes:
        own = change_size(origin, change)
        if own is None:
            own = len(build_update(zone, [change]).to_wire()) - overhead
        if size + own > _POINTER_REACH:
            relative = dns_name(change.name).relativize(origin)
            own += (_record_count(change) - 1) * sum(len(label) + 1 for label in relative.labels)
        if chunk and size + own > max_size:
            chunks.append(chunk)
            chunk, size = [], overhead
        chunk.append(change)
        size += own
    chunks.append(chunk)
    return chunks


def algorithm_text(algorithm):
    if algorithm == dns.tsig.HMAC_MD5:
        return 'hmac-md5'
    return str(algorithm).rstrip('.').lower()


def dns_name(name):
    if isinstance(name, str):
        return dns.name.from_text(name)
    return name
