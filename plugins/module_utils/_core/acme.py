# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the role reads out of task results: ACME http-01 challenges, and failures as sentences.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Pure: it takes the registered results of tasks (plain dicts and lists, as Ansible hands them to a
filter) and returns data; no AnsibleModule, no I/O. The role's filters (plugins/filter/mta_sts_acme.py)
call it:
- ``http01_challenges``: the http-01 challenges of community.crypto's ``acme_certificate`` first step
  (its ``challenge_data``: identifier -> challenge type -> ``{resource, resource_value, ...}``), to be
  written into the port-80 server's challenge folder (tasks/acme.yml);
- ``failure_summary``: every failed item of a failed task (``ansible_failed_result``) as
  ``"<label>: <message>"`` (the ACME failure message);
- ``failure_message``: one message for a failed task (the DNS tasks file's failure message).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections.abc import Mapping

HTTP_01 = 'http-01'
NO_MESSAGE = 'no message'
NO_FAILURE_MESSAGE = '(no message)'


def http01_challenges(order_results):
    """The http-01 challenges of ``acme_certificate`` results (its ``results`` list when looped), in order.

    A result without ``challenge_data`` (a skipped item, a certificate that needed no challenge) and an
    identifier without an http-01 challenge contribute nothing.
    """
    challenges = []
    for result in order_results or []:
        data = result.get('challenge_data') if isinstance(result, Mapping) else None
        if not isinstance(data, Mapping):
            continue
        for by_type in data.values():
            challenge = by_type.get(HTTP_01) if isinstance(by_type, Mapping) else None
            if challenge:
                challenges.append(challenge)
    return challenges


def failed_items(result):
    """The failed loop items of a task result, or the result itself when it has no ``results``."""
    if not isinstance(result, Mapping):
        return []
    items = result['results'] if 'results' in result else [result]
    return [item for item in items or [] if isinstance(item, Mapping) and item.get('failed')]


def _sentence(message):
    """A message without surrounding space and trailing full stops, so that it can go inside a sentence."""
    return str(message).strip().rstrip('.')


def failure_summary(result, label='mta_sts_host'):
    """Each failed item of ``result`` as ``"<item[label]>: <message>"``; just the message when there is no label.

    The label comes from the loop item (a domain entry of the role), so a loop over domains says which
    domain failed; a task without a loop, or an item that is not a dict, gives the message alone.
    """
    summary = []
    for item in failed_items(result):
        loop_item = item.get('item')
        name = loop_item.get(label, '') if isinstance(loop_item, Mapping) else ''
        message = _sentence(item['msg'] if 'msg' in item else NO_MESSAGE)
        line = '%s: %s' % (name, message)
        summary.append(line[2:] if line.startswith(': ') else line)
    return summary


def failure_message(result):
    """The message of a failed task: its own ``msg``, else the first failed loop item's, else ``(no message)``."""
    if not isinstance(result, Mapping):
        return NO_FAILURE_MESSAGE
    if 'msg' in result:
        return result['msg']
    failed = failed_items(result) if 'results' in result else []
    if failed and 'msg' in failed[0]:
        return failed[0]['msg']
    return NO_FAILURE_MESSAGE
