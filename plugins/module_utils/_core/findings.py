# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Findings: what the parsers and probes report about a policy, a record or a live deployment.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

OK = 'ok'
ERROR = 'error'
WARNING = 'warning'
# The checks of a live deployment (mta_sts_verify's check names) whose errors make an enforcing
# sender refuse to deliver to an MX host; in mode testing they are warnings. Shared by the verify
# evaluation and the role's plan (_rollout), which must agree on them.
DELIVERY_CHECKS = ('mx', 'mx_match', 'starttls', 'certificate')


class Finding(object):
    """One problem found in a policy or record: severity, the rule it broke, a sentence."""

    __slots__ = ('severity', 'rule', 'msg')

    def __init__(self, severity, rule, msg):
        self.severity = severity
        self.rule = rule
        self.msg = msg

    def as_dict(self):
        return {'severity': self.severity, 'rule': self.rule, 'msg': self.msg}

    def __eq__(self, other):
        return isinstance(other, Finding) and self.as_dict() == other.as_dict()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self.severity, self.rule, self.msg))

    def __repr__(self):
        return 'Finding(%r, %r, %r)' % (self.severity, self.rule, self.msg)


def errors(findings):
    """The findings that make a strict sender reject what was parsed."""
    return [finding for finding in findings if finding.severity == ERROR]
