# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The role's plan for a run: which domains go ahead, which are held, and where ``mode: auto`` stands.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Pure: it reads the pre-flight results of ``mta_sts_verify`` (a candidate policy per domain checked
against the live MX set) and the per-day summary of ``tlsrpt_report_info``, and decides. Nothing here
does I/O, so the same live state and the same reports always give the same plan.

Rules (README "Rolling out safely"):
- a domain whose pre-flight has an error is held: nothing of it is changed this run. In mode testing
  the findings that would only bounce mail under enforce are warnings, and the domain goes ahead; an
  MX set that cannot be resolved holds the domain in every mode;
- ``mode: auto`` serves ``testing`` until the reports show, since the last day with a failure that
  enforce would turn into a bounce, sessions under the testing policy on at least ``min_days``
  distinct days and at least ``min_sessions`` sessions, and the pre-flight of the enforce policy
  passes; then ``enforce``. The current mode is the one served now. An auto domain served in enforce
  goes back to testing at once when the pre-flight of enforce fails, or the reports of the last
  ``ROLLBACK_DAYS`` days show such failures; the run then fails, saying so.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.findings import DELIVERY_CHECKS, ERROR, WARNING
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.policy import policy_id
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.time import utc_today

AUTO = 'auto'
ROLLBACK_DAYS = 2
DEFAULT_MIN_DAYS = 14
DEFAULT_MIN_SESSIONS = 100


def settings_problems(min_days, min_sessions):
    """``[(variable, message)]`` for rollout settings that break a rule."""
    problems = []
    if isinstance(min_days, bool) or not isinstance(min_days, int) or min_days < 1:
        problems.append(('mta_sts_rollout_min_days', 'mta_sts_rollout_min_days must be a whole number of days, at '
                                                     'least 1, got %r' % (min_days,)))
    if isinstance(min_sessions, bool) or not isinstance(min_sessions, int) or min_sessions < 0:
        problems.append(('mta_sts_rollout_min_sessions', 'mta_sts_rollout_min_sessions must be a whole number, at '
                                                         'least 0, got %r' % (min_sessions,)))
    return problems


def _plural(count, word):
    return '%d %s%s' % (count, word, '' if count == 1 else 's')


def clean_stretch(days, today):
    """``(days, sessions, last_failure)``: the days with sessions under the testing policy after the last
    day with a bounce-class failure (up to ``today``), their sessions, and that day (or None)."""
    known = dict((day, entry) for day, entry in (days or {}).items() if day <= today)
    failures = [day for day, entry in known.items() if entry.get('blocking')]
    last_failure = max(failures) if failures else None
    counted = [day for day, entry in known.items()
               if entry.get('sts_testing') and (last_failure is None or day > last_failure)]
    return len(counted), sum(known[day]['sts_testing'] for day in counted), last_failure


def recent_failures(days, today, span=ROLLBACK_DAYS):
    """Bounce-class failed sessions reported for the last ``span`` days up to ``today``."""
    first = (datetime.date(*[int(part) for part in today.split('-')]) - datetime.timedelta(days=span)).isoformat()
    return sum(entry.get('blocking', 0) for day, entry in (days or {}).items() if first <= day <= today)


def _problems(result):
    """The error messages of a pre-flight result."""
    return ['%s: %s' % (entry['name'], entry['msg']) for entry in result.get('checks', []) if entry['status'] == ERROR]


def discarded_note(discarded_reasons):
    """What the missing-list says about discarded reports (``{reason: count}``), or None. Pure."""
    if not discarded_reasons:
        return None
    count = sum(discarded_reasons.values())
    listed = ', '.join('%s: %d' % (reason, discarded_reasons[reason]) for reason in sorted(discarded_reasons))
    return ('%s DISCARDED (%s), not counted: only reports with a valid DKIM signature of the reporting '
            'organization count, and report files only from a folder you trust '
            '(mta_sts_tlsrpt_reports_path_trusted)' % (_plural(count, 'report'), listed))


def decide_auto(domain, served_mode, preflight, days, today, min_days, min_sessions, discarded_reasons=None):
    """Where one ``mode: auto`` domain goes this run.

    ``preflight`` is the pre-flight result of its enforce policy (None when pre-flight is off).
    ``discarded_reasons`` (``{reason: count}``, from the report summary) is named when the domain stays
    in testing, so that "no reports" and "reports thrown away" read differently.
    Returns ``{'domain', 'mode', 'served_mode', 'rollback', 'missing', 'msg'}``.
    """
    problems = _problems(preflight) if preflight is not None else []
    decision = {'domain': domain, 'served_mode': served_mode, 'rollback': False, 'missing': []}
    if served_mode == 'enforce':
        recent = recent_failures(days, today)
        if problems or recent:
            why = ('the pre-flight of enforce fails: %s' % ' | '.join(problems) if problems else
                   'the TLS reports of the last %d days show %s that enforce turns into bounces'
                   % (ROLLBACK_DAYS, _plural(recent, 'failed session')))
            decision.update(mode='testing', rollback=True,
                            msg='%s (mode auto) goes BACK to testing: %s. Senders that cached the enforce policy '
                                'keep it until they see the new id; fix this, and the role moves it to enforce again '
                                'once the reports are clean.' % (domain, why))
            return decision
        decision.update(mode='enforce', msg='%s (mode auto): enforce, kept (pre-flight passes, no bounce-class failure '
                                            'reported in the last %d days)' % (domain, ROLLBACK_DAYS))
        return decision
    counted, sessions, last_failure = clean_stretch(days, today)
    missing = decision['missing']
    since = ' since the last bounce-class failure (%s)' % last_failure if last_failure else ''
    if counted < min_days:
        missing.append('%s missing (%d of %d days with sessions under the testing policy%s)'
                       % (_plural(min_days - counted, 'day'), counted, min_days, since))
    if sessions < min_sessions:
        missing.append('%s missing (%d of %d sessions under the testing policy%s)'
                       % (_plural(min_sessions - sessions, 'session'), sessions, min_sessions, since))
    if problems:
        missing.append('a passing pre-flight of enforce (%s)' % ' | '.join(problems))
    note = discarded_note(discarded_reasons)
    if missing and note:
        missing.append(note)
    if missing:
        decision.update(mode='testing', msg='%s (mode auto): testing; before enforce: %s'
                                            % (domain, '; '.join(missing)))
    else:
        decision.update(mode='enforce', msg='%s (mode auto): switches to ENFORCE (%d days and %d sessions under the '
                                            'testing policy with no bounce-class failure, pre-flight passes)'
                                            % (domain, counted, sessions))
    return decision


def _held_message(domain, problems, mode):
    return ('%s is HELD (its policy file, certificate and records were left as they were: nothing new of it is '
            'served or published): the pre-flight of '
            'its new policy (mode %s) against the live MX hosts found: %s. Fix the MX hosts or the mx list; while '
            'you do, mode testing lets the domain go ahead (senders then report instead of refusing).'
            % (domain, mode, ' | '.join(problems)))


def plan(domains, preflight_results, reports_summary, min_days=DEFAULT_MIN_DAYS, min_sessions=DEFAULT_MIN_SESSIONS,
         today=None):
    """The run's plan from the completed domain list, the pre-flight results and the report summary.

    Returns ``{'modes': {domain: mode} for auto domains, 'held': [{'domain', 'msg'}], 'held_domains': [...],
    'warnings': [msg], 'rollout': [decision], 'rollback': [domain], 'preflight': {domain: verdict},
    'lines': [msg]}``, ``lines`` saying for each domain that changes or is held what happens to it;
    ``preflight`` only for the domains pre-flighted (those this run changes: the plan is stored
    once a run, and 20,000 entries of "not run" are not free to store).
    """
    if today is None:
        today = utc_today()
    results = dict((result['domain'].lower(), result) for result in preflight_results or [])
    summary = dict((name.lower(), entry) for name, entry in (reports_summary or {}).items())
    output = {'modes': {}, 'held': [], 'held_domains': [], 'warnings': [], 'rollout': [], 'rollback': [],
              'preflight': {}, 'lines': []}
    for item in domains:
        domain = item['domain']
        result = results.get(domain.lower())
        if item.get('auto'):
            served = (result or {}).get('served') or {}
            served_mode = (served.get('policy') or {}).get('mode')
            entry = summary.get(domain.lower(), {})
            decision = decide_auto(domain, served_mode, result, entry.get('days'), today, min_days, min_sessions,
                                   entry.get('discarded_reasons'))
            output['modes'][domain] = decision['mode']
            output['rollout'].append(decision)
            if decision['rollback']:
                output['rollback'].append(domain)
            mode = decision['mode']
        else:
            mode = item['mode']
        if result is None:
            continue
        output['preflight'][domain] = _judge(output, domain, mode, result)
        line = plan_line(domain, mode, policy_id(dict(item, mode=mode)), result.get('served') or {},
                         output['preflight'][domain])
        if line:
            output['lines'].append(line)
    return output


def plan_line(domain, mode, new_id, served, verdict):
    """What happens to one domain this run, or None when nothing changes."""
    old_id = served.get('id')
    old_mode = (served.get('policy') or {}).get('mode')
    if verdict == 'held':
        return '%s: HELD, nothing changes (published id stays %s, served mode stays %s)' % (
            domain, old_id or 'none', old_mode or 'none')
    if old_id == new_id:
        return None
    return '%s: id %s -> %s, mode %s -> %s (pre-flight %s)' % (
        domain, old_id or 'none', new_id, old_mode or 'none', mode, verdict)


def _judge(output, domain, mode, result):
    """The pre-flight verdict of one domain, recording it as held or with warnings in ``output``."""
    # Outside enforce, only what would hold a testing domain too holds it (a lookup that failed);
    # the enforce candidate of an auto domain that stays in testing is judged the same way.
    errors = [entry for entry in result.get('checks', []) if entry['status'] == ERROR]
    if mode != 'enforce':
        errors = [entry for entry in errors if entry['name'] not in DELIVERY_CHECKS]
    blocking = ['%s: %s' % (entry['name'], entry['msg']) for entry in errors]
    if blocking:
        output['held'].append({'domain': domain, 'msg': _held_message(domain, blocking, mode)})
        output['held_domains'].append(domain)
        return 'held'
    warnings = ['%s: %s' % (entry['name'], entry['msg']) for entry in result.get('checks', [])
                if entry['status'] == WARNING or (entry['status'] == ERROR and mode != 'enforce')]
    if warnings:
        output['warnings'].append('%s (mode %s) goes ahead with warnings: %s' % (domain, mode, ' | '.join(warnings)))
    return 'passed with warnings' if warnings else 'passed'
