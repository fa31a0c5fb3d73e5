# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sphinx configuration of `make docs`: the HTML site of this collection from antsibull-docs' RST.

Started from what `antsibull-docs sphinx-init` 2.28.0 writes, with one change: the build must work
offline (CI has no internet), so there is no intersphinx. References to the Ansible docs and to
other collections (ansible.builtin.file, community.crypto.acme_certificate, ...) that intersphinx
would resolve become plain links to docs.ansible.com instead; a broken reference to anything of
this collection still fails the build (sphinx-build -W, nitpicky).
"""

import re

from docutils import nodes

project = 'mailsec.mta_sts'
copyright = 'mailsec.mta_sts contributors'  # pylint: disable=redefined-builtin
title = 'mailsec.mta_sts Collection Documentation'
html_short_title = 'mailsec.mta_sts'

extensions = ['sphinx_antsibull_ext']

pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False

default_role = 'any'
nitpicky = True

ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/latest/'
OWN_LABEL = 'ansible_collections.mailsec.mta_sts.'
PLUGIN_LABEL = re.compile(r'^ansible_collections\.(\w+)\.(\w+)\.(\w+)_(module|role|[a-z]+)$')
# Labels of the Ansible docs that antsibull-docs' RST refers to.
ANSIBLE_LABELS = {
    'common_return_values': 'reference_appendices/common_return_values.html',
    'ansible_configuration_settings': 'reference_appendices/config.html',
    # "This module has a corresponding action plugin" (mta_sts_policy, mta_sts_record, tlsrpt_record).
    'action_plugins': 'plugins/action.html',
}


def external_reference(app, env, node, contnode):  # pylint: disable=unused-argument
    """Resolve a reference intersphinx would have resolved to docs.ansible.com; None leaves it broken."""
    if node.get('reftype') not in ('ref', 'any'):
        return None
    target = node.get('reftarget', '')
    if target.startswith(OWN_LABEL):
        return None
    match = PLUGIN_LABEL.match(target)
    if match:
        url = ANSIBLE_DOCS + 'collections/%s/%s/%s_%s.html' % match.groups()
    elif target in ANSIBLE_LABELS:
        url = ANSIBLE_DOCS + ANSIBLE_LABELS[target]
    else:
        return None
    reference = nodes.reference('', '', internal=False, refuri=url)
    reference.append(contnode)
    return reference


def setup(app):
    app.connect('missing-reference', external_reference)
