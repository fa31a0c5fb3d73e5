# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backend contract (plugins/module_utils/_backend.py): every module calls its backend the same
way, every backend has the same shape, and the pure modules import nothing that faces the AnsibleModule."""

import ast
import importlib
import pathlib

import pytest

from ansible_collections.mailsec.mta_sts.plugins.module_utils._libraries import Library

PLUGINS = pathlib.Path(__file__).resolve().parents[3] / 'plugins'
MODULES = sorted(path.stem for path in (PLUGINS / 'modules').glob('*.py') if path.stem != '__init__')
BACKENDS = sorted(path.stem for path in (PLUGINS / 'module_utils').glob('_*_module.py'))
# The module_utils files that take an AnsibleModule (or import ansible.module_utils.basic).
FACING = set(BACKENDS) | {'_backend', '_record_update', '_files', '_postfix'}
PURE = sorted(path.stem for path in (PLUGINS / 'module_utils').glob('_*.py') if path.stem not in FACING)
PREFIX = 'ansible_collections.mailsec.mta_sts.plugins.module_utils.'

MAIN = '''def main():
    module = AnsibleModule(argument_spec=argument_spec(), **MODULE_KWARGS)
    run_module(module)
'''


def _imports(path):
    """``{imported module: [names]}`` of the top-level imports of the file at ``path``."""
    found = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom):
            found.setdefault(node.module, []).extend(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found.setdefault(alias.name, [])
    return found


def _backend_of(module_name):
    imports = _imports(PLUGINS / 'modules' / (module_name + '.py'))
    backends = [name for name in imports if name.startswith(PREFIX) and name.endswith('_module')]
    assert len(backends) == 1, '%s imports %s' % (module_name, backends)
    return backends[0], imports[backends[0]]


def test_every_backend_serves_one_module():
    assert sorted(_backend_of(name)[0][len(PREFIX):] for name in MODULES) == BACKENDS


@pytest.mark.parametrize('module_name', MODULES)
def test_the_module_calls_its_backend_the_standard_way(module_name):
    source = (PLUGINS / 'modules' / (module_name + '.py')).read_text()
    backend, names = _backend_of(module_name)
    assert sorted(names) == ['MODULE_KWARGS', 'argument_spec', 'run_module']
    assert MAIN in source
    imports = _imports(PLUGINS / 'modules' / (module_name + '.py'))
    assert sorted(name for name in imports if name.startswith('ansible')) == sorted([backend, 'ansible.module_utils.basic'])


@pytest.mark.parametrize('backend', BACKENDS)
def test_the_backend_has_the_contract(backend):
    module = importlib.import_module(PREFIX + backend)
    spec = module.argument_spec()
    assert isinstance(spec, dict) and spec
    assert module.MODULE_KWARGS.get('supports_check_mode') is True
    assert set(module.MODULE_KWARGS) <= {'supports_check_mode', 'mutually_exclusive', 'required_one_of',
                                         'required_together', 'required_if', 'required_by'}
    assert isinstance(module.LIBRARIES, tuple) and all(isinstance(library, Library) for library in module.LIBRARIES)
    assert callable(module.option_problems) and callable(module.run_module)


@pytest.mark.parametrize('pure', PURE)
def test_a_pure_module_imports_nothing_that_faces_the_ansible_module(pure):
    imports = _imports(PLUGINS / 'module_utils' / (pure + '.py'))
    names = set(imports)
    for module, imported in imports.items():
        if module == PREFIX.rstrip('.'):
            names.update(PREFIX + name for name in imported)
    facing = sorted(name for name in names if name.startswith('ansible.')
                    or (name.startswith(PREFIX) and name[len(PREFIX):] in FACING))
    assert facing == [], '%s imports %s' % (pure, facing)


def test_a_missing_library_is_reported_with_its_traceback():
    library = None
    try:
        import mailsec_no_such_library  # noqa: F401  pylint: disable=import-error,unused-import
    except ImportError:
        library = Library.missing('no-such-library')
    assert library is not None
    assert not library.found and 'mailsec_no_such_library' in library.import_error
    assert Library('dnspython').found
