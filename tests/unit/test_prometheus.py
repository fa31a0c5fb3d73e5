# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shipped alert rules and Grafana dashboard (extensions/prometheus/), checked by the real promtool.

promtool comes with Debian's prometheus package (`make venv` installs it).
"""

import json
import pathlib
import re
import shutil
import subprocess

import pytest
import yaml

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.metrics import METRIC_NAMES

REPO = pathlib.Path(__file__).resolve().parents[2]
RULES = REPO / 'extensions' / 'prometheus' / 'mailsec_mta_sts.rules.yml'
DASHBOARD = REPO / 'extensions' / 'prometheus' / 'grafana' / 'mailsec_mta_sts.json'
# The rules' unit tests: minute-scale cases, and the cases spanning days (evaluated hourly, so promtool takes 1 s).
RULE_TESTS = [REPO / 'tests' / 'unit' / 'prometheus' / name for name in ('alerts_test.yml', 'alerts_days_test.yml')]
# node_exporter's own series for the files it reads: the staleness alert and panel use it.
OTHER_METRICS = {'node_textfile_mtime_seconds'}
NAME = re.compile(r'\b(mailsec_mta_sts_[a-z_]+|node_[a-z_]+)\b')


def promtool(*args):
    binary = shutil.which('promtool')
    if binary is None:
        pytest.fail('promtool is not installed: apt-get install prometheus (make venv does)', pytrace=False)
    return subprocess.run([binary] + list(args), capture_output=True, text=True, timeout=120, check=False)


def alerts():
    return [rule for group in yaml.safe_load(RULES.read_text())['groups'] for rule in group['rules']]


def dashboard_queries():
    panels = json.loads(DASHBOARD.read_text())['panels']
    return [(panel['title'], target['expr']) for panel in panels for target in panel['targets']]


def test_rules_pass_promtool_check():
    proc = promtool('check', 'rules', str(RULES))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'SUCCESS: %d rules found' % len(alerts()) in proc.stdout


def test_rules_pass_their_unit_tests():
    proc = promtool('test', 'rules', *map(str, RULE_TESTS))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count('SUCCESS') == len(RULE_TESTS)


def test_every_alert_has_a_case_that_fires_and_one_that_does_not():
    fires = set()
    silent = set()
    for case in [case for path in RULE_TESTS for case in yaml.safe_load(path.read_text())['tests']]:
        for check in case['alert_rule_test']:
            (fires if check['exp_alerts'] else silent).add(check['alertname'])
    names = set(rule['alert'] for rule in alerts())
    assert fires == names and silent == names


@pytest.mark.parametrize('change', [
    ('< 14 * 86400', '< 7 * 86400'),   # the 14-day certificate threshold
    ('> 3 * 86400', '> 5 * 86400'),    # 3 days without a report
    ('> 0.05', '> 0.2'),               # the failure rate
    ('for: 30m', 'for: 10m'),          # failing checks must last 30 minutes
])
def test_the_rule_tests_notice_a_changed_threshold(tmp_path, change):
    rules = tmp_path / 'extensions' / 'prometheus' / RULES.name
    rules.parent.mkdir(parents=True)
    text = RULES.read_text()
    assert change[0] in text
    rules.write_text(text.replace(change[0], change[1]))
    tests = [tmp_path / 'tests' / 'unit' / 'prometheus' / path.name for path in RULE_TESTS]
    tests[0].parent.mkdir(parents=True)
    for source, copy in zip(RULE_TESTS, tests):
        shutil.copy(source, copy)
    proc = promtool('test', 'rules', *map(str, tests))
    assert proc.returncode != 0, proc.stdout
    assert 'FAILED' in proc.stdout + proc.stderr


def test_rules_and_dashboard_name_only_metrics_the_collection_writes():
    known = set(METRIC_NAMES) | OTHER_METRICS
    for where, expr in [('rule ' + rule['alert'], rule['expr']) for rule in alerts()] + dashboard_queries():
        names = set(NAME.findall(expr))
        assert names, '%s: %s names no metric' % (where, expr)
        assert names <= known, '%s: %s' % (where, sorted(names - known))
    # And the dashboard shows every family the collection writes.
    shown = set(name for dummy, expr in dashboard_queries() for name in NAME.findall(expr))
    assert set(METRIC_NAMES) <= shown, sorted(set(METRIC_NAMES) - shown)


def test_dashboard_queries_are_valid_promql(tmp_path):
    # promtool parses every query as a recording rule, with Grafana's variable replaced as Grafana would.
    rules = {'groups': [{'name': 'dashboard', 'rules': [
        {'record': 'dashboard:query_%d' % index, 'expr': expr.replace('$domain', '.*')}
        for index, (dummy, expr) in enumerate(dashboard_queries())]}]}
    path = tmp_path / 'dashboard.rules.yml'
    path.write_text(yaml.safe_dump(rules))
    proc = promtool('check', 'rules', str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dashboard_domain_variable_uses_a_written_metric():
    variables = dict((item['name'], item) for item in json.loads(DASHBOARD.read_text())['templating']['list'])
    assert set(NAME.findall(variables['domain']['definition'])) <= set(METRIC_NAMES)
