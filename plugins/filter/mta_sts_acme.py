# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.acme import (
    failure_message, failure_summary, http01_challenges)


def mta_sts_acme_challenges(order_results):
    """The http-01 challenges of acme_certificate results; see plugins/module_utils/_core/acme.py."""
    if order_results is not None and not isinstance(order_results, (list, tuple)):
        raise AnsibleFilterError('mta_sts_acme_challenges: the input must be the list of results of a looped '
                                 'acme_certificate task, got %s' % type(order_results).__name__)
    return http01_challenges(order_results)


def mta_sts_failure_summary(failed_result, label='mta_sts_host'):
    """Each failed item of a task result as "label: message"; see plugins/module_utils/_core/acme.py."""
    return failure_summary(failed_result, label)


def mta_sts_failure_message(failed_result):
    """The message of a failed task result; see plugins/module_utils/_core/acme.py."""
    return failure_message(failed_result)


class FilterModule(object):

    def filters(self):
        return {
            'mta_sts_acme_challenges': mta_sts_acme_challenges,
            'mta_sts_failure_message': mta_sts_failure_message,
            'mta_sts_failure_summary': mta_sts_failure_summary,
        }
