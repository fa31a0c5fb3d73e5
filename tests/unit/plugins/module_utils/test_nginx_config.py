# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nginx_config's decisions (pure): the file options, what changes, the diff, nginx's words."""

import pytest

from ansible_collections.mailsec.mta_sts.plugins.module_utils._core.nginx_config import (
    diffs, file_mode, file_problems, nginx_words, plan, refusal_message,
)


@pytest.mark.parametrize('value, bits', [(None, None), ('0644', 0o644), ('644', 0o644), ('0600', 0o600), (420, 0o644)])
def test_file_mode(value, bits):
    assert file_mode(value) == bits


@pytest.mark.parametrize('value', ['u=rw', '0844', '00644', '', 'rw', '0644\n', -1, 0o1000, True, 6.44])
def test_file_mode_refuses(value):
    with pytest.raises(ValueError):
        file_mode(value)


def entry(path, content='', mode=None):
    return {'path': path, 'content': content, 'mode': mode}


def test_file_problems_name_each_entry():
    problems = file_problems([entry('/a/x.conf'), entry('b.conf'), entry('/a/./x.conf'), entry('/a/', mode='u=r'),
                              entry('/a/y.conf', mode='0640')])
    assert [option for option, dummy in problems] == ['files[1].path', 'files[2].path', 'files[3].path', 'files[3].mode']
    messages = dict(problems)
    assert messages['files[2].path'] == 'files[2].path: /a/./x.conf is also given as files[0].path; each file once'
    assert "give octal permissions as a quoted string such as '0644'" in messages['files[3].mode']
    assert file_problems([]) == [('files', 'files is empty: give at least one file (path and content) to write')]


def test_plan_changes_only_what_differs():
    files = [entry('/a/same.conf', 'x;\n'), entry('/a/new.conf', 'y;\n', '0644'), entry('/a/edit.conf', 'z;\n'),
             entry('/a/mode.conf', 'm;\n', '0600'), entry('/a/keep.conf', 'k;\n', '0644')]
    current = {'/a/same.conf': (b'x;\n', 0o600), '/a/new.conf': (None, None), '/a/edit.conf': (b'old;\n', 0o644),
               '/a/mode.conf': (b'm;\n', 0o644), '/a/keep.conf': (b'k;\n', 0o644)}
    steps = plan(files, current)
    assert [(step['changed'], step['content_changed'], step['created']) for step in steps] == [
        (False, False, False), (True, True, True), (True, True, False), (True, False, False), (False, False, False)]
    assert steps[1]['content'] == b'y;\n' and steps[1]['mode'] == 0o644
    assert [(diff['before_header'], diff['after_header'], diff['before'], diff['after']) for diff in diffs(steps)] == [
        ('/a/new.conf', '/a/new.conf (mode 0644)', '', 'y;\n'),
        ('/a/edit.conf (mode 0644)', '/a/edit.conf (mode 0644)', 'old;\n', 'z;\n'),
        ('/a/mode.conf (mode 0644)', '/a/mode.conf (mode 0600)', 'm;\n', 'm;\n'),
    ]


def test_plan_keeps_utf8_and_an_unreadable_byte_in_the_diff():
    steps = plan([entry('/a/u.conf', '# \u00e9\n')], {'/a/u.conf': (b'# \xff\n', 0o644)})
    assert steps[0]['content'] == b'# \xc3\xa9\n'
    assert diffs(steps)[0]['before'] == '# \ufffd\n'


def test_nginx_words():
    err = ('nginx: [emerg] cannot load certificate "/x.crt": BIO_new_file() failed\n'
           'nginx: configuration file /etc/nginx/nginx.conf test failed\n')
    assert nginx_words(1, '', err) == ('nginx: [emerg] cannot load certificate "/x.crt": BIO_new_file() failed '
                                       'nginx: configuration file /etc/nginx/nginx.conf test failed')
    assert nginx_words(1, 'only stdout\n', '') == 'only stdout'
    assert nginx_words(2, '', '') == 'exit status 2 and no message'


def test_refusal_message():
    assert refusal_message(['/a.conf', '/b.conf'], 'W') == (
        'nginx -t refused the configuration with the new /a.conf, /b.conf, so the previous files were put back and '
        'nginx was not reloaded: W')
    assert refusal_message(['/a.conf'], 'W', 'V').endswith(
        "nginx -t refuses the configuration without them too, so the fault is (also) elsewhere in the host's "
        'configuration; fix that first: V')
