# -*- coding: utf-8 -*-
# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bytes into a report's JSON value: bounded gunzip, bounded JSON, and what kind of bytes they are.

Bounds, in bytes and in CPU: the caller caps the input size; gzip is inflated in steps with
``zlib.decompressobj`` and ``max_length``, so a bomb stops at ``max_uncompressed`` bytes, its input
walked by offset (linear time) with at most ``MAX_GZIP_MEMBERS`` members; JSON with more than ``MAX_JSON_ITEMS``
values or deeper than the interpreter's recursion limit is refused before it becomes Python objects.

This module is private to the mailsec.mta_sts collection; its interface may change without notice.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import zlib


MAX_SIZE = 10 * 1024 * 1024
MAX_UNCOMPRESSED_SIZE = 50 * 1024 * 1024
# Upper bound on JSON values (counted as "," "[" "{" bytes, strings included): keeps a report made of
# millions of tiny values from costing gigabytes as Python objects. A real report has a few per row.
MAX_JSON_ITEMS = 1000000
_INFLATE_STEP = 4 * 1024 * 1024
# gzip members in one report file: a report is one member; concatenated members are legal gzip, and a
# few are tolerated, but each costs a fresh inflater, so their number is capped.
MAX_GZIP_MEMBERS = 64
# Input fed to the inflater per step: from 4 KiB, doubling up to 1 MiB within a member.
_FIRST_FEED = 4 * 1024
_MAX_FEED = 1024 * 1024
_GZIP_MAGIC = b'\x1f\x8b'


class ReportError(Exception):
    """The input cannot be read as a report at all (too large, bad gzip, no attachment)."""

    def __init__(self, rule, msg):
        super(ReportError, self).__init__(msg)
        self.rule = rule
        self.msg = msg


def clip(text, limit=200):
    """``text`` cut to ``limit`` characters, for messages that quote hostile input."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + '...'


def gunzip(data, max_uncompressed=MAX_UNCOMPRESSED_SIZE, max_members=MAX_GZIP_MEMBERS):
    """Inflate gzip ``data`` (one or more members) to bytes of at most ``max_uncompressed``.

    Inflates in steps of bounded output, so memory stays near ``max_uncompressed`` whatever the
    ratio. The input is walked by offset through a memoryview and fed in slices that start small and
    grow with the member: zlib copies what it did not use (``unused_data``, ``unconsumed_tail``) at
    the end of each member and step, and feeding it the whole rest of the buffer made that copy
    quadratic in the number of members (10 MB of empty members: five minutes). At most
    ``max_members`` members are read (a report is one). Raises ReportError for bad, truncated,
    oversized or over-split data.
    """
    view = memoryview(data)
    size = len(view)
    parts = []
    total = 0
    offset = 0
    members = 0
    while True:
        members += 1
        if members > max_members:
            raise ReportError('gzip', 'gzip data has more than %d members; a report is one, refused' % max_members)
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        feed = _FIRST_FEED
        try:
            while not inflater.eof:
                if offset >= size:
                    raise ReportError('gzip', 'gzip data is truncated (member %d has no end)' % members)
                pending = view[offset:offset + feed]
                offset += len(pending)
                feed = min(feed * 2, _MAX_FEED)
                while True:
                    # Never 0: max_length=0 would mean "no limit".
                    budget = max_uncompressed + 1 - total
                    chunk = inflater.decompress(pending, min(budget, _INFLATE_STEP))
                    total += len(chunk)
                    if total > max_uncompressed:
                        raise ReportError('size', 'gzip data inflates to more than %d bytes (max_uncompressed_size); '
                                          'refused' % max_uncompressed)
                    parts.append(chunk)
                    pending = inflater.unconsumed_tail
                    if inflater.eof or not pending:
                        break
        except zlib.error as exc:
            raise ReportError('gzip', 'not valid gzip data: %s' % exc)
        # What the inflater was given past the member's end (at most one feed) goes back.
        offset -= len(inflater.unused_data)
        if offset >= size:
            return b''.join(parts)
        if view[offset:offset + 2] != _GZIP_MAGIC:
            # Trailing NULs (tape padding) are allowed, as gzip(1) allows them; checked once, at the end.
            if not bytes(view[offset:]).strip(b'\0'):
                return b''.join(parts)
            raise ReportError('gzip', 'unexpected data after the gzip stream')


def _count_items(data):
    return data.count(b',') + data.count(b'[') + data.count(b'{')


def load_json(data):
    """Decode JSON ``data`` (bytes, UTF-8/16/32 with or without BOM) into Python values; ReportError if it is not."""
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogatepass')
    items = _count_items(data)
    if items > MAX_JSON_ITEMS:
        raise ReportError('json', 'JSON has more than %d values; refused' % MAX_JSON_ITEMS)
    try:
        return json.loads(data, parse_constant=_reject_constant, parse_int=_parse_int)
    except RecursionError:
        raise ReportError('json', 'JSON is nested too deeply')
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, huge integers
        raise ReportError('json', 'not valid JSON: %s' % clip(str(exc)))


def _parse_int(text):
    # Converting a long digit string is quadratic on Python < 3.11; no count needs 20 digits.
    if len(text) > 20:
        raise ValueError('integer with %d digits' % len(text))
    return int(text)


def _reject_constant(name):
    raise ValueError('%s is not a JSON number' % name)


def sniff(data):
    """What ``data`` looks like: ``gzip``, ``json`` or ``email``."""
    if data[:2] == _GZIP_MAGIC:
        return 'gzip'
    head = data[:64].lstrip(b' \t\r\n')
    if head.startswith(b'\xef\xbb\xbf'):
        head = head[3:].lstrip(b' \t\r\n')
    if head[:1] in (b'{', b'[') or head[:2] in (b'\xff\xfe', b'\xfe\xff') or head[1:2] == b'\0' or head[:1] == b'\0':
        return 'json'
    return 'email'


def decode(data, max_uncompressed=MAX_UNCOMPRESSED_SIZE):
    """The report JSON as Python values from raw JSON or gzip bytes; ReportError when impossible."""
    if data[:2] == _GZIP_MAGIC:
        data = gunzip(data, max_uncompressed)
    elif len(data) > max_uncompressed:
        raise ReportError('size', 'JSON is larger than %d bytes (max_uncompressed_size); refused' % max_uncompressed)
    return load_json(data)
