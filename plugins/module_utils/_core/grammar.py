# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a value must look like to reach a configuration file whole: paths, nginx listen values,
Postfix socketmap entries, host names and YAML scalars.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Everything here is pure: no I/O, no AnsibleModule. Each ``*_error(value)`` returns None for a value
that the target grammar holds as exactly one token, else why not, naming the first character that
breaks the rule (``'contains a newline (U+000A) at position 12'``); the caller prefixes the
option or variable name. The role (through ``_core.domains``) and the modules (their
``option_problems``) use the same functions, so bad input stops before anything is touched.

Every pattern here is matched with ``fullmatch``: ``$`` also matches before a final newline.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import unicodedata

# Characters that nginx (";{}#" end or open a directive or comment, quotes and "\" change how a
# token is read, "$" expands a variable in root, ssl_certificate, ...) or Postfix (",", "{}" and
# "$" in a table list and in main.cf) read as syntax; "`" and "'" are shell syntax for anyone who
# pastes the value. None of them belong in a path the collection writes into a file.
PATH_METACHARACTERS = ';{}#\'"$\\`,'

_NAMES = {
    '\n': 'a newline', '\r': 'a carriage return', '\t': 'a tab', ' ': 'a space', '\x00': 'a NUL',
    '\x85': 'a next-line character', '\u2028': 'a line separator', '\u2029': 'a paragraph separator',
}

# nginx listen (without the "ssl" the role adds): a port, an address with a port, an [IPv6]
# address with a port, or a unix socket path; then optional plain parameters (default_server,
# backlog=511, ipv6only=on, ...).
_PORT = r'(?:[1-9][0-9]{0,4})'
_LISTEN_HOST = r'(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\*)'
_LISTEN_ADDRESS = (r'(?:%(port)s|%(host)s:%(port)s|%(host)s|\[[0-9A-Fa-f:.]{2,45}\](?::%(port)s)?|unix:/[A-Za-z0-9._/-]{1,200})'
                   % {'port': _PORT, 'host': _LISTEN_HOST})
_LISTEN_PARAMETER = r'(?:[a-z][a-z0-9_]{0,30}(?:=[A-Za-z0-9_.:-]{1,64})?)'
_LISTEN_RE = re.compile(r'%s(?: %s){0,10}' % (_LISTEN_ADDRESS, _LISTEN_PARAMETER))
# A socketmap entry of smtp_tls_policy_maps: socketmap:(inet:HOST:PORT|unix:PATH):NAME.
_SOCKETMAP_RE = re.compile(r'socketmap:(?:inet:(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):%s|unix:/[A-Za-z0-9._/-]{1,200})'
                           r':[A-Za-z0-9_.-]{1,64}' % _PORT)
_HOST_RE = re.compile(r'[A-Za-z0-9.:-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]')


def describe_character(char):
    """``a newline (U+000A)``, ``';' (U+003B)``: a character as a message names it."""
    name = _NAMES.get(char)
    if name is None:
        category = unicodedata.category(char)
        if category[0] in 'CZ':
            name = 'a %s character' % ('control' if category == 'Cc' else 'format' if category == 'Cf' else 'space')
        else:
            name = repr(char)
    return '%s (U+%04X)' % (name, ord(char))


def _invisible(char):
    """Control, format and separator characters: line breaks of any kind, NUL, spaces."""
    return unicodedata.category(char)[0] in 'CZ'


def bad_character(value, forbidden=''):
    """``(position, char)`` of the first invisible character or character of ``forbidden`` in ``value``, or None."""
    for position, char in enumerate(value):
        if _invisible(char) or char in forbidden:
            return position, char
    return None


def character_error(value, forbidden=''):
    """``'contains ... at position N'`` for the first bad character (see ``bad_character``), or None."""
    found = bad_character(value, forbidden)
    if found is None:
        return None
    position, char = found
    return 'contains %s at position %d' % (describe_character(char), position)


def path_error(value):
    """Why ``value`` cannot be a file or folder path written into nginx, Postfix or YAML files, or None.

    The rule: an absolute path, with no whitespace, no control or line-separator character and none
    of ``PATH_METACHARACTERS``.
    """
    if not isinstance(value, str) or value == '':
        return 'must be an absolute path, got %r' % (value,)
    error = character_error(value, PATH_METACHARACTERS)
    if error is not None:
        return '%s; a path here may hold no whitespace, control characters or any of %s' % (error, PATH_METACHARACTERS)
    if not value.startswith('/'):
        return 'must be an absolute path (starting with /), got %r' % value
    return None


def postfix_socket_name_error(value):
    """Why ``value`` cannot be a Postfix socket name such as smtp_tlsrpt_socket_name, or None.

    Postfix reads it relative to its queue directory unless it is absolute (a relative name works for a
    chrooted smtp(8) too); either way the ``path_error`` rule, and no ``..`` (out of the queue directory).
    """
    if value is None:
        return None
    if not isinstance(value, str) or value == '':
        return 'must be a path, got %r' % (value,)
    error = path_error('/' + value.lstrip('/'))
    if error is not None:
        return error
    if '..' in value.split('/'):
        return 'contains "..": name the socket below the queue directory, or give an absolute path'
    return None


def listen_error(value):
    """Why ``value`` cannot be an nginx ``listen`` value (without ``ssl``), or None."""
    if not isinstance(value, str) or value == '':
        return 'must be an nginx listen value such as 443, 192.0.2.10:443 or [::]:443, got %r' % (value,)
    error = character_error(value.replace(' ', 'x'), ';{}#\'"$\\`,')
    if error is not None:
        return error + '; a listen value is an address or port, then plain parameters separated by one space'
    if not _LISTEN_RE.fullmatch(value):
        return ('%r is not an nginx listen value: PORT, HOST:PORT, [IPv6]:PORT or unix:/PATH, then plain '
                'parameters (default_server, backlog=511, ...) separated by one space' % value)
    return None


def socketmap_error(value):
    """Why ``value`` cannot be the one socketmap entry of ``smtp_tls_policy_maps``, or None."""
    if not isinstance(value, str) or value == '':
        return 'must be socketmap:inet:HOST:PORT:NAME or socketmap:unix:PATH:NAME, got %r' % (value,)
    error = character_error(value, ',{}$\\"\'#;=')
    if error is not None:
        return ('%s; it must be one socketmap entry (socketmap:inet:HOST:PORT:NAME or socketmap:unix:PATH:NAME), '
                'and Postfix would read that character as a list separator or syntax' % error)
    if not _SOCKETMAP_RE.fullmatch(value):
        return ('%s is not socketmap:inet:HOST:PORT:NAME or socketmap:unix:/PATH:NAME (a port 1-65535; a name of '
                'letters, digits, "_", "." and "-")' % value)
    return None


def host_error(value):
    """Why ``value`` cannot be a host name or IP address written into a file or a command, or None."""
    if not isinstance(value, str) or value == '':
        return 'must be a host name or IP address, got %r' % (value,)
    error = character_error(value)
    if error is not None:
        return error + '; give a host name or IP address'
    if not _HOST_RE.fullmatch(value):
        return '%r is not a host name or IP address' % value
    return None


def scalar_error(value):
    """Why a string cannot be a one-line value (a URL, a name) in a configuration file, or None.

    YAML quoting would hold any character, but a line break or control character in a URL or name
    is never meant; it is refused so that what the file says is what was checked.
    """
    if not isinstance(value, str):
        return None
    return character_error(value.replace(' ', 'x'))
