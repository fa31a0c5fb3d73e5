#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: postfix_tls_policy_info
short_description: Say which TLS policy Postfix applies when it sends mail to a domain
version_added: 0.1.0
description:
  - Looks each domain up the way Postfix's SMTP client does - the domain, then its C(.parent) names, in every table of
    C(smtp_tls_policy_maps) in order, the first answer wins - and returns the policy found (for example
    C(secure match=mx1.example.com servername=hostname) from postfix-mta-sts-resolver for a domain with an MTA-STS
    policy in V(enforce) mode), or none (then C(smtp_tls_security_level) applies).
  - A socketmap table (C(socketmap:inet:HOST:PORT:NAME), what the role P(mailsec.mta_sts.postfix_outbound#role) adds) is
    asked directly over its socket, with one deadline, so that a daemon that does not answer is told apart from a
    domain without policy; other tables are asked with C(postmap -q).
  - Fails when a socketmap does not answer (or answers C(TEMP), C(TIMEOUT) or C(PERM)) - Postfix then defers mail,
    so the outbound side is not working. Every socketmap is asked once even without O(domains).
author:
  - mailsec.mta_sts contributors (@mailsec)
extends_documentation_fragment:
  - mailsec.mta_sts.attributes
  - mailsec.mta_sts.attributes.INFO_MODULE
requirements:
  - Postfix (C(postconf), C(postmap)) on the host
options:
  domains:
    description:
      - The next-hop domains to look up (the recipient domains of mail that is sent by MX lookup).
      - Empty only checks that every socketmap answers.
    type: list
    elements: str
    default: []
    aliases: [domain]
  config_directory:
    description: The Postfix configuration directory (C(postconf -c)); C(smtp_tls_policy_maps) is read from it.
    type: path
    default: /etc/postfix
  maps:
    description:
      - The tables to consult instead of the configured C(smtp_tls_policy_maps), in order (each element may hold
        several, separated as in main.cf).
    type: list
    elements: str
  timeout:
    description:
      - Seconds one socketmap question may take in all (connect, ask, answer). postfix-mta-sts-resolver fetches a
        policy it has not cached before it answers, which takes up to its own C(timeout) (4 seconds by default).
    type: float
    default: 10
seealso:
  - module: mailsec.mta_sts.postfix_tls_policy_maps
  - module: mailsec.mta_sts.mta_sts_verify
    description: A domain's own MTA-STS setup, as senders see it.
  - name: socketmap_table(5)
    description: The socketmap protocol.
    link: https://www.postfix.org/socketmap_table.5.html
  - name: postfix-mta-sts-resolver
    description: The daemon that answers smtp_tls_policy_maps lookups with MTA-STS policies.
    link: https://github.com/Snawoot/postfix-mta-sts-resolver
'''

EXAMPLES = r'''
- name: Which policy does Postfix apply to gmail.com?
  mailsec.mta_sts.postfix_tls_policy_info:
    domains: [gmail.com, example.org]
  register: outbound

- name: Show it
  ansible.builtin.debug:
    msg: "{{ outbound.summary }}"

- name: A second Postfix instance, and only whether its socketmap answers
  mailsec.mta_sts.postfix_tls_policy_info:
    config_directory: /etc/postfix-out
'''

RETURN = r'''
policies:
  description: One entry per element of O(domains), in order.
  returned: success, and on failure as far as it got
  type: list
  elements: dict
  contains:
    domain:
      description: The domain as given.
      type: str
      returned: always
      sample: example.com
    policy:
      description: The policy Postfix applies; V(null) when no table has one (then RV(default_security_level) applies).
      type: str
      returned: always
      sample: secure match=mx1.example.com:mx2.example.com servername=hostname
    level:
      description: The policy's security level (V(secure), V(dane-only), V(encrypt), ...); V(null) without policy.
      type: str
      returned: always
      sample: secure
    match:
      description: The C(match=) patterns the MX certificate must name.
      type: list
      elements: str
      returned: always
      sample: [mx1.example.com, mx2.example.com]
    attributes:
      description: The policy's other C(name=value) attributes.
      type: dict
      returned: always
      sample: {servername: hostname}
    table:
      description: The table that answered; V(null) without policy.
      type: str
      returned: always
      sample: socketmap:inet:127.0.0.1:8461:postfix
    key:
      description: The key that matched (the domain, or a C(.parent) name); V(null) without policy.
      type: str
      returned: always
      sample: example.com
summary:
  description: One line per domain, the policy or which default applies.
  returned: success
  type: list
  elements: str
  sample: ["example.com: secure match=mx1.example.com servername=hostname",
           "example.org: no policy (smtp_tls_security_level = may applies)"]
maps:
  description: The tables consulted, in order.
  returned: success
  type: list
  elements: str
  sample: [hash:/etc/postfix/tls_policy, socketmap:inet:127.0.0.1:8461:postfix]
socketmaps:
  description: Each socketmap table and whether it answered.
  returned: always
  type: list
  elements: dict
  contains:
    map:
      description: The table.
      type: str
      returned: always
      sample: socketmap:inet:127.0.0.1:8461:postfix
    answers:
      description: Whether it answered every question by the protocol with C(OK) or C(NOTFOUND).
      type: bool
      returned: always
      sample: true
    error:
      description: What went wrong; V(null) when it answered.
      type: str
      returned: always
      sample: "cannot connect: Connection refused"
    seconds:
      description: The longest time one answer took.
      type: float
      returned: always
      sample: 0.004
default_security_level:
  description: C(smtp_tls_security_level), which applies to domains without policy.
  returned: success
  type: str
  sample: may
invalid_options:
  description: The options whose values broke a rule, when the module failed on bad input.
  returned: failure on bad input
  type: list
  elements: str
  sample: [domains]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import postfix_tls_policy_info as backend
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import run


def main():
    module = AnsibleModule(argument_spec=backend.argument_spec(), **backend.MODULE_KWARGS)
    run(module, backend)


if __name__ == '__main__':
    main()
