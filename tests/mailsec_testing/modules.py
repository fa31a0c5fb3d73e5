# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a collection module's ``main()`` inside pytest, the way community.dns and community.internal_test_tools
do (tests/unit/plugins/modules/utils.py there): the arguments go in through ``set_module_args``, and
``exit_json``/``fail_json`` raise ``AnsibleExitJson``/``AnsibleFailJson`` carrying the result.

A run takes milliseconds instead of the ~1.5 s of an ansible-playbook start. What it does NOT show is
Ansible's own layer: the controller's check-mode and diff handling, no_log masking of the result
(``_return_formatted`` is skipped), module_defaults and action groups, -vvv output. Tests about those
keep ansible-playbook (``mailsec_testing.ansible_runner``).
"""

import base64
import contextlib
import importlib
import json
import select
import socket
from unittest import mock

from ansible.module_utils import _internal as _module_internal
from ansible.module_utils import basic
from ansible.module_utils.common import warnings as _warnings
from ansible.module_utils.common.text.converters import to_bytes

from mailsec_testing.ansible_runner import ModuleOutcome

try:
    # ansible-core 2.19+: the supported way (it also sets the serialization profile the module expects).
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # pragma: no cover - older ansible-core
    patch_module_args = None

COLLECTION = 'ansible_collections.mailsec.mta_sts.plugins.modules.'


@contextlib.contextmanager
def set_module_args(args):
    """Expose ``args`` to every AnsibleModule created inside the block."""
    args = dict(args)
    args.setdefault('_ansible_remote_tmp', '/tmp')
    args.setdefault('_ansible_keep_remote_files', False)
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    with mock.patch.object(basic, '_ANSIBLE_ARGS', to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))):
        yield


class AnsibleExitJson(Exception):
    """Raised by the patched ``exit_json``; ``args[0]`` is the result."""


class AnsibleFailJson(Exception):
    """Raised by the patched ``fail_json``; ``args[0]`` is the result (``failed`` and ``msg`` set)."""


def exit_json(self, **kwargs):  # pylint: disable=unused-argument
    kwargs.setdefault('changed', False)
    raise AnsibleExitJson(kwargs)


def fail_json(self, msg, **kwargs):  # pylint: disable=unused-argument
    kwargs.pop('exception', None)
    kwargs.update(failed=True, msg=str(msg))
    raise AnsibleFailJson(kwargs)


class ModuleResult(ModuleOutcome):
    """What one in-process module run returned: ``result`` (the dict given to exit_json/fail_json)
    and ``warnings`` (the texts of ``module.warn``)."""

    def __init__(self, result, warnings):
        super(ModuleResult, self).__init__(result)
        self.warnings = warnings

    def __repr__(self):
        return 'ModuleResult(%r, warnings=%r)' % (self.result, self.warnings)


def run_module(name, args, check=False, diff=False):
    """Run ``mailsec.mta_sts.<name>``'s ``main()`` with ``args``; return a ModuleResult.

    ``check``/``diff`` are what ``--check``/``--diff`` hand the module (``_ansible_check_mode``,
    ``_ansible_diff``). Raises AssertionError if main() returns without exiting.
    """
    module = importlib.import_module(COLLECTION + name)
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    # Warnings are kept in a module-level dict for the life of the process (one module run, normally);
    # emptied for this run and restored after, so that runs do not see each other's warnings. And once
    # anything in the pytest process has imported Ansible's controller code (ansible.plugins, ...),
    # warn() goes to the controller's display instead of that dict: the module runs as on a target.
    with set_module_args(args), \
            mock.patch.multiple(basic.AnsibleModule, exit_json=exit_json, fail_json=fail_json), \
            mock.patch.dict(_warnings._global_warnings, clear=True), \
            mock.patch.object(_module_internal, 'is_controller', False):  # pylint: disable=protected-access
        try:
            module.main()
        except (AnsibleExitJson, AnsibleFailJson) as exc:
            return ModuleResult(exc.args[0], list(_warnings.get_warning_messages()))
    raise AssertionError('%s.main() returned without exit_json or fail_json' % name)


class WatchedPort(object):
    """A loopback port that answers nothing and tells whether anything reached it, by TCP or UDP.

    Given as a module's DNS server or resolver, it shows that bad input failed before any network
    I/O: ``touched()`` is False when no connection and no datagram came.
    """

    def __init__(self, host='127.0.0.1'):
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind((host, 0))
        self.tcp.listen(8)
        self.host, self.port = self.tcp.getsockname()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((host, self.port))

    def touched(self):
        readable, dummy, dummy = select.select([self.tcp, self.udp], [], [], 0)
        return bool(readable)

    def close(self):
        self.tcp.close()
        self.udp.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


# The TSIG secret of the record modules' in-process tests (no server knows it: they fail before any I/O).
TEST_TSIG_SECRET = base64.b64encode(b'0123456789abcdef0123456789abcdef').decode()


def record_args(watched, record, extra):
    """A record module's arguments: the DNS update options for the WatchedPort ``watched`` with a TSIG key,
    ``record``'s own options, then ``extra`` (a None value leaves the option out)."""
    values = {'server': watched.host, 'port': watched.port, 'key_name': 'mailsec-key', 'key_secret': TEST_TSIG_SECRET}
    values.update(record)
    values.update(extra)
    return dict((key, value) for key, value in values.items() if value is not None)
