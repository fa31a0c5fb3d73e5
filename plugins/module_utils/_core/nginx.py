# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The host's nginx configuration as ``nginx -T`` prints it, and what the role may add to it.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

nginx accepts an http-level directive such as ``server_names_hash_bucket_size`` once: a second
occurrence anywhere (``nginx.conf``, another ``conf.d`` file) makes ``nginx -t`` fail with
"directive is duplicate", and every later reload or restart with it. So the role's vhost files
hold only ``server {}`` blocks, and the http-level settings its names need go into ONE file of the
role (shared by every vhost file of the role), and only when the host's configuration does not set
them itself. ``http_settings()`` decides that from the effective configuration; no I/O here.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# nginx's built-in values: the bucket size is the CPU cache line (64 bytes on x86-64 and arm64),
# max_size 512. A name that does not fit a bucket is fatal ("could not build server_names_hash");
# too small a max_size only costs a warning ("could not build optimal server_names_hash").
DEFAULT_BUCKET_SIZE = 64
DEFAULT_MAX_SIZE = 512
BUCKET = 'server_names_hash_bucket_size'
MAX_SIZE = 'server_names_hash_max_size'
_POINTER = 8

_FILE_RE = re.compile(r'# configuration file (.+):')
_DIRECTIVE_RE = re.compile(r'(?:^|[;{}\s])(server_names_hash_(?:bucket|max)_size)\s+([0-9]+)\s*;')
_SERVER_NAME_RE = re.compile(r'(?:^|[;{}\s])server_name\s+([^;]*);')
_DUPLICATE_RE = re.compile(r'"(server_names_hash_(?:bucket|max)_size)" directive is duplicate in (\S+?):[0-9]+')
_FAILED_IN_RE = re.compile(r' in (/\S+?):[0-9]+')


def parse_dump(text):
    """``{'directives': [(file, name, value)], 'names': [(file, name)]}`` from ``nginx -T`` output.

    Comments are dropped; the dump's ``# configuration file PATH:`` lines say which file holds what.
    """
    directives = []
    names = []
    current = None
    for line in (text or '').splitlines():
        match = _FILE_RE.fullmatch(line)
        if match:
            current = match.group(1)
            continue
        code = line.split('#', 1)[0]
        for name, value in _DIRECTIVE_RE.findall(code):
            directives.append((current, name, int(value)))
        for value in _SERVER_NAME_RE.findall(code):
            # The role's vhost quotes its names ("mta-sts.example.com"); nginx reads them unquoted.
            names.extend((current, name.strip('"\'')) for name in value.split())
    return {'directives': directives, 'names': names}


def bucket_size_needed(name):
    """The smallest ``server_names_hash_bucket_size`` that holds ``name`` (nginx's ngx_hash_init rule)."""
    element = _POINTER + ((len(name) + 2 + _POINTER - 1) // _POINTER) * _POINTER
    return element + _POINTER


def _power_of_two(value, floor):
    result = floor
    while result < value:
        result *= 2
    return result


def http_settings(dump, names, own_files, failure=''):
    """What the role's http-level file must hold for ``names`` to load, given the host's configuration.

    ``dump``: ``nginx -T`` output of the configuration as it is (before the role changes it);
    ``names``: the role's server names; ``own_files``: the role's files (its http-level file and
    vhost files: what they hold is the role's own doing and is recomputed); ``failure``: nginx's
    error output when ``nginx -T`` failed.

    Returns ``{'directives': {name: value}, 'host': {name: [file, value]}, 'errors': [msg],
    'notes': [msg]}``; ``directives`` is the content of the role's http-level file (empty = no file
    needed), ``errors`` say why the role's names cannot load on this host (a hash size the host sets
    too small, a name another file serves already), before anything changes.
    """
    own = set(own_files or [])
    parsed = parse_dump(dump)
    host = {}
    ours = {}
    for path, name, value in parsed['directives']:
        if path in own:
            ours[name] = max(value, ours.get(name, 0))
        else:
            host[name] = [path, value]
    errors = []
    notes = []
    if failure:
        duplicated = _DUPLICATE_RE.findall(failure)
        blamed = _FAILED_IN_RE.findall(failure)
        for name, path in duplicated:
            # The other occurrence is the host's (value unknown here): the role's must go.
            if path in own and name not in host:
                host[name] = ['(the host configuration)', None]
                notes.append('%s is set by the host configuration and by %s: the role removes its own' % (name, path))
        if not (duplicated or (blamed and all(path in own for path in blamed))):
            errors.append('the host nginx configuration does not pass nginx -t before this role changes anything, '
                          'so no change was made; fix it first: %s' % ' '.join(failure.split()))
    wanted = sorted(set(name.lower() for name in names))
    directives = {}
    longest = max(wanted, key=len) if wanted else ''
    bucket = _power_of_two(bucket_size_needed(longest), DEFAULT_BUCKET_SIZE) if longest else DEFAULT_BUCKET_SIZE
    others = set(name.lower() for path, name in parsed['names'] if path not in own)
    total = len(others | set(wanted))
    max_size = _power_of_two(4 * total, DEFAULT_MAX_SIZE)
    for name, needed, default in ((BUCKET, bucket, DEFAULT_BUCKET_SIZE), (MAX_SIZE, max_size, DEFAULT_MAX_SIZE)):
        if name in host:
            path, value = host[name]
            if value is not None and value < needed:
                message = ('%s sets %s %d, but the name %s needs %d' % (path, name, value, longest, needed)
                           if name == BUCKET else
                           '%s sets %s %d; %d server names would load faster with %d (nginx warns "could not '
                           'build optimal server_names_hash")' % (path, name, value, total, needed))
                if name == BUCKET:
                    errors.append(message + ': nginx would refuse the configuration ("could not build '
                                  'server_names_hash"); raise it there (nginx accepts the directive once, so '
                                  'the role cannot set it)')
                else:
                    notes.append(message)
            continue
        value = max(needed, ours.get(name, 0))
        if value > default:
            directives[name] = value
    conflicts = conflicting_names(dump, names, own)
    for name in sorted(conflicts):
        errors.append('%s is already a server_name in %s; nginx would serve only one of the two (warning "conflicting '
                      'server name"): remove it there or leave the domain out of the role' % (name, conflicts[name]))
    return {'directives': directives, 'host': host, 'errors': errors, 'notes': notes}


def conflicting_names(dump, names, own_files):
    """``{name: file}`` for the role's names that a ``server_name`` outside the role's files serves already."""
    own = set(own_files or [])
    wanted = set(name.lower() for name in names)
    found = {}
    for path, name in parse_dump(dump)['names']:
        if path not in own and name.lower() in wanted:
            found.setdefault(name.lower(), path)
    return found


def policy_servers(domains, certificates=None, webroot=None):
    """The HTTPS ``server`` blocks that serve the policy hosts of ``domains``: one per certificate.

    Each ``server`` block of nginx holds a TLS context of its own (about 190 KiB: 20,000 policy hosts
    with a block each held 3.75 GiB in every nginx process, tests/bench/nginx_designs). Hosts that
    share a certificate file and key share one block, whose ``server_name`` lists them; the
    certificate is still loaded by the master at (re)load, after ``nginx -t`` checked it, and only
    the listed names are served. A block's web root is fixed when its one host has a webroot of its
    own; when every host's webroot is ``<webroot>/<domain>`` (the role's default), the block serves
    ``root`` None, which the vhost template turns into ``<webroot>/<domain of $host>``.

    ``domains``: the completed domains (``complete_domains``); ``certificates``: the ``certificates``
    of mta_sts_certificate_info for the ACME ones (an ACME host without a usable certificate gets no
    HTTPS server yet: nginx -t would refuse a missing file). Returns ``{'servers': [{'names',
    'certificate', 'key', 'root', 'acme'}], 'waiting': [host], 'hosts': [host]}`` in the order first
    seen, ``hosts`` every policy host (the plain-HTTP server's names, also those still waiting).
    """
    acme = dict((entry['domain'], entry) for entry in certificates or [])
    shared = webroot.rstrip('/') if webroot else None
    servers = []
    index = {}
    waiting = []
    hosts = []
    for site in domains or []:
        hosts.append(site['mta_sts_host'])
        entry = acme.get(site['domain']) if site.get('acme') else None
        if site.get('acme') and not (entry and entry.get('usable')):
            waiting.append(site['mta_sts_host'])
            continue
        own_root = None if shared and site['webroot'] == '%s/%s' % (shared, site['domain']) else site['webroot']
        # An ACME certificate is the host's own (its serial is written beside it): one block each.
        key = (site['tls_certificate'], site['tls_certificate_key'], own_root, site['domain'] if entry else None)
        if key in index:
            servers[index[key]]['names'].append(site['mta_sts_host'])
            continue
        index[key] = len(servers)
        servers.append({'names': [site['mta_sts_host']], 'certificate': site['tls_certificate'],
                        'key': site['tls_certificate_key'], 'root': own_root,
                        'acme': {'serial': entry.get('serial'), 'not_after': entry.get('not_after')} if entry else None})
    return {'servers': servers, 'waiting': waiting, 'hosts': hosts}
