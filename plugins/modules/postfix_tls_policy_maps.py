#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: postfix_tls_policy_maps
short_description: Put a socketmap TLS policy table into Postfix's smtp_tls_policy_maps, keeping the tables there
version_added: 0.1.0
description:
  - Makes O(map) (a C(socketmap:) table such as postfix-mta-sts-resolver's) the last entry of C(smtp_tls_policy_maps)
    in C(main.cf), or removes it. The tables already there keep their place in front of it, so a static map the admin
    wrote (for example DANE domains with C(dane-only)) is still consulted first. A socketmap entry with the same
    socketmap name on another address is the same service moved, and is replaced where it stands.
  - Only that one parameter is changed, with C(postconf -e) (or C(postconf -X) when nothing is left); every other
    line of C(main.cf) stays as it is.
  - After a change, C(postfix check) runs; when it fails, C(main.cf) is put back byte for byte and the module fails
    with Postfix's words. It never reloads Postfix - the caller does that when RV(ignore:changed) is true.
author:
  - mailsec.mta_sts contributors (@mailsec)
extends_documentation_fragment:
  - mailsec.mta_sts.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
requirements:
  - Postfix (C(postconf), C(postfix)) on the host
options:
  map:
    description:
      - The socketmap table, C(socketmap:inet:HOST:PORT:NAME) or C(socketmap:unix:PATH:NAME).
      - Exactly one entry, with no whitespace, commas, braces or other characters Postfix reads as list syntax (they
        would add tables of their own to C(main.cf)); such a value fails naming the character, before anything is
        changed.
    type: str
    required: true
  state:
    description: Whether O(map) is in C(smtp_tls_policy_maps).
    type: str
    choices: [present, absent]
    default: present
  config_directory:
    description: The Postfix configuration directory (C(postconf -c)); a second instance or a test one has its own.
    type: path
    default: /etc/postfix
  check:
    description: Run C(postfix check) after a change and restore C(main.cf) when it fails.
    type: bool
    default: true
seealso:
  - module: mailsec.mta_sts.postfix_tls_policy_info
  - name: postconf(5) smtp_tls_policy_maps
    description: How Postfix uses the tables.
    link: https://www.postfix.org/postconf.5.html#smtp_tls_policy_maps
'''

EXAMPLES = r'''
- name: Let postfix-mta-sts-resolver answer the TLS policy lookups
  mailsec.mta_sts.postfix_tls_policy_maps:
    map: socketmap:inet:127.0.0.1:8461:postfix
  register: policy_maps

- name: Reload Postfix when main.cf changed
  ansible.builtin.command:
    argv: [postfix, reload]
  when: policy_maps is changed
  changed_when: true
'''

RETURN = r'''
maps:
  description: The tables of C(smtp_tls_policy_maps) after the run (in check mode, what they would be).
  returned: success
  type: list
  elements: str
  sample: [hash:/etc/postfix/tls_policy, socketmap:inet:127.0.0.1:8461:postfix]
previous_maps:
  description: The tables before the run.
  returned: always
  type: list
  elements: str
  sample: [hash:/etc/postfix/tls_policy]
value:
  description: The value of C(smtp_tls_policy_maps) after the run.
  returned: success
  type: str
  sample: hash:/etc/postfix/tls_policy, socketmap:inet:127.0.0.1:8461:postfix
config_directory:
  description: The configuration directory.
  returned: always
  type: str
  sample: /etc/postfix
invalid_options:
  description: The options whose values broke a rule, when the module failed on bad input.
  returned: failure on bad input
  type: list
  elements: str
  sample: [map]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import postfix_tls_policy_maps as backend
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import run


def main():
    module = AnsibleModule(argument_spec=backend.argument_spec(), **backend.MODULE_KWARGS)
    run(module, backend)


if __name__ == '__main__':
    main()
