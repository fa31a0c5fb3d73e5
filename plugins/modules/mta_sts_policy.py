#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: mta_sts_policy
short_description: Write an MTA-STS policy file (RFC 8461)
version_added: 0.1.0
description:
  - Writes the STSv1 policy that a web server publishes at C(https://mta-sts.<domain>/.well-known/mta-sts.txt).
  - The file is written in canonical form (CRLF line ends; fields in the order C(version), C(mode), C(mx), C(max_age);
    mx patterns de-duplicated in the order given; no byte order mark), atomically, and only when its content differs,
    so an unchanged policy keeps its modification time.
  - Returns RV(policy_id), derived from the canonical content alone. It is the same on every host and every run, and
    it changes whenever the policy does. Publish it in the C(_mta-sts) TXT record with M(mailsec.mta_sts.mta_sts_record)
    B(after) the file is served (RFC 8461 section 8.1).
  - Every option is checked before the file is touched; a bad value fails with a message naming the option and the rule.
  - With O(policies), one call manages the policy files of many domains (a web host serving thousands of them needs
    one task, not one per domain); every entry is checked before any file is touched.
author:
  - mailsec.mta_sts contributors (@mailsec)
extends_documentation_fragment:
  - mailsec.mta_sts.attributes
  - mailsec.mta_sts.report_unchanged.policies
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the policy text before and after.
  idempotent:
    support: full
options:
  path:
    description:
      - The policy file, normally C(<web root>/.well-known/mta-sts.txt).
      - Its folder must exist, unless O(create_dirs=true).
      - Exactly one of O(path) and O(policies) is required.
    type: path
  mode:
    description:
      - The policy mode. V(testing) asks senders to deliver anyway and report failures, V(enforce) asks them not to
        deliver when the checks fail, V(none) withdraws the policy (RFC 8461 section 8.3).
      - Required when O(state=present). Not used with O(policies).
    type: str
    choices: [enforce, testing, none]
  mx:
    description:
      - The MX host patterns, each a host name or C(*.) followed by a domain, in A-label (C(xn--)) form, without a
        trailing dot. C(*.example.com) matches exactly one extra left-most label.
      - At least one is required, in mode V(none) too (some senders reject a policy without mx).
      - Repeats (compared case-insensitively) are dropped; the order given is kept.
      - Required when O(state=present). Not used with O(policies).
    type: list
    elements: str
  max_age:
    description:
      - How long senders may cache the policy, in seconds, from V(0) to V(31557600) (one year).
      - Start low (a day) while in V(testing); RFC 8461 suggests weeks or more once the policy is enforced.
      - Not used with O(policies).
    type: int
    default: 604800
  state:
    description:
      - V(present) writes the policy; V(absent) removes the file.
      - To retire MTA-STS, do not remove the file first; publish O(mode=none) with a new id and keep serving it for
        at least the old O(max_age) (RFC 8461 section 8.3).
      - Not used with O(policies).
    type: str
    choices: [present, absent]
    default: present
  policies:
    description:
      - Many policy files in one call, each described by the same options as a single one.
      - Every entry is checked before any file is touched; one bad entry fails the call and changes nothing.
      - The file options (O(file_mode), O(owner), ...), O(backup) and O(create_dirs) apply to every entry.
      - Or a domain table (P(mailsec.mta_sts.mta_sts_table#filter)), which stands for its domains' C(policy_file) entries
        (domains without one are left out); the action plugin expands it on the controller, instead of Ansible's
        templating walking a list of thousands of entries value by value.
    type: list
    elements: dict
    suboptions:
      path:
        description: The policy file.
        type: path
        required: true
      mode:
        description: The policy mode. Required when O(policies[].state=present).
        type: str
        choices: [enforce, testing, none]
      mx:
        description: The mx patterns, as for the top-level O(mx). Required when O(policies[].state=present).
        type: list
        elements: str
      max_age:
        description: How long senders may cache the policy, in seconds, from V(0) to V(31557600).
        type: int
        default: 604800
      state:
        description: V(present) writes the policy; V(absent) removes the file.
        type: str
        choices: [present, absent]
        default: present
  create_dirs:
    description:
      - Create the folder of a policy file (mode C(0755)) when it is missing, instead of failing.
    type: bool
    default: false
  backup:
    description:
      - Keep a timestamped copy of the previous file before changing or removing it.
    type: bool
    default: false
  file_mode:
    description:
      - The permissions of the policy file, as for the C(mode) option of M(ansible.builtin.file)
        (this module's O(mode) is the policy mode). The web server must be able to read the file.
      - When not set, a new file gets the default permissions (umask) and an existing one keeps its own.
    type: raw
  owner:
    description: The user that should own the policy file, as for M(ansible.builtin.file).
    type: str
  group:
    description: The group that should own the policy file, as for M(ansible.builtin.file).
    type: str
  seuser:
    description: The user part of the SELinux context of the file, as for M(ansible.builtin.file).
    type: str
  serole:
    description: The role part of the SELinux context of the file, as for M(ansible.builtin.file).
    type: str
  selevel:
    description: The level part of the SELinux context of the file, as for M(ansible.builtin.file).
    type: str
  setype:
    description: The type part of the SELinux context of the file, as for M(ansible.builtin.file).
    type: str
  attributes:
    description: The file attributes (as C(lsattr) shows them), as for M(ansible.builtin.file).
    type: str
    aliases: [attr]
  unsafe_writes:
    description:
      - Fall back to a non-atomic write when an atomic rename is impossible (some bind mounts), as for
        M(ansible.builtin.file).
    type: bool
    default: false
seealso:
  - module: mailsec.mta_sts.mta_sts_record
  - module: mailsec.mta_sts.mta_sts_verify
  - name: RFC 8461, SMTP MTA Strict Transport Security
    description: Section 3.2 defines the policy file.
    link: https://www.rfc-editor.org/rfc/rfc8461#section-3.2
'''

EXAMPLES = r'''
- name: Serve a testing policy for example.com
  mailsec.mta_sts.mta_sts_policy:
    path: /var/www/mta-sts/example.com/.well-known/mta-sts.txt
    mode: testing
    mx:
      - mail.example.com
      - "*.mx.example.net"
    max_age: 86400
    owner: root
    group: root
    file_mode: "0644"
  register: policy

- name: Publish the id of exactly that policy
  mailsec.mta_sts.mta_sts_record:
    domain: example.com
    id: "{{ policy.policy_id }}"
    server: 192.0.2.53
    key_name: mta-sts-update
    key_secret: "{{ vault_tsig_secret }}"

- name: Withdraw the policy (RFC 8461 section 8.3), keeping the mx lines
  mailsec.mta_sts.mta_sts_policy:
    path: /var/www/mta-sts/example.com/.well-known/mta-sts.txt
    mode: none
    mx:
      - mail.example.com
    max_age: 86400

- name: Serve the policies of many domains in one task
  mailsec.mta_sts.mta_sts_policy:
    policies:
      - path: /var/www/mta-sts/example.com/.well-known/mta-sts.txt
        mode: enforce
        mx: [mail.example.com]
      - path: /var/www/mta-sts/example.org/.well-known/mta-sts.txt
        mode: testing
        mx: ["*.mx.example.org"]
        max_age: 86400
    create_dirs: true
    file_mode: "0644"
  register: many

- name: Show the ids to publish
  ansible.builtin.debug:
    msg: "{{ many.policies | map(attribute='policy_id') | list }}"
'''

RETURN = r'''
policy:
  description: The canonical policy text, with CRLF line ends; V(null) when O(state=absent).
  returned: without O(policies)
  type: str
  sample: "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 604800\r\n"
policy_id:
  description:
    - The id for the C(_mta-sts) TXT record, 32 hexadecimal digits derived from the canonical policy text.
    - V(null) when O(state=absent).
  returned: without O(policies)
  type: str
  sample: 1f0e9e4f3b0c4a7d9b1e2c3d4e5f6a7b
backup_file:
  description: The copy of the previous file, when O(backup=true) and the file changed.
  returned: changed and O(backup=true)
  type: str
  sample: /var/www/mta-sts/example.com/.well-known/mta-sts.txt.1234.2026-11-28@12:00:00~
policies:
  description: One entry per element of O(policies), in the same order; with O(report_unchanged=false), only those that
    changed.
  returned: with O(policies)
  type: list
  elements: dict
  contains:
    path:
      description: The policy file.
      type: str
      returned: always
      sample: /var/www/mta-sts/example.com/.well-known/mta-sts.txt
    changed:
      description: Whether this file was (or, in check mode, would be) changed.
      type: bool
      returned: always
      sample: true
    policy:
      description: The canonical policy text; V(null) when its O(policies[].state=absent).
      type: str
      returned: always
      sample: "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 604800\r\n"
    policy_id:
      description: The id for the C(_mta-sts) TXT record; V(null) when its O(policies[].state=absent).
      type: str
      returned: always
      sample: a5963b31a082635c6ec668171482b14f
    backup_file:
      description: The copy of the previous file, when O(backup=true) and the file changed.
      type: str
      returned: changed and O(backup=true)
      sample: /var/www/mta-sts/example.com/.well-known/mta-sts.txt.1234.2026-11-28@12:00:00~
invalid_options:
  description: The options whose values broke a rule, when the module failed on bad input.
  returned: failure on bad input
  type: list
  elements: str
  sample: [mx]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import mta_sts_policy as backend
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import run


def main():
    module = AnsibleModule(argument_spec=backend.argument_spec(), **backend.MODULE_KWARGS)
    run(module, backend)


if __name__ == '__main__':
    main()
