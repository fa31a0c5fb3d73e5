# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A domain table in place of mta_sts_policy's policies: expanded by the action plugin, through ansible-playbook
(the action layer is Ansible's), and report_unchanged: false returning only what changed."""

import json

from mailsec_testing.ansible_runner import run_steps
from ansible_collections.mailsec.mta_sts.plugins.filter.mta_sts_domains import mta_sts_rows, mta_sts_table

POLICY = 'mailsec.mta_sts.mta_sts_policy'


def table(tmp_path, first=None):
    """Five domains; ``first``: settings of the first one's own."""
    defaults = {'mode': 'testing', 'mx': ['mail.example.com'], 'max_age': 86400, 'webroot': str(tmp_path / 'www')}
    return mta_sts_table([dict({'domain': 'd%d.example' % index}, **(first or {}) if index == 0 else {})
                          for index in range(5)], defaults)


def policy_files(tmp_path):
    return sorted(str(path) for path in (tmp_path / 'www').rglob('mta-sts.txt'))


def test_a_table_stands_for_its_policy_files_and_only_changes_are_reported(tmp_path):
    domains = table(tmp_path)
    paths = [entry['path'] for entry in mta_sts_rows(domains, 'policy_file')]
    results, proc = run_steps(tmp_path, [
        (POLICY, {'policies': domains, 'create_dirs': True, 'report_unchanged': False}, {'check_mode': True}),
        (POLICY, {'policies': domains, 'create_dirs': True}),
        (POLICY, {'policies': domains, 'create_dirs': True, 'report_unchanged': False}),
        (POLICY, {'policies': table(tmp_path, first={'max_age': 600}), 'create_dirs': True, 'report_unchanged': False}),
    ])
    assert not any(result.get('failed') for result in results), proc.stdout[-3000:]
    checked, written, rerun, one_changed = results
    # Check mode: every file would be written, nothing is.
    assert checked['changed'] and [entry['path'] for entry in checked['policies']] == paths
    assert all(entry['changed'] for entry in checked['policies'])
    # The real run reports every entry (report_unchanged defaults to true), the files are there.
    assert written['changed'] and [entry['path'] for entry in written['policies']] == paths
    assert policy_files(tmp_path) == sorted(paths)
    # Nothing differs: nothing reported.
    assert not rerun['changed'] and rerun['policies'] == []
    assert one_changed['changed'] and [entry['path'] for entry in one_changed['policies']] == paths[:1]
    with open(paths[0], encoding='ascii') as policy:
        assert 'max_age: 600' in policy.read()


def test_a_dict_that_is_not_a_table_fails_naming_the_option_and_writes_nothing(tmp_path):
    results, dummy = run_steps(tmp_path, [
        (POLICY, {'policies': {'count': 1, 'rows': json.dumps([{'domain': 'x'}]), 'extra': 1}, 'create_dirs': True}),
        (POLICY, {'policies': {'count': 1, 'rows': '[not json'}, 'create_dirs': True}),
        (POLICY, {'policies': {'count': 1, 'rows': json.dumps([{'domain': 'x.example'}])}, 'create_dirs': True}),
    ])
    assert results[0]['failed'] and results[0]['msg'].startswith(
        'policies: a dict given must be a domain table (the mta_sts_table filter: count and rows), got the keys '
        'count, extra, rows')
    for result in results[1:]:
        assert result['failed'] and result['msg'].startswith(
            'policies: the rows of the domain table are not the JSON that mta_sts_table writes'), result
    assert policy_files(tmp_path) == []


def test_async_and_a_plain_list_run_as_without_the_action(tmp_path):
    """The action runs the module as ansible.builtin.normal would: async is still async, a list is passed as it is."""
    entries = mta_sts_rows(table(tmp_path), 'policy_file')
    results, proc = run_steps(tmp_path, [
        (POLICY, {'policies': entries, 'create_dirs': True}, {'async': 60, 'poll': 1}),
        (POLICY, {'policies': entries[:2], 'create_dirs': True}),
    ])
    assert not any(result.get('failed') for result in results), proc.stdout[-3000:]
    assert results[0]['changed'] and results[0].get('ansible_job_id') and results[0]['finished'] == 1
    assert [entry['changed'] for entry in results[1]['policies']] == [False, False]
