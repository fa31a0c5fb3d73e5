# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers shared by the tests of mailsec.mta_sts (unit, integration, bench, molecule).

Importable as ``mailsec_testing`` because pytest.ini's ``pythonpath`` lists ``tests``; scripts
started outside pytest (molecule's, tests/lab/lab.py) put ``tests`` on their path themselves.

    modules         run a module's main() in-process (set_module_args, exit_json/fail_json captured)
"""
