# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the tests of mailsec.mta_sts (unit, integration, bench, molecule).

Importable as ``mailsec_testing`` because pytest.ini's ``pythonpath`` lists ``tests`` (and
``tests/lab``, the loopback lab: ``lab``, ``pytest_lab``, ``smtp_listener``). Scripts started outside
pytest (tests/bench/*) put ``tests`` on their path themselves; a child process gets PYTHONPATH.

    modules         run a module's main() in-process (set_module_args, exit_json/fail_json captured)
    ansible_runner  run modules and the lab playbooks through ansible-playbook, where Ansible's own
                    layer is what is tested (no_log, -vvv, module_defaults, check/diff by the controller)
    postfix_lab     a Postfix instance of its own, lab domains and a recording MX (postfix_outbound)
    recording_smtp  the recording STARTTLS listener (``python -m mailsec_testing.recording_smtp``)
    report_samples  TLS report samples (RFC 8460), Maildir/mbox writers; also a script writing the folder
    strategies      Hypothesis strategies for names, patterns, policies and record values
"""
