#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: dkim_record
short_description: Publish a DKIM public key record with an RFC 2136 dynamic update
version_added: 0.2.0
description:
  - Publishes the TXT record C(<selector>._domainkey.<domain>) with the value C(v=DKIM1; k=<type>; p=<public key>)
    (RFC 6376 section 3.6.1) on the zone's primary name server, with a TSIG-signed dynamic update (RFC 2136), or
    removes it.
  - Made for the key that signs the TLS reports the role C(mailsec.mta_sts.postfix_outbound) sends (RFC 8460 section 3
    wants reports by mail DKIM-signed), and usable for any DKIM key.
  - Every TXT record at that name is a key record (the name exists for the key alone, and C(v=DKIM1) is optional in a
    key record), so the module replaces all TXT records at C(<selector>._domainkey.<domain>) and touches no other name.
  - The value is long (about 410 bytes for a 2048-bit RSA key), so it is published as several character strings of at
    most 255 bytes, which verifiers join (RFC 6376 3.6.2.2).
  - Every option is checked before anything is sent. The key must be base64 (RFC 6376 3.6.1), an RSA key at least
    1024 bits (RFC 8301 3.2), an ed25519 key 32 bytes (RFC 8463). An empty key is refused, because C(p=) with no value
    revokes the key; remove the record with O(state=absent) instead.
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
      - The signing domain (DKIM C(d=)), for example V(example.com), in A-label (C(xn--)) form, without a trailing dot.
      - Exactly one of O(domain) and O(records) is required.
    type: str
  selector:
    description:
      - The selector (DKIM C(s=)), one or more labels of letters, digits and inner hyphens (RFC 6376 section 3.1).
      - The record is published at C(<selector>._domainkey.<domain>). Required with O(domain).
    type: str
  public_key:
    description:
      - The public key, as the base64 text of its DER form (what C(openssl rsa -pubout -outform DER | base64) prints for an
        RSA key; whitespace is ignored), or, for RSA, the PEM text (C(-----BEGIN PUBLIC KEY-----)).
      - For O(public_key_type=ed25519), the base64 of the 32 raw bytes of the key (RFC 8463 section 4.2).
      - Required when O(state=present). Never empty (an empty C(p=) revokes the key).
    type: str
  public_key_type:
    description:
      - The key type (DKIM C(k=)). Not the TSIG key of the update (see O(key_algorithm)).
    type: str
    choices: [rsa, ed25519]
    default: rsa
  state:
    description:
      - V(present) publishes the record; V(absent) removes every TXT record at the name.
    type: str
    choices: [present, absent]
    default: present
  records:
    description:
      - Many keys in one call. Every name is read first, then the changes of each zone go out in one UPDATE (split only
        beyond 64 KiB), each name guarded by a prerequisite on what was read.
      - The DNS options (O(server), O(zone), O(ttl), ...) apply to every entry; every entry is checked before anything
        is sent.
    type: list
    elements: dict
    suboptions:
      domain:
        description: The signing domain.
        type: str
        required: true
      selector:
        description: The selector. Required.
        type: str
      public_key:
        description: The public key, as for the top-level O(public_key). Required when O(records[].state=present).
        type: str
      public_key_type:
        description: The key type.
        type: str
        choices: [rsa, ed25519]
        default: rsa
      state:
        description: V(present) publishes the record; V(absent) removes it.
        type: str
        choices: [present, absent]
        default: present
seealso:
  - module: mailsec.mta_sts.tlsrpt_record
  - module: mailsec.mta_sts.mta_sts_record
  - name: RFC 6376, DomainKeys Identified Mail (DKIM) Signatures
    description: Section 3.6.1 defines the key record.
    link: https://www.rfc-editor.org/rfc/rfc6376#section-3.6.1
  - name: RFC 8460, SMTP TLS Reporting
    description: Section 3 wants reports by mail DKIM-signed.
    link: https://www.rfc-editor.org/rfc/rfc8460#section-3
  - name: RFC 2136, Dynamic Updates in the Domain Name System
    description: The UPDATE message and its prerequisites.
    link: https://www.rfc-editor.org/rfc/rfc2136
'''

EXAMPLES = r'''
- name: Read the public half of the key that signs the TLS reports
  ansible.builtin.command:
    argv: [sh, -c, 'openssl rsa -in /etc/tlsrpt/dkim/tlsrpt.example.com.key -pubout -outform DER 2>/dev/null | base64 -w0']
  register: dkim_public
  changed_when: false

- name: Publish it at tlsrpt._domainkey.example.com
  mailsec.mta_sts.dkim_record:
    domain: example.com
    selector: tlsrpt
    public_key: "{{ dkim_public.stdout }}"
    server: 192.0.2.53
    key_name: mta-sts-update
    key_secret: "{{ vault_tsig_secret }}"

- name: An ed25519 key, zone given, TSIG secret from a file
  mailsec.mta_sts.dkim_record:
    domain: example.org
    selector: ed2026
    public_key_type: ed25519
    public_key: 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
    zone: example.org
    server: ns1.example.org
    key_name: mta-sts-update
    key_secret_file: /etc/mailsec-mta-sts/tsig.secret

- name: Withdraw an old selector
  mailsec.mta_sts.dkim_record:
    domain: example.com
    selector: tlsrpt2025
    state: absent
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
      description: The owner name, C(<selector>._domainkey.<domain>).
      type: str
      sample: tlsrpt._domainkey.example.com
    value:
      description: The TXT value published (its character strings joined); V(null) when O(state=absent).
      type: str
      sample: "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
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
    after: {values: ["v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="], ttl: 3600}
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
  sample: [public_key]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import dkim_record as backend
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import run


def main():
    module = AnsibleModule(argument_spec=backend.argument_spec(), **backend.MODULE_KWARGS)
    run(module, backend)


if __name__ == '__main__':
    main()
