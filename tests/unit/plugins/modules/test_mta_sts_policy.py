# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mta_sts_policy run in-process (mailsec_testing.modules) against files in a temp folder."""

import os
import stat

import pytest

from mailsec_testing.ansible_runner import ModuleOutcome, run_steps
from mailsec_testing.modules import run_module

CANONICAL = b'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 604800\r\n'


@pytest.fixture
def policy_path(tmp_path):
    web_root = tmp_path / 'www' / '.well-known'
    web_root.mkdir(parents=True)
    return web_root / 'mta-sts.txt'


def args(path, **extra):
    values = {'path': str(path), 'mode': 'enforce', 'mx': ['mail.example.com'], 'max_age': 604800}
    values.update(extra)
    return values


def test_create_then_rerun_is_unchanged_and_keeps_mtime(policy_path):
    first = run_module('mta_sts_policy', args(policy_path))
    assert not first.failed, first.msg
    assert first.changed
    assert policy_path.read_bytes() == CANONICAL
    assert first.result['policy'] == CANONICAL.decode()
    assert len(first.result['policy_id']) == 32

    os.utime(str(policy_path), (1000000000, 1000000000))
    second = run_module('mta_sts_policy', args(policy_path))
    assert not second.failed, second.msg
    assert not second.changed
    assert second.result['policy_id'] == first.result['policy_id']
    assert os.stat(str(policy_path)).st_mtime == 1000000000


def test_canonical_form_dedupes_and_orders(policy_path):
    run = run_module('mta_sts_policy', args(policy_path, mode='testing', max_age=86400,
                                            mx=['b.example.com', '*.a.example.com', 'B.example.com']))
    assert not run.failed, run.msg
    assert policy_path.read_bytes() == (b'version: STSv1\r\nmode: testing\r\nmx: b.example.com\r\n'
                                        b'mx: *.a.example.com\r\nmax_age: 86400\r\n')


def test_rewrites_a_non_canonical_file(policy_path):
    policy_path.write_bytes(CANONICAL.replace(b'\r\n', b'\n'))
    run = run_module('mta_sts_policy', args(policy_path), diff=True)
    assert run.changed
    assert policy_path.read_bytes() == CANONICAL


def test_check_mode_writes_nothing_and_predicts(policy_path):
    run = run_module('mta_sts_policy', args(policy_path), check=True)
    assert not run.failed, run.msg
    assert run.changed
    assert not policy_path.exists()
    assert run.result['policy'] == CANONICAL.decode()

    policy_path.write_bytes(CANONICAL)
    changed = run_module('mta_sts_policy', args(policy_path, mode='testing'), check=True)
    assert changed.changed
    assert policy_path.read_bytes() == CANONICAL
    same = run_module('mta_sts_policy', args(policy_path), check=True)
    assert not same.changed


def test_diff_shows_before_and_after(policy_path):
    policy_path.write_bytes(CANONICAL)
    run = run_module('mta_sts_policy', args(policy_path, mode='testing'), diff=True)
    assert run.changed
    assert run.result['diff']['before'] == CANONICAL.decode()
    assert 'mode: testing\r\n' in run.result['diff']['after']
    assert run.result['diff']['before_header'] == str(policy_path)


def test_backup_keeps_the_previous_file(policy_path):
    policy_path.write_bytes(b'old content\n')
    run = run_module('mta_sts_policy', args(policy_path, backup=True))
    assert run.changed
    with open(run.result['backup_file'], 'rb') as handle:
        assert handle.read() == b'old content\n'


def test_file_mode_is_applied_and_idempotent(policy_path):
    run = run_module('mta_sts_policy', args(policy_path, file_mode='0640'))
    assert run.changed
    assert stat.S_IMODE(os.stat(str(policy_path)).st_mode) == 0o640
    again = run_module('mta_sts_policy', args(policy_path, file_mode='0640'))
    assert not again.changed
    relaxed = run_module('mta_sts_policy', args(policy_path, file_mode='0644'))
    assert relaxed.changed
    assert stat.S_IMODE(os.stat(str(policy_path)).st_mode) == 0o644


def test_absent_removes_and_is_idempotent(policy_path):
    policy_path.write_bytes(CANONICAL)
    run = run_module('mta_sts_policy', {'path': str(policy_path), 'state': 'absent'})
    assert run.changed
    assert not policy_path.exists()
    again = run_module('mta_sts_policy', {'path': str(policy_path), 'state': 'absent'})
    assert not again.changed


@pytest.mark.parametrize('bad, option, words', [
    ({'mode': 'doubt'}, 'mode', 'must be one of'),
    ({'mode': 'Enforce'}, 'mode', 'must be one of'),
    ({'max_age': 31557601}, 'max_age', 'from 0 to 31557600'),
    ({'max_age': -1}, 'max_age', 'from 0 to 31557600'),
    ({'max_age': 'soon'}, 'max_age', 'int'),
    ({'mx': []}, 'mx', 'at least one'),
    ({'mx': [], 'mode': 'testing'}, 'mx', 'at least one'),
    ({'mx': ['mail.example.com\nmode: none']}, 'mx', '["*."] Domain'),
    ({'mx': ['mail.example.com\r\nmax_age: 1']}, 'mx', '["*."] Domain'),
    ({'mx': ['mail.example.com: injected']}, 'mx', '["*."] Domain'),
    ({'mx': ['mail.*.example.com']}, 'mx', "'*'"),
    ({'mx': ['mail.example.com.']}, 'mx', 'trailing'),
    ({'mx': ['m\u00fcnchen.example']}, 'mx', 'A-labels'),
])
def test_bad_input_fails_naming_the_option_and_changes_nothing(policy_path, bad, option, words):
    policy_path.write_bytes(CANONICAL)
    os.utime(str(policy_path), (1000000000, 1000000000))
    run = run_module('mta_sts_policy', args(policy_path, **bad))
    assert run.failed
    assert option in run.msg
    assert words in run.msg
    assert policy_path.read_bytes() == CANONICAL
    assert os.stat(str(policy_path)).st_mtime == 1000000000
    assert sorted(os.listdir(str(policy_path.parent))) == ['mta-sts.txt']


@pytest.mark.parametrize('missing', ['mode', 'mx'])
def test_required_when_present(policy_path, missing):
    values = args(policy_path)
    del values[missing]
    run = run_module('mta_sts_policy', values)
    assert run.failed
    assert missing in run.msg
    assert not policy_path.exists()


def test_missing_folder_and_directory_path_fail_clearly(tmp_path):
    run = run_module('mta_sts_policy', args(tmp_path / 'nowhere' / 'mta-sts.txt'))
    assert run.failed
    assert run.msg.startswith('path: the folder')
    run = run_module('mta_sts_policy', args(tmp_path))
    assert run.failed
    assert 'is a directory' in run.msg


# -- many policies in one call

def many(tmp_path, count):
    return [{'path': str(tmp_path / ('d%d.example' % index) / '.well-known' / 'mta-sts.txt'),
             'mode': 'testing', 'mx': ['mx%d.example.net' % index], 'max_age': 86400 + index} for index in range(count)]


def test_policies_in_one_call_create_then_rest(tmp_path):
    policies = many(tmp_path, 5)
    first = run_module('mta_sts_policy', {'policies': policies, 'create_dirs': True}, diff=True)
    assert not first.failed, first.msg
    assert first.changed
    assert [entry['changed'] for entry in first.result['policies']] == [True] * 5
    assert len(first.result['diff']) == 5
    for index, entry in enumerate(first.result['policies']):
        with open(policies[index]['path'], 'rb') as handle:
            assert handle.read().decode() == entry['policy']
        assert entry['policy'].endswith('max_age: %d\r\n' % (86400 + index))
    ids = [entry['policy_id'] for entry in first.result['policies']]
    assert len(set(ids)) == 5

    policies[2]['mode'] = 'enforce'
    second = run_module('mta_sts_policy', {'policies': policies, 'create_dirs': True}, diff=True)
    assert [entry['changed'] for entry in second.result['policies']] == [False, False, True, False, False]
    assert [diff['after_header'] for diff in second.result['diff']] == [policies[2]['path']]
    third = run_module('mta_sts_policy', {'policies': policies})
    assert not third.changed
    assert [entry['policy_id'] for entry in third.result['policies']][:2] == ids[:2]


def test_policies_check_mode_creates_nothing(tmp_path):
    run = run_module('mta_sts_policy', {'policies': many(tmp_path, 3), 'create_dirs': True}, check=True)
    assert run.changed
    assert not list(tmp_path.glob('d*'))


@pytest.mark.parametrize('change, words', [
    ({'mx': ['bad..name']}, 'policies[1].mx entry'),
    ({'mode': 'doubt'}, 'value of mode must be one of: enforce, testing, none, got: doubt found in policies'),
    ({'max_age': 31557601}, 'policies[1].max_age must be'),
    ({'path': 'SAME'}, 'policies[1].path'),
])
def test_one_bad_entry_changes_nothing(tmp_path, change, words):
    policies = many(tmp_path, 3)
    if change.get('path') == 'SAME':
        change = {'path': policies[0]['path']}
    policies[1].update(change)
    run = run_module('mta_sts_policy', {'policies': policies, 'create_dirs': True})
    assert run.failed
    assert words in run.msg
    assert not list(tmp_path.glob('d*'))


def test_path_and_policies_are_exclusive(tmp_path):
    run = run_module('mta_sts_policy', {'path': str(tmp_path / 'x'), 'policies': many(tmp_path, 1)})
    assert run.failed
    assert 'mutually exclusive' in run.msg


def _tree(folder):
    """Every entry below ``folder`` with its lstat mode and content (links as their target), to compare."""
    found = {}
    for top, dirs, files in os.walk(str(folder)):
        for name in dirs + files:
            full = os.path.join(top, name)
            info = os.lstat(full)
            content = os.readlink(full) if stat.S_ISLNK(info.st_mode) else (
                open(full, 'rb').read() if stat.S_ISREG(info.st_mode) else None)
            found[full] = (info.st_mode, content)
    return found


@pytest.mark.parametrize('kind', ['symlink', 'fifo', 'dangling symlink'])
def test_finding6_a_non_regular_file_at_the_policy_path_is_refused_not_followed(policy_path, tmp_path, kind):
    # Issue 21, finding 6: a link at the policy path printed its target (a 0600 file) as the --check --diff
    # "before", gave the new file the target's mode, and backup: true copied the target into the web root.
    target = tmp_path / 'secret.key'
    target.write_bytes(b'PRIVATE KEY MATERIAL\n')
    target.chmod(0o600)
    if kind == 'symlink':
        policy_path.symlink_to(target)
    elif kind == 'dangling symlink':
        policy_path.symlink_to(tmp_path / 'nowhere')
    else:
        os.mkfifo(str(policy_path))
    www = tmp_path / 'www'  # (the runner writes its playbooks into tmp_path itself)
    before = _tree(www), target.read_bytes(), os.stat(str(target)).st_mode
    # Through ansible-playbook: what --check --diff prints is Ansible's output, which the finding is about.
    # The three in one playbook (each step's failure is registered and the play goes on): one ansible-playbook
    # start instead of three.
    results, proc = run_steps(tmp_path, [
        ('mailsec.mta_sts.mta_sts_policy', args(policy_path), {'check_mode': True, 'diff': True}),
        ('mailsec.mta_sts.mta_sts_policy', args(policy_path, backup=True), {'diff': True}),
        ('mailsec.mta_sts.mta_sts_policy', args(policy_path, state='absent'), {'diff': True})])
    assert len(results) == 3
    for run in map(ModuleOutcome, results):
        assert run.failed
        assert run.msg.startswith('path: %s is a %s' % (policy_path, 'fifo' if kind == 'fifo' else 'symbolic link'))
        assert 'nothing was changed' in run.msg
        assert 'PRIVATE KEY' not in str(run.result)
    assert 'PRIVATE KEY' not in proc.stdout + proc.stderr
    # No backup, no new file, the link and its target as they were.
    assert (_tree(www), target.read_bytes(), os.stat(str(target)).st_mode) == before
