# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The metrics end to end against the lab: real verify runs, promtool, node_exporter, Prometheus, the monitor role.

The domain ``mon.mailsec.test`` is published in the lab zone: its policy host (nginx on an address of its own)
serves a policy whose id is published, its MX hosts are the lab's mx1 (a certificate good for years) and
``mx-soon.mailsec.test`` (an SMTP listener of its own whose certificate ends in 5 days). mta_sts_verify and
tlsrpt_report_info write their metrics through ``metrics_path``; a real prometheus-node-exporter serves them
from its textfile folder (through links, as the monitor role lays them out) and a real Prometheus scrapes it
and evaluates the shipped alert rules: the expiring MX certificate fires MtaStsMxCertificateExpiringSoon, mx1
does not. Servers on loopback addresses of this lab net, started and stopped by PID.
"""

import datetime
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

import mailsec_lab as lablib
from mailsec_testing import report_samples as samples
from mailsec_testing.ansible_runner import ansible_env, recap_changed, run_module

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.policy import policy_id

pytestmark = pytest.mark.lab

REPO = pathlib.Path(__file__).resolve().parents[2]
RULES = REPO / 'extensions' / 'prometheus' / 'mailsec_mta_sts.rules.yml'
DOMAIN = 'mon.mailsec.test'
SOON_MX = 'mx-soon.mailsec.test'
POLICY_ADDRESS = '127.%d.92.1' % lablib.LAB_NET
SOON_MX_ADDRESS = '127.%d.93.1' % lablib.LAB_NET
EXPORTER = '127.%d.94.1:9100' % lablib.LAB_NET
PROMETHEUS = '127.%d.94.2:9090' % lablib.LAB_NET
POLICY = {'mode': 'enforce', 'mx': ['*.mailsec.test'], 'max_age': 604800}
POLICY_TEXT = 'version: STSv1\r\nmode: enforce\r\nmx: *.mailsec.test\r\nmax_age: 604800\r\n'
MONITOR_USER = 'mailsec-mon-test'
CRON_FILE = pathlib.Path('/etc/cron.d/mailsec-mta-sts-monitor')


def _sample(text, name, **labels):
    """The value of the one sample of ``name`` with at least ``labels``."""
    found = []
    for line in text.splitlines():
        match = re.match(r'^%s(?:\{([^}]*)\})? (\S+)$' % re.escape(name), line)
        if match and all('%s="%s"' % item in (match.group(1) or '') for item in labels.items()):
            found.append(float(match.group(2)))
    assert len(found) == 1, (name, labels, text)
    return found[0]


def promtool_check_metrics(text):
    proc = subprocess.run(['promtool', 'check', 'metrics'], input=text, capture_output=True, text=True, timeout=60,
                          check=False)
    return proc.returncode, proc.stdout + proc.stderr


def _wait_http(url, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.fixture(scope='module')
def monitored(lab, tmp_path_factory):
    """Publish mon.mailsec.test with its policy host and the MX whose certificate ends in 5 days."""
    work = tmp_path_factory.mktemp('monitored')
    now = datetime.datetime.now(datetime.timezone.utc)
    policy_host = 'mta-sts.' + DOMAIN
    cert, key = lablib.issue_cert([policy_host], ca=lab)
    root = work / 'www'
    (root / '.well-known').mkdir(parents=True)
    (root / '.well-known' / 'mta-sts.txt').write_text(POLICY_TEXT)
    os.chmod(work, 0o755)
    soon_cert, soon_key = lablib.issue_cert([SOON_MX], not_before=now - datetime.timedelta(days=80),
                                            not_after=now + datetime.timedelta(days=5), ca=lab)
    lablib.dns_update(lab, policy_host, 'A', [POLICY_ADDRESS])
    lablib.dns_update(lab, '_mta-sts.' + DOMAIN, 'TXT', ['v=STSv1; id=%s;' % policy_id(POLICY)])
    lablib.dns_update(lab, '_smtp._tls.' + DOMAIN, 'TXT', ['v=TLSRPTv1; rua=mailto:tlsrpt@mailsec.test'])
    lablib.dns_update(lab, SOON_MX, 'A', [SOON_MX_ADDRESS])
    lablib.dns_update(lab, DOMAIN, 'MX', ['10 mx1.mailsec.test.', '20 %s.' % SOON_MX])
    pids = []
    try:
        pids.append(lablib.start_nginx(lablib.render_tls_server(POLICY_ADDRESS, policy_host, cert, key, root),
                                       work / 'nginx'))
        pids.append(lablib.start_smtp([{'address': SOON_MX_ADDRESS, 'port': 25, 'cert': soon_cert, 'key': soon_key,
                                        'hostname': SOON_MX}], work / 'smtp.log'))
        yield dict(lab, soon_not_after=now + datetime.timedelta(days=5))
    finally:
        for pid in pids:
            lablib.stop_pid(pid)
        for name in (DOMAIN, policy_host, '_mta-sts.' + DOMAIN, '_smtp._tls.' + DOMAIN, SOON_MX):
            lablib.dns_delete(lab, name)


def _verify_args(lab_info, **extra):
    args = dict(domain=DOMAIN, nameservers=[lab_info['dns']['server']], dns_port=int(lab_info['dns']['port']),
                ca_path=lab_info['ca_path'], timeout=5, fail_on='never')
    args.update(extra)
    return args


@pytest.fixture(scope='module')
def metrics_files(monitored, tmp_path_factory):
    """verify.prom and reports.prom written by the modules (a real verify run; the sample reports)."""
    work = tmp_path_factory.mktemp('metrics')
    state = work / 'state'
    state.mkdir()
    verify = run_module(work, 'mta_sts_verify', _verify_args(monitored, metrics_path=str(state / 'verify.prom')))
    reports_dir = samples.write_sample_dir(str(work / 'reports'))
    reports = run_module(work, 'tlsrpt_report_info', {
        'path': reports_dir, 'domain': ['example.com', 'company-y.example'], 'return_reports': False,
        'metrics_path': str(state / 'reports.prom')})
    return {'verify': verify, 'reports': reports, 'state': state, 'work': work}


def test_verify_metrics_from_the_lab_pass_promtool_and_say_what_was_seen(monitored, metrics_files):
    run = metrics_files['verify']
    assert not run.failed, run.result
    assert run.changed  # a new file
    text = (metrics_files['state'] / 'verify.prom').read_text()
    code, output = promtool_check_metrics(text)
    assert code == 0 and output == '', output
    assert _sample(text, 'mailsec_mta_sts_verify_passed', domain=DOMAIN) == 1
    assert _sample(text, 'mailsec_mta_sts_check_passed', domain=DOMAIN, check='certificate') == 1
    assert _sample(text, 'mailsec_mta_sts_policy_info', domain=DOMAIN, mode='enforce') == 1
    assert _sample(text, 'mailsec_mta_sts_policy_max_age_seconds', domain=DOMAIN) == 604800
    assert _sample(text, 'mailsec_mta_sts_policy_addresses_consistent', domain=DOMAIN) == 1
    assert _sample(text, 'mailsec_mta_sts_policy_id_matches', domain=DOMAIN) == 1
    soon = _sample(text, 'mailsec_mta_sts_mx_certificate_expiry_timestamp_seconds', domain=DOMAIN, mx_host=SOON_MX,
                   address=SOON_MX_ADDRESS)
    assert abs(soon - monitored['soon_not_after'].timestamp()) < 2
    good = _sample(text, 'mailsec_mta_sts_mx_certificate_expiry_timestamp_seconds', domain=DOMAIN,
                   mx_host='mx1.mailsec.test')
    assert good - time.time() > 14 * 86400
    assert _sample(text, 'mailsec_mta_sts_policy_certificate_expiry_timestamp_seconds', domain=DOMAIN,
                   address=POLICY_ADDRESS) - time.time() > 14 * 86400
    assert run.result['id_matches_policy'] is True and run.result['policy_addresses_agree'] is True


def test_verify_rerun_same_state_same_file_and_check_mode_writes_nothing(monitored, metrics_files, tmp_path):
    path = metrics_files['state'] / 'verify.prom'
    before = path.read_bytes()
    again = run_module(tmp_path, 'mta_sts_verify', _verify_args(monitored, metrics_path=str(path)))
    assert not again.changed and path.read_bytes() == before
    fresh = tmp_path / 'fresh.prom'
    checked = run_module(tmp_path, 'mta_sts_verify', _verify_args(monitored, metrics_path=str(fresh)), check=True)
    assert checked.changed and not fresh.exists()


def test_report_metrics_pass_promtool(metrics_files):
    assert not metrics_files['reports'].failed, metrics_files['reports'].result
    text = (metrics_files['state'] / 'reports.prom').read_text()
    code, output = promtool_check_metrics(text)
    assert code == 0 and output == '', output
    assert _sample(text, 'mailsec_mta_sts_tlsrpt_failed_sessions_total', domain='company-y.example') == 303


@pytest.fixture(scope='module')
def exporter(metrics_files):
    """prometheus-node-exporter serving the textfile folder, where the files are links (the role's layout)."""
    textfile = metrics_files['work'] / 'textfile'
    textfile.mkdir()
    for name in ('verify', 'reports'):
        os.symlink(metrics_files['state'] / ('%s.prom' % name), textfile / ('mailsec_mta_sts_%s.prom' % name))
    log = open(metrics_files['work'] / 'node_exporter.log', 'w')
    proc = subprocess.Popen(['prometheus-node-exporter', '--web.listen-address=' + EXPORTER,
                             '--collector.disable-defaults', '--collector.textfile',
                             '--collector.textfile.directory=' + str(textfile)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_http('http://%s/metrics' % EXPORTER)
        yield 'http://%s/metrics' % EXPORTER
    finally:
        lablib.stop_pid(proc.pid)
        log.close()


def test_node_exporter_serves_the_series(exporter):
    text = _wait_http(exporter)
    assert _sample(text, 'node_textfile_scrape_error') == 0
    assert _sample(text, 'mailsec_mta_sts_mx_certificate_expiry_timestamp_seconds', domain=DOMAIN,
                   mx_host=SOON_MX) > time.time()
    assert _sample(text, 'mailsec_mta_sts_tlsrpt_reports_total', domain='example.com') == 3
    assert 'node_textfile_mtime_seconds{file="' in text


def test_prometheus_evaluates_the_rules_against_the_lab(monitored, exporter, metrics_files):
    work = metrics_files['work']
    config = work / 'prometheus.yml'
    config.write_text(json.dumps({
        'global': {'scrape_interval': '1s', 'evaluation_interval': '1s'},
        'rule_files': [str(RULES)],
        'scrape_configs': [{'job_name': 'node', 'static_configs': [{'targets': [EXPORTER]}]}],
    }))
    log = open(work / 'prometheus.log', 'w')
    proc = subprocess.Popen(['prometheus', '--config.file=' + str(config), '--storage.tsdb.path=' + str(work / 'tsdb'),
                             '--web.listen-address=' + PROMETHEUS],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        firing = []
        while time.monotonic() < deadline:
            try:
                alerts = json.loads(_wait_http('http://%s/api/v1/alerts' % PROMETHEUS, 60))['data']['alerts']
            except OSError:
                alerts = []
            firing = [(alert['labels']['alertname'], alert['labels'].get('mx_host') or alert['labels'].get('domain'))
                      for alert in alerts if alert['state'] == 'firing']
            if ('MtaStsMxCertificateExpiringSoon', SOON_MX) in firing and \
                    ('MtaStsNoRecentTlsReport', 'example.com') in firing:
                break
            time.sleep(1)
        assert ('MtaStsMxCertificateExpiringSoon', SOON_MX) in firing, firing
        # The sample reports are from May 2026: more than 3 days old.
        assert ('MtaStsNoRecentTlsReport', 'example.com') in firing, firing
        # mx1's certificate is good for years, the policy host's too; the domain passes every check.
        assert ('MtaStsMxCertificateExpiringSoon', 'mx1.mailsec.test') not in firing
        names = set(name for name, dummy in firing)
        assert not names & {'MtaStsPolicyCertificateExpiringSoon', 'MtaStsPolicyAddressesDiffer', 'MtaStsMetricsStale'}
    finally:
        lablib.stop_pid(proc.pid)
        log.close()


# ---------------------------------------------------------------------------------------------
# The monitor role on this machine (no systemd here: the cron path for real)

def _role_playbook(tmp_path, variables, check=False):
    playbook = tmp_path / 'monitor.yml'
    playbook.write_text(json.dumps([{'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
                                     'roles': [{'role': 'mailsec.mta_sts.monitor', 'vars': variables}]}]))
    argv = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', str(playbook)]
    if check:
        argv += ['--check', '--diff']
    proc = subprocess.run(argv, env=ansible_env(), capture_output=True, text=True, timeout=1200, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def _tree(*paths):
    """Every file and link under ``paths`` with its content or target, and the cron file: what a run changes."""
    found = {}
    for top in paths:
        for folder, dirs, files in os.walk(top):
            for name in sorted(dirs + files):
                full = os.path.join(folder, name)
                if os.path.islink(full):
                    found[full] = 'link ' + os.readlink(full)
                elif os.path.isfile(full):
                    found[full] = (pathlib.Path(full).read_bytes(), os.stat(full).st_mode, os.stat(full).st_uid)
                else:
                    found[full] = 'dir %o' % os.stat(full).st_mode
    found['cron'] = CRON_FILE.read_bytes() if CRON_FILE.exists() else None
    return found


def _user_exists(name):
    return any(line.split(':')[0] == name for line in pathlib.Path('/etc/passwd').read_text().splitlines())


@pytest.fixture
def monitor_vars(monitored, tmp_path):
    # Not under pytest's 0700 temp root: the monitor's user must reach its runner and state folder.
    base = pathlib.Path(tempfile.mkdtemp(prefix='mailsec-monitor-', dir='/tmp'))
    os.chmod(base, 0o755)
    (base / 'textfile').mkdir()
    assert not CRON_FILE.exists() and not _user_exists(MONITOR_USER), 'a monitor is installed already'
    variables = {
        'monitor_domains': [DOMAIN], 'monitor_nameservers': [monitored['dns']['server']],
        'monitor_dns_port': int(monitored['dns']['port']), 'monitor_ca_path': monitored['ca_path'],
        'monitor_timeout': 5, 'monitor_user': MONITOR_USER, 'monitor_textfile_dir': str(base / 'textfile'),
        'monitor_install_dir': str(base / 'opt'), 'monitor_state_dir': str(base / 'state'),
        'monitor_config_path': str(base / 'monitor.json'), 'ansible_python_interpreter': sys.executable,
    }
    yield variables, base
    # Whatever happened: remove the role's traces (cron file, user) from the machine.
    _role_playbook(tmp_path, dict(variables, monitor_state='absent'))
    if CRON_FILE.exists():
        CRON_FILE.unlink()
    if _user_exists(MONITOR_USER):
        subprocess.run(['userdel', MONITOR_USER], check=False)
    shutil.rmtree(base, ignore_errors=True)


# Four role runs; each copies about 40 files, several minutes on a loaded 2-core machine.
@pytest.mark.timeout(1800)
def test_monitor_role_cron_run_rerun_check_mode_and_removal(monitor_vars, tmp_path):
    variables, base = monitor_vars
    code, output = _role_playbook(tmp_path, variables)
    assert code == 0, output[-3000:]
    assert recap_changed(output) > 0
    assert 'Schedule the runs with cron' in output
    cron = CRON_FILE.read_text()
    command = '/usr/bin/python3 %s/opt/bin/mailsec-mta-sts-monitor %s/monitor.json' % (base, base)
    assert '*/15 * * * * %s %s' % (MONITOR_USER, command) in cron, cron

    # The cron job, triggered by hand as the user cron would run it as.
    proc = subprocess.run(['runuser', '-u', MONITOR_USER, '--'] + command.split(), capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0 and proc.stderr == '', proc.stderr
    text = (base / 'textfile' / 'mailsec_mta_sts_verify.prom').read_text()
    code, promtool_output = promtool_check_metrics(text)
    assert code == 0 and promtool_output == '', promtool_output
    assert _sample(text, 'mailsec_mta_sts_verify_passed', domain=DOMAIN) == 1
    assert _sample(text, 'mailsec_mta_sts_mx_certificate_expiry_timestamp_seconds', mx_host=SOON_MX) - time.time() \
        < 14 * 86400
    state = os.stat(base / 'state' / 'verify.prom')
    assert state.st_uid == int(subprocess.check_output(['id', '-u', MONITOR_USER])) and state.st_mode & 0o777 == 0o644

    before = _tree(base)
    code, output = _role_playbook(tmp_path, variables)
    assert code == 0, output[-3000:]
    assert recap_changed(output) == 0, output[-3000:]
    code, output = _role_playbook(tmp_path, variables, check=True)
    assert code == 0, output[-3000:]
    assert recap_changed(output) == 0, output[-3000:]
    assert _tree(base) == before

    code, output = _role_playbook(tmp_path, dict(variables, monitor_state='absent'))
    assert code == 0, output[-3000:]
    assert not CRON_FILE.exists() and not _user_exists(MONITOR_USER)
    assert sorted(os.listdir(base)) == ['textfile'] and os.listdir(base / 'textfile') == []


def test_systemd_units_pass_systemd_analyze(tmp_path):
    """The units as the role renders them (Ansible's template module, the role's variables), verified offline."""
    role = REPO / 'roles' / 'monitor'
    out = tmp_path / 'units'
    out.mkdir()
    playbook = tmp_path / 'render.yml'
    playbook.write_text(json.dumps([{
        'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
        'vars_files': [str(role / 'defaults' / 'main.yml'), str(role / 'vars' / 'main.yml')],
        'vars': {'role_path': str(role), 'monitor_user': 'root', 'ansible_python_interpreter': sys.executable},
        'tasks': [{'name': 'render', 'ansible.builtin.template': {
            'src': str(role / 'templates') + '/{{ name }}.j2', 'dest': str(out) + '/{{ name }}', 'mode': '0644'},
            'loop': ['mailsec-mta-sts-monitor.service', 'mailsec-mta-sts-monitor.timer'],
            'loop_control': {'loop_var': 'name'}}]}]))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,',
                           str(playbook)], env=ansible_env(), capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    service = (out / 'mailsec-mta-sts-monitor.service').read_text()
    assert 'ExecStart=/usr/bin/python3 /opt/mailsec-mta-sts-monitor/bin/mailsec-mta-sts-monitor ' \
           '/etc/mailsec-mta-sts-monitor.json -v' in service
    assert 'ReadWritePaths=/var/lib/mailsec-mta-sts-monitor' in service
    assert 'OnCalendar=*:0/15' in (out / 'mailsec-mta-sts-monitor.timer').read_text()
    if shutil.which('systemd-analyze') is None:
        pytest.fail('systemd-analyze is missing (package systemd)', pytrace=False)
    check = subprocess.run(['systemd-analyze', 'verify', str(out / 'mailsec-mta-sts-monitor.service'),
                            str(out / 'mailsec-mta-sts-monitor.timer')], capture_output=True, text=True, timeout=120,
                           check=False)
    assert check.returncode == 0 and check.stderr == '', check.stderr
