#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: mta_sts_record
short_description: Publish the MTA-STS TXT record of a domain with an RFC 2136 dynamic update
version_added: 0.1.0
description:
  - Publishes the TXT record C(_mta-sts.<domain>) with the value C(v=STSv1; id=<id>;) (RFC 8461 section 3.1) on the
    zone's primary name server, with a TSIG-signed dynamic update (RFC 2136), or removes it.
  - Only TXT records of this kind (those starting with C(v=STSv1)) are replaced; any other TXT record at the name
    stays. If several C(v=STSv1) records are there (which makes senders ignore the policy), exactly one remains.
  - Publish a new id only after the new policy file is served (RFC 8461 section 8.1); M(mailsec.mta_sts.mta_sts_policy)
    returns the id of its policy.
  - Every option is checked before anything is sent; a bad value fails with a message naming the option and the rule.
author:
  - mailsec.mta_sts contributors (@mailsec)
extends_documentation_fragment:
  - mailsec.mta_sts.attributes
  - mailsec.mta_sts.report_unchanged
  - mailsec.mta_sts.dns_update
attributes:
  check_mode:
    support: full
    details:
      - Reads the current records from O(server), never sends an update.
  diff_mode:
    support: full
    details:
      - The diff shows the TXT values and TTL at the name before and after.
  idempotent:
    support: full
options:
  domain:
    description:
      - The policy domain, for example V(example.com), in A-label (C(xn--)) form, without a trailing dot.
      - The record is published at C(_mta-sts.<domain>).
      - Exactly one of O(domain) and O(records) is required.
    type: str
  id:
    description:
      - The policy id, 1 to 32 letters and digits (RFC 8461 section 3.1); use RV(mailsec.mta_sts.mta_sts_policy#module:policy_id).
      - Senders fetch the policy again when it changes.
      - Required when O(state=present).
    type: str
    aliases: [policy_id]
  state:
    description:
      - V(present) publishes the record; V(absent) removes every C(v=STSv1) TXT record at the name.
      - To retire MTA-STS, do not remove the record first; publish a policy with mode V(none) and a new id, and keep
        both for at least the old C(max_age) (RFC 8461 section 8.3).
    type: str
    choices: [present, absent]
    default: present
  records:
    description:
      - Many domains in one call. Every name is read first, then the changes of each zone go out in one UPDATE
        (split only beyond 64 KiB, about 250 names), each name guarded by a prerequisite on what was read.
      - The DNS options (O(server), O(zone), O(ttl), ...) apply to every entry; every entry is checked before anything
        is sent.
      - Or a domain table (P(mailsec.mta_sts.mta_sts_table#filter)), which stands for its domains' C(sts_record_entry) entries
        (domains without one are left out); the action plugin expands it on the controller, instead of Ansible's
        templating walking a list of thousands of entries value by value.
    type: list
    elements: dict
    suboptions:
      domain:
        description: The policy domain.
        type: str
        required: true
      id:
        description: The policy id, as for the top-level O(id). Required when O(records[].state=present).
        type: str
        aliases: [policy_id]
      state:
        description: V(present) publishes the record; V(absent) removes it.
        type: str
        choices: [present, absent]
        default: present
seealso:
  - module: mailsec.mta_sts.mta_sts_policy
  - module: mailsec.mta_sts.tlsrpt_record
  - name: RFC 8461, SMTP MTA Strict Transport Security
    description: Section 3.1 defines the TXT record.
    link: https://www.rfc-editor.org/rfc/rfc8461#section-3.1
  - name: RFC 2136, Dynamic Updates in the Domain Name System
    description: The UPDATE message and its prerequisites.
    link: https://www.rfc-editor.org/rfc/rfc2136
'''

EXAMPLES = r'''
- name: Publish the id of the policy served for example.com
  mailsec.mta_sts.mta_sts_record:
    domain: example.com
    id: "{{ policy.policy_id }}"  # registered from mailsec.mta_sts.mta_sts_policy
    server: 192.0.2.53
    key_name: mta-sts-update
    key_secret: "{{ vault_tsig_secret }}"

- name: Same, with the zone given, a short TTL and the secret from a file
  mailsec.mta_sts.mta_sts_record:
    domain: mail.example.org
    policy_id: 20260101T000000
    zone: example.org
    ttl: 300
    server: ns1.example.org
    key_name: mta-sts-update
    key_algorithm: hmac-sha512
    # Read by the module where it runs; never on a command line (unlike a task's environment:).
    key_secret_file: /etc/mailsec-mta-sts/tsig.secret

- name: Remove the record (only after a mode none policy has been served long enough)
  mailsec.mta_sts.mta_sts_record:
    domain: example.com
    state: absent
    server: 192.0.2.53
    key_name: mta-sts-update
    key_secret: "{{ vault_tsig_secret }}"

- name: Publish the ids of many domains, one UPDATE per zone
  mailsec.mta_sts.mta_sts_record:
    records:
      - domain: example.com
        id: "{{ policies.policies[0].policy_id }}"
      - domain: example.org
        id: "{{ policies.policies[1].policy_id }}"
    server: 192.0.2.53
    key_name: mta-sts-update
    key_secret: "{{ vault_tsig_secret }}"
'''

RETURN = r'''
record:
  description: The record this module manages.
  returned: success, without O(records)
  type: dict
  contains:
    name:
      description: The owner name, C(_mta-sts.<domain>).
      type: str
      sample: _mta-sts.example.com
    value:
      description: The TXT value published; V(null) when O(state=absent).
      type: str
      sample: "v=STSv1; id=1f0e9e4f3b0c4a7d9b1e2c3d4e5f6a7b;"
    ttl:
      description: The TTL of the TXT records at the name; V(null) when O(state=absent).
      type: int
      sample: 3600
zone:
  description: The zone that was updated (O(zone), or the one found).
  returned: success, without O(records)
  type: str
  sample: example.com
diff:
  description:
    - The TXT values (each with its strings joined) and the TTL at the name, before and after.
    - Also returned outside diff mode.
    - With O(records), a list of such dicts, one per changed name.
  returned: success
  type: raw
  contains:
    before:
      description: V(values) (list of str) and V(ttl) (int, V(null) when there were no TXT records) as read.
      type: dict
    after:
      description: V(values) and V(ttl) as they are after the change (or would be, in check mode).
      type: dict
  sample:
    before: {values: ["v=spf1 -all", "v=STSv1; id=old;"], ttl: 3600}
    after: {values: ["v=spf1 -all", "v=STSv1; id=new;"], ttl: 3600}
records:
  description: With O(records), one entry per element, in the same order; with O(report_unchanged=false), only those
    that changed.
  returned: success, with O(records)
  type: list
  elements: dict
  contains:
    name:
      description: The owner name.
      type: str
      returned: always
    value:
      description: The TXT value published; V(null) when its state is V(absent).
      type: str
      returned: always
    ttl:
      description: The TTL of the TXT records at the name; V(null) when its state is V(absent).
      type: int
      returned: always
    zone:
      description: The zone that holds the name.
      type: str
      returned: always
    changed:
      description: Whether this name was (or, in check mode, would be) changed.
      type: bool
      returned: always
invalid_options:
  description: The options whose values broke a rule, when the module failed on bad input.
  returned: failure on bad input
  type: list
  elements: str
  sample: [id]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import mta_sts_record as backend
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import run


def main():
    module = AnsibleModule(argument_spec=backend.argument_spec(), **backend.MODULE_KWARGS)
    run(module, backend)


if __name__ == '__main__':
    main()
