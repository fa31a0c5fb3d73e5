# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make release-check`: what a user gets from the built collection, checked the way Galaxy and a user see it.

1. build: ``ansible-galaxy collection build`` of the working tree into a temporary folder, as a
   release is built. Every file in the tarball must be one git tracks (or would: untracked and not
   ignored), so a build_ignore gap (a venv, a lab's keys, test output) fails here; LICENSE must be in.
2. import: galaxy-importer, Galaxy's own import check, on the tarball. Any ERROR fails; every
   WARNING must match one entry of KNOWN_WARNINGS below, which says why it stays, and every entry
   must still be seen (so the list never outlives its reason).
3. install: the tarball and its dependencies (community.crypto, given with --dependency as a
   collection folder) into an empty collections path with ``ansible-galaxy collection install
   --offline``, which also checks the dependency ranges of galaxy.yml against what is given.
4. docs: from that path only, ``ansible-doc`` of every module, filter (and any other plugin type the
   collection grows) and role; each must be listed, documented, and print no warning.
5. playbooks: ``ansible-playbook --syntax-check`` of every playbook in playbooks/ by its FQCN
   (``mailsec.mta_sts.<name>``); the list comes from the installed folder, not from this file.
6. git: ``ansible-galaxy collection install git+file://<this repo>,<HEAD commit>`` (the way the
   README's install from git works; it builds the committed HEAD, not the working tree), without
   dependencies, into another empty path; the installed version must be galaxy.yml's.
7. lint in a plain clone: ``git clone`` of HEAD, then ``ansible-lint --profile production`` there
   with no Ansible settings at all (no collections path: .ansible-lint must make it pass alone).

Steps 2 and 7 (about 40 and 25 s of ansible-lint) run in the background while the others run.

Usage: release_check.py --importer-bin DIR --dependency DIR [--dependency DIR ...] [--keep]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAMESPACE, NAME = 'mailsec', 'mta_sts'
FQCN = NAMESPACE + '.' + NAME
IMPORTER_CONFIG = os.path.join(REPO, 'tests', 'release', 'galaxy-importer.cfg')

# galaxy-importer warnings that stay, each with its reason. A pattern matches a whole WARNING line
# (without the "WARNING: " prefix); line numbers are left open so that edits elsewhere in the file
# do not break the match.
KNOWN_WARNINGS = [
    # None left. The one 0.4.44 printed before, "extensions/molecule/acme/verify.yml: syntax-check
    # [unknown-module]: couldn't resolve module/action 'community.crypto.get_certificate'" (the
    # importer lints the tarball without its dependencies), is fixed by the stand-ins in .ansible-lint.
    # Add an entry as (regex of the whole line without "WARNING: ", reason) only with a reason that holds.
]

# Plugin folders ansible-doc documents, by folder name; the others hold no user-facing plugins.
DOC_TYPES = {
    'modules': 'module', 'filter': 'filter', 'test': 'test', 'lookup': 'lookup', 'callback': 'callback',
    'connection': 'connection', 'inventory': 'inventory', 'become': 'become', 'cache': 'cache',
    'vars': 'vars', 'strategy': 'strategy', 'shell': 'shell', 'cliconf': 'cliconf', 'httpapi': 'httpapi',
    'netconf': 'netconf',
}
NOT_DOCUMENTED = {'module_utils', 'doc_fragments', 'action', 'plugin_utils', '__pycache__'}

# ansible-core 2.21 prints this for every `ansible-doc -t role NAME`, about its own internal
# collection; it says nothing about ours.
CORE_NOISE = [
    re.compile(r"^\[WARNING\]: Collection at '.*/ansible/_internal/ansible_collections/ansible/_protomatter' "
               r"does not have a MANIFEST\.json file, nor has it galaxy\.yml: cannot detect version\.$"),
]
# --syntax-check without an inventory: the playbooks' host patterns (mta_sts, ...) match nothing.
SYNTAX_NOISE = [re.compile(r'^\[WARNING\]: Could not match supplied host pattern, ignoring: ')]


class CheckFailed(Exception):
    pass


def run(argv, cwd, env, timeout=300):
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return proc


def describe(proc):
    return '$ %s\nrc=%d\n--- stdout\n%s\n--- stderr\n%s' % (
        ' '.join(proc.args), proc.returncode, proc.stdout[-6000:], proc.stderr[-6000:])


def unexpected_lines(text, noise):
    return [line for line in text.splitlines() if line.strip() and not any(n.search(line) for n in noise)]


def clean_env(tmp, collections_path):
    """The environment of every ansible command: nothing from the caller's Ansible settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith('ANSIBLE_')}
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': collections_path,
        # Collections installed into the Python environment (pip install ansible) stay invisible.
        'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'False',
        'ANSIBLE_HOME': os.path.join(tmp, 'ansible-home'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(tmp, 'ansible-tmp'),
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_LOCALHOST_WARNING': 'False',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'False',
        'ANSIBLE_RETRY_FILES_ENABLED': 'False',
    })
    return env


def step_build(tmp, bindir):
    out = os.path.join(tmp, 'build')
    proc = run([os.path.join(bindir, 'ansible-galaxy'), 'collection', 'build', '--output-path', out, REPO],
               cwd=tmp, env=clean_env(tmp, os.path.join(tmp, 'none')))
    if proc.returncode != 0:
        raise CheckFailed('ansible-galaxy collection build failed:\n' + describe(proc))
    tarballs = [name for name in os.listdir(out) if name.endswith('.tar.gz')]
    if len(tarballs) != 1:
        raise CheckFailed('expected one tarball in %s, found %r' % (out, tarballs))
    tarball = os.path.join(out, tarballs[0])

    with tarfile.open(tarball) as tar:
        members = {m.name: m for m in tar.getmembers()}
    files = {name for name, m in members.items() if not m.isdir()} - {'MANIFEST.json', 'FILES.json'}
    listed = subprocess.run(['git', 'ls-files', '-z', '-co', '--exclude-standard'], cwd=REPO, capture_output=True,
                            check=True).stdout.decode().split('\0')
    stray = sorted(files - set(listed))
    if stray:
        raise CheckFailed('the tarball holds files git does not track or ignores (add them to build_ignore in '
                          'galaxy.yml): %s' % ', '.join(stray[:30]))
    for required in ('LICENSE', 'README.md', 'meta/runtime.yml'):
        if required not in files:
            raise CheckFailed('the tarball has no %s' % required)
    return tarball, len(files)


def start_import(tmp, tarball, importer_bin):
    """Start galaxy-importer on the tarball; it runs (about 40 s, mostly its ansible-lint) while the other steps do."""
    workdir = os.path.join(tmp, 'importer')
    os.makedirs(workdir)
    env = clean_env(tmp, os.path.join(tmp, 'none'))
    env.update({
        # Its own ansible-doc and ansible-lint, the versions Galaxy's importer is tested with.
        'PATH': importer_bin + os.pathsep + env.get('PATH', ''),
        'GALAXY_IMPORTER_CONFIG': IMPORTER_CONFIG,
        # Per run, not the shared ~/.ansible/tmp (other runs on this machine use it at the same time).
        'GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP': os.path.join(tmp, 'importer-ansible-tmp'),
        'GALAXY_IMPORTER_TMP_ROOT_DIR': workdir,
    })
    argv = [os.path.join(importer_bin, 'python'), '-m', 'galaxy_importer.main', tarball]
    proc = subprocess.Popen(argv, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, workdir


def finish_import(proc, workdir):
    """Wait for galaxy-importer: no ERROR, and every WARNING explained in KNOWN_WARNINGS."""
    try:
        output = proc.communicate(timeout=600)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        output = proc.communicate()[0]
        raise CheckFailed('galaxy-importer did not finish in 600 s:\n' + output[-6000:])
    errors = [line for line in output.splitlines() if line.startswith('ERROR')]
    warnings = [line[len('WARNING: '):] for line in output.splitlines() if line.startswith('WARNING: ')]
    summary = [line for line in output.splitlines()
               if line.startswith(('Importing with', 'Importer processing', 'Collection loading'))]
    if proc.returncode != 0 or errors or not os.path.exists(os.path.join(workdir, 'importer_result.json')):
        raise CheckFailed('galaxy-importer refused the tarball (rc=%d):\n%s' % (proc.returncode, output[-6000:]))

    known_seen = set()
    unknown = []
    for warning in warnings:
        for index, (pattern, _reason) in enumerate(KNOWN_WARNINGS):
            if re.fullmatch(pattern, warning):
                known_seen.add(index)
                break
        else:
            unknown.append(warning)
    for warning in warnings:
        print('    importer WARNING: %s' % warning)
    if unknown:
        raise CheckFailed('galaxy-importer warnings that are neither fixed nor explained in KNOWN_WARNINGS of %s:\n%s'
                          % (os.path.relpath(__file__, REPO), '\n'.join(unknown)))
    gone = [KNOWN_WARNINGS[i][0] for i in range(len(KNOWN_WARNINGS)) if i not in known_seen]
    if gone:
        raise CheckFailed('KNOWN_WARNINGS entries galaxy-importer no longer prints (remove them): %s' % gone)
    return summary, warnings


def start_clone_lint(tmp, bindir):
    """Clone HEAD and start ``ansible-lint --profile production`` there, as a new contributor would run it."""
    clone = os.path.join(tmp, 'clone')
    subprocess.run(['git', 'clone', '-q', '--no-hardlinks', REPO, clone], capture_output=True, check=True)
    env = clean_env(tmp, '')
    del env['ANSIBLE_COLLECTIONS_PATH']
    for key in ('ANSIBLE_COLLECTIONS_SCAN_SYS_PATH', 'ANSIBLE_HOME', 'ANSIBLE_LOCAL_TEMP'):
        del env[key]
    # ansible-lint runs ansible-playbook and ansible-galaxy by name.
    env['PATH'] = bindir + os.pathsep + env.get('PATH', '')
    argv = [os.path.join(bindir, 'ansible-lint'), '--profile', 'production', '--nocolor', '-f', 'pep8']
    return subprocess.Popen(argv, cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish_clone_lint(proc):
    try:
        output = proc.communicate(timeout=600)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        output = proc.communicate()[0]
    if proc.returncode != 0:
        raise CheckFailed('ansible-lint --profile production in a plain clone of HEAD failed (rc=%s); '
                          '.ansible-lint must make it pass without any collection installed:\n%s'
                          % (proc.returncode, output[-6000:]))
    return [line for line in output.splitlines() if line.startswith(('Passed', 'Failed'))]


def step_install(tmp, tarball, dependencies, bindir):
    collections = os.path.join(tmp, 'collections')
    requirements = os.path.join(tmp, 'requirements.yml')
    entries = [{'name': tarball, 'type': 'file'}] + [{'name': path, 'type': 'dir'} for path in dependencies]
    with open(requirements, 'w') as f:
        json.dump({'collections': entries}, f)
    env = clean_env(tmp, collections)
    proc = run([os.path.join(bindir, 'ansible-galaxy'), 'collection', 'install', '--offline', '-r', requirements,
                '-p', collections], cwd=tmp, env=env)
    if proc.returncode != 0:
        raise CheckFailed('ansible-galaxy collection install of the tarball failed:\n' + describe(proc))
    root = os.path.join(collections, 'ansible_collections', NAMESPACE, NAME)
    if not os.path.isfile(os.path.join(root, 'MANIFEST.json')):
        raise CheckFailed('the install made no %s' % root)
    return collections, root


def ansible_doc(tmp, env, bindir, doc_type, names):
    """``ansible-doc -t doc_type --json names``: the parsed JSON; fails on any warning or a missing doc."""
    proc = run([os.path.join(bindir, 'ansible-doc'), '-t', doc_type, '--json'] + names, cwd=tmp, env=env)
    noise = unexpected_lines(proc.stderr, CORE_NOISE)
    if proc.returncode != 0 or noise:
        raise CheckFailed('ansible-doc -t %s printed errors or warnings:\n%s' % (doc_type, describe(proc)))
    return json.loads(proc.stdout)


def step_docs(tmp, collections, root, bindir):
    env = clean_env(tmp, collections)
    checked = []
    plugins = os.path.join(root, 'plugins')
    for folder in sorted(os.listdir(plugins)) if os.path.isdir(plugins) else []:
        if folder in NOT_DOCUMENTED or not os.path.isdir(os.path.join(plugins, folder)):
            continue
        if folder not in DOC_TYPES:
            raise CheckFailed('plugins/%s: a plugin folder %s does not know how to document' % (folder, __file__))
        doc_type = DOC_TYPES[folder]
        files = os.listdir(os.path.join(plugins, folder))
        if doc_type in ('filter', 'test'):
            # One Python file may hold many; each is documented in a YAML file of its own name.
            expected = {f.rsplit('.', 1)[0] for f in files if f.endswith(('.yml', '.yaml'))}
        else:
            expected = {f[:-3] for f in files if f.endswith('.py') and f != '__init__.py'}
        expected = {'%s.%s' % (FQCN, name) for name in expected}
        proc = run([os.path.join(bindir, 'ansible-doc'), '-t', doc_type, '--list', '--json', FQCN], cwd=tmp, env=env)
        if proc.returncode != 0 or unexpected_lines(proc.stderr, CORE_NOISE):
            raise CheckFailed('ansible-doc --list -t %s failed:\n%s' % (doc_type, describe(proc)))
        listed = set(json.loads(proc.stdout))
        if expected - listed or not listed:
            raise CheckFailed('ansible-doc -t %s --list does not list %s (listed: %s)'
                              % (doc_type, sorted(expected - listed) or 'anything', sorted(listed)))
        docs = ansible_doc(tmp, env, bindir, doc_type, sorted(listed))
        for name in sorted(listed):
            doc = (docs.get(name) or {}).get('doc') or {}
            if not doc.get('short_description') or not doc.get('description'):
                raise CheckFailed('ansible-doc -t %s %s: no short_description/description' % (doc_type, name))
            checked.append('%s %s' % (doc_type, name))

    roles_dir = os.path.join(root, 'roles')
    roles = sorted(os.listdir(roles_dir)) if os.path.isdir(roles_dir) else []
    names = ['%s.%s' % (FQCN, role) for role in roles]
    if names:
        docs = ansible_doc(tmp, env, bindir, 'role', names)
        for name in names:
            entry = (docs.get(name) or {}).get('entry_points', {}).get('main') or {}
            if not entry.get('short_description') or not entry.get('options'):
                raise CheckFailed('ansible-doc -t role %s: no main entry point with short_description and options '
                                  '(meta/argument_specs.yml)' % name)
            if not os.path.isfile(os.path.join(roles_dir, name.rsplit('.', 1)[1], 'README.md')):
                raise CheckFailed('role %s has no README.md (galaxy-importer refuses that)' % name)
            checked.append('role %s' % name)
    return checked


def step_playbooks(tmp, collections, root, bindir):
    folder = os.path.join(root, 'playbooks')
    names = sorted(f.rsplit('.', 1)[0] for f in os.listdir(folder) if f.endswith(('.yml', '.yaml'))) \
        if os.path.isdir(folder) else []
    if not names:
        return []
    fqcns = ['%s.%s' % (FQCN, name) for name in names]
    proc = run([os.path.join(bindir, 'ansible-playbook'), '--syntax-check'] + fqcns, cwd=tmp,
               env=clean_env(tmp, collections))
    noise = unexpected_lines(proc.stderr, CORE_NOISE + SYNTAX_NOISE)
    if proc.returncode != 0 or noise:
        raise CheckFailed('ansible-playbook --syntax-check by FQCN failed or warned:\n' + describe(proc))
    return fqcns


def step_git(tmp, bindir):
    head = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout.strip()
    collections = os.path.join(tmp, 'from-git')
    proc = run([os.path.join(bindir, 'ansible-galaxy'), 'collection', 'install', '--no-deps',
                'git+file://%s,%s' % (REPO, head), '-p', collections], cwd=tmp, env=clean_env(tmp, collections))
    if proc.returncode != 0:
        raise CheckFailed('ansible-galaxy collection install from git failed:\n' + describe(proc))
    with open(os.path.join(collections, 'ansible_collections', NAMESPACE, NAME, 'MANIFEST.json')) as f:
        installed = json.load(f)['collection_info']['version']
    with open(os.path.join(REPO, 'galaxy.yml')) as f:
        wanted = re.search(r'^version:\s*(\S+)', f.read(), re.M).group(1)
    if installed != wanted:
        raise CheckFailed('installed from git %s: version %s, galaxy.yml says %s (commit galaxy.yml)'
                          % (head[:12], installed, wanted))
    return head[:12], installed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--importer-bin', required=True, help="bin folder of galaxy-importer's own venv")
    parser.add_argument('--dependency', action='append', default=[],
                        help='folder of a collection the tarball depends on (installed next to it)')
    parser.add_argument('--keep', action='store_true', help='keep the temporary folder and print its path')
    args = parser.parse_args()
    args.importer_bin = os.path.abspath(args.importer_bin)
    args.dependency = [os.path.abspath(path) for path in args.dependency]
    bindir = os.path.dirname(sys.executable)

    tmp = tempfile.mkdtemp(prefix='mailsec-release-check-')
    started = time.monotonic()
    timings = []

    def timed(label, func, *func_args):
        t0 = time.monotonic()
        result = func(*func_args)
        timings.append('%s %.1f s' % (label, time.monotonic() - t0))
        return result

    try:
        tarball, count = timed('build', step_build, tmp, bindir)
        print('  build: %s (%d files, %d KiB), every file tracked by git'
              % (os.path.basename(tarball), count, os.path.getsize(tarball) // 1024))
        importer = start_import(tmp, tarball, args.importer_bin)
        clone_lint = start_clone_lint(tmp, bindir)
        try:
            collections, root = timed('install', step_install, tmp, tarball, args.dependency, bindir)
            print('  installed into an empty collections path: %s' % root)
            checked = timed('ansible-doc', step_docs, tmp, collections, root, bindir)
            print('  ansible-doc: %s' % ', '.join(checked))
            playbooks = timed('syntax-check', step_playbooks, tmp, collections, root, bindir)
            print('  ansible-playbook --syntax-check: %s' % ', '.join(playbooks))
            print('  installed from git: commit %s, version %s' % timed('git', step_git, tmp, bindir))
        except BaseException:
            for proc in (importer[0], clone_lint):
                proc.kill()
                proc.communicate()
            raise
        waited = time.monotonic()
        try:
            summary, warnings = finish_import(*importer)
        except BaseException:
            clone_lint.kill()
            clone_lint.communicate()
            raise
        timings.append('galaxy-importer (in the background) ended %.1f s after them' % (time.monotonic() - waited))
        waited = time.monotonic()
        lint_summary = finish_clone_lint(clone_lint)
        timings.append('lint of a plain clone (in the background) %.1f s later' % (time.monotonic() - waited))
        print('  ansible-lint in a plain clone of HEAD: %s' % ' '.join(lint_summary))
        print('  galaxy-importer: %s; %d warning(s), each explained in KNOWN_WARNINGS'
              % ('; '.join(summary), len(warnings)))
    except CheckFailed as e:
        print('release-check FAILED: %s' % e, file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print('  kept: %s' % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print('release-check passed in %.1f s (%s)' % (time.monotonic() - started, ', '.join(timings)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
