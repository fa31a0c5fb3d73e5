# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's ACME support against the lab's Pebble: an ACME server that refuses fails the play.

The lab domains first get certificates from Pebble (tests/playbooks/lab.yml with lab_acme). Then a
renewal is forced (threshold above the 90-day lifetime) against a directory URL that does not exist,
and against a challenge Pebble cannot reach; each must fail the play with the ACME server's words
and leave the certificates nginx serves (and its vhost file) as they were. Like test_role.py, this
runs the system nginx on the lab address and removes the site afterwards.
"""

import hashlib
import os

import pytest

import mailsec_lab as labtools
from mailsec_testing.ansible_runner import run_playbook

pytestmark = pytest.mark.lab

VHOST_FILE = '/etc/nginx/conf.d/mailsec-mta-sts-lab.conf'
FORCE_RENEWAL = {'lab_acme': True, 'mta_sts_acme_remaining_days': 100, 'mta_sts_verify_retries': 0}


def playbook(lab, name, extra_vars=None):
    return run_playbook(name, lab['state_dir'], extra_vars)


def served_certificate(lab, domain):
    """SHA-256 of the leaf certificate served for mta-sts.<domain>, checked against Pebble's root."""
    dummy, leaf, dummy = labtools.fetch_policy(lab['domains'][0]['mta_sts_address'], 'mta-sts.' + domain,
                                               lab['pebble']['verify_ca_path'])
    return hashlib.sha256(leaf).hexdigest()


def served(lab):
    return dict((entry['domain'], served_certificate(lab, entry['domain'])) for entry in lab['domains'])


def on_disk(lab):
    return dict((entry['domain'], open(os.path.join(lab['pebble']['certificate_dir'], entry['mta_sts_host'],
                                                    'fullchain.pem')).read()) for entry in lab['domains'])


def failure_of(output):
    """The role's failure message (the last fatal line)."""
    assert 'fatal: [localhost]' in output, output[-3000:]
    return output.split('fatal: [localhost]')[-1]


@pytest.fixture(scope='module')
def acme(lab):
    """The lab domains with certificates from Pebble; nginx stopped and the site removed after."""
    code, output = playbook(lab, 'lab.yml', {'lab_acme': True})
    assert code == 0, output[-3000:]
    info = labtools.Lab(lab['state_dir']).info
    assert info.get('pebble'), 'lab.yml with lab_acme did not start Pebble'
    yield info
    # lab_keep_lab: the session lab (and its Pebble) stays for the other tests.
    code, output = playbook(lab, 'lab_stop.yml', {'lab_keep_lab': True})
    assert code == 0, output[-3000:]


def test_a_wrong_directory_url_fails_and_the_old_certificates_keep_serving(acme):
    before, files, vhost = served(acme), on_disk(acme), open(VHOST_FILE).read()
    wrong = 'https://%s:%d/no-such-directory' % (acme['pebble']['address'], acme['pebble']['port'])
    code, output = playbook(acme, 'lab.yml', dict(FORCE_RENEWAL, mta_sts_acme_directory=wrong))
    assert code != 0
    failure = failure_of(output)
    assert ('Getting the ACME certificates for mta-sts.alpha.mailsec.test, mta-sts.beta.mailsec.test from %s '
            "failed at the task 'Register the ACME account'" % wrong) in failure, failure
    assert '404' in failure, failure
    assert 'No new certificate was put into service' in failure, failure
    assert served(acme) == before
    assert on_disk(acme) == files
    assert open(VHOST_FILE).read() == vhost


def test_an_unreachable_challenge_fails_and_the_old_certificates_keep_serving(acme):
    before, files, vhost = served(acme), on_disk(acme), open(VHOST_FILE).read()
    # Pebble resolves mta-sts.alpha through the lab named: point it where nothing listens.
    labtools.dns_update(acme, 'mta-sts.alpha', 'A', ['127.%d.80.99' % labtools.LAB_NET])
    try:
        code, output = playbook(acme, 'lab.yml', FORCE_RENEWAL)
    finally:
        labtools.dns_update(acme, 'mta-sts.alpha', 'A', [acme['domains'][0]['mta_sts_address']])
    assert code != 0
    failure = failure_of(output)
    assert "failed at the task 'Have the challenges validated and fetch the certificates'" in failure, failure
    # (The Debian nginx's default site answers 404 on every other address's port 80.)
    assert 'mta-sts.alpha.mailsec.test: Failed to validate challenge for dns:mta-sts.alpha.mailsec.test' in failure, \
        failure
    assert 'Challenge http-01' in failure, failure
    assert 'mta-sts.beta.mailsec.test: ' not in failure, failure
    # Nothing new is served: not alpha's (refused) nor beta's (renewed on disk, nginx not reloaded).
    assert served(acme) == before
    assert open(VHOST_FILE).read() == vhost
    assert os.listdir(os.path.join(acme['state_dir'], 'www-acme', '.well-known', 'acme-challenge')) == []
    renewed = on_disk(acme)
    assert renewed['alpha.mailsec.test'] == files['alpha.mailsec.test']
    assert renewed['beta.mailsec.test'] != files['beta.mailsec.test']

    # The next ordinary run puts beta's renewed certificate into service (after nginx -t) and
    # leaves alpha's, still far from expiry, alone.
    code, output = playbook(acme, 'lab.yml', {'lab_acme': True})
    assert code == 0, output[-3000:]
    after = served(acme)
    assert after['alpha.mailsec.test'] == before['alpha.mailsec.test']
    assert after['beta.mailsec.test'] != before['beta.mailsec.test']
    assert on_disk(acme) == renewed
