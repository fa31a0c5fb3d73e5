# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The tlsrpt_record module's backend: the _smtp._tls TXT record of each domain, by RFC 2136 UPDATE.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

The backend contract is in ``_backend``; the work, shared with mta_sts_record, in ``_record_update``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.record_update import record_backend

argument_spec, MODULE_KWARGS, LIBRARIES, option_problems, run_module = record_backend('tlsrpt')
