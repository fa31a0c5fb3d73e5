# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The shared DNS update options of the record modules. This fragment mirrors
# dns_update_options() in plugins/module_utils/_module/argspec.py exactly; change both together.

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  server:
    description:
      - The primary name server of the zone, as an IP address or a host name (resolved by the system resolver of the
        host the module runs on).
      - The current records are read from it over TCP, and the change is sent to it as one RFC 2136 UPDATE.
    type: str
    required: true
  port:
    description:
      - The TCP port of O(server).
    type: int
    default: 53
  zone:
    description:
      - The zone that holds the record, for example V(example.com).
      - When omitted, it is found by asking O(server) for the SOA record of the owner name and its parents.
    type: str
  key_name:
    description:
      - The name of the TSIG key that signs the queries and the update, as in the server's C(key) statement.
      - Without it, nothing is signed; most servers then refuse the update.
    type: str
  key_secret:
    description:
      - The base64 secret of the TSIG key O(key_name), as in the server's key file.
      - It never appears in the module's output, its messages or its logs. It travels inside the module's arguments,
        never on a command line; do not pass it through a task's C(environment) (Ansible puts that on the command
        line of the shell that starts the module, where every local user and C(-vvv) see it).
      - Mutually exclusive with O(key_secret_file).
    type: str
  key_secret_file:
    description:
      - A file that holds the base64 secret of the TSIG key O(key_name) (surrounding white space is ignored), read by
        the module on the host it runs on (O(server)'s updater, often the controller through C(delegate_to)).
      - Keeps the secret out of the play's variables; the file can be readable by root only. Its content never appears
        in the module's output or messages.
      - Mutually exclusive with O(key_secret).
    type: path
    version_added: 0.2.0
  key_algorithm:
    description:
      - The HMAC algorithm of the TSIG key O(key_name).
    type: str
    default: hmac-sha256
    choices: [hmac-sha256, hmac-sha224, hmac-sha384, hmac-sha512, hmac-sha1, hmac-md5]
  timeout:
    description:
      - How long to wait for O(server), in seconds (more than V(0), at most V(3600)), for each query and for the
        update.
    type: float
    default: 10
  ttl:
    description:
      - The TTL of the TXT records at the name, in seconds, from V(0) to V(2147483647).
      - The TTL belongs to the whole set of TXT records at a name (RFC 2181 section 5.2), so other TXT records
        there get this TTL too when the record is published. A changed TTL alone counts as a change.
      - Not used when O(state=absent); the remaining TXT records keep their TTL.
    type: int
    default: 3600
notes:
  - The module reads the TXT records at the name from O(server), replaces only the records of its own kind (there is
    exactly one afterwards), and keeps every other TXT record there. The change is sent as one atomic RFC 2136 UPDATE
    with a prerequisite on exactly the records that were read, so if anyone changes them in between, the update is
    rejected, nothing is written, and the module fails saying so; run it again.
  - Values longer than 255 bytes are published as one record made of several strings.
  - In check mode the module reads from O(server) (signed with the key, so a wrong key is reported) but never sends
    an update.
requirements:
  - dnspython >= 2.2 on the host the module runs on
attributes:
  action_group:
    description:
      - Use C(group/mailsec.mta_sts.dns_update) in C(module_defaults) to set O(server), O(port), O(zone), O(key_name),
        O(key_secret) or O(key_secret_file), O(key_algorithm), O(timeout) and O(ttl) once for both record modules.
    support: full
    membership:
      - mailsec.mta_sts.dns_update
'''
