#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: nginx_config
short_description: Write nginx configuration files as one transaction that C(nginx -t) must accept
version_added: 0.2.0
description:
  - Writes the files of O(files) (a vhost file and the http-level file it needs, for example), each atomically, and
    only those whose content (or O(files[].mode)) differs; then runs C(nginx -t) on the whole configuration.
  - When C(nginx -t) refuses it, every previous file is put back as it was (a file that did not exist is removed),
    and the module fails with nginx's own message. The running nginx is not touched, so it keeps serving what it
    served. When the configuration is refused without the new files too, the message says so.
  - Reports a change only when a file changed; nothing is written and C(nginx -t) does not run otherwise.
  - With O(reload=true), C(nginx -s reload) follows a passing C(nginx -t), and only when a file changed. Otherwise
    reload nginx yourself when RV(ignore:changed) is true (a handler, or the service manager).
author:
  - mailsec.mta_sts contributors (@mailsec)
extends_documentation_fragment:
  - mailsec.mta_sts.attributes
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the files and says which would change (with the diff); it writes nothing and runs no nginx.
  diff_mode:
    support: full
    details:
      - One diff per changed file, its content before and after (the headers show O(files[].mode) when given).
  idempotent:
    support: full
requirements:
  - nginx on the host (outside check mode)
options:
  files:
    description:
      - The files to write, checked together. Each path at most once.
      - Their folders must exist (normally C(/etc/nginx/conf.d), which the nginx package makes).
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: The absolute path of the file.
        type: path
        required: true
      content:
        description: The whole content of the file (written as UTF-8).
        type: str
        required: true
      mode:
        description:
          - The permissions, as octal digits in a quoted string (V('0644')); a number is taken as the permission bits
            themselves.
          - When not set, a new file gets the default permissions (umask) and an existing one keeps its own.
        type: raw
  binary:
    description:
      - The nginx binary, a name looked up on the C(PATH) and in C(/usr/sbin), C(/usr/local/sbin), C(/sbin) and
        C(/usr/local/nginx/sbin), or a path.
    type: str
    default: nginx
  config_file:
    description:
      - The main configuration file nginx is started with (C(nginx -c)), for C(nginx -t) and the reload.
      - By default nginx's own (C(/etc/nginx/nginx.conf) in the distributions' packages).
    type: path
  reload:
    description:
      - Send C(nginx -s reload) after a passing C(nginx -t), when a file changed. nginx must be running.
      - A host whose nginx runs under a service manager may prefer to reload it through that, when RV(ignore:changed).
    type: bool
    default: false
  pid_file:
    description:
      - nginx's PID file (the C(pid) directive; C(/run/nginx.pid) in the distributions' packages). When given, RV(running)
        says whether that nginx runs, so that a caller knows whether to start it or to reload it, without a task of
        its own.
    type: path
notes:
  - The files are written one after the other, each atomically (a temporary file in the same folder, then a rename),
    and nginx reads them only at a reload; a reload by someone else while the module runs could see some of the new
    files and not the others.
seealso:
  - module: mailsec.mta_sts.mta_sts_policy
  - name: nginx command-line parameters
    description: C(-t), C(-c) and C(-s reload).
    link: https://nginx.org/en/docs/switches.html
'''

EXAMPLES = r'''
- name: Write the policy vhost and the http-level settings it needs, kept only when nginx -t accepts them
  mailsec.mta_sts.nginx_config:
    files:
      - path: /etc/nginx/conf.d/mta-sts.conf
        content: "{{ lookup('ansible.builtin.template', 'mta-sts.conf.j2') }}"
        mode: "0644"
      - path: /etc/nginx/conf.d/mta-sts-http.conf
        content: "server_names_hash_bucket_size 128;\n"
        mode: "0644"
  register: vhosts
  notify: Reload nginx

- name: The same for an nginx with a configuration of its own, reloaded by the module
  mailsec.mta_sts.nginx_config:
    files:
      - path: /srv/nginx/sites/mta-sts.conf
        content: "{{ lookup('ansible.builtin.template', 'mta-sts.conf.j2') }}"
    binary: /opt/nginx/sbin/nginx
    config_file: /srv/nginx/nginx.conf
    reload: true
'''

RETURN = r'''
files:
  description: One entry per element of O(files), in the same order.
  returned: success or failure after the files were read
  type: list
  elements: dict
  contains:
    path:
      description: The file.
      type: str
      returned: always
      sample: /etc/nginx/conf.d/mta-sts.conf
    changed:
      description: Whether its content or mode differed (and, outside check mode, was written).
      type: bool
      returned: always
      sample: true
    created:
      description: Whether the file did not exist before.
      type: bool
      returned: always
      sample: false
reloaded:
  description: Whether C(nginx -s reload) was sent (O(reload=true), a file changed and C(nginx -t) passed).
  returned: success or failure after the files were read
  type: bool
  sample: false
running:
  description:
    - Whether the process whose PID O(pid_file) holds runs and is named C(nginx) (as C(pgrep --pidfile --exact nginx)
      finds it), read before any file is written; also in check mode.
  returned: with O(pid_file), success or failure after the files were read
  type: bool
  sample: true
nginx_output:
  description: What nginx said when C(nginx -t) refused the new files or the reload failed.
  returned: when C(nginx -t) or the reload failed
  type: str
  sample: 'nginx: [emerg] cannot load certificate "/etc/ssl/missing.crt" ... in /etc/nginx/conf.d/mta-sts.conf:9'
invalid_options:
  description: The options whose values broke a rule, when the module failed on bad input.
  returned: failure on bad input
  type: list
  elements: str
  sample: ["files[1].path"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import nginx_config as backend
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import run


def main():
    module = AnsibleModule(argument_spec=backend.argument_spec(), **backend.MODULE_KWARGS)
    run(module, backend)


if __name__ == '__main__':
    main()
