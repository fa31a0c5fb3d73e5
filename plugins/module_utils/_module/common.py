# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every module backend (``_module/<module name>.py``) shares with the AnsibleModule.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.

Every backend has the same shape, and every module file calls it the same way::

    argument_spec()          the options (``_module/argspec.ArgumentSpec``); DOCUMENTATION mirrors them
    MODULE_KWARGS            the other AnsibleModule arguments (check mode, constraints between options)
    LIBRARIES                the optional libraries it needs (``_core/libraries.Library``)
    option_problems(params)  pure: ``(option, message)`` for every rule the options break
    run_module(module)       the work, once ``run()`` has checked the input and the libraries; exits

    def main():
        module = AnsibleModule(argument_spec=backend.argument_spec(), **backend.MODULE_KWARGS)
        run(module, backend)

Input is checked before the libraries: a message naming the option and its rule helps even on a
host that lacks a library, and the checks are pure (they need none).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def fail_on_problems(module, problems, **result):
    """Fail the module with every ``(option, message)`` of ``problems``, naming the options in
    ``invalid_options``; nothing when there are none."""
    if problems:
        module.fail_json(msg='; '.join(message for dummy, message in problems),
                         invalid_options=sorted(set(option for option, dummy in problems)), **result)


def check_libraries(module, libraries):
    """Fail the module for the first of ``libraries`` that could not be imported."""
    # Imported here, not at the top: the monitor role's runner imports the backends (tlsrpt_report_info)
    # on a Python without ansible, and never calls this.
    from ansible.module_utils.basic import missing_required_lib  # pylint: disable=import-outside-toplevel
    for library in libraries:
        if not library.found:
            module.fail_json(msg=missing_required_lib(library.name), exception=library.import_error)


def run(module, backend):
    """The one way a module runs: fail on every broken rule of the input, then on a missing library,
    and only then hand the module to ``backend.run_module``."""
    fail_on_problems(module, backend.option_problems(module.params))
    check_libraries(module, backend.LIBRARIES)
    backend.run_module(module)
