#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: mta_sts_record_info
short_description: Read the _mta-sts and _smtp._tls TXT records with a resolver and say what must change
version_added: 0.1.0
description:
  - Reads the TXT records at many C(_mta-sts.<domain>) and C(_smtp._tls.<domain>) names with a resolver, as a sender
    sees them, and says which names must change to hold the wanted record, and to what.
  - For DNS that is not updated by RFC 2136 (hosted DNS), the role P(mailsec.mta_sts.mta_sts#role) passes RV(changes) to the
    user's task file, which publishes them with the provider's own modules, and calls this module again until nothing
    is left to change (the records are visible).
  - The kind of record is the name's prefix (C(_mta-sts.) is C(v=STSv1), C(_smtp._tls.) is C(v=TLSRPTv1)). Records of
    that kind at the name are replaced by the wanted one; other TXT records at the name stay, as with
    M(mailsec.mta_sts.mta_sts_record).
  - A TTL alone is never a change (a caching resolver's TTL counts down). With a caching resolver, a change shows only
    once the old answer expires.
author:
  - mailsec.mta_sts contributors (@mailsec)
extends_documentation_fragment:
  - mailsec.mta_sts.attributes
  - mailsec.mta_sts.attributes.INFO_MODULE
  - mailsec.mta_sts.attributes.RESOLVE_GROUP
requirements:
  - dnspython
options:
  records:
    description: The records wanted, one entry per name.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The owner name, C(_mta-sts.<domain>) or C(_smtp._tls.<domain>).
        type: str
        required: true
      value:
        description: The wanted TXT value (one record; it starts with the kind's version tag). Required with V(present).
        type: str
      state:
        description: V(absent) - no record of the name's kind (other TXT records stay).
        type: str
        choices: [present, absent]
        default: present
  ttl:
    description: The TTL to give in RV(changes).
    type: int
    default: 3600
  nameservers:
    description: Resolver IP addresses to ask; default the system's resolver.
    type: list
    elements: str
  dns_port:
    description: The port of O(nameservers).
    type: int
    default: 53
  timeout:
    description: Seconds one lookup may take, retries included.
    type: float
    default: 10
seealso:
  - module: mailsec.mta_sts.mta_sts_record
    description: Publishes the records itself, by RFC 2136 UPDATE.
  - module: community.dns.wait_for_txt
'''

EXAMPLES = r'''
- name: What must change at the provider
  mailsec.mta_sts.mta_sts_record_info:
    records:
      - name: _mta-sts.example.com
        value: "v=STSv1; id=20260101T000000;"
      - name: _smtp._tls.example.com
        value: "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"
    nameservers: [192.0.2.53]
  register: txt

- name: Publish them with the provider's module
  community.general.cloudflare_dns:
    zone: example.com
    record: "{{ item.name }}"
    type: TXT
    value: "{{ item.value[0] }}"
    ttl: "{{ item.ttl }}"
    solo: true
    state: "{{ item.state }}"
    api_token: "{{ cloudflare_token }}"
  loop: "{{ txt.changes }}"
'''

RETURN = r'''
records:
  description: What the resolver answered, one entry per element of O(records), in the same order.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The owner name.
      type: str
      returned: always
      sample: _mta-sts.example.com
    current:
      description: Every TXT record at the name (strings of one record joined).
      type: list
      elements: str
      returned: always
      sample: ["v=STSv1; id=20251101T000000;"]
changes:
  description: The names that must change, in the order of O(records); empty when every name holds what is wanted.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The owner name.
      type: str
      returned: always
      sample: _mta-sts.example.com
    type:
      description: Always V(TXT).
      type: str
      returned: always
      sample: TXT
    value:
      description:
        - With RV(changes[].state=present), every TXT value the name must hold (the wanted record and the other TXT
          records already there). With RV(changes[].state=absent), the values to remove (nothing is left at the name).
      type: list
      elements: str
      returned: always
      sample: ["v=STSv1; id=20260101T000000;"]
    ttl:
      description: O(ttl).
      type: int
      returned: always
      sample: 3600
    state:
      description: V(present) or V(absent).
      type: str
      returned: always
      sample: present
    before:
      description: The TXT values the resolver saw at the name.
      type: list
      elements: str
      returned: always
      sample: ["v=STSv1; id=20251101T000000;"]
msg:
  description: A one-line summary.
  returned: always
  type: str
  sample: "1 of 2 name(s) do not hold the wanted TXT records (as 192.0.2.53 port 53 sees them): _mta-sts.example.com"
invalid_options:
  description: The options whose values broke a rule, when the module failed on bad input.
  returned: failure on bad input
  type: list
  elements: str
  sample: [records]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import mta_sts_record_info as backend
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import run


def main():
    module = AnsibleModule(argument_spec=backend.argument_spec(), **backend.MODULE_KWARGS)
    run(module, backend)


if __name__ == '__main__':
    main()
