#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: postfix_tlsrpt
short_description: Make Postfix (3.10+) hand its TLS handshake results to a TLSRPT collector
version_added: 0.1.0
description:
  - Sets C(smtp_tlsrpt_enable = yes) and C(smtp_tlsrpt_socket_name) in C(main.cf) (or removes both), so that Postfix's
    SMTP client sends one TLSRPT event per TLS handshake to the collector (tlsrpt-collectd) listening there (RFC 8460).
  - Only those two parameters are changed, with C(postconf -e) (C(postconf -X) for O(state=absent)); every other line
    of C(main.cf) stays as it is. After a change C(postfix check) runs; when it fails, C(main.cf) is put back byte for
    byte and the module fails with Postfix's words. It never reloads Postfix - the caller does that when
    RV(ignore:changed) is true.
  - Whether this Postfix was built with TLSRPT support (libtlsrpt) is not checked here; the role
    mailsec.mta_sts.postfix_outbound checks that first.
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
  - Postfix 3.10 or later built with libtlsrpt (C(postconf), C(postfix)) on the host
options:
  socket_name:
    description:
      - The collector's socket, as Postfix names it - relative to Postfix's C(queue_directory) unless absolute (a
        relative name reaches the same socket from a chrooted smtp(8) too).
      - No whitespace, control characters, C(..) or characters of C(main.cf) syntax; such a value fails before anything
        is changed. Required with O(state=present).
    type: str
  state:
    description: V(present) sets both parameters, V(absent) removes both (Postfix sends no TLSRPT events).
    type: str
    choices: [present, absent]
    default: present
  config_directory:
    description: The Postfix configuration directory (C(postconf -c)).
    type: path
    default: /etc/postfix
  check:
    description: Run C(postfix check) after a change and restore C(main.cf) when it fails.
    type: bool
    default: true
seealso:
  - module: mailsec.mta_sts.postfix_tls_policy_maps
  - name: Postfix TLSRPT_README
    description: How Postfix emits TLSRPT events.
    link: https://www.postfix.org/TLSRPT_README.html
'''

EXAMPLES = r'''
- name: Send Postfix's TLS handshake results to tlsrpt-collectd
  mailsec.mta_sts.postfix_tlsrpt:
    socket_name: run/tlsrpt/tlsrpt.sock
  register: tlsrpt_settings

- name: Reload Postfix when main.cf changed
  ansible.builtin.command:
    argv: [postfix, reload]
  when: tlsrpt_settings is changed
  changed_when: true
'''

RETURN = r'''
settings:
  description: The two parameters after the run (in check mode, what they would be); null = not set in C(main.cf).
  returned: success
  type: dict
  sample: {smtp_tlsrpt_enable: "yes", smtp_tlsrpt_socket_name: run/tlsrpt/tlsrpt.sock}
previous_settings:
  description: The two parameters before the run.
  returned: success
  type: dict
  sample: {smtp_tlsrpt_enable: null, smtp_tlsrpt_socket_name: null}
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
  sample: [socket_name]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import postfix_tlsrpt as backend
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import run


def main():
    module = AnsibleModule(argument_spec=backend.argument_spec(), **backend.MODULE_KWARGS)
    run(module, backend)


if __name__ == '__main__':
    main()
