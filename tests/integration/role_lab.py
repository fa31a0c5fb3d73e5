# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the tests that run the role against the lab (tests/playbooks/lab.yml) and this host's nginx.

The fixture that deploys the lab domains once per test module (``deployed``) is in conftest.py.
"""

import mailsec_lab as labtools

DOMAIN_KEYS = ('domain', 'mx', 'tls_certificate', 'tls_certificate_key')


def entry(lab, which, **overrides):
    """The ``mta_sts_domains`` entry of a lab domain, as lab.yml deploys it, with ``overrides``.

    ``which`` is the domain's index in ``lab['domains']`` or its name.
    """
    domains = lab['domains']
    index = which if isinstance(which, int) else [item['domain'] for item in domains].index(which)
    item = {key: domains[index][key] for key in DOMAIN_KEYS}
    item.update(overrides)
    return item


def fetch_policy(lab, domain):
    """The policy as a sender gets it from the lab's nginx: ``(status line, body)``."""
    status, dummy, body = labtools.fetch_policy(lab['domains'][0]['mta_sts_address'], 'mta-sts.' + domain,
                                                lab['ca_path'])
    return status, body
