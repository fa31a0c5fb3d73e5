# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tlsrpt_report_info run in-process (mailsec_testing.modules) on report files, a Maildir and an mbox."""

import os
import time

import pytest

from mailsec_testing import report_samples as samples
from mailsec_testing.modules import run_module

MODULE = 'tlsrpt_report_info'


@pytest.fixture
def reports_dir(tmp_path):
    return samples.write_sample_dir(str(tmp_path / 'reports'))


def test_sample_folder(reports_dir):
    run = run_module(MODULE, {'path': reports_dir})
    assert not run.failed, run.msg
    assert not run.changed
    result = run.result
    assert sorted(result['summary']) == ['company-y.example', 'example.com', 'example.org']
    example = result['summary']['example.com']
    assert example['ready_for_enforce'] is True
    assert example['organizations'] == ['Google Inc.', 'Mail Provider B.V.', 'Microsoft Corporation']
    assert example['total_successful_session_count'] == 1289 + 412 + 57 + 20
    assert example['policy_types'] == {'sts': 1758, 'tlsa': 22}
    assert result['summary']['company-y.example']['ready_for_enforce'] is False
    assert 'certificate-expired: 100' in result['summary']['company-y.example']['reason']
    assert result['summary']['example.org']['ready_for_enforce'] is False
    assert result['summary']['example.org']['policy_types'] == {'no-policy-found': 1}
    assert result['excluded'] == {'duplicates': 1, 'other_domains': 0, 'before_since': 0}
    assert sorted(os.path.basename(item['source']) for item in result['rejected']) == [
        'no-organization.json', 'truncated.json.gz']
    assert len(result['reports']) == 5
    microsoft = [r for r in result['reports'] if r['organization_name'] == 'Microsoft Corporation'][0]
    assert microsoft['start'] == '2026-05-02T00:00:00Z'
    assert [f['rule'] for f in microsoft['findings']] == ['datetime-zone', 'datetime-zone']
    assert set(microsoft) == {'source', 'organization_name', 'contact_info', 'report_id', 'start', 'end',
                              'policies', 'findings'}


def test_check_mode_returns_the_same(reports_dir):
    normal = run_module(MODULE, {'path': reports_dir, 'return_reports': False})
    checked = run_module(MODULE, {'path': reports_dir, 'return_reports': False}, check=True)
    assert not checked.failed, checked.msg
    assert 'reports' not in checked.result
    for key in ('summary', 'rejected', 'excluded', 'changed'):
        assert checked.result[key] == normal.result[key]


def test_maildir_and_mbox_with_domain_and_since(tmp_path):
    messages = [samples.email_report(samples.GOOGLE_STS, samples.GOOGLE_STS_NAME, submitter='google.com'),
                samples.email_report(samples.RFC8460, 'rfc.json', domain='company-y.example', gzipped=False),
                b'From: someone@example.net\nSubject: not a report\n\nhello\n']
    samples.write_maildir(str(tmp_path / 'Maildir'), messages)
    samples.write_mbox(str(tmp_path / 'mbox'), [samples.email_report(samples.MAILED, samples.MAILED_NAME)] + messages)
    run = run_module(MODULE, {'maildir': [str(tmp_path / 'Maildir')], 'mbox': [str(tmp_path / 'mbox')],
                              'domain': ['Example.COM'], 'since': '2020-01-01'})
    assert not run.failed, run.msg
    result = run.result
    assert list(result['summary']) == ['example.com']
    assert result['summary']['example.com']['report_count'] == 2
    # The same Google report came by Maildir and by mbox; the RFC example is for another domain and too old.
    assert result['excluded'] == {'duplicates': 2, 'other_domains': 0, 'before_since': 1}
    assert len(result['rejected']) == 2
    assert all('no TLS report found' in item['reason'] for item in result['rejected'])
    assert [r['source'].endswith('mbox#1') for r in result['reports']] == [False, True]


def test_glob_that_matches_nothing_is_a_warning(tmp_path):
    run = run_module(MODULE, {'path': [str(tmp_path / '*.json.gz')]})
    assert not run.failed, run.msg
    assert run.result['summary'] == {} and run.result['reports'] == [] and run.result['rejected'] == []
    assert run.warnings == ['path: %s matches no file' % (tmp_path / '*.json.gz')]


def test_gzip_bomb_in_the_folder_is_rejected_quickly(tmp_path):
    folder = tmp_path / 'bombed'
    folder.mkdir()
    (folder / 'bomb.json.gz').write_bytes(samples.gzip_bomb(1 << 30))
    (folder / 'google.json.gz').write_bytes(samples.gz(samples.GOOGLE_STS))
    started = time.monotonic()
    run = run_module(MODULE, {'path': [str(folder)], 'max_uncompressed_size': 1048576})
    assert time.monotonic() - started < 30
    assert not run.failed, run.msg
    assert [item['reason'] for item in run.result['rejected']] == [
        'gzip data inflates to more than 1048576 bytes (max_uncompressed_size); refused']
    assert list(run.result['summary']) == ['example.com']


def test_file_over_max_size_is_not_read(reports_dir):
    run = run_module(MODULE, {'path': [os.path.join(reports_dir, 'company-x.example!company-y.example!'
                                                    '1459468800!1459555199.json')],
                              'max_size': 100})
    assert not run.failed, run.msg
    assert 'more than max_size (100)' in run.result['rejected'][0]['reason']


@pytest.mark.parametrize('args, options, words', [
    ({}, None, 'one of the following is required: path, maildir, mbox'),
    ({'path': ['/nonexistent/tlsrpt']}, ['path'], 'does not exist'),
    ({'maildir': ['/']}, ['maildir'], 'not a Maildir'),
    ({'path': ['/tmp'], 'since': 'last week'}, ['since'], 'since:'),
    ({'path': ['/tmp'], 'max_size': 0, 'domain': ['a b']}, ['domain', 'max_size'], 'max_size:'),
])
def test_bad_options_fail_naming_the_option(args, options, words):
    run = run_module(MODULE, args)
    assert run.failed
    assert words in run.msg
    if options is not None:
        assert run.result['invalid_options'] == options


def test_metrics_path_written_atomically_rewritten_and_not_in_check_mode(reports_dir, tmp_path):
    target = tmp_path / 'textfile' / 'tlsrpt.prom'
    target.parent.mkdir()
    args = {'path': reports_dir, 'domain': ['example.com', 'company-y.example'], 'return_reports': False,
            'metrics_path': str(target)}
    checked = run_module(MODULE, args, check=True)
    assert not checked.failed, checked.msg
    assert checked.changed and not target.exists()
    first = run_module(MODULE, args)
    assert not first.failed, first.msg
    assert first.changed
    text = target.read_text()
    assert 'mailsec_mta_sts_tlsrpt_failed_sessions_by_result_type_total{domain="company-y.example",' \
           'result_type="certificate-expired"} 100' in text
    assert 'domain="example.org"' not in text and text.endswith('# EOF\n')
    assert sorted(os.listdir(target.parent)) == ['tlsrpt.prom']  # no temporary file left behind
    os.utime(target, (1, 1))
    again = run_module(MODULE, args)
    assert not again.changed
    assert target.read_text() == text and os.stat(target).st_mtime > 1  # rewritten: the mtime says "confirmed now"


@pytest.mark.parametrize('extra, words', [
    ({'metrics_path': '/tmp/x.prom'}, 'metrics_path: needs domain'),
    ({'metrics_path': '/tmp/x.txt', 'domain': ['example.com']}, 'reads only *.prom files'),
    ({'metrics_path': '/nonexistent/folder/x.prom', 'domain': ['example.com']}, 'the folder /nonexistent/folder does not exist'),
])
def test_bad_metrics_path_fails_naming_the_option(reports_dir, extra, words):
    run = run_module(MODULE, dict({'path': reports_dir}, **extra))
    assert run.failed
    assert words in run.msg
    assert run.result['invalid_options'] == ['metrics_path']
