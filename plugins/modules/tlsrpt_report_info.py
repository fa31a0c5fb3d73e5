#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: tlsrpt_report_info
short_description: Read SMTP TLS reports (RFC 8460) and tell whether a domain is ready for MTA-STS enforce
version_added: 0.1.0
description:
  - Reads the daily TLS reports that senders mail or post to the C(rua) of a C(_smtp._tls) record, as JSON files,
    gzip files (C(application/tlsrpt+gzip)), e-mail messages (C(.eml) files, a Maildir, an mbox file, or the
    mailbox itself over IMAP, O(imap)) carrying them as attachments, and returns each report normalized, the files that are not valid reports with the reason,
    and a summary per policy domain that says whether the domain is ready to switch its policy to V(enforce).
  - Reads what real senders send - missing or null C(contact-info), C(mx-host) as a string or a list, no
    C(policy-domain) for C(no-policy-found), date-times without a time zone (taken as UTC), unknown fields - and is
    strict about the structure RFC 8460 section 4 requires (C(organization-name), C(date-range) with
    C(start-datetime) and C(end-datetime), C(report-id), a C(policies) list whose entries have C(policy.policy-type)
    and C(summary) counts); a report missing any of these is rejected with one reason per problem.
  - Input is bounded. A file or message larger than O(max_size) is not read, and gzip data is inflated in steps
    and refused as soon as it passes O(max_uncompressed_size), so a gzip bomb costs a fraction of a second and
    about O(max_uncompressed_size) of memory. JSON with more than a million values is refused before it is built.
    Time is bounded as well as bytes (well under a second per MiB for the worst inputs tried, see
    C(tests/bench/report_worst)); gzip data with more than 64 members, and a message with more than 200 MIME parts or
    20 report attachments, are refused.
  - Symbolic links are not followed, and only regular files are read (a link, fifo or device in a reports folder
    is reported as an input that could not be read). Run the module as a user that may read the reports, not as
    root, since anyone who can mail the address behind O(path) chooses what it holds.
  - The same report delivered twice (the same C(organization-name) and C(report-id); the same content when the
    C(report-id) is empty) is counted once.
  - When a policy entry has no C(policy-domain), the domain is taken from the report's other entries, else from the
    file name (RFC 8460 section 5.1, C(sender!policy-domain!begin!end.json.gz)) or the mail subject
    (C(Report Domain:) ...); failing all of them it is counted under C((unknown)).
  - The rule for the C(ready_for_enforce) flag of each domain in RV(summary) - it is V(true) only when both hold
    over all the reports read for the domain. First, at least one session was reported under an C(sts) policy
    whose C(policy-string) gives the C(mode) as C(testing). Second, no session failed in a way that enforce would
    turn into a bounce, which counts, under C(sts) policies, every failed session except the DANE result types
    C(tlsa-invalid), C(dnssec-invalid) and C(dane-required), failed sessions the report counts but does not detail
    included; and, under C(no-policy-found) (senders that had not seen the policy yet) and unknown policy types,
    the failures C(starttls-not-supported), C(certificate-host-mismatch), C(certificate-expired),
    C(certificate-not-trusted), C(validation-failure), C(sts-policy-fetch-error), C(sts-policy-invalid) and
    C(sts-webpki-invalid). Failures under C(tlsa) policies never count, because a sender using DANE does not apply
    MTA-STS (RFC 8461 section 2).
  - The C(sts-policy-*) and C(sts-webpki-invalid) failures do not bounce mail by themselves (a sender without a
    policy delivers anyway), but they mean senders cannot load the policy, so the switch would not reach them;
    they are counted to be on the safe side.
  - A domain whose reports show only C(enforce) sessions is not V(ready_for_enforce), there being no testing period
    to judge; its C(reason) says so.
  - B(Only reports you can trust should decide anything.) Anyone can mail the C(rua) address, so RFC 8460 section 3
    requires mailed reports to be DKIM-signed. With O(require_dkim) a mailed report counts only when one of its DKIM
    signatures verifies (keys looked up through O(nameservers)) and the signing domain (C(d=)) is related - the
    same domain, a parent or a subdomain - to every sender domain the message names - the C(TLS-Report-Submitter)
    header (else the From domain), the From domain, and the report's C(contact-info) when it names a domain
    (C(organization-name) is free text and not compared). Every other report is I(discarded) with one reason,
    V(no-signature), V(bad-signature) (wrong key, no key in DNS, signed headers changed), V(body-changed) (the body
    hash no longer matches), V(unrelated-signer) (a valid signature of some other domain) or V(not-a-report) (a
    message that carries no TLS report); RV(discarded) lists them and RV(summary) counts them per domain.
  - Files and folders (O(path), O(maildir), O(mbox)) have no transport to vouch for them. Under O(require_dkim) the
    messages in them are checked like mail from O(imap), and bare report files (JSON, gzip) are discarded as
    V(no-signature), unless O(trust_files) says you trust how they got there.
  - A DNS failure while looking up a DKIM key fails the module (the report is neither trusted nor thrown away on a
    guess).
author:
  - mailsec.mta_sts contributors (@mailsec)
extends_documentation_fragment:
  - mailsec.mta_sts.attributes
  - mailsec.mta_sts.attributes.INFO_MODULE
options:
  imap:
    description:
      - Read the reports from this IMAP mailbox (the one the C(rua) address delivers to), beside or instead of the
        file sources. Python's C(imaplib); the server name is resolved through O(nameservers) and the connection
        goes to that address while the certificate is checked for the name.
      - Bounded - at most O(imap.max_messages) messages (the oldest) per run, none larger than
        O(imap.max_message_bytes) (its size is asked with C(RFC822.SIZE) first; a larger one is never downloaded,
        and is left where it is), and the whole session within O(imap.timeout).
      - Nothing in the mailbox changes by default (the folder is opened read-only and messages are fetched with
        C(BODY.PEEK[]), so not even the Seen flag). With O(imap.read_only=false), once B(every) message of the run was
        read and judged, the messages whose reports counted move to O(imap.processed_folder) and the others (not a
        report, discarded, invalid) to O(imap.other_folder), one C(MOVE) command per folder (C(COPY) and expunge
        where the server lacks C(MOVE)); a folder missing is created. A session that breaks before that moves
        nothing. In check mode nothing moves, and RV(imap.moved) says what would.
      - The same report delivered twice is counted once (by C(organization-name) and C(report-id)), so reading a
        folder again and again (O(imap.read_only=true)) gives the same summary.
    type: dict
    version_added: 0.3.0
    suboptions:
      server:
        description: The IMAP server's name (the name its certificate holds) or address.
        type: str
        required: true
      port:
        description: The port; by default 993 with O(imap.security=tls) and 143 with O(imap.security=starttls).
        type: int
      security:
        description: V(tls) - TLS from the first byte (IMAPS); V(starttls) - plain IMAP upgraded with C(STARTTLS)
          before the login. Either way the certificate is checked, and there is no unencrypted choice.
        type: str
        choices: [tls, starttls]
        default: tls
      ca_path:
        description: A PEM bundle of the root certificates to trust for the server; by default the system store.
        type: path
      user:
        description: The login name.
        type: str
        required: true
      password:
        description: The password. One of O(imap.password) and O(imap.password_file) is required.
        type: str
      password_file:
        description: A file holding the password (one line; a trailing line break is not part of it), read on the host
          the module runs on.
        type: path
      folder:
        description: The folder to read.
        type: str
        default: INBOX
      processed_folder:
        description: With O(imap.read_only=false), where the messages whose reports counted go.
        type: str
      other_folder:
        description: With O(imap.read_only=false), where every other message read goes (not a report, discarded,
          invalid); messages too large to read stay in O(imap.folder).
        type: str
      read_only:
        description: Change nothing in the mailbox. V(false) needs O(imap.processed_folder) or O(imap.other_folder).
        type: bool
        default: true
      max_messages:
        description: The most messages read per run, oldest first; the rest wait for the next run (with a warning).
        type: int
        default: 500
      max_message_bytes:
        description: The largest message fetched, in bytes.
        type: int
        default: 10485760
      timeout:
        description: The deadline of the whole IMAP session, in seconds.
        type: float
        default: 60
  require_dkim:
    description:
      - Count a report only when it came by mail with a valid DKIM signature of a domain related to its sender (see
        the description); the others are listed in RV(discarded).
      - By default V(true) when O(imap) is given and V(false) otherwise. The role's V(auto) mode always sets it.
    type: bool
    version_added: 0.3.0
  trust_files:
    description:
      - With O(require_dkim), count the reports from O(path), O(maildir) and O(mbox) without a signature check - you
        vouch for how they got there. Mail from O(imap) is checked regardless.
    type: bool
    default: false
    version_added: 0.3.0
  nameservers:
    description:
      - IP addresses of the DNS servers to ask for the DKIM keys and the O(imap.server) name; by default the system
        resolver.
    type: list
    elements: str
    version_added: 0.3.0
  dns_port:
    description: The port of the DNS servers.
    type: int
    default: 53
    version_added: 0.3.0
  timeout:
    description: The total deadline, in seconds, of one DNS lookup (the IMAP session has O(imap.timeout)).
    type: float
    default: 10
    version_added: 0.3.0
  path:
    description:
      - Report files, folders and glob patterns (C(*), C(?), C([...]); C(**) matches folders at any depth).
      - A folder is read for its C(.json), C(.gz) and C(.eml) files (hidden files skipped). A file named directly
        or matched by a pattern is read whatever its name; its content decides whether it is JSON, gzip or an
        e-mail message.
      - A path that does not exist fails the module; a pattern that matches nothing is only a warning.
    type: list
    elements: path
  maildir:
    description:
      - Maildir folders whose messages (in C(new/) and C(cur/)) carry TLS reports. Nothing is moved or marked read.
      - Every message is searched for report attachments, by media type (C(application/tlsrpt+gzip),
        C(application/tlsrpt+json), C(application/gzip), C(application/json)) or by a C(.json), C(.json.gz) or C(.gz)
        file name, not only messages of type C(multipart/report; report-type="tlsrpt").
    type: list
    elements: path
  mbox:
    description:
      - mbox files whose messages carry TLS reports, read as a stream (mboxo or mboxrd quoting). Nothing is changed.
    type: list
    elements: path
  recurse:
    description:
      - Read the folders given in O(path) with their subfolders.
    type: bool
    default: false
  domain:
    description:
      - Only these policy domains. Policies for other domains are left out of RV(reports) and RV(summary), and a
        report left with no policy is counted in RV(excluded.other_domains).
      - Compared without case and without a trailing dot.
    type: list
    elements: str
  since:
    description:
      - Only reports whose C(end-datetime) is at or after this moment.
      - A date (V(2026-05-01)), an RFC 3339 date-time (V(2026-05-01T00:00:00Z); no zone means UTC), or an age
        counted back from now, a number and a unit C(s), C(m), C(h), C(d) or C(w) (V(30d), V(2w)).
    type: str
  max_size:
    description:
      - The largest file or mail message read, in bytes; larger ones are rejected without being read.
    type: int
    default: 10485760
  max_uncompressed_size:
    description:
      - The most bytes one report may inflate to (or be, uncompressed); larger ones are rejected.
    type: int
    default: 52428800
  return_reports:
    description:
      - Return every normalized report in RV(reports). Set to V(false) for large mailboxes when only
        RV(summary) is wanted.
    type: bool
    default: true
  metrics_path:
    description:
      - Also write the summary of the domains in O(domain) as Prometheus metrics (text format, ended by C(# EOF)) to
        this file, for node_exporter's textfile collector; the name must end in C(.prom) and O(domain) is required (a
        report names whatever domain its sender writes; only your list keeps the metrics bounded).
      - Written atomically (temporary file in the same folder, then a rename) on every run, not in check mode; the
        only thing this module writes. C(changed) is V(true) when the file's content changed.
      - Per domain that has reports C(mailsec_mta_sts_tlsrpt_reports_total),
        C(mailsec_mta_sts_tlsrpt_newest_report_timestamp_seconds), C(mailsec_mta_sts_tlsrpt_successful_sessions_total),
        C(mailsec_mta_sts_tlsrpt_failed_sessions_total) and
        C(mailsec_mta_sts_tlsrpt_failed_sessions_by_result_type_total{result_type}) (a result type RFC 8460 does not
        define counts as V(other)). The counts cover the reports read, so keep the reports (or O(since) wide enough)
        for them to only grow.
    type: path
    version_added: 0.2.0
notes:
  - Reads on the host the task runs on; delegate to the host holding the reports or the mailbox.
  - With O(metrics_path) the module writes that one file (see there), and with O(imap.read_only=false) it moves
    messages in the mailbox; otherwise it changes nothing.
  - O(require_dkim) and O(imap) need the Python library C(dkimpy) (and C(dnspython)) where the module runs.
  - Sessions are summed as the reports state them; reports from different senders about the same day are
    different sessions, not repeats.
seealso:
  - module: mailsec.mta_sts.tlsrpt_record
  - module: mailsec.mta_sts.mta_sts_policy
  - module: mailsec.mta_sts.mta_sts_verify
  - name: RFC 8460, SMTP TLS Reporting, section 3
    description: Reports sent by mail must be DKIM-signed; the receiver may discard the others.
    link: https://www.rfc-editor.org/rfc/rfc8460#section-3
  - name: RFC 8460, SMTP TLS Reporting
    description: Section 4 defines the report format, section 5 its delivery.
    link: https://www.rfc-editor.org/rfc/rfc8460#section-4
'''

EXAMPLES = r'''
- name: Read the rua mailbox over IMAP; only DKIM-verified reports count
  mailsec.mta_sts.tlsrpt_report_info:
    imap:
      server: imap.example.com
      user: tlsrpt@example.com
      password_file: /etc/mailsec/tlsrpt-imap.password
    domain: example.com
    return_reports: false
  register: tlsrpt_imap

- name: Say how many reports were discarded and why
  ansible.builtin.debug:
    msg: "{{ tlsrpt_imap.summary['example.com'].discarded_reasons | default({}) }}"

- name: Read the mailbox over STARTTLS and move what was read into two folders
  mailsec.mta_sts.tlsrpt_report_info:
    imap:
      server: mail.example.org
      security: starttls
      user: tlsrpt
      password: "{{ vault_tlsrpt_imap_password }}"
      read_only: false
      processed_folder: TLSRPT/counted
      other_folder: TLSRPT/not-counted
      max_messages: 200

- name: Summarize the reports of the last 30 days
  mailsec.mta_sts.tlsrpt_report_info:
    path: /srv/tlsrpt/incoming
    since: 30d
    return_reports: false
  register: tlsrpt

- name: Show whether each domain may switch to enforce
  ansible.builtin.debug:
    msg: "{{ item.key }}: {{ 'ready' if item.value.ready_for_enforce else 'not ready' }} - {{ item.value.reason }}"
  loop: "{{ tlsrpt.summary | dict2items }}"
  loop_control:
    label: "{{ item.key }}"

- name: Read the reports mailed to a local mailbox, for one domain
  mailsec.mta_sts.tlsrpt_report_info:
    maildir: /home/tlsrpt/Maildir
    domain: example.com
  register: tlsrpt_mail

- name: Switch to enforce only when the reports are clean
  mailsec.mta_sts.mta_sts_policy:
    path: /var/www/mta-sts/example.com/.well-known/mta-sts.txt
    mode: enforce
    mx: [mail.example.com]
  when: tlsrpt_mail.summary['example.com'].ready_for_enforce | default(false)

- name: Read gzip reports from several folders and an mbox file
  mailsec.mta_sts.tlsrpt_report_info:
    path:
      - /srv/tlsrpt/2026-*/*.json.gz
      - /srv/tlsrpt/manual
    mbox: /var/mail/tlsrpt

- name: Write the report counts of two domains for Prometheus (node_exporter's textfile collector)
  mailsec.mta_sts.tlsrpt_report_info:
    path: /srv/tlsrpt/incoming
    domain: [example.com, example.org]
    return_reports: false
    metrics_path: /var/lib/prometheus/node-exporter/mailsec_mta_sts_tlsrpt.prom
'''

RETURN = r'''
reports:
  description:
    - Every report read, once each, in the order the sources were read (files sorted by name), normalized.
    - Left out when O(return_reports=false).
  returned: when O(return_reports=true)
  type: list
  elements: dict
  contains:
    source:
      description: Where the report came from - the file, C(<mbox>#<message number>), or C(<message>#<attachment>)
        when one message carries several reports.
      type: str
      sample: /srv/tlsrpt/google.com!example.com!1777593600!1777679999!001.json.gz
    organization_name:
      description: The sender's C(organization-name).
      type: str
      sample: Google Inc.
    contact_info:
      description: The sender's C(contact-info); V(null) when missing or not a string.
      type: str
      sample: smtp-tls-reporting@google.com
    report_id:
      description: The C(report-id); may be empty (some senders send V("")).
      type: str
      sample: 2026-05-01T00:00:00Z_example.com
    start:
      description: C(date-range.start-datetime) in UTC, ISO 8601 with a C(Z), whole seconds.
      type: str
      sample: "2026-05-01T00:00:00Z"
    end:
      description: C(date-range.end-datetime) in UTC, ISO 8601 with a C(Z), whole seconds.
      type: str
      sample: "2026-05-01T23:59:59Z"
    policies:
      description: One entry per element of the report's C(policies).
      type: list
      elements: dict
      contains:
        policy_type:
          description: C(policy.policy-type), lower case - V(sts), V(tlsa), V(no-policy-found) (or what the sender wrote).
          type: str
          sample: sts
        policy_domain:
          description: C(policy.policy-domain), lower case, or the domain found as described above; V(null) if none.
          type: str
          sample: example.com
        policy_string:
          description: C(policy.policy-string) as a list of lines (a single string becomes a list of one).
          type: list
          elements: str
          sample: ["version: STSv1", "mode: testing", "mx: mail.example.com", "max_age: 86400"]
        mode:
          description: For C(sts) policies, the C(mode) in C(policy_string); V(null) when absent or not C(sts).
          type: str
          sample: testing
        mx_host:
          description: C(policy.mx-host) as a list (a single string becomes a list of one).
          type: list
          elements: str
          sample: [mail.example.com]
        total_successful_session_count:
          description: C(summary.total-successful-session-count); V(0) when absent.
          type: int
          sample: 1289
        total_failure_session_count:
          description: C(summary.total-failure-session-count); V(0) when absent.
          type: int
          sample: 0
        failure_details:
          description:
            - The valid entries of C(failure-details); an entry without C(result-type) or a count is left out
              (with a finding).
          type: list
          elements: dict
          contains:
            result_type:
              description: C(result-type), lower case.
              type: str
              sample: certificate-expired
            failed_session_count:
              description: C(failed-session-count).
              type: int
              sample: 100
            sending_mta_ip:
              description: C(sending-mta-ip), or V(null).
              type: str
              sample: 2001:db8:abcd:12::1
            receiving_mx_hostname:
              description: C(receiving-mx-hostname), lower case, no trailing dot, or V(null).
              type: str
              sample: mx1.mail.company-y.example
            receiving_mx_helo:
              description: C(receiving-mx-helo), or V(null).
              type: str
              sample: mx1.mail.company-y.example
            receiving_ip:
              description: C(receiving-ip), or V(null).
              type: str
              sample: 203.0.113.56
            additional_information:
              description: C(additional-information), or V(null).
              type: str
              sample: https://reports.company-x.example/report_info?id=5065427c-23d3
            failure_reason_code:
              description: C(failure-reason-code) (or C(failure-error-code), as in the RFC's example), or V(null).
              type: str
              sample: X509_V_ERR_PROOF_OF_POSSESSION_MISMATCH
    findings:
      description: The warnings about this report (it was still used), for example a date-time without a zone.
      type: list
      elements: dict
      contains:
        severity:
          description: Always V(warning) here (a report with an error is in RV(rejected)).
          type: str
          sample: warning
        rule:
          description: The field or rule concerned.
          type: str
          sample: datetime-zone
        msg:
          description: One sentence.
          type: str
          sample: date-range.start-datetime 2026-05-02T00:00:00 has no time zone; taken as UTC
rejected:
  description: Every file, message or attachment that is not a usable report, with the reason.
  returned: always
  type: list
  elements: dict
  contains:
    source:
      description: As in RV(reports[].source).
      type: str
      sample: /srv/tlsrpt/truncated.json.gz
    reason:
      description: What is wrong, one clause per problem, separated by C(; ).
      type: str
      sample: gzip data is truncated (member 1 has no end)
  sample:
    - source: /srv/tlsrpt/truncated.json.gz
      reason: gzip data is truncated (member 1 has no end)
discarded:
  description:
    - The reports not counted because O(require_dkim) found no trustworthy signature, once each, with the reason.
  returned: always
  type: list
  elements: dict
  contains:
    source:
      description: As in RV(reports[].source); an IMAP message is C(imap://<user>@<server>/<folder>;UID=<uid>).
      type: str
      sample: imap://tlsrpt@imap.example.com/INBOX;UID=42
    reason:
      description: V(no-signature), V(bad-signature), V(body-changed) or V(unrelated-signer).
      type: str
      sample: unrelated-signer
    detail:
      description: One sentence saying what was found.
      type: str
      sample: valid signature, but mailer.example is not related to the from domain google.com, submitter domain
        google.com, contact-info domain google.com
    signers:
      description: The C(d=) domains of the message's DKIM signatures.
      type: list
      elements: str
      sample: [mailer.example]
    organization_name:
      description: The report's C(organization-name).
      type: str
      sample: Google Inc.
    report_id:
      description: The report's C(report-id).
      type: str
      sample: 2026-05-01T00:00:00Z_example.com
    policy_domains:
      description: The policy domains the report is about.
      type: list
      elements: str
      sample: [example.com]
dkim_counts:
  description:
    - With O(require_dkim), how many inputs got each verdict, V(accepted) or a reason of RV(discarded[].reason) or
      V(not-a-report); counted per report read (before duplicates are dropped), and per message for mail without a
      report. Empty without O(require_dkim).
  returned: always
  type: dict
  sample: {"accepted": 12, "no-signature": 1, "not-a-report": 2}
require_dkim:
  description: The effective O(require_dkim).
  returned: always
  type: bool
  sample: true
imap:
  description: What was read from the mailbox, and moved.
  returned: when O(imap) is given
  type: dict
  contains:
    read:
      description: Messages fetched and read.
      type: int
      sample: 14
    skipped_too_large:
      description: Messages larger than O(imap.max_message_bytes), not fetched (each also in RV(rejected)).
      type: int
      sample: 0
    left_for_next_run:
      description: Messages past O(imap.max_messages), not looked at this run.
      type: int
      sample: 0
    moved:
      description: Messages moved, per folder (empty when nothing moved); in check mode, what would move.
      type: dict
      sample: {"TLSRPT/counted": 12, "TLSRPT/not-counted": 2}
excluded:
  description: Reports read but not counted.
  returned: always
  type: dict
  contains:
    duplicates:
      description: Repeated deliveries of a report already counted.
      type: int
      sample: 1
    other_domains:
      description: Reports with no policy for a domain in O(domain).
      type: int
      sample: 0
    before_since:
      description: Reports that ended before O(since).
      type: int
      sample: 0
summary:
  description:
    - Keyed by policy domain (lower case; C((unknown)) when no domain could be found), over all the reports counted;
      each value holds the keys below.
  returned: always
  type: dict
  contains:
    total_successful_session_count:
      description: Successful sessions, all policy types.
      type: int
      sample: 1758
    total_failure_session_count:
      description: Failed sessions, all policy types.
      type: int
      sample: 2
    failures_by_result_type:
      description: Failed sessions per C(result-type), from C(failure-details).
      type: dict
      sample: {"tlsa-invalid": 2}
    failures_by_receiving_mx:
      description: Failed sessions per receiving MX host name (the receiving IP when the report names no host),
        from C(failure-details).
      type: dict
      sample: {"mail.example.com": 2}
    organizations:
      description: The reporting organizations, sorted.
      type: list
      elements: str
      sample: [Google Inc., Mail Provider B.V., Microsoft Corporation]
    report_count:
      description: The number of reports counted for the domain.
      type: int
      sample: 3
    start:
      description: The earliest C(start) of those reports.
      type: str
      sample: "2026-05-01T00:00:00Z"
    end:
      description: The latest C(end) of those reports.
      type: str
      sample: "2026-05-03T21:59:59Z"
    policy_types:
      description: Sessions (successful and failed) per C(policy-type).
      type: dict
      sample: {"sts": 1758, "tlsa": 22}
    sts_modes:
      description: Sessions under C(sts) policies per policy mode (V(unknown) when the report has no C(policy-string)).
      type: dict
      sample: {"testing": 1758}
    days:
      description:
        - Per day (the C(YYYY-MM-DD) of a report's C(start)), the sessions under C(sts) policies in mode V(testing)
          (C(sts_testing)) and V(enforce) (C(sts_enforce)), and the failed sessions that enforce would turn into
          bounces (C(blocking)). The role decides the mode of its V(auto) domains from it.
      type: dict
      sample: {"2026-05-01": {"sts_testing": 1200, "sts_enforce": 0, "blocking": 0}}
    blocking_failure_session_count:
      description: The failed sessions that keep the domain from enforce, by the rule in the description.
      type: int
      sample: 0
    ready_for_enforce:
      description: Whether the reports show the domain can switch its policy to V(enforce), by the rule in the
        description.
      type: bool
      sample: true
    accepted_count:
      description: The reports counted for the domain (the same as RV(summary.report_count)).
      type: int
      sample: 3
      version_added: 0.3.0
    discarded_count:
      description: The reports for the domain that O(require_dkim) discarded (see RV(discarded)). A domain with
        discarded reports only has an entry too, with no sessions and not ready.
      type: int
      sample: 0
      version_added: 0.3.0
    discarded_reasons:
      description: The discarded reports per reason.
      type: dict
      sample: {"no-signature": 2}
      version_added: 0.3.0
    reason:
      description: One sentence saying why.
      type: str
      sample: 1758 sessions from 3 organizations between 2026-05-01 and 2026-05-03 were made under the testing
        policy and none failed in a way that enforce would turn into a bounce.
  sample:
    example.com:
      total_successful_session_count: 1778
      total_failure_session_count: 2
      failures_by_result_type: {"tlsa-invalid": 2}
      failures_by_receiving_mx: {"mail.example.com": 2}
      organizations: [Google Inc., Mail Provider B.V., Microsoft Corporation]
      report_count: 3
      start: "2026-05-01T00:00:00Z"
      end: "2026-05-03T21:59:59Z"
      policy_types: {"sts": 1758, "tlsa": 22}
      sts_modes: {"testing": 1758}
      blocking_failure_session_count: 0
      ready_for_enforce: true
      reason: 1758 sessions from 3 organizations between 2026-05-01 and 2026-05-03 were made under the testing
        policy and none failed in a way that enforce would turn into a bounce.
invalid_options:
  description: The options whose values broke a rule, when the module failed on bad input.
  returned: failure on bad input
  type: list
  elements: str
  sample: [since]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import tlsrpt_report_info as backend
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import run


def main():
    module = AnsibleModule(argument_spec=backend.argument_spec(), **backend.MODULE_KWARGS)
    run(module, backend)


if __name__ == '__main__':
    main()
