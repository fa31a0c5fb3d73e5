# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Postfix's own commands, as the postfix_* modules run them: postconf, postmap, postfix check.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Every command gets the configuration directory explicitly (``-c DIR``), so that a Postfix
instance with its own directory (``postfix -c DIR``, a test instance, a second instance) is
handled exactly like the default one. Uses from the AnsibleModule: ``get_bin_path``,
``run_command``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.files import (
    NotRegularFileError, check_regular, read_file, write_file,
)


class PostfixError(Exception):
    """A Postfix command failed; the message says which and with Postfix's own words."""


def _bin(module, name):
    path = module.get_bin_path(name, opt_dirs=['/usr/sbin', '/usr/local/sbin', '/sbin'])
    if not path:
        raise PostfixError('%s was not found (is Postfix installed on this host?)' % name)
    return path


def _words(rc, out, err):
    text = (err or '').strip() or (out or '').strip()
    return text or 'exit status %d' % rc


def check_config_directory(config_directory):
    main_cf = os.path.join(config_directory, 'main.cf')
    if not os.path.isfile(main_cf):
        raise PostfixError('config_directory %s holds no main.cf: give the directory of the Postfix instance to '
                           'configure (postconf -c DIR)' % config_directory)
    return main_cf


def main_cf_to_change(module, config_directory):
    """The path of the main.cf a postfix_* module is about to change; fails the module when there is none
    or when it is not a regular file (it is put back byte for byte when postfix check fails: never through
    a link). The opening check of every module that changes main.cf."""
    problem = None
    try:
        main_cf = check_config_directory(config_directory)
        check_regular(main_cf)
    except (PostfixError, NotRegularFileError) as exc:
        problem = str(exc)
    if problem is not None:
        # Outside the except block: an expected failure needs its message, not a traceback.
        module.fail_json(msg=problem)
    return main_cf


def postconf_get(module, config_directory, name):
    """The value of parameter ``name`` as written (``postconf -h``, $names not expanded)."""
    rc, out, err = module.run_command([_bin(module, 'postconf'), '-c', config_directory, '-h', name])
    if rc != 0:
        raise PostfixError('postconf -c %s -h %s failed: %s' % (config_directory, name, _words(rc, out, err)))
    return out.rstrip('\n')


def postconf_set(module, config_directory, name, value):
    """Set ``name = value`` in main.cf with ``postconf -e`` (every other line stays as it is)."""
    rc, out, err = module.run_command([_bin(module, 'postconf'), '-c', config_directory, '-e',
                                       '%s = %s' % (name, value)])
    if rc != 0:
        raise PostfixError('postconf -c %s -e failed: %s' % (config_directory, _words(rc, out, err)))


def postconf_remove(module, config_directory, name):
    """Remove ``name`` from main.cf (``postconf -X``): Postfix's default applies again."""
    rc, out, err = module.run_command([_bin(module, 'postconf'), '-c', config_directory, '-X', name])
    if rc != 0:
        raise PostfixError('postconf -c %s -X %s failed: %s' % (config_directory, name, _words(rc, out, err)))


# Runs its arguments with a pseudo-terminal as their stdin, stdout and stderr, copying what they
# write to its own stdout, and exits with their exit status.
_WITH_TERMINAL = ('import os, pty, sys; status = pty.spawn(sys.argv[1:]); '
                  'sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)')


def run_with_terminal(module, argv):
    """``(rc, output)`` of ``argv`` run with a pseudo-terminal as stdout and stderr.

    Postfix commands write their messages to stderr only when it is a terminal (else only to the
    mail log), and ``postfix check`` says why it failed in nothing else.
    """
    rc, out, err = module.run_command([sys.executable, '-c', _WITH_TERMINAL] + list(argv))
    return rc, (out + err).replace('\r\n', '\n')


def postfix_check(module, config_directory):
    """``(ok, words)`` of ``postfix -c DIR check``; words are its fatal lines when there are any."""
    rc, output = run_with_terminal(module, [_bin(module, 'postfix'), '-c', config_directory, 'check'])
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    fatal = [line for line in lines if 'fatal:' in line or 'error:' in line]
    words = '; '.join(fatal or lines) or 'exit status %d' % rc
    return rc == 0, words


def change_main_cf(module, config_directory, main_cf, changes, check=True):
    """Set (``value``) or remove (``None``) each ``(name, value)`` of ``changes`` in main.cf, then ``postfix check``.

    When a command or the check fails, main.cf is put back byte for byte. Returns ``(ok, words,
    restore_error)``: ``words`` are Postfix's own when not ok; ``restore_error`` says why putting main.cf
    back failed too (None when it was put back, or nothing had to be). Every postfix_* writer goes
    through here, so that each changes main.cf with the same care.
    """
    original = read_file(main_cf)
    try:
        for name, value in changes:
            if value is None:
                postconf_remove(module, config_directory, name)
            else:
                postconf_set(module, config_directory, name, value)
        ok, words = (postfix_check(module, config_directory) if check else (True, ''))
    except PostfixError as exc:
        ok, words = False, str(exc)
    if ok:
        return True, '', None
    try:
        write_file(module, main_cf, original)
    except (IOError, OSError) as exc:
        return False, words, to_native(exc)
    return False, words, None


def postmap_query(module, config_directory, key, table):
    """``postmap -q KEY TABLE``: the value, or None when the table has no such key."""
    rc, out, err = module.run_command([_bin(module, 'postmap'), '-c', config_directory, '-q', key, table])
    if rc == 0:
        return out.rstrip('\n')
    # Not found is exit status 1 with no fatal error (warnings about other things may be there).
    if rc == 1 and 'fatal:' not in (err or ''):
        return None
    raise PostfixError('postmap -c %s -q %s %s failed: %s' % (config_directory, key, table, _words(rc, out, err)))
