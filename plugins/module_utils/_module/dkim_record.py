# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The dkim_record module's backend: the DKIM key record (<selector>._domainkey.<domain> TXT) of each key, by RFC 2136 UPDATE.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

The backend contract is in ``common``; the work, shared with mta_sts_record and tlsrpt_record, in ``record_update``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.record_update import RecordBackend

_BACKEND = RecordBackend('dkim')
argument_spec = _BACKEND.argument_spec
MODULE_KWARGS = _BACKEND.MODULE_KWARGS
LIBRARIES = _BACKEND.LIBRARIES
option_problems = _BACKEND.option_problems
run_module = _BACKEND.run_module
