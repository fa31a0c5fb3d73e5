# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The postfix_outbound role with a real Postfix sending real mail to the lab's domains.

A sending-only Postfix (tests/mailsec_testing/postfix_lab.py: own config dir, own loopback address, maillog_file,
nothing chrooted) that already has a static smtp_tls_policy_maps table; the role run against it
with the resolver in signal mode; both in a mount namespace where the lab's named is the DNS server
and the lab CA is trusted. Nothing of the machine's (/etc/postfix, /etc/resolv.conf, the CA store)
is touched; everything lives in a temp dir that is removed at the end.
"""

import json
import os
import subprocess
import sys
import time

import pytest

import mailsec_lab as labtools
from mailsec_testing import postfix_lab as pl
from mailsec_testing.ansible_runner import ansible_env, recap_changed, run_steps

STATIC_DOMAIN = 'static-first.' + pl.SUB
CASES = {
    # domain: (delivered?, the Postfix log text that decides it)
    'enforce-good.' + pl.SUB: (True, 'Verified TLS connection established to %s[%s]:25' % pl.MX_GOOD),
    'enforce-bad.' + pl.SUB: (False, 'status=deferred (Server certificate not verified)'),
    'testing-bad.' + pl.SUB: (True, 'status=sent'),
    'no-policy.' + pl.SUB: (True, 'status=sent'),
    STATIC_DOMAIN: (True, 'status=sent'),
}


def _resolver_pid(setup):
    try:
        with open(setup['pid_file']) as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return None
    return pid if labtools.pid_alive(pid) else None


def _role_default(name):
    """A default of the role (roles/postfix_outbound/defaults/main.yml), read where it is set."""
    import yaml  # pylint: disable=import-outside-toplevel
    path = os.path.join(os.path.dirname(__file__), '..', '..', 'roles', 'postfix_outbound', 'defaults', 'main.yml')
    with open(path) as handle:
        return yaml.safe_load(handle)[name]


def run_role(setup, extra=None, check=False):
    """ansible-playbook with the role on localhost, modules in the lab namespace; ``(rc, output)``."""
    variables = dict(setup['vars'], **(extra or {}))
    argv = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
            '-e', json.dumps(variables), setup['playbook']]
    if check:
        argv += ['--check', '--diff']
    # Pipelining: each module goes to the interpreter (the namespace wrapper) on stdin, no temp files.
    proc = subprocess.run(argv, env=ansible_env(dict({'ANSIBLE_PIPELINING': '1'}, **setup.get('pip_env', {}))),
                          capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def run_info(setup, domains):
    """postfix_tls_policy_info run on its own (as ad hoc), in the lab namespace; its result."""
    results, dummy = run_steps(setup['tmp'], [('mailsec.mta_sts.postfix_tls_policy_info', {
        'domains': domains, 'config_directory': setup['postfix'].config_dir, 'timeout': 5})],
        env={'ANSIBLE_PYTHON_INTERPRETER': setup['vars']['ansible_python_interpreter']})
    return results[0]


def main_cf(setup):
    with open(os.path.join(setup['postfix'].config_dir, 'main.cf'), 'rb') as handle:
        return handle.read()


# How the role installs the resolver: Debian's package (default), or `pip` (the pinned PyPI release;
# `make trixie` runs the delivery cases that way inside the Debian 13 host).
RESOLVER_INSTALL = os.environ.get('MAILSEC_TEST_RESOLVER_INSTALL') or 'package'


@pytest.fixture(scope='module')
def setup(lab, tmp_path_factory):
    base = pl.make_private_dir('mailsec-postfix-')
    pids = []
    postfix = None
    state = {}
    try:
        pl.setup_domains(lab, base, lambda conf: pids.append(labtools.start_nginx(conf, base)))
        mx_pid, record = pl.start_mx(lab, base)
        pids.append(mx_pid)
        # STATIC_DOMAIN has an enforce policy and the bad MX, and the host's own static map lets it
        # through: the static map must still be consulted before the resolver.
        static_map = os.path.join(base, 'tls_policy')
        with open(static_map, 'w') as handle:
            handle.write('%s may\n' % STATIC_DOMAIN)
        postfix = pl.Postfix(lab, os.path.join(base, 'postfix'),
                             {'smtp_tls_policy_maps': 'texthash:%s' % static_map})
        postfix.start()
        wrapper = pl.ns_wrapper(os.path.join(base, 'python-in-lab-ns'), lab, base, [sys.executable])
        playbook = os.path.join(base, 'play.yml')
        with open(playbook, 'w') as handle:
            handle.write('- hosts: localhost\n  gather_facts: false\n  roles:\n    - mailsec.mta_sts.postfix_outbound\n')
        role_vars = {
            'ansible_python_interpreter': wrapper,
            'postfix_outbound_listen_address': pl.RESOLVER_ADDRESS,
            'postfix_outbound_listen_port': pl.RESOLVER_PORT,
            'postfix_outbound_config_path': os.path.join(base, 'mta-sts-daemon.yml'),
            'postfix_outbound_service': 'signal',
            'postfix_outbound_pid_file': os.path.join(base, 'resolver.pid'),
            'postfix_outbound_log_file': os.path.join(base, 'resolver.log'),
            'postfix_outbound_shutdown_timeout': 1,
            'postfix_outbound_postfix_config_directory': postfix.config_dir,
            'postfix_outbound_check_domains': sorted(CASES),
        }
        if RESOLVER_INSTALL == 'pip':
            # The PyPI release in a virtualenv under the test's own folder (nothing left in /opt). The modules
            # run in the lab's namespace, whose resolver knows only the lab's names: the role's pip install
            # takes the pinned release and its dependencies from a folder downloaded here first (pip reads
            # PIP_NO_INDEX and PIP_FIND_LINKS from the environment the modules inherit).
            role_vars.update(postfix_outbound_install='pip', postfix_outbound_virtualenv=os.path.join(base, 'venv'))
            wheels = os.path.join(base, 'wheels')
            subprocess.run([sys.executable, '-m', 'pip', 'download', '-q', '--dest', wheels,
                            'postfix-mta-sts-resolver==%s' % _role_default('postfix_outbound_pip_version')], check=True)
            state['pip_env'] = {'PIP_NO_INDEX': '1', 'PIP_FIND_LINKS': wheels}
        state.update(base=base, postfix=postfix, tmp=tmp_path_factory.mktemp('postfix-outbound'), record=record,
                     playbook=playbook, pid_file=os.path.join(base, 'resolver.pid'), vars=role_vars)
        state['main_cf_before'] = main_cf(state)
        state['postconf_before'] = postfix.run('postconf', '-c', postfix.config_dir, '-n').stdout
        state['check_run'] = run_role(state, check=True)
        state['main_cf_after_check'] = main_cf(state)
        state['resolver_after_check'] = _resolver_pid(state)
        state['config_after_check'] = os.path.exists(state['vars']['postfix_outbound_config_path'])
        started = time.monotonic()
        state['first_run'] = run_role(state)
        state['first_run_seconds'] = time.monotonic() - started
        print('first run of the role: %.1f s' % state['first_run_seconds'])
        state['second_run'] = run_role(state)
        yield state
    finally:
        pid = _resolver_pid(state) if state else None
        if pid:
            labtools.stop_pid(pid, timeout=10)
        if postfix is not None:
            postfix.stop()
        for pid in pids:
            labtools.stop_pid(pid)
        pl.remove_tree(base)


def test_check_mode_changes_nothing(setup):
    code, output = setup['check_run']
    assert code == 0, output[-3000:]
    assert recap_changed(output) > 0
    assert setup['main_cf_after_check'] == setup['main_cf_before']
    assert setup['resolver_after_check'] is None
    assert not setup['config_after_check']


def test_apply_then_rerun_changes_nothing(setup):
    code, output = setup['first_run']
    assert code == 0, output[-3000:]
    assert recap_changed(output) > 0
    assert 'RUNNING HANDLER [mailsec.mta_sts.postfix_outbound : Reload Postfix]' in output
    code, output = setup['second_run']
    assert code == 0, output[-3000:]
    assert recap_changed(output) == 0, output[-3000:]


def test_the_resolver_runs_from_the_chosen_install(setup):
    # package: Debian's /usr/bin/mta-sts-daemon; pip: the virtualenv's, never the package's.
    pid = _resolver_pid(setup)
    assert pid, 'no resolver running after the role'
    with open('/proc/%d/cmdline' % pid, 'rb') as handle:
        argv = handle.read().decode(errors='replace').split('\0')
    expected = (os.path.join(setup['base'], 'venv', 'bin', 'mta-sts-daemon') if RESOLVER_INSTALL == 'pip'
                else '/usr/bin/mta-sts-daemon')
    assert expected in argv, argv


def test_finding7_the_resolver_configuration_is_not_world_readable(setup):
    # Issue 21, finding 7: it may hold a Redis password and was written 0644. In signal mode the role
    # starts the resolver as root, so the group is root.
    info = os.stat(setup['vars']['postfix_outbound_config_path'])
    assert oct(info.st_mode & 0o777) == oct(0o640)
    assert (info.st_uid, info.st_gid) == (0, 0)


def test_only_smtp_tls_policy_maps_changed_and_the_static_map_comes_first(setup):
    postfix = setup['postfix']
    after = postfix.run('postconf', '-c', postfix.config_dir, '-n').stdout
    changed = set(after.splitlines()) ^ set(setup['postconf_before'].splitlines())
    assert changed == {
        'smtp_tls_policy_maps = texthash:%s/tls_policy' % setup['base'],
        'smtp_tls_policy_maps = texthash:%s/tls_policy, socketmap:inet:%s:%d:postfix' % (
            setup['base'], pl.RESOLVER_ADDRESS, pl.RESOLVER_PORT)}


def test_the_role_reports_the_policies_postfix_applies(setup):
    output = setup['first_run'][1]
    shown = output.split('TASK [mailsec.mta_sts.postfix_outbound : Show the policies Postfix applies]')[1]
    assert 'enforce-good.%s: secure match=%s servername=hostname' % (pl.SUB, pl.MX_GOOD[0]) in shown
    assert 'testing-bad.%s: no policy (smtp_tls_security_level = may applies)' % pl.SUB in shown
    assert '%s: may' % STATIC_DOMAIN in shown


@pytest.mark.parametrize('domain', sorted(CASES))
def test_delivery(setup, domain):
    delivered, decisive = CASES[domain]
    postfix = setup['postfix']
    recipient = 'user@' + domain
    postfix.send(recipient, 'case ' + domain)
    line = postfix.wait_log(lambda text: pl.verdict(text, recipient))
    print('%s -> %s' % (domain, line))
    got = [entry for entry in pl.received(setup['record']) if recipient in entry['rcpt_tos']]
    if delivered:
        assert 'status=sent' in line
        assert len(got) == 1 and got[0]['tls'], got
        mx = pl.DOMAINS.get(domain, (pl.MX_BAD,))[0]
        assert got[0]['local_address'] == mx[1]
        assert decisive in postfix.log()
    else:
        assert 'status=deferred' in line and 'dsn=4.7.5' in line
        assert decisive in line
        # and why: the MX certificate names another host
        assert 'server certificate verification failed for %s[%s]:25: num=62:hostname mismatch' % pl.MX_BAD \
            in postfix.log()
        assert got == []
        assert [m['recipients'][0]['address'] for m in postfix.queue()].count(recipient) == 1


def test_ad_hoc_check_names_the_policy_and_the_table(setup):
    result = run_info(setup, ['enforce-good.' + pl.SUB, STATIC_DOMAIN, 'no-policy.' + pl.SUB])
    assert not result.get('failed'), result
    by_domain = dict((entry['domain'], entry) for entry in result['policies'])
    good = by_domain['enforce-good.' + pl.SUB]
    assert (good['level'], good['match'], good['table']) == (
        'secure', [pl.MX_GOOD[0]], 'socketmap:inet:%s:%d:postfix' % (pl.RESOLVER_ADDRESS, pl.RESOLVER_PORT))
    assert by_domain[STATIC_DOMAIN]['policy'] == 'may'
    assert by_domain[STATIC_DOMAIN]['table'].startswith('texthash:')
    assert by_domain['no-policy.' + pl.SUB]['policy'] is None
    assert result['socketmaps'][0]['answers'] is True


@pytest.mark.parametrize('extra, option, words', [
    ({'postfix_outbound_listen_address': '0.0.0.0'}, 'postfix_outbound_listen_address',
     'is 0.0.0.0, which is not a loopback address'),
    ({'postfix_outbound_listen_address': '192.0.2.10'}, 'postfix_outbound_listen_address',
     'set postfix_outbound_allow_remote to true'),
    ({'postfix_outbound_cache_type': 'memcached'}, 'postfix_outbound_cache_type',
     'value of postfix_outbound_cache_type must be one of: internal, sqlite, redis, got: memcached'),
])
def test_bad_input_is_refused_before_any_change(setup, extra, option, words):
    before = main_cf(setup)
    with open(setup['vars']['postfix_outbound_config_path'], 'rb') as handle:
        config_before = handle.read()
    pid = _resolver_pid(setup)
    code, output = run_role(setup, extra)
    assert code != 0
    failure = output.split('fatal:')[-1]
    assert option in failure and words in failure, failure
    assert recap_changed(output) == 0
    assert main_cf(setup) == before
    with open(setup['vars']['postfix_outbound_config_path'], 'rb') as handle:
        assert handle.read() == config_before
    assert _resolver_pid(setup) == pid


def test_resolver_stopped_postfix_defers_and_nothing_is_lost(setup):
    postfix = setup['postfix']
    recipient = 'stopped@enforce-good.' + pl.SUB
    pid = _resolver_pid(setup)
    assert pid
    labtools.stop_pid(pid, timeout=10)
    try:
        # The check fails and says why, ad hoc as in the role.
        result = run_info(setup, ['enforce-good.' + pl.SUB])
        assert result.get('failed')
        assert 'did not answer' in result['msg'] and 'Connection refused' in result['msg'], result['msg']
        postfix.send(recipient, 'while the resolver is down')
        line = postfix.wait_log(lambda text: pl.verdict(text, recipient))
        print('resolver stopped -> %s' % line)
        assert 'status=deferred (client TLS configuration problem)' in line
        assert 'policy table lookup error' in postfix.log()
        assert [m['recipients'][0]['address'] for m in postfix.queue()].count(recipient) == 1
    finally:
        # The role starts it again (signal mode: it was not running), and the check passes.
        code, output = run_role(setup)
        assert code == 0, output[-3000:]
        assert 'TASK [mailsec.mta_sts.postfix_outbound : Start the daemon: mta-sts-daemon]' in output
    postfix.flush()
    line = postfix.wait_log(lambda text: 'to=<%s>' % recipient in text and 'status=sent' in text.split(
        'to=<%s>' % recipient)[-1].splitlines()[0] and text)
    got = [entry for entry in pl.received(setup['record']) if recipient in entry['rcpt_tos']]
    assert len(got) == 1 and got[0]['tls'] and got[0]['local_address'] == pl.MX_GOOD[1]


def test_a_changed_setting_restarts_the_resolver_by_its_pid(setup):
    # (the last test that runs the role: the resolver keeps the changed setting)
    pid = _resolver_pid(setup)
    code, output = run_role(setup, {'postfix_outbound_timeout': 5})
    assert code == 0, output[-3000:]
    assert 'TASK [mailsec.mta_sts.postfix_outbound : Stop the daemon by its PID, to restart it: mta-sts-daemon]' in output
    new = _resolver_pid(setup)
    assert new and new != pid and not labtools.pid_alive(pid)
    with open(setup['vars']['postfix_outbound_config_path']) as handle:
        assert '  timeout: 5\n' in handle.read()
    # main.cf did not change, so Postfix was not reloaded.
    assert 'Reload Postfix]' not in output


def test_tlsrpt_on_postfix_37_is_refused_before_anything_changes(setup, tmp_path):
    # Debian 12's Postfix 3.7 has no TLSRPT: one sentence naming the version and what is needed, and
    # nothing changed (main.cf, the resolver, no virtualenv). tests/integration/test_tlsrpt_sending.py
    # runs the same role with Postfix 3.10 on the Debian 13 host.
    version = setup['postfix'].run('postconf', '-dh', 'mail_version').stdout.strip()
    if tuple(int(part) for part in version.split('.')[:2]) >= (3, 10):
        # Debian 13 (make test's trixie step runs this file there): this Postfix may send reports.
        pytest.skip('Postfix %s is 3.10 or later: the refusal is for older ones (test_tlsrpt_sending.py runs '
                    'the role with this one)' % version)
    before = main_cf(setup)
    pid = _resolver_pid(setup)
    venv = str(tmp_path / 'tlsrpt-venv')
    code, output = run_role(setup, {'postfix_outbound_tlsrpt': True, 'postfix_outbound_tlsrpt_organization': 'Lab',
                                    'postfix_outbound_tlsrpt_contact': 'tlsrpt@' + pl.SUB,
                                    'postfix_outbound_tlsrpt_virtualenv': venv})
    assert code != 0
    assert ('postfix_outbound_tlsrpt is true, but Postfix %s in %s cannot send TLS reports: that needs Postfix 3.10 or '
            'later built with libtlsrpt' % (version, setup['postfix'].config_dir)) in ' '.join(output.split()), output[-2000:]
    assert 'this one is older' in output and 'nothing was changed' in output
    assert main_cf(setup) == before and _resolver_pid(setup) == pid
    assert not os.path.exists(venv)
