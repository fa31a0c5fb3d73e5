# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mta_sts_certificate_info run in-process (mailsec_testing.modules) on certificate files."""

import datetime

import trustme

from mailsec_testing.modules import run_module

MODULE = 'mta_sts_certificate_info'


def write(folder, name, days, names=None, key_of=None):
    """Write folder/name.crt (full chain) and name.key; returns the entry for the module."""
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = trustme.CA().issue_cert(*(names or ['mta-sts.%s' % name]), not_before=now - datetime.timedelta(days=1),
                                   not_after=now + datetime.timedelta(days=days, hours=1))
    crt, key = folder / (name + '.crt'), folder / (name + '.key')
    crt.write_bytes(b''.join(blob.bytes() for blob in cert.cert_chain_pems))
    key.write_bytes((key_of or cert).private_key_pem.bytes())
    return {'domain': name, 'path': str(crt), 'key_path': str(key)}, cert


def test_many_certificates_in_one_call(tmp_path):
    fine, dummy = write(tmp_path, 'fine.example', 80)
    due, dummy = write(tmp_path, 'due.example', 10)
    wrong_name, dummy = write(tmp_path, 'name.example', 80, names=['mta-sts.other.example'])
    dummy, stranger = write(tmp_path, 'stranger.example', 80)
    mismatch, dummy = write(tmp_path, 'mismatch.example', 80, key_of=stranger)
    missing = {'domain': 'missing.example', 'path': str(tmp_path / 'none.crt'), 'key_path': str(tmp_path / 'none.key')}
    broken = {'domain': 'broken.example', 'path': str(tmp_path / 'broken.crt')}
    (tmp_path / 'broken.crt').write_text('not a certificate\n')
    run = run_module(MODULE, {'certificates': [fine, due, wrong_name, mismatch, missing, broken],
                              'remaining_days': 30})
    assert not run.failed, run.msg
    assert not run.changed
    by_domain = dict((item['domain'], item) for item in run.result['certificates'])
    assert [item['reason'] for item in run.result['certificates']] == [
        None, 'expiring', 'name', 'key_mismatch', 'missing', 'unreadable']
    assert run.result['needs_issue'] == ['due.example', 'name.example', 'mismatch.example', 'missing.example',
                                         'broken.example']
    # A web server can load every readable certificate whose key belongs to it, in date or not.
    assert run.result['usable'] == ['fine.example', 'due.example', 'name.example']
    assert by_domain['fine.example']['days_left'] == 80
    assert by_domain['fine.example']['names'] == ['mta-sts.fine.example']
    assert by_domain['missing.example']['exists'] is False
    assert by_domain['missing.example']['key_exists'] is False
    assert by_domain['broken.example']['key_exists'] is None
    assert '5 of 6 certificate(s) need issuing' in run.msg
    assert 'mta-sts.due.example: the certificate expires on' in run.msg


def test_issued_by_another_directory(tmp_path):
    entry, dummy = write(tmp_path, 'example.com', 80)
    entry['issued_by_path'] = str(tmp_path / 'acme-directory')
    args = {'certificates': [entry], 'issued_by': 'https://acme-v02.example/directory'}
    (tmp_path / 'acme-directory').write_text('https://acme-staging.example/directory\n')
    run = run_module(MODULE, args, check=True)
    assert run.result['certificates'][0]['reason'] == 'issuer'
    (tmp_path / 'acme-directory').write_text('https://acme-v02.example/directory\n')
    run = run_module(MODULE, args)
    assert run.result['needs_issue'] == []
    assert run.msg == '1 certificate(s), each valid for at least 30 more days'


def test_bad_input_names_the_option(tmp_path):
    run = run_module(MODULE, {'certificates': [{'domain': 'bad domain', 'path': str(tmp_path / 'x')}],
                              'remaining_days': -1})
    assert run.failed
    assert sorted(run.result['invalid_options']) == ['certificates', 'remaining_days']
    assert 'remaining_days must be 0 or more' in run.msg
    assert "certificates[0].domain 'bad domain'" in run.msg


def test_check_mode_reads_the_same_and_writes_nothing(tmp_path):
    entry, dummy = write(tmp_path, 'example.com', 10)
    before = sorted((path.name, path.read_bytes()) for path in tmp_path.iterdir())
    normal = run_module(MODULE, {'certificates': [entry]})
    checked = run_module(MODULE, {'certificates': [entry]}, check=True, diff=True)
    assert not checked.failed and not checked.changed
    assert checked.result == normal.result  # no diff either: it only reads
    assert checked.result['needs_issue'] == ['example.com']
    assert sorted((path.name, path.read_bytes()) for path in tmp_path.iterdir()) == before
