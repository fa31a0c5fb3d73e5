# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS report samples written for the tests, shaped like what real senders mail (RFC 8460 section 4).

Used by test_report.py, the module tests and tests/bench/reports. Binary forms (gzip, e-mail, the
gzip bomb) are built at run time, never stored.
"""

import copy
import gzip
import json
import os
import struct
import zlib
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

# RFC 8460 section 4.4, as printed (mx-host a string, three failure kinds).
RFC8460 = {
    "organization-name": "Company-X",
    "date-range": {
        "start-datetime": "2016-04-01T00:00:00Z",
        "end-datetime": "2016-04-01T23:59:59Z",
    },
    "contact-info": "sts-reporting@company-x.example",
    "report-id": "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
    "policies": [{
        "policy": {
            "policy-type": "sts",
            "policy-string": ["version: STSv1", "mode: testing", "mx: *.mail.company-y.example", "max_age: 86400"],
            "policy-domain": "company-y.example",
            "mx-host": "*.mail.company-y.example",
        },
        "summary": {
            "total-successful-session-count": 5326,
            "total-failure-session-count": 303,
        },
        "failure-details": [{
            "result-type": "certificate-expired",
            "sending-mta-ip": "2001:db8:abcd:0012::1",
            "receiving-mx-hostname": "mx1.mail.company-y.example",
            "failed-session-count": 100,
        }, {
            "result-type": "starttls-not-supported",
            "sending-mta-ip": "2001:db8:abcd:0013::1",
            "receiving-mx-hostname": "mx2.mail.company-y.example",
            "receiving-ip": "203.0.113.56",
            "failed-session-count": 200,
            "additional-information": "https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported",
        }, {
            "result-type": "validation-failure",
            "sending-mta-ip": "198.51.100.62",
            "receiving-ip": "203.0.113.58",
            "receiving-mx-hostname": "mx-backup.mail.company-y.example",
            "failed-session-count": 3,
            "failure-error-code": "X509_V_ERR_PROOF_OF_POSSESSION_MISMATCH",
        }],
    }],
}

# The report quoted in the README's source article: empty contact-info and report-id, no
# policy-domain, no failure count. The file name (RFC 8460 5.1) names the domain.
GOOGLE_NO_POLICY = {
    "organization-name": "Google Inc.",
    "date-range": {"start-datetime": "2019-04-12T00:00:00Z", "end-datetime": "2019-04-12T23:59:59Z"},
    "contact-info": "",
    "report-id": "",
    "policies": [{"policy": {"policy-type": "no-policy-found"}, "summary": {"total-successful-session-count": 1}}],
}
GOOGLE_NO_POLICY_NAME = 'google.com!example.org!1555027200!1555113599.json'

# Google today: mx-host a list, report-id "<start>_<domain>", both counts.
GOOGLE_STS = {
    "organization-name": "Google Inc.",
    "date-range": {"start-datetime": "2026-05-01T00:00:00Z", "end-datetime": "2026-05-01T23:59:59Z"},
    "contact-info": "smtp-tls-reporting@google.com",
    "report-id": "2026-05-01T00:00:00Z_example.com",
    "policies": [{
        "policy": {
            "policy-type": "sts",
            "policy-string": ["version: STSv1", "mode: testing", "mx: mail.example.com", "mx: *.mx.example.net",
                              "max_age: 86400"],
            "policy-domain": "example.com",
            "mx-host": ["mail.example.com", "*.mx.example.net"],
        },
        "summary": {"total-successful-session-count": 1289, "total-failure-session-count": 0},
    }],
}
GOOGLE_STS_NAME = 'google.com!example.com!1777593600!1777679999!001.json.gz'

# Microsoft style: date-times without a zone, contact-info null, an extra field, the policy-string
# with a trailing space, mx-host a list.
MICROSOFT_STS = {
    "organization-name": "Microsoft Corporation",
    "date-range": {"start-datetime": "2026-05-02T00:00:00", "end-datetime": "2026-05-02T23:59:59"},
    "contact-info": None,
    "report-id": "134219232000000000+example.com",
    "x-microsoft-tenant": "ignored",
    "policies": [{
        "policy": {
            "policy-type": "sts",
            "policy-string": ["version: STSv1", "mode: testing ", "mx: mail.example.com", "mx: *.mx.example.net",
                              "max_age: 86400"],
            "policy-domain": "example.com",
            "mx-host": ["mail.example.com", "*.mx.example.net"],
        },
        "summary": {"total-successful-session-count": 412, "total-failure-session-count": 0},
    }],
}
MICROSOFT_STS_NAME = 'microsoft.com!example.com!1777680000!1777766399.json.gz'

# A mailed report for example.com with one DANE failure (not a reason to hold back enforce).
MAILED = {
    "organization-name": "Mail Provider B.V.",
    "date-range": {"start-datetime": "2026-05-03T00:00:00+02:00", "end-datetime": "2026-05-03T23:59:59+02:00"},
    "report-id": "<20260503.example.com@tlsrpt.provider.example>",
    "policies": [{
        "policy": {"policy-type": "sts",
                   "policy-string": ["version: STSv1", "mode: testing", "mx: mail.example.com", "max_age: 86400"],
                   "policy-domain": "example.com", "mx-host": "mail.example.com"},
        "summary": {"total-successful-session-count": 57, "total-failure-session-count": 0},
    }, {
        "policy": {"policy-type": "tlsa", "policy-string": ["3 1 1 0123456789ABCDEF"],
                   "policy-domain": "example.com", "mx-host": "mail.example.com"},
        "summary": {"total-successful-session-count": 20, "total-failure-session-count": 2},
        "failure-details": [{"result-type": "tlsa-invalid", "receiving-mx-hostname": "mail.example.com.",
                             "failed-session-count": 2}],
    }],
}
MAILED_NAME = 'provider.example!example.com!1777759200!1777845599!x1.json.gz'

BROKEN = {
    'not-json.json': b'this is not a report\n',
    'array.json': b'[{"organization-name": "X"}]',
    'no-organization.json': json.dumps(dict((k, v) for k, v in RFC8460.items() if k != 'organization-name')).encode(),
    'bad-date.json': json.dumps(dict(RFC8460, **{
        'date-range': {'start-datetime': 'yesterday', 'end-datetime': '2016-04-01T23:59:59Z'}})).encode(),
    'no-policies.json': json.dumps(dict(RFC8460, policies={'policy': {}})).encode(),
    'negative-count.json': json.dumps(dict(RFC8460, policies=[{
        'policy': {'policy-type': 'sts', 'policy-domain': 'company-y.example'},
        'summary': {'total-successful-session-count': -1, 'total-failure-session-count': 0}}])).encode(),
    'truncated.json.gz': gzip.compress(json.dumps(RFC8460).encode())[:-12],
}


def report(base, **changes):
    """A deep copy of ``base`` with top-level keys replaced (``report_id='x'`` sets ``report-id``)."""
    value = copy.deepcopy(base)
    for key, item in changes.items():
        value[key.replace('_', '-')] = item
    return value


def dumps(value):
    return json.dumps(value, separators=(',', ':')).encode('utf-8')


def gz(value, mtime=0):
    return gzip.compress(value if isinstance(value, bytes) else dumps(value), mtime=mtime)


def email_report(value, filename, domain='example.com', submitter='provider.example', gzipped=True,
                 media_type=None):
    """An RFC 8460 5.3 message: multipart/report; report-type="tlsrpt", with the report attached."""
    message = MIMEMultipart('report', report_type='tlsrpt')
    message['Subject'] = 'Report Domain: %s Submitter: %s Report-ID: <%s>' % (domain, submitter, value.get('report-id'))
    message['From'] = 'tlsrpt-noreply@%s' % submitter
    message['To'] = 'tlsrpt@%s' % domain
    message['TLS-Report-Domain'] = domain
    message['TLS-Report-Submitter'] = submitter
    message.attach(MIMEText('This is an aggregate TLS report from %s.\n' % submitter))
    body = gz(value) if gzipped else dumps(value)
    subtype = media_type or ('tlsrpt+gzip' if gzipped else 'tlsrpt+json')
    attachment = MIMEApplication(body, subtype)
    attachment.add_header('Content-Disposition', 'attachment', filename=filename)
    message.attach(attachment)
    return message.as_bytes()


def write_sample_dir(folder):
    """Write a realistic report folder (3 domains, one duplicate, broken files) into ``folder``; return it.

    example.com: ready (testing, Google + Microsoft + a mailed report, the Google one delivered twice);
    company-y.example: the RFC 8460 example, 303 failures; example.org: no policy yet.
    """
    os.makedirs(folder, exist_ok=True)

    def put(name, data):
        with open(os.path.join(folder, name), 'wb') as handle:
            handle.write(data)

    put('company-x.example!company-y.example!1459468800!1459555199.json', json.dumps(RFC8460, indent=2).encode())
    put(GOOGLE_NO_POLICY_NAME, dumps(GOOGLE_NO_POLICY))
    put(GOOGLE_STS_NAME, gz(GOOGLE_STS))
    put('copy-of-' + GOOGLE_STS_NAME, gz(GOOGLE_STS, mtime=1))
    put(MICROSOFT_STS_NAME, gz(MICROSOFT_STS))
    put('provider-example-20260503.eml', email_report(MAILED, MAILED_NAME))
    put('truncated.json.gz', BROKEN['truncated.json.gz'])
    put('no-organization.json', BROKEN['no-organization.json'])
    put('README.txt', b'not a report, and not read: a folder is read for .json, .gz and .eml files\n')
    return folder


def write_mbox(path, messages):
    """An mbox file (mboxrd quoting) holding ``messages`` (bytes each)."""
    with open(path, 'wb') as handle:
        for number, message in enumerate(messages):
            handle.write(b'From tlsrpt@provider.example Sat May  2 00:00:%02d 2026\n' % (number % 60))
            lines = message.replace(b'\r\n', b'\n').split(b'\n')
            if lines[-1] == b'':
                lines.pop()
            for line in lines:
                if line.lstrip(b'>').startswith(b'From '):
                    line = b'>' + line
                handle.write(line + b'\n')
            handle.write(b'\n')


def write_maildir(folder, messages):
    """A Maildir (cur/new/tmp) with ``messages`` delivered to new/."""
    for sub in ('cur', 'new', 'tmp'):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    for number, message in enumerate(messages):
        with open(os.path.join(folder, 'new', '1777700000.M%dP1.lab' % number), 'wb') as handle:
            handle.write(message)


def gzip_bomb(size=1 << 30, block=1 << 20):
    """A valid single-member gzip stream of ``size`` zero bytes (about 1 KiB per MiB), built in well
    under a second: after a full flush deflate restarts, so every further block compresses to the
    same bytes, and only the CRC is computed over the whole length."""
    zeros = bytes(block)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    head = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush(zlib.Z_FINISH)[:-8]
    blocks = size // block
    crc = 0
    for dummy in range(blocks):
        crc = zlib.crc32(zeros, crc)
    return head + repeat * (blocks - 1) + end + struct.pack('<II', crc & 0xffffffff, size & 0xffffffff)


if __name__ == '__main__':
    import sys
    if len(sys.argv) != 2:
        sys.exit('usage: %s FOLDER   (writes the sample TLS report folder the tests use)' % sys.argv[0])
    print(write_sample_dir(sys.argv[1]))


def daily_reports(domain, days, mode='testing', sessions=10, failures=None, today=None,
                  organization='Google Inc.'):
    """``[(file name, gzip bytes)]``: one report per day for the ``days`` days before ``today`` (UTC),
    as a sender mails them daily, each with ``sessions`` sessions under an ``sts`` policy in ``mode``.

    ``failures`` maps a number of days ago (1 = yesterday) to ``(result_type, count)``: that day's
    report also has those failed sessions.
    """
    import datetime
    today = today or datetime.datetime.now(datetime.timezone.utc).date()
    reports = []
    for ago in range(1, days + 1):
        day = today - datetime.timedelta(days=ago)
        start = datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)
        failed = (failures or {}).get(ago)
        policy = {
            'policy': {'policy-type': 'sts', 'policy-domain': domain, 'mx-host': ['mx1.%s' % domain],
                       'policy-string': ['version: STSv1', 'mode: %s' % mode, 'mx: mx1.%s' % domain,
                                         'max_age: 86400']},
            'summary': {'total-successful-session-count': sessions,
                        'total-failure-session-count': failed[1] if failed else 0},
        }
        if failed:
            policy['failure-details'] = [{'result-type': failed[0], 'receiving-mx-hostname': 'mx1.%s' % domain,
                                          'failed-session-count': failed[1]}]
        value = {
            'organization-name': organization,
            'date-range': {'start-datetime': start.strftime('%Y-%m-%dT00:00:00Z'),
                           'end-datetime': start.strftime('%Y-%m-%dT23:59:59Z')},
            'contact-info': 'smtp-tls-reporting@%s' % organization.split()[0].lower() + '.example',
            'report-id': '%s_%s' % (start.strftime('%Y-%m-%dT00:00:00Z'), domain),
            'policies': [policy],
        }
        stamp = int((start - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds())
        name = '%s!%s!%d!%d.json.gz' % (organization.split()[0].lower() + '.example', domain, stamp, stamp + 86399)
        reports.append((name, gz(value)))
    return reports


def write_daily_reports(folder, domain, days, **kwargs):
    """Write ``daily_reports(domain, days, **kwargs)`` into ``folder``; return the folder."""
    os.makedirs(folder, exist_ok=True)
    for name, data in daily_reports(domain, days, **kwargs):
        with open(os.path.join(folder, name), 'wb') as handle:
            handle.write(data)
    return folder


# The shapes Google and Microsoft mail their reports in (as received in 2026): who signs, From,
# contact-info, report-id and the attachment's name. ``sender_domain`` stands for google.com /
# microsoft.com (the lab uses google.mailsec.test and microsoft.mailsec.test, whose DKIM keys it publishes).
MAIL_SHAPES = {
    'google': {'organization': 'Google Inc.', 'from': 'noreply-smtp-tls-reporting@%s',
               'contact': 'smtp-tls-reporting@%s', 'zone_suffix': 'Z', 'name_tail': '!001'},
    'microsoft': {'organization': 'Microsoft Corporation', 'from': 'tlsrpt-noreply@%s', 'contact': None,
                  'zone_suffix': '', 'name_tail': ''},
}


def mailed_daily_report(shape, sender_domain, domain, day, sessions=10, mode='testing'):
    """``(message bytes, report dict)``: one day's report for ``domain`` as ``shape`` ('google' or
    'microsoft') mails it from ``sender_domain``: multipart/report with the gzip attachment, unsigned."""
    import datetime
    style = MAIL_SHAPES[shape]
    start = datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)
    stamp = int(start.timestamp())
    value = {
        'organization-name': style['organization'],
        'date-range': {'start-datetime': start.strftime('%Y-%m-%dT00:00:00') + style['zone_suffix'],
                       'end-datetime': start.strftime('%Y-%m-%dT23:59:59') + style['zone_suffix']},
        'contact-info': style['contact'] % sender_domain if style['contact'] else None,
        'report-id': ('%s_%s' % (start.strftime('%Y-%m-%dT00:00:00Z'), domain) if shape == 'google'
                      else '%d+%s' % (stamp * 10000000 + 116444736000000000, domain)),
        'policies': [{
            'policy': {'policy-type': 'sts', 'policy-domain': domain, 'mx-host': ['mx1.%s' % domain],
                       'policy-string': ['version: STSv1', 'mode: %s' % mode, 'mx: mx1.%s' % domain,
                                         'max_age: 86400']},
            'summary': {'total-successful-session-count': sessions, 'total-failure-session-count': 0},
        }],
    }
    name = '%s!%s!%d!%d%s.json.gz' % (sender_domain, domain, stamp, stamp + 86399, style['name_tail'])
    message = MIMEMultipart('report', report_type='tlsrpt')
    message['From'] = style['from'] % sender_domain
    message['To'] = 'tlsrpt@%s' % domain
    message['Subject'] = 'Report Domain: %s Submitter: %s Report-ID: <%s>' % (domain, sender_domain, value['report-id'])
    message['Date'] = start.strftime('%a, %d %b %Y 06:00:00 +0000')
    message['Message-ID'] = '<%d.%s@%s>' % (stamp, domain, sender_domain)
    message['TLS-Report-Domain'] = domain
    message['TLS-Report-Submitter'] = sender_domain
    message.attach(MIMEText('This is an aggregate TLS report from %s.\n' % sender_domain))
    attachment = MIMEApplication(gz(value), 'tlsrpt+gzip')
    attachment.add_header('Content-Disposition', 'attachment', filename=name)
    message.attach(attachment)
    return message.as_bytes(), value
