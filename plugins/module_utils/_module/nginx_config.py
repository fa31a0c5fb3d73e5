# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The nginx_config module's backend: write nginx files as one transaction, checked by ``nginx -t``.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Reads every file, decides what changes (``_core/nginx_config.plan``), and only when something does:
writes the changed files atomically, runs ``nginx -t``, and puts every previous file back (removing
the new ones) when nginx refuses the result, so the running nginx never reloads a configuration that
did not pass. With O(reload), ``nginx -s reload`` follows a passing check; with O(pid_file), whether nginx
runs is returned (the caller starts it or reloads it). The backend contract is in
``common``. Uses from the AnsibleModule: ``params``, ``check_mode``, ``_diff``, ``fail_json``,
``exit_json``, ``atomic_move``, ``get_bin_path``, ``run_command``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core import nginx_config as _core
from ansible_collections.mailsec.mta_sts.plugins.module_utils._module.files import read_file, remove_file, write_file

# Where a package puts nginx when it is not on the PATH of a non-login session.
BIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/local/nginx/sbin']


def argument_spec():
    """The nginx_config options; DOCUMENTATION in plugins/modules/nginx_config.py mirrors it."""
    return dict(
        files=dict(type='list', elements='dict', required=True, options=dict(
            path=dict(type='path', required=True),
            content=dict(type='str', required=True),
            mode=dict(type='raw'),
        )),
        binary=dict(type='str', default='nginx'),
        config_file=dict(type='path'),
        reload=dict(type='bool', default=False),
        pid_file=dict(type='path'),
    )


MODULE_KWARGS = dict(supports_check_mode=True)
LIBRARIES = ()


def option_problems(params):
    """``(option, message)`` for every rule the options break. Pure."""
    return _core.file_problems(params['files'])


class _Failed(Exception):
    """A step failed; the message is the module's ``msg``."""


def _read(path):
    """``(bytes, mode bits)`` of ``path``, ``(None, None)`` when it does not exist."""
    if os.path.isdir(path):
        raise _Failed('%s is a folder; give the file name' % path)
    try:
        content = read_file(path)
        return content, (stat.S_IMODE(os.stat(path).st_mode) if content is not None else None)
    except (IOError, OSError) as exc:
        raise _Failed('cannot read %s: %s' % (path, to_native(exc)))


def nginx_runs(pid_file):
    """Whether the process whose PID ``pid_file`` holds runs and is named nginx, as ``pgrep --pidfile FILE --exact
    nginx`` finds it (a PID file left by an nginx that died may name another process by now)."""
    try:
        with open(pid_file) as handle:
            pid = int(handle.read().strip())
        if pid <= 0:
            return False
        with open('/proc/%d/comm' % pid) as handle:
            return handle.read().strip() == 'nginx'
    except (IOError, OSError, ValueError):
        return False


def _binary(module):
    binary = module.params['binary']
    if os.sep in binary:
        if not os.access(binary, os.X_OK):
            raise _Failed('binary: %s is not an executable file; give the path of the nginx binary' % binary)
        return binary
    found = module.get_bin_path(binary, opt_dirs=BIN_DIRS)
    if not found:
        raise _Failed('binary: %s was not found on the PATH nor in %s; install nginx or give the path of its binary'
                      % (binary, ', '.join(BIN_DIRS)))
    return found


def _nginx(module, binary, *args):
    """``(ok, words)`` of the nginx binary run with ``args`` (and ``-c config_file`` when given)."""
    argv = [binary] + list(args)
    if module.params['config_file']:
        argv += ['-c', module.params['config_file']]
    rc, out, err = module.run_command(argv)
    return rc == 0, _core.nginx_words(rc, out, err)


def _write(module, step):
    write_file(module, step['path'], step['content'])
    if step['mode'] is not None:
        os.chmod(step['path'], step['mode'])


def _restore(module, written):
    """Put back what ``written`` (the steps applied so far) replaced; the paths that could not be restored."""
    failed = []
    for step in reversed(written):
        try:
            if step['before'] is None:
                remove_file(step['path'])
            else:
                write_file(module, step['path'], step['before'])
                os.chmod(step['path'], step['before_mode'])
        except (IOError, OSError) as exc:
            failed.append('%s (%s)' % (step['path'], to_native(exc)))
    return failed


def _apply(module, binary, changing, result):
    """Write the changing files, check them with nginx -t, put them back when refused; fails the module."""
    written = []
    try:
        for step in changing:
            written.append(step)
            _write(module, step)
    except (IOError, OSError) as exc:
        unrestored = _restore(module, written)
        message = 'cannot write %s: %s; the files written before it were put back' % (step['path'], to_native(exc))
        if unrestored:
            message += ', except %s: restore them by hand before nginx reloads' % ', '.join(unrestored)
        module.fail_json(msg=message, **dict(result, changed=bool(unrestored)))
    ok, words = _nginx(module, binary, '-t', '-q')
    if ok:
        return
    result['nginx_output'] = words
    unrestored = _restore(module, written)
    paths = [step['path'] for step in changing]
    if unrestored:
        module.fail_json(msg='nginx -t refused the configuration with the new %s (%s), and putting the previous '
                             'files back failed for %s: restore them by hand before nginx reloads'
                             % (', '.join(paths), words, ', '.join(unrestored)), **dict(result, changed=True))
    still_ok, still_words = _nginx(module, binary, '-t', '-q')
    module.fail_json(msg=_core.refusal_message(paths, words, None if still_ok else still_words),
                     **dict(result, changed=False))


def run_module(module):
    """Bring the files to their content, as one transaction checked by nginx -t; exits the module."""
    params = module.params
    try:
        current = dict((entry['path'], _read(entry['path'])) for entry in params['files'])
    except _Failed as exc:
        module.fail_json(msg='files: %s' % exc)
    steps = _core.plan(params['files'], current)
    changing = [step for step in steps if step['changed']]
    result = dict(changed=bool(changing), reloaded=False,
                  files=[dict(path=step['path'], changed=step['changed'], created=step['created']) for step in steps])
    if params['pid_file']:
        result['running'] = nginx_runs(params['pid_file'])
    if module._diff:
        result['diff'] = _core.diffs(steps)
    if not changing or module.check_mode:
        module.exit_json(**result)

    # Everything that can be found out before a write is, so that a missing binary or folder changes nothing.
    try:
        binary = _binary(module)
    except _Failed as exc:
        module.fail_json(msg=str(exc), **dict(result, changed=False))
    missing = sorted(set(os.path.dirname(step['path']) for step in changing
                         if not os.path.isdir(os.path.dirname(step['path']))))
    if missing:
        module.fail_json(msg='files: the folder %s does not exist; nothing was written (is nginx installed?)'
                         % ', '.join(missing), **dict(result, changed=False))

    _apply(module, binary, changing, result)
    if params['reload']:
        ok, words = _nginx(module, binary, '-s', 'reload')
        if not ok:
            result['nginx_output'] = words
            module.fail_json(msg='the new files passed nginx -t and are in place, but nginx -s reload failed (is nginx '
                                 'running?): %s' % words, **result)
        result['reloaded'] = True
    module.exit_json(**result)
