# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The layers of plugins/module_utils, read from the imports of every file (lazy imports included).

    plugins/modules/<name>.py  ->  _module/<name>.py (its backend)  ->  _verify/  ->  _client/  ->  _core/

A layer imports only from itself and the layers to its right; nothing left of ``_module`` imports
``ansible.*``; filters use ``_core`` only; every module calls its backend the same way and every
backend has the same contract (``_module/common.py``), whose ``run()`` checks the input and the
libraries before the backend works.
"""

import ast
import importlib
import pathlib

import pytest

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.libraries import Library

PLUGINS = pathlib.Path(__file__).resolve().parents[3] / 'plugins'
MODULE_UTILS = PLUGINS / 'module_utils'
PREFIX = 'ansible_collections.mailsec.mta_sts.plugins.'
# What each layer may import from the collection (besides itself), and whether it may import ansible.*.
LAYERS = {
    '_core': ((), False),
    '_client': (('_core',), False),
    '_verify': (('_core', '_client'), False),
    '_module': (('_core', '_client', '_verify'), True),
}
MODULES = sorted(path.stem for path in (PLUGINS / 'modules').glob('*.py') if path.stem != '__init__')
BACKENDS = sorted(path.stem for path in (MODULE_UTILS / '_module').glob('*.py') if path.stem in MODULES)
UTILS = sorted(str(path.relative_to(MODULE_UTILS)) for path in MODULE_UTILS.rglob('*.py'))

MAIN = '''def main():
    module = AnsibleModule(argument_spec=backend.argument_spec(), **backend.MODULE_KWARGS)
    run(module, backend)
'''


def _is_collection_file(dotted):
    return dotted.startswith(PREFIX) and (PLUGINS / (dotted[len(PREFIX):].replace('.', '/') + '.py')).exists()


def imports_of(path):
    """``{imported module: [names]}`` of every import in the file at ``path`` (also inside functions),
    with ``from package import module`` counted as an import of ``package.module``."""
    found = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            found.setdefault(node.module, []).extend(alias.name for alias in node.names)
            for alias in node.names:
                if _is_collection_file(node.module + '.' + alias.name):
                    found.setdefault(node.module + '.' + alias.name, [])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found.setdefault(alias.name, [])
    return found


def layer_of(dotted):
    """The module_utils layer (``_core``, ...) of a dotted module name of this collection, or None."""
    if not dotted.startswith(PREFIX + 'module_utils.'):
        return None
    return dotted[len(PREFIX + 'module_utils.'):].split('.')[0]


def test_every_module_utils_file_is_in_a_layer():
    loose = [name for name in UTILS if name.split('/')[0] not in LAYERS]
    assert loose == []


@pytest.mark.parametrize('name', UTILS)
def test_a_layer_imports_only_from_itself_and_the_layers_below(name):
    layer = name.split('/')[0]
    allowed, ansible_allowed = LAYERS[layer]
    wrong = []
    for imported in imports_of(MODULE_UTILS / name):
        if imported.startswith(PREFIX) and layer_of(imported) not in (layer,) + allowed:
            wrong.append(imported)
        elif imported.split('.')[0] == 'ansible' and not ansible_allowed:
            wrong.append(imported)
    assert wrong == [], '%s (layer %s) imports %s' % (name, layer, wrong)


@pytest.mark.parametrize('filter_file', sorted((PLUGINS / 'filter').glob('*.py')), ids=lambda path: path.name)
def test_a_filter_uses_the_pure_core_only(filter_file):
    wrong = [name for name in imports_of(filter_file) if name.startswith(PREFIX) and layer_of(name) != '_core']
    assert wrong == []


def test_the_layer_test_sees_a_wrong_import(tmp_path):
    """The reading above would catch a client importing a backend (so the test can fail)."""
    bad = tmp_path / 'bad.py'
    bad.write_text('from ansible_collections.mailsec.mta_sts.plugins.module_utils._module import common\n'
                   'def f():\n    import ansible.module_utils.basic\n')
    found = imports_of(bad)
    assert layer_of(PREFIX + 'module_utils._module.common') == '_module'
    assert PREFIX + 'module_utils._module.common' in found and 'ansible.module_utils.basic' in found


def _backend_of(module_name):
    """The backend module the module file imports (``from ..._module import <name> as backend``)."""
    imports = imports_of(PLUGINS / 'modules' / (module_name + '.py'))
    backends = [name for name in imports if layer_of(name) == '_module' and name.rsplit('.', 1)[1] in MODULES]
    assert len(backends) == 1, '%s imports %s' % (module_name, backends)
    return backends[0]


def test_every_module_has_a_backend_named_after_it():
    assert BACKENDS == MODULES
    assert sorted(_backend_of(name).rsplit('.', 1)[1] for name in MODULES) == MODULES


@pytest.mark.parametrize('module_name', MODULES)
def test_the_module_hands_itself_to_its_backend_through_run(module_name):
    source = (PLUGINS / 'modules' / (module_name + '.py')).read_text()
    backend = _backend_of(module_name)
    assert backend == PREFIX + 'module_utils._module.' + module_name
    assert MAIN in source
    imports = imports_of(PLUGINS / 'modules' / (module_name + '.py'))
    assert imports[PREFIX + 'module_utils._module'] == [module_name]
    assert imports[PREFIX + 'module_utils._module.common'] == ['run']
    assert imports['ansible.module_utils.basic'] == ['AnsibleModule']
    assert sorted(name for name in imports if name.startswith('ansible')) == sorted([
        backend, PREFIX + 'module_utils._module', PREFIX + 'module_utils._module.common', 'ansible.module_utils.basic'])


@pytest.mark.parametrize('backend', BACKENDS)
def test_the_backend_has_the_contract(backend):
    module = importlib.import_module(PREFIX + 'module_utils._module.' + backend)
    spec = module.argument_spec()
    assert isinstance(spec, dict) and spec
    assert module.MODULE_KWARGS.get('supports_check_mode') is True
    assert set(module.MODULE_KWARGS) <= {'supports_check_mode', 'mutually_exclusive', 'required_one_of',
                                         'required_together', 'required_if', 'required_by'}
    assert isinstance(module.LIBRARIES, tuple) and all(isinstance(library, Library) for library in module.LIBRARIES)
    assert callable(module.option_problems) and callable(module.run_module)


def test_a_missing_library_is_reported_with_its_traceback():
    library = None
    try:
        import mailsec_no_such_library  # noqa: F401  pylint: disable=import-error,unused-import
    except ImportError:
        library = Library.missing('no-such-library')
    assert library is not None
    assert not library.found and 'mailsec_no_such_library' in library.import_error
    assert Library('dnspython').found
