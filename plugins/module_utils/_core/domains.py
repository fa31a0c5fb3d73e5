# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The role's domain list: defaults filled in, every value checked, derived values added.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

The role and the modules check values with the same functions (``_policy.policy_problems``,
``_mx.domain_error``, ``_records.uri_error``, ``_grammar.path_error``), so a value the role accepts is
one the modules accept. Every value that reaches the nginx vhost (paths, listen values, server names)
is checked here against what nginx reads as one token, before anything is changed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import posixpath

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import policy as _policy

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import records as _records

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import rollout as _rollout
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.grammar import listen_error, path_error
from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.names import domain_error

DOMAIN_KEYS = ('domain', 'mode', 'mx', 'max_age', 'tlsrpt_rua', 'tls_certificate', 'tls_certificate_key', 'state',
               'preflight', 'webroot')
# A domain's own ``webroot`` is the folder its web server serves as https://mta-sts.<domain>/ (the
# policy goes to <webroot>/.well-known/mta-sts.txt); the default is <defaults webroot>/<domain>.
# The policy file below a webroot: the URL path senders fetch (RFC 8461 3.3).
POLICY_PATH = _policy.POLICY_PATH.lstrip('/')
# tls_certificate: acme = the role gets and renews the certificate itself (ACME, http-01), keeping
# the key and certificates in <acme_certificate_dir>/mta-sts.<domain>/.
ACME = 'acme'
DEFAULT_ACME_CERTIFICATE_DIR = '/etc/mailsec-mta-sts/acme'
# Role-wide values that reach the vhost or the role's files as they are (mta_sts_<key>): checked as
# paths and as nginx listen values with the domain list. tls_certificate(_key) may hold "{domain}"
# and "acme": they are checked per domain, once completed.
PATH_SETTINGS = ('webroot', 'acme_webroot', 'acme_certificate_dir')
LISTEN_SETTINGS = ('nginx_listen', 'nginx_http_listen')


class DomainSpecError(ValueError):
    """A domain entry that breaks a rule; the message names the entry, the key and the rule."""


# The role keeps its domain lists as tables: ``{'count': N, 'rows': <the list as JSON text>}``.
# Ansible walks every value of a list or dict each time a template uses it and each time set_fact
# stores it (tens of microseconds a value; a completed domain holds about 80 values): at 20,000
# domains one stored copy of the completed list took about a minute. A table is three values
# whatever N; the filters decode it (about half a second at 20,000) and hand the modules only what
# they need.
TABLE_KEYS = ('count', 'rows')
# The ready-made module entries of a completed domain: a table's rows leave them out (more than half
# of the text, decoded by every filter that reads the table) and ``entry`` derives them when asked.
ENTRY_KEYS = ('acme_entry', 'policy_file', 'sts_record_entry', 'tlsrpt_record_entry', 'served_entry', 'preflight_entry',
              'verify_entry_unpublished', 'verify_entry')


def to_table(items):
    """The table of a completed domain list (see TABLE_KEYS), its rows without the ENTRY_KEYS."""
    rows = [dict((key, value) for key, value in item.items() if key not in ENTRY_KEYS) for item in items]
    return {'count': len(rows), 'rows': json.dumps(rows, separators=(',', ':'))}


def entry(item, name):
    """The module entry ``name`` (one of ENTRY_KEYS) of a completed domain or of a table's row."""
    if name in item:
        return item[name]
    if name not in ENTRY_KEYS:
        raise KeyError(name)
    return with_entries(item)[name]


def attribute_values(items, attribute):
    """The ``attribute`` (a key or one of ENTRY_KEYS) of each of ``items``, empty ones left out."""
    if attribute in ENTRY_KEYS:
        values = (entry(item, attribute) for item in items)
    else:
        values = (item.get(attribute) for item in items)
    return [value for value in values if value]


def with_entries(item):
    """A table's row as the completed domain it was, its module entries derived again."""
    if all(key in item for key in ENTRY_KEYS):
        return item
    policy = {'mode': item['mode'], 'mx': item['mx'], 'max_age': item['max_age']}
    return dict(item, **_module_entries(item['domain'], policy, item['policy_id'], item['policy_path'], item['tlsrpt_rua'],
                                        item['tls_certificate'], item['tls_certificate_key'], item['acme_dir'],
                                        item['preflight']))


def is_table(value):
    return isinstance(value, dict) and sorted(value) == sorted(TABLE_KEYS) and isinstance(value['rows'], str)


def table_rows(value, where):
    """The completed domains of a table, or of a completed domain list given as it is."""
    if is_table(value):
        return json.loads(value['rows'])
    if isinstance(value, (list, tuple)):
        return list(value)
    raise DomainSpecError('%s: the input must be a domain table (mta_sts_table) or a completed domain list '
                          '(mta_sts_domains), got %s' % (where, type(value).__name__))


def select_rows(rows, names=None, exclude=None, **match):
    """The ``rows`` named in ``names`` (all when None), without those in ``exclude``, whose keys equal
    ``match`` (e.g. ``acme=True``, ``state='absent'``; a None value matches anything); names in any case."""
    wanted = None if names is None else set(_name_key(name) for name in names)
    unwanted = set(_name_key(name) for name in exclude or [])
    match = dict((key, value) for key, value in match.items() if value is not None)
    return [item for item in rows
            if (wanted is None or _name_key(item['domain']) in wanted) and _name_key(item['domain']) not in unwanted
            and all(item.get(key) == value for key, value in match.items())]


def _int_or_none(value):
    if isinstance(value, bool):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _auto_mode(where, domain, rua, defaults, modes):
    """The mode an auto domain is served in this run: as decided (``modes``), else its enforce candidate."""
    if not rua:
        raise DomainSpecError('%s: mode auto needs TLS reports to decide when enforce is safe, but the domain has no '
                              'tlsrpt_rua: set tlsrpt_rua (or mta_sts_tlsrpt_rua) so that senders send reports'
                              % where)
    if not defaults.get('tlsrpt_reports'):
        raise DomainSpecError('%s: mode auto needs TLS reports to decide when enforce is safe: set '
                              'mta_sts_tlsrpt_reports_path or mta_sts_tlsrpt_imap to where the reports for %s arrive'
                              % (where, domain))
    mode = (modes or {}).get(domain)
    return mode if mode in ('testing', 'enforce') else 'enforce'


def _checked_domain(entry, where):
    """The domain name of one entry, after checking the entry's shape and keys."""
    if not isinstance(entry, dict):
        raise DomainSpecError('%s: must be a dict with at least "domain", got %r' % (where, entry))
    unknown = sorted(set(entry) - set(DOMAIN_KEYS))
    if unknown:
        raise DomainSpecError('%s: unknown key(s) %s; known keys are %s'
                              % (where, ', '.join(unknown), ', '.join(DOMAIN_KEYS)))
    domain = entry.get('domain')
    error = domain_error(domain) if domain else 'is missing'
    if error:
        raise DomainSpecError('%s: domain %s' % (where, error))
    return domain


def _checked_rua(value, where):
    rua = value or []
    if isinstance(rua, str):
        rua = [rua]
    for uri in rua:
        error = _records.uri_error(uri)
        if error:
            raise DomainSpecError('%s: tlsrpt_rua entry %r %s (RFC 8460 3)' % (where, uri, error))
    return rua


def _checked_policy(value, state, rua, domain, defaults, modes, where):
    """``(policy, auto)``: the policy to serve (mode, mx without repeats, max_age), checked."""
    # RFC 8461 8.3: a policy is withdrawn by publishing mode none under a new id, not by deleting it.
    mode = 'none' if state == 'absent' else value('mode')
    auto = mode == _rollout.AUTO
    if auto:
        mode = _auto_mode(where, domain, rua, defaults, modes)
    mx = list(value('mx') or [])
    max_age = _int_or_none(value('max_age'))
    for option, message in _policy.policy_problems(mode, mx, max_age):
        if option == 'mode':
            message = message.replace('none (', 'none, or auto (')
        raise DomainSpecError('%s: %s' % (where, message))
    return {'mode': mode, 'mx': _policy.unique_mx(mx), 'max_age': max_age}, auto


def _checked_path(where, key, value, what):
    """``value`` when it can stand in nginx's and the role's files as one path; DomainSpecError naming ``key`` if not."""
    error = path_error(value)
    if error is not None:
        raise DomainSpecError('%s: %s %s (%s); nothing was changed' % (where, key, error, what))
    return value


def _checked_webroot(given, defaults, domain, where):
    what = 'the folder served as https://%s/' % _policy.policy_host(domain)
    if given is not None:
        return _checked_path(where, 'webroot', given, what)
    return posixpath.join(defaults.get('webroot') or '/var/www/mta-sts', domain)


def _certificate_files(entry, value, defaults, domain, where):
    """``(certificate, key, acme_dir)``: the files nginx serves the policy host with; acme_dir is
    None unless the role gets the certificate by ACME."""
    certificate = value('tls_certificate') or ''
    key = value('tls_certificate_key') or ''
    if certificate != ACME:
        certificate, key = certificate.replace('{domain}', domain), key.replace('{domain}', domain)
        # Empty: no web server of the role's (mta_sts_web_server none) needs them.
        for name, path in (('tls_certificate', certificate), ('tls_certificate_key', key)):
            if path:
                _checked_path(where, name, path, 'a file nginx reads')
        return certificate, key, None
    host = _policy.policy_host(domain)
    if entry.get('tls_certificate_key') is not None:
        raise DomainSpecError('%s: tls_certificate_key cannot be set when tls_certificate is acme: the role '
                              'makes the key itself (in acme_certificate_dir/%s/privkey.pem)' % (where, host))
    acme_dir = posixpath.join(defaults.get('acme_certificate_dir') or DEFAULT_ACME_CERTIFICATE_DIR, host)
    return posixpath.join(acme_dir, 'fullchain.pem'), posixpath.join(acme_dir, 'privkey.pem'), acme_dir


def _module_entries(domain, policy, policy_id, policy_path, rua, certificate, key, acme_dir, preflight):
    """What the role hands each module for this domain: one element of a list option of each."""
    published = dict(policy, rua=rua) if rua else dict(policy)
    return {
        # mta_sts_certificate_info "certificates" (ACME only): the files and the stamp naming the
        # ACME directory that issued the certificate.
        'acme_entry': {
            'domain': domain, 'path': certificate, 'key_path': key,
            'issued_by_path': posixpath.join(acme_dir, 'acme-directory'),
        } if acme_dir else None,
        # mta_sts_policy "policies".
        'policy_file': dict(policy, path=policy_path),
        # mta_sts_record and tlsrpt_record "records".
        'sts_record_entry': {'domain': domain, 'id': policy_id},
        'tlsrpt_record_entry': {'domain': domain, 'rua': rua} if rua else None,
        # mta_sts_verify "domains": what is served (before the records are published), the
        # pre-flight of the policy about to be served against the live MX set (None when switched
        # off, and in mode none, which no sender enforces), what is live when someone else
        # publishes the records, and when we do.
        'served_entry': {'domain': domain, 'expect': dict(policy)},
        'preflight_entry': {'domain': domain, 'policy': dict(policy)} if preflight and policy['mode'] != 'none' else None,
        'verify_entry_unpublished': {'domain': domain, 'expect': published},
        'verify_entry': {'domain': domain, 'expect': dict(published, id=policy_id)},
    }


def complete_domain(entry, defaults, where, modes=None):
    """One completed, checked domain dict (see ``complete_domains``)."""
    domain = _checked_domain(entry, where)
    where = '%s (%s)' % (where, domain)

    def value(key):
        given = entry.get(key)
        return defaults.get(key) if given is None else given

    state = value('state') or 'present'
    if state not in ('present', 'absent'):
        raise DomainSpecError('%s: state must be present or absent, got %r' % (where, state))
    rua = _checked_rua(value('tlsrpt_rua'), where)
    policy, auto = _checked_policy(value, state, rua, domain, defaults, modes, where)
    preflight = value('preflight')
    if preflight is None:
        preflight = True
    if not isinstance(preflight, bool):
        raise DomainSpecError('%s: preflight must be true or false, got %r' % (where, preflight))
    webroot = _checked_webroot(entry.get('webroot'), defaults, domain, where)
    certificate, key, acme_dir = _certificate_files(entry, value, defaults, domain, where)

    policy_id = _policy.policy_id(policy)
    policy_path = posixpath.join(webroot, POLICY_PATH)
    result = {
        'domain': domain,
        'state': state,
        'mode': policy['mode'],
        # mode auto: the role decides between testing and enforce from the TLS reports (_rollout).
        'auto': auto,
        'mx': policy['mx'],
        'max_age': policy['max_age'],
        'tlsrpt_rua': rua,
        'tls_certificate': certificate,
        'tls_certificate_key': key,
        'mta_sts_host': _policy.policy_host(domain),
        'preflight': preflight,
        'acme': acme_dir is not None,
        'acme_dir': acme_dir,
        'webroot': webroot,
        'policy_path': policy_path,
        'policy': _policy.render(policy),
        'policy_id': policy_id,
        'sts_record': {
            'name': _records.record_name(_records.STS_PREFIX, domain),
            'value': _records.render_sts(policy_id),
        },
        'tlsrpt_record': {
            'name': _records.record_name(_records.TLSRPT_PREFIX, domain),
            'value': _records.render_tlsrpt(rua),
        } if rua else None,
    }
    result.update(_module_entries(domain, policy, policy_id, policy_path, rua, certificate, key, acme_dir, preflight))
    return result


def settings_problems(defaults):
    """Messages for the role-wide values that reach the nginx vhost and the role's files, each naming
    its variable (``mta_sts_<key>``) and the character or rule it breaks.

    Checked with the domain list, before anything is changed: nginx -t cannot refuse what is valid
    nginx (a webroot of ``/x;\\n location /leak/ { alias /etc/; }`` is).
    """
    problems = []
    for key in PATH_SETTINGS:
        value = defaults.get(key)
        if value is not None and value != '' and path_error(value) is not None:
            problems.append('mta_sts_%s: %s; nothing was changed' % (key, path_error(value)))
    for key in LISTEN_SETTINGS:
        values = defaults.get(key)
        if values is None:
            continue
        if not isinstance(values, (list, tuple)):
            problems.append('mta_sts_%s must be a list of nginx listen values, got %r' % (key, values))
            continue
        for index, value in enumerate(values):
            error = listen_error(value)
            if error is not None:
                problems.append('mta_sts_%s[%d]: %s; nothing was changed' % (key, index, error))
    return problems


def complete_domains(domains, defaults, modes=None):
    """Complete each domain from ``defaults``, check it, and add what the role derives from it.

    ``modes`` maps auto domains to the mode decided for this run (``_rollout.plan``); without it an
    auto domain carries its enforce candidate. Raises DomainSpecError on the first entry that breaks a
    rule, or on a domain listed twice.
    """
    if not isinstance(domains, (list, tuple)):
        raise DomainSpecError('mta_sts_domains must be a list, got %r' % (domains,))
    defaults = dict(defaults or {})
    for key, default in (('rollout_min_days', _rollout.DEFAULT_MIN_DAYS),
                         ('rollout_min_sessions', _rollout.DEFAULT_MIN_SESSIONS)):
        defaults[key] = _int_or_none(default if defaults.get(key) is None else defaults[key])
    for dummy, message in _rollout.settings_problems(defaults['rollout_min_days'], defaults['rollout_min_sessions']):
        raise DomainSpecError(message)
    for problem in settings_problems(defaults):
        raise DomainSpecError(problem)
    result = []
    seen = {}
    for index, entry in enumerate(domains):
        item = complete_domain(entry, defaults, 'mta_sts_domains[%d]' % index, modes)
        key = item['domain'].lower()
        if key in seen:
            raise DomainSpecError('mta_sts_domains[%d]: domain %s is already listed at [%d]'
                                  % (index, item['domain'], seen[key]))
        seen[key] = index
        result.append(item)
    return result


def _record_values(item):
    return item['sts_record']['value'], (item['tlsrpt_record'] or {}).get('value')


def union(domain_lists):
    """The domains of several web hosts (each a list from ``complete_domains``), each domain once.

    Several web hosts in one play may serve the same domains; their records are published once, for
    this union. A domain whose records differ between hosts (another policy, other report URIs) is
    refused: publishing either would leave the other host serving a policy its id does not name.
    """
    result = []
    seen = {}
    for domains in domain_lists:
        for item in domains or []:
            key = item['domain'].lower()
            first = seen.get(key)
            if first is None:
                seen[key] = item
                result.append(item)
            elif _record_values(first) != _record_values(item):
                raise DomainSpecError('%s has different settings on two web hosts of the play (%s and %s); every '
                                      'host that serves it must serve the same policy and report URIs, so nothing '
                                      'of it is published' % (item['domain'], first['sts_record']['value'],
                                                              item['sts_record']['value']))
    return result


def txt_records(domains):
    """The TXT records of ``domains`` (from ``complete_domains`` or ``union``): every ``_mta-sts`` record,
    then every ``_smtp._tls`` record, each ``{name, value}``; what is published, read back or listed."""
    items = list(domains or [])
    return ([item['sts_record'] for item in items]
            + [item['tlsrpt_record'] for item in items if item['tlsrpt_record']])


# How much of the domains that this run does not change the final verification covers
# (mta_sts_verify_unchanged): every one, a rolling share of them, or none.
UNCHANGED_SCOPES = ('all', 'sample', 'none')


def _name_key(name):
    return str(name).lower().rstrip('.')


def changed_domains(domains, changed_paths=None, changed_record_names=None):
    """The names of the ``domains`` (from ``complete_domains``) that this run may change.

    A domain changes when its policy file is not what it should be (``changed_paths``: the paths a
    check-mode run of mta_sts_policy would write), when its ``_mta-sts`` record is not what it should
    be (``changed_record_names``: the names a check-mode run of mta_sts_record, or mta_sts_record_info,
    would change; also a run killed between the file and the record), or when its mode is ``auto``
    (the TLS reports may move it any run). Only these are pre-flighted, fetched and published: the
    others are served and published as they are.
    """
    paths = set(changed_paths or [])
    names = set(_name_key(name) for name in changed_record_names or [])
    return [item['domain'] for item in domains or []
            if item.get('auto') or item['policy_path'] in paths or _name_key(item['sts_record']['name']) in names]


def domain_scope(domains, changed, unchanged='none', size=0, turn=0):
    """The ``domains`` a step covers: every changed one, and of the unchanged ones all, none, or a
    rolling share of ``size`` (``unchanged='sample'``).

    The share is a window over the unchanged domains in list order that moves by ``size`` each
    ``turn`` (the role passes the hour of the run), so that hourly runs cover every domain in turn;
    the same ``turn`` always gives the same window. Raises ValueError on an unknown ``unchanged``.
    """
    if unchanged not in UNCHANGED_SCOPES:
        raise ValueError('mta_sts_verify_unchanged must be one of %s, got %r' % (', '.join(UNCHANGED_SCOPES), unchanged))
    wanted = set(_name_key(name) for name in changed or [])
    items = list(domains or [])
    if unchanged == 'all':
        return items
    rest = [index for index, item in enumerate(items) if _name_key(item['domain']) not in wanted]
    picked = set()
    if unchanged == 'sample' and rest and size > 0:
        start = (int(turn) * int(size)) % len(rest)
        picked = set(rest[(start + step) % len(rest)] for step in range(min(int(size), len(rest))))
    return [item for index, item in enumerate(items) if _name_key(item['domain']) in wanted or index in picked]
