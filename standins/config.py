"""The config.toml of a `rallybot run` process pointed at the stand-ins, for the tests and
the benchmarks that start one: written from plain values, so each caller names only what its
run needs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def _value(value: Any) -> str:
    """One TOML value: a string, a whole number, a boolean, a list, or an inline table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value))
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{key} = {_value(item)}" for key, item in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _table(header: str, values: Mapping[str, Any]) -> str:
    return "\n".join([header, *(f"{key} = {_value(item)}" for key, item in values.items())])


def run_config(db: Path, *, orgs: Sequence[Mapping[str, Any]], **tables: Mapping[str, Any]) -> str:
    """A configuration with the SQLite database ``db``, each of ``tables`` (``bot``,
    ``slack``, ``discord``, …) as a [table], and each organization as an [[orgs]] entry."""
    parts = [_table("[database]", {"url": f"sqlite+aiosqlite:///{db}"})]
    parts += [_table(f"[{name}]", values) for name, values in tables.items()]
    parts += [_table("[[orgs]]", org) for org in orgs]
    return "\n\n".join(parts) + "\n"
