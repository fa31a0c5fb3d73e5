#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: mta_sts_verify
short_description: Check a live MTA-STS (RFC 8461) and TLSRPT (RFC 8460) deployment the way a sender does
version_added: 0.1.0
description:
  - Looks at a mail domain the way a compliant sending MTA does and reports every check, not only the first failure.
  - The C(_mta-sts) TXT record (exactly one valid C(v=STSv1) record, CNAME followed, strings joined).
  - The policy fetch from C(https://mta-sts.<domain>/.well-known/mta-sts.txt), connected by IP address with SNI and a
    certificate check for that name; status 200 only, redirects never followed, media type C(text/plain), at most
    64 KiB read, and one total deadline (O(timeout)) for connect, handshake, headers and body, so a server that drips
    a byte a second cannot hold the check.
  - The policy is fetched from every A and AAAA address of C(mta-sts.<domain>), side by side within the same deadline
    and worker pool; an address that fails, or addresses that serve different policies, are an error naming the
    addresses (a sender caches whatever the address it reaches serves). RV(policy_addresses) lists each address.
  - The policy grammar, with the same parser as M(mailsec.mta_sts.mta_sts_policy).
  - Each MX host, through the same resolver; its name must match a policy C(mx) pattern; on O(smtp_port) it must
    offer STARTTLS, negotiate TLS 1.2 or newer and present a certificate that chains to a trusted root, is in date
    (a warning under 14 days before expiry) and names the MX host. MX hosts and their addresses are probed
    concurrently, so five slow MX hosts take about as long as one.
  - The C(_smtp._tls) TLSRPT record.
  - In policy mode V(testing) (or V(none)), MX, STARTTLS and certificate findings that would block delivery under
    V(enforce) are reported as warnings that say so.
  - Never changes anything on the domain. With O(metrics_path) it writes its results as Prometheus metrics for
    node_exporter's textfile collector (the only change it makes; not in check mode).
author:
  - mailsec.mta_sts contributors (@mailsec)
extends_documentation_fragment:
  - mailsec.mta_sts.attributes
  - mailsec.mta_sts.attributes.INFO_MODULE
  - mailsec.mta_sts.attributes.RESOLVE_GROUP
options:
  domain:
    description:
      - The mail domain (the part after C(@)), in A-label form.
      - Exactly one of O(domain) and O(domains) is required.
    type: str
  domains:
    description:
      - Many domains in one call, verified concurrently (at most O(workers) at a time), each with its own O(expect).
        A web host serving thousands of domains needs one task, not one per domain.
      - The other options apply to every domain; O(expect) is the default for entries without their own.
      - MX hosts shared by several domains are resolved and probed once per call.
    type: list
    elements: dict
    suboptions:
      domain:
        description: The mail domain, in A-label form.
        type: str
        required: true
      expect:
        description: Values this domain must have, as for the top-level O(expect).
        type: dict
        suboptions:
          id:
            description: The id in the C(_mta-sts) record.
            type: str
          mode:
            description: The policy mode.
            type: str
            choices: [enforce, testing, none]
          mx:
            description: The policy mx patterns (compared as a set, ignoring case).
            type: list
            elements: str
          max_age:
            description: The policy max_age, in seconds.
            type: int
          rua:
            description: The TLSRPT report URIs (compared as a set).
            type: list
            elements: str
      policy:
        description: A candidate policy for this domain, as for the top-level O(policy) (pre-flight).
        type: dict
        suboptions:
          mode:
            description: The policy mode.
            type: str
            required: true
            choices: [enforce, testing, none]
          mx:
            description: The mx patterns.
            type: list
            elements: str
            default: []
          max_age:
            description: The max_age, in seconds.
            type: int
            required: true
  workers:
    description:
      - With O(domains), how many domains are verified at the same time (1 to 64). Network probes of all domains
        share one bounded pool, so the number of open connections stays bounded too.
      - From 200 domains on, the domains are also split across processes, one per CPU the module may run on (at most
        8, and at least 100 domains each), each with O(workers) and its own pool of probes; verification is
        CPU-bound in Python. Results keep the order of O(domains).
    type: int
    default: 4
  nameservers:
    description:
      - IP addresses of the DNS servers to ask for every name (C(_mta-sts), C(mta-sts.<domain>), MX hosts and their
        addresses, C(_smtp._tls)), so a lab or a zone that is not public yet can be checked.
      - By default the system resolver is used.
    type: list
    elements: str
  dns_port:
    description: The port of the DNS servers.
    type: int
    default: 53
  ca_path:
    description:
      - A PEM bundle of the root certificates to trust, for the policy host and the MX hosts.
      - By default the system trust store is used.
    type: path
  timeout:
    description:
      - The total deadline, in seconds, of each network operation (one DNS lookup, one HTTPS fetch, one SMTP
        exchange with one MX address), not a per-read timeout.
    type: float
    default: 10
  smtp_port:
    description: The port on which MX hosts are checked for STARTTLS.
    type: int
    default: 25
  checks:
    description:
      - Which checks to report. V(record) is the C(_mta-sts) TXT; V(policy) the fetch and the policy grammar; V(mx)
        the MX RRset and each host against the policy patterns; V(starttls) STARTTLS, TLS version and certificate
        of each MX address; V(tlsrpt) the C(_smtp._tls) TXT.
      - What a selected check depends on is still looked up (for example the policy for V(mx)), but only reported
        through the selected checks.
    type: list
    elements: str
    choices: [record, policy, mx, starttls, tlsrpt]
    default: [record, policy, mx, starttls, tlsrpt]
  expect:
    description:
      - Values the live domain must have; each one set is compared and a difference is an error
        (check name V(expect)). Used by the role after publishing.
    type: dict
    suboptions:
      id:
        description: The id in the C(_mta-sts) record.
        type: str
      mode:
        description: The policy mode.
        type: str
        choices: [enforce, testing, none]
      mx:
        description: The policy mx patterns (compared as a set, ignoring case).
        type: list
        elements: str
      max_age:
        description: The policy max_age, in seconds.
        type: int
      rua:
        description: The TLSRPT report URIs (compared as a set).
        type: list
        elements: str
  policy:
    description:
      - Pre-flight. A candidate policy to check instead of the served one, before it is served or its id published -
        the MX set (through O(nameservers)), every MX host against the candidate's mx patterns and, with V(starttls)
        in O(checks), STARTTLS and the certificate of every MX address.
      - In candidate mode V(testing) (or V(none)) the findings that would block delivery under V(enforce) are
        warnings, as for a served policy. An MX set that cannot be resolved is an error in every mode.
      - The served policy (with V(policy) in O(checks)) and the published id (with V(record)) are only observed and
        returned in RV(served), never graded. An MX host that the served policy matches and the candidate does not is
        an error whose message gives the safe order of an MX change.
      - With V(record) in O(checks), the served policy is fetched only when a C(_mta-sts) record is published (or its
        lookup fails), as a sender fetches a policy only for a record it sees; before a first deployment nothing is
        served to senders, and no connection is made.
      - The C(tlsrpt) check is not made in pre-flight.
    type: dict
    suboptions:
      mode:
        description: The policy mode.
        type: str
        required: true
        choices: [enforce, testing, none]
      mx:
        description: The mx patterns.
        type: list
        elements: str
        default: []
      max_age:
        description: The max_age, in seconds.
        type: int
        required: true
  fail_on:
    description:
      - V(error) fails the task when any check is an error; V(warning) when any is an error or a warning;
        V(never) only reports (use RV(passed)).
    type: str
    choices: [error, warning, never]
    default: error
  metrics_path:
    description:
      - Also write the results as Prometheus metrics (text format, ended by C(# EOF)) to this file, for
        node_exporter's textfile collector (C(--collector.textfile.directory)); the name must end in C(.prom).
      - Written atomically (a temporary file in the same folder, then a rename), so the collector never reads half a
        file; rewritten on every run even when nothing changed, so its modification time
        (C(node_textfile_mtime_seconds)) says when the state was last confirmed. A new file gets the mode the umask
        allows (usually C(0644)); an existing file keeps its mode and owner. The folder must exist.
      - Written also when checks fail (that is what the metrics are for), not in check mode.
      - Per domain C(mailsec_mta_sts_verify_passed), C(mailsec_mta_sts_check_passed{check}),
        C(mailsec_mta_sts_policy_info{mode}), C(mailsec_mta_sts_policy_max_age_seconds),
        C(mailsec_mta_sts_policy_addresses_consistent), C(mailsec_mta_sts_policy_id_matches),
        C(mailsec_mta_sts_policy_certificate_expiry_timestamp_seconds{address}) and
        C(mailsec_mta_sts_mx_certificate_expiry_timestamp_seconds{mx_host,address}); the README of the collection
        lists them with samples, C(extensions/prometheus/) has alert rules and a Grafana dashboard on them.
      - C(changed) is V(true) when the file's content changed.
    type: path
  deny_networks:
    description:
      - Address ranges (V(10.0.0.0/8), V(fc00::/7), single addresses) the module never connects to, checked before
        any connection for every address of C(mta-sts.<domain>) and of every MX host. V(non-global) stands for every
        address that is not globally reachable (loopback, private, link-local, shared, reserved).
      - The DNS of a domain you do not control can point anywhere, your own network included; when you verify such
        domains, set V([non-global]) (or the ranges of your own networks).
      - By default nothing is refused, because your own domains (and the collection's lab) may well live at
        private or loopback addresses; the role's pre-flight and verify use that default.
      - A refused address is an error naming the address and the range (the domain is not verified there), and is
        never connected to.
    type: list
    elements: str
    default: []
    version_added: 0.2.0
  max_addresses_per_host:
    description:
      - At most this many addresses of one host name (C(mta-sts.<domain>), each MX host) are connected to, from 1 to
        1024; the first address past the limit is reported as an error that says how many were left out.
    type: int
    default: 16
    version_added: 0.2.0
requirements:
  - dnspython >= 2.2
notes:
  - Every host name is resolved through O(nameservers) and connected by address, with SNI and certificate checks
    for the name, exactly as a sender that trusts O(ca_path) would.
seealso:
  - module: mailsec.mta_sts.mta_sts_policy
  - name: RFC 8461, SMTP MTA Strict Transport Security
    description: Sections 3 (policy discovery and fetch) and 4 (MX and certificate validation).
    link: https://www.rfc-editor.org/rfc/rfc8461
  - name: RFC 8460, SMTP TLS Reporting
    description: Section 3 defines the C(_smtp._tls) record.
    link: https://www.rfc-editor.org/rfc/rfc8460#section-3
'''

EXAMPLES = r'''
- name: Check example.com as a sender on the internet would
  mailsec.mta_sts.mta_sts_verify:
    domain: example.com
  register: mta_sts

- name: Check a zone that is not public yet, against a private CA, without failing the play
  mailsec.mta_sts.mta_sts_verify:
    domain: example.com
    nameservers: [192.0.2.53]
    ca_path: /etc/ssl/private-ca.pem
    timeout: 5
    fail_on: never
  register: mta_sts

- name: Show what is wrong
  ansible.builtin.debug:
    msg: "{{ mta_sts.checks | selectattr('status', 'ne', 'ok') | map(attribute='msg') | list }}"

- name: Check many domains in one task, each against what was published for it
  mailsec.mta_sts.mta_sts_verify:
    domains:
      - domain: example.com
        expect: {mode: enforce}
      - domain: example.org
        expect: {mode: testing}
    workers: 8
    fail_on: never
  register: fleet

- name: List the domains that fail
  ansible.builtin.debug:
    msg: "{{ fleet.results | rejectattr('passed') | map(attribute='domain') | list }}"

- name: Pre-flight - would this policy bounce mail? Checked before anything is served
  mailsec.mta_sts.mta_sts_verify:
    domain: example.com
    policy:
      mode: enforce
      mx: [mail.example.com]
      max_age: 604800
    checks: [record, policy, mx, starttls]
    fail_on: never
  register: preflight

- name: Every 15 minutes from cron or a timer - write the state of many domains for Prometheus
  mailsec.mta_sts.mta_sts_verify:
    domains: [{domain: example.com}, {domain: example.org}]
    metrics_path: /var/lib/prometheus/node-exporter/mailsec_mta_sts_verify.prom
    fail_on: never

- name: After publishing, insist that the live state is what was published
  mailsec.mta_sts.mta_sts_verify:
    domain: example.com
    expect:
      id: "{{ policy.policy_id }}"
      mode: enforce
      mx: [mail.example.com]
      max_age: 604800
      rua: ["mailto:tlsrpt@example.com"]
'''

RETURN = r'''
domain:
  description: The domain checked, in lower case.
  returned: with O(domain)
  type: str
  sample: example.com
passed:
  description:
    - Whether no check is an error (warnings alone still pass); with O(domains), whether that holds for every domain.
  returned: always
  type: bool
  sample: true
checks:
  description:
    - Every check made, in order, one entry per finding (an MX host with two addresses has two
      V(starttls) entries).
  returned: with O(domain)
  type: list
  elements: dict
  contains:
    name:
      description:
        - A stable identifier of the check.
        - V(dns) a lookup failed (timeout, SERVFAIL, REFUSED); V(record) the C(_mta-sts) TXT record;
          V(policy_fetch) the HTTPS fetch of the policy; V(policy) the policy grammar; V(mx) the MX RRset;
          V(mx_match) an MX host against the policy mx patterns; V(starttls) STARTTLS and the TLS version on an
          MX address; V(certificate) the certificate of an MX address; V(tlsrpt) the C(_smtp._tls) TXT record;
          V(expect) the live state against O(expect).
      type: str
      returned: always
      sample: policy_fetch
    status:
      description: V(ok), V(warning) or V(error).
      type: str
      returned: always
      sample: error
    msg:
      description: What was seen and what the RFC wants.
      type: str
      returned: always
      sample: policy served as text/html; RFC 8461 3.3 wants text/plain (at https://mta-sts.example.com/.well-known/mta-sts.txt (192.0.2.80))
    host:
      description: The host the check is about (C(mta-sts.<domain>) or an MX host).
      type: str
      returned: when the check is about one host
      sample: mail.example.com
record:
  description: The C(_mta-sts) record as a sender reads it.
  returned: with O(domain)
  type: dict
  contains:
    id:
      description: The policy id; V(null) when there is no valid record.
      type: str
      returned: always
      sample: 20261128T120000
policy:
  description: The fetched policy as a sender parses it; fields that are missing or invalid are V(null).
  returned: with O(domain)
  type: dict
  contains:
    version:
      description: V(STSv1).
      type: str
      returned: always
      sample: STSv1
    mode:
      description: V(enforce), V(testing) or V(none).
      type: str
      returned: always
      sample: enforce
    max_age:
      description: Seconds senders may cache the policy.
      type: int
      returned: always
      sample: 604800
    mx:
      description: The valid mx patterns, in file order.
      type: list
      elements: str
      returned: always
      sample: [mail.example.com]
tlsrpt:
  description: The C(_smtp._tls) record as a sender reads it.
  returned: with O(domain)
  type: dict
  contains:
    rua:
      description: The report URIs; V(null) when there is no valid record.
      type: list
      elements: str
      returned: always
      sample: ["mailto:tlsrpt@example.com"]
policy_addresses:
  description:
    - The policy fetch from each A and AAAA address of C(mta-sts.<domain>), IPv4 then IPv6, each in numeric order;
      RV(policy) is what the first address that served one serves.
  returned: with O(domain)
  type: list
  elements: dict
  contains:
    address:
      description: The address the policy was fetched from.
      type: str
      returned: always
      sample: 192.0.2.80
    served:
      description: Whether it served a policy a sender would take (status 200, text/plain, within 64 KiB).
      type: bool
      returned: always
      sample: true
    error:
      description: Why it did not, else V(null).
      type: str
      returned: always
      sample: null
    policy:
      description: The policy it serves (C(mode), C(max_age), C(mx)); V(null) when none was served or it does not parse.
      type: dict
      returned: always
      sample: {mode: enforce, max_age: 604800, mx: [mail.example.com]}
    sha256:
      description: The SHA-256 of the served bytes (hex); V(null) when none was served.
      type: str
      returned: always
      sample: 9f2c...
    cert_not_after:
      description: The end of the validity of the certificate this address showed, in UTC (ISO 8601); V(null) when no
        TLS session was made.
      type: str
      returned: always
      sample: "2027-02-26T12:00:00Z"
      version_added: 0.2.0
policy_addresses_agree:
  description:
    - Whether every address of C(mta-sts.<domain>) served a policy and all the same one (as senders parse it);
      V(null) when no address was tried.
  returned: with O(domain)
  type: bool
  sample: true
  version_added: 0.2.0
policy_id:
  description:
    - The id this collection derives from the served policy (as M(mailsec.mta_sts.mta_sts_policy) returns it);
      V(null) without a valid served policy.
  returned: with O(domain)
  type: str
  sample: 9f2c0a61d3b24e8c8b1d0f4a5e6c7b8a
  version_added: 0.2.0
id_matches_policy:
  description:
    - Whether the published C(_mta-sts) id is RV(policy_id). V(false) means the policy changed without a new id (or
      the id is not one this collection made); V(null) when the record or a valid policy is missing.
  returned: with O(domain)
  type: bool
  sample: true
  version_added: 0.2.0
mx_hosts:
  description: The MX hosts in preference order, with what was found on each.
  returned: with O(domain)
  type: list
  elements: dict
  contains:
    name:
      description: The MX host name.
      type: str
      returned: always
      sample: mail.example.com
    preference:
      description: The MX preference.
      type: int
      returned: always
      sample: 10
    addresses:
      description: Its IPv4 and IPv6 addresses, through O(nameservers).
      type: list
      elements: str
      returned: always
      sample: [192.0.2.25]
    matches_policy:
      description: Whether a policy mx pattern matches it; V(null) when there is no valid policy.
      type: bool
      returned: always
      sample: true
    starttls:
      description: Whether every address offered STARTTLS; V(null) when not checked or no address answered EHLO.
      type: bool
      returned: always
      sample: true
    tls_version:
      description: The TLS version negotiated, as Python names it.
      type: str
      returned: always
      sample: TLSv1.3
    cert_not_after:
      description: The end of the certificate's validity, in UTC (ISO 8601).
      type: str
      returned: always
      sample: "2027-02-26T12:00:00Z"
    certificates:
      description: The certificate end of validity seen at each address that completed a TLS handshake.
      type: list
      elements: dict
      returned: always
      sample: [{address: 192.0.2.25, cert_not_after: "2027-02-26T12:00:00Z"}]
      version_added: 0.2.0
    error:
      description: What went wrong on this host (all addresses), or V(null).
      type: str
      returned: always
      sample: null
preflight:
  description: V(true) when a candidate O(policy) was checked; RV(policy) is then that candidate.
  returned: with O(policy)
  type: bool
  sample: true
served:
  description: With a candidate O(policy), what senders see now (observed, not graded).
  returned: with O(policy)
  type: dict
  contains:
    id:
      description: The id of the C(_mta-sts) record now published; V(null) when there is none or V(record) was not checked.
      type: str
      returned: always
      sample: 9f2c0a61d3b24e8c8b1d0f4a5e6c7b8a
    policy:
      description:
        - The policy served now (C(mode), C(max_age), C(mx)); V(null) when none could be fetched or parsed, or when
          no C(_mta-sts) record is published (with V(record) in O(checks); then it is not fetched).
      type: dict
      returned: always
      sample: {mode: testing, max_age: 86400, mx: [mail.example.com]}
    error:
      description: Why no served policy could be read, or V(null).
      type: str
      returned: always
      sample: null
invalid_options:
  description: The options whose values broke a rule, when the module failed on bad input (before any lookup).
  returned: failure on bad input
  type: list
  elements: str
  sample: [nameservers]
results:
  description:
    - With O(domains), one entry per domain in the order given, each with the keys returned for a single O(domain)
      (RV(domain), RV(passed), RV(checks), RV(record), RV(policy), RV(policy_addresses), RV(policy_addresses_agree),
      RV(policy_id), RV(id_matches_policy), RV(tlsrpt), RV(mx_hosts), and
      with a candidate policy RV(preflight) and RV(served)) and C(msg), its summary.
  returned: with O(domains)
  type: list
  elements: dict
  sample:
    - domain: example.com
      passed: true
      msg: "example.com: 9 check(s) ok, 0 warning(s), 0 error(s)"
      checks: [{name: record, status: ok, msg: "v=STSv1; id=20260101; (id 20260101)"}]
      record: {id: "20260101"}
      policy: {version: STSv1, mode: enforce, max_age: 604800, mx: [mail.example.com]}
      tlsrpt: {rua: ["mailto:tlsrpt@example.com"]}
      policy_addresses: [{address: 192.0.2.80, served: true, error: null, sha256: 9f2c..., policy: {mode: enforce}}]
      mx_hosts: []
failed_domains:
  description: With O(domains), the domains whose findings reach O(fail_on), in the order given.
  returned: with O(domains)
  type: list
  elements: str
  sample: [example.org]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import mta_sts_verify as backend
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.common import run


def main():
    module = AnsibleModule(argument_spec=backend.argument_spec(), **backend.MODULE_KWARGS)
    run(module, backend)


if __name__ == '__main__':
    main()
