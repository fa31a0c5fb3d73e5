# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Report reading bounded in CPU as in bytes, and never through a symbolic link (issue 21, findings 1 and 8).

The numbers behind the limits: tests/bench/report_worst.
"""

import gzip
import json
import os
import time

import pytest

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import report_decode, report_parse
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import tlsrpt_report_info as _module

REPORT = json.dumps({'organization-name': 'x', 'date-range': {}, 'report-id': 'r', 'policies': []}).encode()


def test_members_are_joined_and_nul_padding_is_allowed():
    data = gzip.compress(REPORT[:10], mtime=0) + gzip.compress(REPORT[10:], mtime=0) + b'\0' * 100
    assert report_decode.gunzip(data) == REPORT


def test_a_large_member_after_a_small_one_is_read_whole():
    big = os.urandom(3 * 1024 * 1024)
    assert report_decode.gunzip(gzip.compress(b'a') + gzip.compress(big)) == b'a' + big


@pytest.mark.parametrize('data, message', [
    (gzip.compress(REPORT, mtime=0)[:-5], 'gzip data is truncated'),
    (gzip.compress(REPORT, mtime=0) + b'garbage', 'unexpected data after the gzip stream'),
    (gzip.compress(REPORT, mtime=0) + b'\0\0x', 'unexpected data after the gzip stream'),
])
def test_bad_gzip_is_refused(data, message):
    with pytest.raises(report_decode.ReportError, match=message):
        report_decode.gunzip(data)


def test_finding1_the_member_count_is_capped():
    member = gzip.compress(b'', mtime=0)
    assert report_decode.gunzip(member * report_decode.MAX_GZIP_MEMBERS) == b''
    with pytest.raises(report_decode.ReportError, match='more than %d members' % report_decode.MAX_GZIP_MEMBERS):
        report_decode.gunzip(member * (report_decode.MAX_GZIP_MEMBERS + 1))


def test_finding1_ten_megabytes_of_empty_members_cost_well_under_a_second():
    # Issue 21: 5 min 10 s before; the cap stops it at member 65.
    data = gzip.compress(b'', mtime=0) * (10 * 1024 * 1024 // 20)
    start = time.perf_counter()
    [outcome] = report_parse.parse_bytes(data, 'r.json.gz')
    assert time.perf_counter() - start < 1.0
    assert 'more than 64 members' in outcome['findings'][0].msg


def test_the_walk_is_linear_without_the_cap():
    # Twice the members take about twice the time, not four times (the old copy of the rest per member).
    member = gzip.compress(b'', mtime=0)

    def cost(count):
        data = member * count
        start = time.perf_counter()
        report_decode.gunzip(data, max_members=10 ** 9)
        return time.perf_counter() - start
    small, large = min(cost(20000) for dummy in range(3)), min(cost(80000) for dummy in range(3))
    assert large < small * 8, (small, large)  # quadratic would be about 16 times


def test_many_mime_parts_are_refused_before_parsing():
    part = b'--b\r\nContent-Type: application/json\r\n\r\n{}\r\n'
    mail = b'Subject: x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n' + part * 5000 + b'--b--\r\n'
    start = time.perf_counter()
    [outcome] = report_parse.parse_email(mail, 'm.eml')
    assert time.perf_counter() - start < 0.5
    assert 'more than 200 MIME parts' in outcome['findings'][0].msg


def test_too_many_report_attachments_are_refused():
    part = b'--b\r\nContent-Type: application/json\r\n\r\n' + REPORT + b'\r\n'
    mail = b'Subject: x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n' + part * 21 + b'--b--\r\n'
    [outcome] = report_parse.parse_email(mail, 'm.eml')
    assert 'more than 20 TLS report attachments' in outcome['findings'][0].msg


def test_finding8_a_symbolic_link_in_a_reports_folder_is_not_followed(tmp_path):
    secret = tmp_path / 'shadow'
    secret.write_bytes(REPORT)
    secret.chmod(0o600)
    folder = tmp_path / 'reports'
    folder.mkdir()
    (folder / 'a!example.com!1!2.json').symlink_to(secret)
    os.mkfifo(str(folder / 'b!example.com!1!2.json'))
    files, dummy = _module.expand_paths([str(folder)])
    assert sorted(os.path.basename(name) for name in files) == ['a!example.com!1!2.json', 'b!example.com!1!2.json']
    outcomes, dummy = _module.collect({'path': [str(folder)], 'recurse': False, 'maildir': None, 'mbox': None,
                                       'max_size': 1024 * 1024, 'max_uncompressed_size': 1024 * 1024})
    messages = sorted(outcome['findings'][0].msg for outcome in outcomes)
    assert messages == ['is a symbolic link; links in a reports folder are not followed', 'not a regular file']
    assert all(outcome['report'] is None for outcome in outcomes)
