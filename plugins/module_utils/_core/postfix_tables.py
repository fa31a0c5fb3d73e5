# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Postfix TLS policy maps: the socketmap protocol, policy strings and ``smtp_tls_policy_maps`` lists.

Pure code (the exchange itself is ``_client.socketmap``):
- the socketmap protocol of Postfix's socketmap_table(5): a request ``<name> <key>`` and a reply
  ``OK <data>`` / ``NOTFOUND `` / ``TEMP|TIMEOUT|PERM <reason>``, each a netstring
  (``<length>:<bytes>,``);
- policy strings as smtp_tls_policy_maps returns them (``secure match=a:b servername=hostname``);
- the list value of ``smtp_tls_policy_maps`` (split as Postfix does: commas and whitespace, ``{...}``
  kept whole) and where a socketmap entry goes in it (after the maps that are there: a static map
  the admin wrote is consulted first);
- the keys Postfix looks a next-hop domain up with (the domain, then ``.parent`` domains).

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


# A reply longer than this is not a TLS policy (Postfix's own socketmap_max_reply_size is 100000).
MAX_REPLY = 100000
SOCKETMAP_STATUSES = ('OK', 'NOTFOUND', 'TEMP', 'TIMEOUT', 'PERM')


class SocketmapError(Exception):
    """A socketmap server that did not answer, or did not answer by the protocol."""


def netstring(data):
    """``data`` (bytes) as a netstring."""
    return str(len(data)).encode('ascii') + b':' + data + b','


def parse_netstring(buffer, limit=MAX_REPLY):
    """``(payload, rest)`` when ``buffer`` starts with a whole netstring, ``(None, buffer)`` when more bytes are needed.

    Raises ValueError on anything that is not a netstring (or one longer than ``limit``).
    """
    colon = buffer.find(b':')
    if colon < 0:
        if len(buffer) > len(str(limit)) or (buffer and not buffer.isdigit()):
            raise ValueError('not a netstring: %r' % buffer[:20])
        return None, buffer
    digits = buffer[:colon]
    if not digits.isdigit() or (len(digits) > 1 and digits.startswith(b'0')):
        raise ValueError('not a netstring length: %r' % digits[:20])
    length = int(digits)
    if length > limit:
        raise ValueError('netstring of %d bytes is longer than %d' % (length, limit))
    end = colon + 1 + length
    if len(buffer) < end + 1:
        return None, buffer
    if buffer[end:end + 1] != b',':
        raise ValueError('netstring of %d bytes does not end with ","' % length)
    return buffer[colon + 1:end], buffer[end + 1:]


def socketmap_request(name, key):
    """The request bytes asking table ``name`` for ``key``."""
    if not name or ' ' in name:
        raise ValueError('a socketmap name cannot be empty or hold a space: %r' % name)
    return netstring(('%s %s' % (name, key)).encode('utf-8'))


def parse_socketmap_reply(payload):
    """``(status, data)`` of a reply payload: status one of SOCKETMAP_STATUSES."""
    text = payload.decode('utf-8', 'replace')
    status, dummy, data = text.partition(' ')
    if status not in SOCKETMAP_STATUSES:
        raise ValueError('not a socketmap reply: %r' % text[:80])
    return status, data


def parse_socketmap_spec(spec):
    """``{'family', 'host', 'port', 'path', 'name'}`` of ``socketmap:inet:HOST:PORT:NAME`` or
    ``socketmap:unix:PATH:NAME``; None for any other map (``proxy:`` wrapped ones included)."""
    if not spec.startswith('socketmap:'):
        return None
    rest = spec[len('socketmap:'):]
    endpoint, sep, name = rest.rpartition(':')
    if not sep or not name:
        raise ValueError('%s: a socketmap needs socketmap:inet:HOST:PORT:NAME or socketmap:unix:PATH:NAME' % spec)
    family, sep, address = endpoint.partition(':')
    if family == 'inet':
        host, sep, port = address.rpartition(':')
        host = host[1:-1] if host.startswith('[') and host.endswith(']') else host
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError('%s: want socketmap:inet:HOST:PORT:NAME with a port 1-65535' % spec)
        return {'family': 'inet', 'host': host, 'port': int(port), 'path': None, 'name': name}
    if family == 'unix' and address:
        return {'family': 'unix', 'host': None, 'port': None, 'path': address, 'name': name}
    raise ValueError('%s: the socketmap endpoint must start with inet: or unix:' % spec)


def socketmap_entry(host, port, name):
    """The smtp_tls_policy_maps entry for a socketmap server on ``host``:``port``."""
    if ':' in host:
        host = '[%s]' % host
    return 'socketmap:inet:%s:%d:%s' % (host, int(port), name)


def parse_policy(text):
    """``{'level', 'match', 'attributes'}`` of a TLS policy string such as ``secure match=a:b servername=hostname``.

    ``match`` is the list of ``match=`` patterns (split on ``:``, as Postfix does for a table
    entry); ``attributes`` holds every other ``name=value``.
    """
    words = text.split()
    if not words:
        raise ValueError('an empty TLS policy')
    result = {'level': words[0], 'match': [], 'attributes': {}}
    for word in words[1:]:
        name, sep, value = word.partition('=')
        if not sep:
            raise ValueError('%r: TLS policy attributes are name=value (in %r)' % (word, text))
        if name == 'match':
            result['match'].extend(part for part in value.split(':') if part)
        else:
            result['attributes'][name] = value
    return result


def split_maps(value):
    """The entries of a Postfix list value such as smtp_tls_policy_maps, in order.

    Separators are commas and whitespace, as in Postfix; a ``{ ... }`` group (``inline:{...}``,
    ``pipemap:{...}``) stays one entry.
    """
    entries = []
    current = ''
    depth = 0
    for char in value:
        if char == '{':
            depth += 1
        elif char == '}':
            depth = max(depth - 1, 0)
        if depth == 0 and (char == ',' or char.isspace()):
            if current:
                entries.append(current)
            current = ''
            continue
        current += char
    if current:
        entries.append(current)
    return entries


def join_maps(entries):
    return ', '.join(entries)


def place_entry(entries, entry, state='present'):
    """The map list with ``entry`` (a socketmap) present at the end, or absent.

    A socketmap entry for the same socketmap name (the resolver's "zone") on another address is
    the same service moved: it is replaced where it stands rather than left behind as a dead map.
    Every other entry keeps its place, so a static map the admin put there is consulted first.
    """
    wanted = parse_socketmap_spec(entry)
    if wanted is None:
        raise ValueError('%s is not a socketmap entry' % entry)

    def same_service(other):
        try:
            spec = parse_socketmap_spec(other)
        except ValueError:
            return False
        return spec is not None and spec['name'] == wanted['name']

    result = []
    placed = False
    for other in entries:
        if other == entry or same_service(other):
            if state == 'present' and not placed:
                result.append(entry)
                placed = True
            continue
        result.append(other)
    if state == 'present' and not placed:
        result.append(entry)
    return result


def lookup_keys(domain):
    """The keys Postfix looks up, in order, for next-hop ``domain``: the domain, then ``.parent`` names.

    (smtp_tls_policy_maps is not in parent_domain_matches_subdomains, so parents are looked up
    with a leading dot.) Lower case, without a trailing dot; an address literal is one key.
    """
    name = domain.strip().rstrip('.').lower()
    if not name:
        raise ValueError('an empty domain')
    if name.startswith('['):
        return [name]
    keys = [name]
    labels = name.split('.')
    for index in range(1, len(labels)):
        keys.append('.' + '.'.join(labels[index:]))
    return keys


def main_cf_value(text, name):
    """The value main.cf's ``text`` gives parameter ``name`` (the last setting wins, as in Postfix), or None. Pure.

    main.cf syntax (postconf(5)): ``name = value`` at the start of a line, continued on lines that start
    with whitespace; empty and ``#`` lines are skipped. Read from the file rather than from ``postconf -n``, which
    leaves out parameters this Postfix does not know (Postfix 3.7 and smtp_tlsrpt_*), so that the result
    is the same whatever the version.
    """
    value = None
    current = None
    for line in text.splitlines():
        if line.strip() == '' or line.lstrip().startswith('#'):
            continue  # skipped, without ending the logical line (postconf(5))
        if line[0] in ' \t':
            if current is not None:
                current.append(line.strip())
            continue
        key, sep, rest = line.partition('=')
        if sep and key.strip() == name:
            current = [rest.strip()]
            value = current
        else:
            current = None
    if value is None:
        return None
    return ' '.join(part for part in value if part) or None
