# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hypothesis strategies for valid names, patterns, policies and record values."""

from hypothesis import strategies as st

_LDH = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'


@st.composite
def labels(draw):
    """One RFC 5321 sub-domain label: letters and digits with inner hyphens, 1-63 characters."""
    first = draw(st.sampled_from(_LDH))
    if draw(st.booleans()):
        return first
    middle = draw(st.text(alphabet=_LDH + '-', max_size=20))
    last = draw(st.sampled_from(_LDH))
    return first + middle + last


def domains(min_labels=2, max_labels=5):
    return st.lists(labels(), min_size=min_labels, max_size=max_labels).map('.'.join)


def mx_patterns():
    return st.one_of(domains(), domains().map(lambda name: '*.' + name))


def policies():
    return st.fixed_dictionaries({
        'mode': st.sampled_from(['enforce', 'testing', 'none']),
        'mx': st.lists(mx_patterns(), min_size=1, max_size=6),
        'max_age': st.integers(min_value=0, max_value=31557600),
    })


def sts_ids():
    return st.text(alphabet=_LDH, min_size=1, max_size=32)
