#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: mta_sts_certificate_info
short_description: Say which certificates of MTA-STS policy hosts must be issued or renewed
version_added: 0.1.0
description:
  - Reads the certificate (and private key) files of many C(mta-sts.<domain>) policy hosts in one call and says, for
    each, whether it must be issued or renewed, and whether a web server can load it as it is.
  - A certificate needs issuing when its file is missing or unreadable, when it does not name C(mta-sts.<domain>), when
    its private key is missing or does not belong to it, when it was issued by another ACME directory than
    O(issued_by), or when fewer than O(remaining_days) days of validity are left.
  - It reads local files only and contacts no ACME server, so a run over thousands of valid certificates is one quick
    module call. The role P(mailsec.mta_sts.mta_sts#role) uses it to decide which certificates to request with
    M(community.crypto.acme_certificate).
author:
  - mailsec.mta_sts contributors (@mailsec)
extends_documentation_fragment:
  - mailsec.mta_sts.attributes
  - mailsec.mta_sts.attributes.INFO_MODULE
requirements:
  - cryptography (on the host the files are on)
options:
  certificates:
    description: The certificates to look at.
    type: list
    elements: dict
    required: true
    suboptions:
      domain:
        description: The mail domain; the certificate must be valid for C(mta-sts.<domain>).
        type: str
        required: true
      path:
        description: The certificate file (PEM; a full chain starts with the certificate itself).
        type: path
        required: true
      key_path:
        description: The private key file (unencrypted PEM). When given, it must exist and belong to the certificate.
        type: path
      issued_by_path:
        description:
          - A file naming what issued the certificate (the role writes the ACME directory URL there after each
            issuance). When given together with O(issued_by), a certificate whose file does not hold exactly
            O(issued_by) needs issuing (for example after switching from a staging to a production ACME directory).
        type: path
  remaining_days:
    description: A certificate with fewer days of validity left than this needs renewal.
    type: int
    default: 30
  issued_by:
    description: What should have issued the certificates (see O(certificates[].issued_by_path)).
    type: str
seealso:
  - module: community.crypto.acme_certificate
  - module: community.crypto.x509_certificate_info
    description: Every detail of one certificate file.
'''

EXAMPLES = r'''
- name: Find the certificates to renew
  mailsec.mta_sts.mta_sts_certificate_info:
    certificates:
      - domain: example.com
        path: /etc/mailsec-mta-sts/acme/mta-sts.example.com/fullchain.pem
        key_path: /etc/mailsec-mta-sts/acme/mta-sts.example.com/privkey.pem
      - domain: example.org
        path: /etc/mailsec-mta-sts/acme/mta-sts.example.org/fullchain.pem
        key_path: /etc/mailsec-mta-sts/acme/mta-sts.example.org/privkey.pem
    remaining_days: 30
  register: certificates

- name: Show them
  ansible.builtin.debug:
    msg: "{{ certificates.needs_issue }}"
'''

RETURN = r'''
certificates:
  description: One entry per element of O(certificates), in the same order.
  returned: success
  type: list
  elements: dict
  contains:
    domain:
      description: The mail domain.
      type: str
      returned: always
      sample: example.com
    host:
      description: The policy host the certificate must name.
      type: str
      returned: always
      sample: mta-sts.example.com
    path:
      description: The certificate file.
      type: str
      returned: always
      sample: /etc/mailsec-mta-sts/acme/mta-sts.example.com/fullchain.pem
    exists:
      description: Whether the certificate file exists.
      type: bool
      returned: always
      sample: true
    serial:
      description: The certificate's serial number in hexadecimal; V(null) when it could not be read.
      type: str
      returned: always
      sample: 3a5f0c2e9d1b7a44
    not_before:
      description: Start of validity (UTC, ISO 8601); V(null) when the certificate could not be read.
      type: str
      returned: always
      sample: "2026-11-28T12:00:00Z"
    not_after:
      description: End of validity (UTC, ISO 8601); V(null) when the certificate could not be read.
      type: str
      returned: always
      sample: "2027-02-26T12:00:00Z"
    days_left:
      description: Whole days of validity left (negative once expired); V(null) when the certificate could not be read.
      type: int
      returned: always
      sample: 89
    names:
      description: The DNS names the certificate is valid for.
      type: list
      elements: str
      returned: always
      sample: [mta-sts.example.com]
    key_exists:
      description: Whether the private key file exists; V(null) without O(certificates[].key_path).
      type: bool
      returned: always
      sample: true
    usable:
      description:
        - Whether a web server can load the certificate as it is - it is readable and its key belongs to it (in date
          or not).
      type: bool
      returned: always
      sample: true
    needs_issue:
      description: Whether the certificate must be issued or renewed.
      type: bool
      returned: always
      sample: false
    reason:
      description:
        - Why it must be issued - V(missing), V(unreadable), V(name), V(key_missing), V(key_mismatch), V(issuer) or
          V(expiring); V(null) when it need not be.
      type: str
      returned: always
      sample: expiring
    msg:
      description: One sentence about the certificate.
      type: str
      returned: always
      sample: "mta-sts.example.com: the certificate expires on 2026-12-10T12:00:00Z, in 11 day(s), fewer than 30"
needs_issue:
  description: The domains whose certificate must be issued or renewed.
  returned: success
  type: list
  elements: str
  sample: [example.org]
usable:
  description: The domains whose certificate a web server can load as it is.
  returned: success
  type: list
  elements: str
  sample: [example.com]
msg:
  description: A one-line summary.
  returned: always
  type: str
  sample: "2 certificate(s), each valid for at least 30 more days"
invalid_options:
  description: The options whose values broke a rule, when the module failed on bad input.
  returned: failure on bad input
  type: list
  elements: str
  sample: [remaining_days]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import mta_sts_certificate_info as backend
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import run


def main():
    module = AnsibleModule(argument_spec=backend.argument_spec(), **backend.MODULE_KWARGS)
    run(module, backend)


if __name__ == '__main__':
    main()
