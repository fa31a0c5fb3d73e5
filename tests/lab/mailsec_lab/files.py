# Copyright (c) 2026, mailsec.mta_sts contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Small file helpers: atomic writes, JSON, a tiny YAML emitter.

Part of the mailsec loopback lab (tests/lab/README.md); ``mailsec_lab`` re-exports it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def _read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return default


def _write_text(path: Path, text: str, mode: int = 0o644) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _write_json(path: Path, data: Any, mode: int = 0o644) -> None:
    _write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n", mode)


def _yaml_scalar(value: Any) -> str:
    # JSON scalars are valid YAML flow scalars (strings double-quoted, so never reinterpreted).
    return json.dumps(value)


def to_yaml(data: Any, indent: int = 0) -> str:
    """A tiny YAML emitter for dicts/lists/scalars (no PyYAML needed)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(data, dict):
        if not data:
            return pad + "{}\n"
        for key, value in data.items():
            if isinstance(value, (dict, list)) and value:
                lines.append(f"{pad}{key}:\n" + to_yaml(value, indent + 2).rstrip("\n"))
            else:
                lines.append(f"{pad}{key}: " + (to_yaml(value).strip() if isinstance(
                    value, (dict, list)) else _yaml_scalar(value)))
    elif isinstance(data, list):
        if not data:
            return pad + "[]\n"
        for item in data:
            if isinstance(item, (dict, list)) and item:
                inner = to_yaml(item, indent + 2).rstrip("\n")
                lines.append(pad + "- " + inner[indent + 2:])
            else:
                lines.append(pad + "- " + (to_yaml(item).strip() if isinstance(
                    item, (dict, list)) else _yaml_scalar(item)))
    else:
        lines.append(pad + _yaml_scalar(data))
    return "\n".join(lines) + "\n"
