#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: tlsrpt_record
short_description: Publish the SMTP TLS Reporting TXT record of a domain with an RFC 2136 dynamic update
version_added: 0.1.0
description:
  - Publishes the TXT record C(_smtp._tls.<domain>) with the value C(v=TLSRPTv1; rua=<uri>,<uri>) (RFC 8460
    section 3) on the zone's primary name server, with a TSIG-signed dynamic update (RFC 2136), or removes it.
  - Only TXT records of this kind (those starting with C(v=TLSRPTv1)) are replaced; any other TXT record at the name
    stays. If several C(v=TLSRPTv1) records are there (which makes senders ignore them all), exactly one remains.
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
      - The record is published at C(_smtp._tls.<domain>).
      - Exactly one of O(domain) and O(records) is required.
    type: str
  rua:
    description:
      - Where senders send their daily reports, each a C(mailto:) or C(https:) URI, in the order given (repeats are
        dropped).
      - A V(,), V(!) or V(;) inside a URI must be percent-encoded (V(%2C), V(%21), V(%3B); RFC 8460 section 3).
      - Required when O(state=present).
    type: list
    elements: str
  state:
    description:
      - V(present) publishes the record; V(absent) removes every C(v=TLSRPTv1) TXT record at the name.
    type: str
    choices: [present, absent]
    default: present
  records:
    description:
      - Many domains in one call. Every name is read first, then the changes of each zone go out in one UPDATE
        (split only beyond 64 KiB, about 250 names), each name guarded by a prerequisite on what was read.
      - The DNS options (O(server), O(zone), O(ttl), ...) apply to every entry; every entry is checked before anything
        is sent.
      - Or a domain table (P(mailsec.mta_sts.mta_sts_table#filter)), which stands for its domains' C(tlsrpt_record_entry) entries
        (domains without one are left out); the action plugin expands it on the controller, instead of Ansible's
        templating walking a list of thousands of entries value by value.
    type: list
    elements: dict
    suboptions:
      domain:
        description: The policy domain.
        type: str
        required: true
      rua:
        description: The report URIs, as for the top-level O(rua). Required when O(records[].state=present).
        type: list
        elements: str
      state:
        description: V(present) publishes the record; V(absent) removes it.
        type: str
        choices: [present, absent]
        default: present
seealso:
  - module: mailsec.mta_sts.mta_sts_record
  - name: RFC 8460, SMTP TLS Reporting
    description: Section 3 defines the TXT record.
    link: https://www.rfc-editor.org/rfc/rfc8460#section-3
  - name: RFC 2136, Dynamic Updates in the Domain Name System
    description: The UPDATE message and its prerequisites.
    link: https://www.rfc-editor.org/rfc/rfc2136
'''

EXAMPLES = r'''
- name: Ask senders to mail TLS reports for example.com
  mailsec.mta_sts.tlsrpt_record:
    domain: example.com
    rua:
      - mailto:tlsrpt@example.com
    server: 192.0.2.53
    key_name: mta-sts-update
    key_secret: "{{ vault_tsig_secret }}"

- name: Reports by mail and over HTTPS, zone given, secret from a file
  mailsec.mta_sts.tlsrpt_record:
    domain: example.org
    rua:
      - mailto:tlsrpt@example.org
      - https://reports.example.org/v1/tlsrpt
    zone: example.org
    server: ns1.example.org
    key_name: mta-sts-update
    # Read by the module where it runs; never on a command line (unlike a task's environment:).
    key_secret_file: /etc/mailsec-mta-sts/tsig.secret

- name: Stop asking for reports
  mailsec.mta_sts.tlsrpt_record:
    domain: example.com
    state: absent
    server: 192.0.2.53
    key_name: mta-sts-update
    key_secret: "{{ vault_tsig_secret }}"

- name: Ask for reports for many domains, one UPDATE per zone
  mailsec.mta_sts.tlsrpt_record:
    records:
      - domain: example.com
        rua: [mailto:tlsrpt@example.com]
      - domain: example.org
        rua: [mailto:tlsrpt@example.com]
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
      description: The owner name, C(_smtp._tls.<domain>).
      type: str
      sample: _smtp._tls.example.com
    value:
      description: The TXT value published; V(null) when O(state=absent).
      type: str
      sample: "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"
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
    before: {values: [], ttl: null}
    after: {values: ["v=TLSRPTv1; rua=mailto:tlsrpt@example.com"], ttl: 3600}
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
  sample: [rua]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import tlsrpt_record as backend
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import run


def main():
    module = AnsibleModule(argument_spec=backend.argument_spec(), **backend.MODULE_KWARGS)
    run(module, backend)


if __name__ == '__main__':
    main()
