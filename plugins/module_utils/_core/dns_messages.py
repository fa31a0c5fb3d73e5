# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What DNS servers mean when they refuse an UPDATE or a TSIG key, as one message per case.

BIND 9, Knot DNS and PowerDNS say "this key may not do that" in different ways; these pure functions
turn each answer into a message that names the server, the zone and the key, and the setting to look at.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


# BIND 9, Knot DNS and PowerDNS say "this key may not do that" in different ways (measured with
# BIND 9.18 and 9.20, Knot 3.2 and 3.4, PowerDNS 4.7 and 4.9): BIND answers REFUSED, signed; Knot 3.2
# answers BADKEY, also to a key it knows but whose acl does not allow the action; Knot 3.4 answers an
# unknown key, a wrong algorithm and a key no acl allows the action with NOTAUTH and no TSIG record
# (a wrong secret stays BADSIG); PowerDNS answers a failed TSIG check (key name, secret or algorithm)
# with NOTAUTH and no TSIG record at all, and a key that TSIG-ALLOW-DNSUPDATE does not list with
# REFUSED. These pure functions turn that into one message.

HOW_TO_ALLOW_UPDATES = ('BIND: the zone\'s update-policy or allow-update; Knot: an acl with action update for '
                        'the key in the zone\'s acl list; PowerDNS: dnsupdate=yes, the zone\'s TSIG-ALLOW-DNSUPDATE '
                        'metadata and allow-dnsupdate-from or ALLOW-DNSUPDATE-FROM')


def refused_update_reason(key_name):
    """Why an UPDATE signed with ``key_name`` was REFUSED, and what to do."""
    return ('the key %s may not update it (%s), or the server is not its primary'
            % (key_name, HOW_TO_ALLOW_UPDATES))


def tsig_failure_message(what, where, key_text, failure, rcode=None, key_worked=False, update=False):
    """The message and cause for an answer saying the TSIG key was not accepted.

    ``what``: the step ("updating zone example.com"); ``where``: the server; ``key_text``: the key
    name and algorithm (never the secret); ``failure``: ``BADKEY``, ``BADSIG``, ``BADTIME`` or
    ``unsigned`` (an answer without a TSIG record, whose code is ``rcode``); ``key_worked``: a
    signed answer with this key was already received from this server; ``update``: the request
    was an UPDATE. Returns ``(msg, cause)``. Pure.
    """
    if failure == 'BADKEY' and update and key_worked:
        return ('%s: %s knows the TSIG key %s (it answered a signed read with it) but does not allow it to update '
                'the zone (BADKEY: Knot 3.2\'s answer when no acl of the zone gives the key the action update); allow '
                'the key to update the zone (%s)' % (what, where, key_text, HOW_TO_ALLOW_UPDATES), 'key-not-allowed')
    if failure == 'BADKEY':
        return ('%s: %s does not know the TSIG key %s (BADKEY); key_name and key_algorithm must match a key in the '
                'server\'s configuration (Knot 3.2 also answers BADKEY for a key that no acl of the zone lists)'
                % (what, where, key_text), 'BADKEY')
    if failure == 'BADSIG':
        return ('%s: %s rejected the TSIG signature (BADSIG); key_secret is not the secret the server has for the '
                'key %s' % (what, where, key_text), 'BADSIG')
    if failure == 'BADTIME':
        return ('%s: %s rejected the TSIG time (BADTIME) of the key %s; the clocks of this host and the server '
                'differ by more than 5 minutes' % (what, where, key_text), 'BADTIME')
    if key_worked:
        return ('%s: %s refused to sign its answer (%s without a TSIG record) although it accepted the key %s for a '
                'read just before: the key is not allowed here (%s), or the server does not serve the zone; its log '
                'says which' % (what, where, rcode or 'no answer code', key_text, HOW_TO_ALLOW_UPDATES),
                'key-not-allowed')
    return ('%s: %s refused to sign its answer (%s without a TSIG record): it did not accept the TSIG key %s. Usual '
            'causes: key_name is not a key the server knows, key_secret is not that key\'s secret, key_algorithm is '
            'not its algorithm, or the key is not allowed to update the zone (Knot 3.4: no acl of the zone gives the '
            'key the action update; PowerDNS: TSIG-ALLOW-DNSUPDATE, allow-dnsupdate-from); the server\'s log says '
            'which' % (what, where, rcode or 'no answer code', key_text), 'unsigned-answer')
