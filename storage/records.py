"""Records: a dataclass declares the fields of what a query returns once, and the column
list of the query and the conversion of a row into the record are derived from it.

A field is read from the column of the same name, in the order the fields are declared.
Three kinds of field need more than that, and say so where they are declared:

- ``field(metadata=convert(fn))``: the stored value is converted on reading (a stored list
  becomes a tuple);
- ``field(metadata=nested(Record))``: the field is a record of its own, read from its
  columns in place;
- ``field(metadata=GIVEN)``: not a column at all; the caller passes it to ``from_row``.

``columns(Record, table, **elsewhere)`` gives the columns to select (``elsewhere`` names the
column of a field that lives in another, joined table); ``from_row(Record, row)`` builds the
record from a row selected with them. Both are worked out once per record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, Field, fields
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table

R = TypeVar("R")

_CONVERT = "records.convert"
_NESTED = "records.nested"
_GIVEN = "records.given"


def convert(fn: Callable[[Any], Any]) -> dict[str, Any]:
    """The metadata of a field whose stored value goes through ``fn`` on reading:
    ``topics: list[str] = field(default_factory=list, metadata=convert(as_list))``."""
    return {_CONVERT: fn}


def nested(record: type[Any]) -> dict[str, Any]:
    """The metadata of a field that is a record of its own, read from that record's columns
    in place: ``details: Details = field(metadata=nested(Details))``."""
    return {_NESTED: record}


#: The metadata of a field that is no column: ``from_row`` takes it from its caller.
GIVEN: dict[str, Any] = {_GIVEN: True}


def as_tuple(value: Any) -> tuple[Any, ...]:
    """A stored list (or nothing) as a tuple."""
    return tuple(value or ())


def as_list(value: Any) -> list[Any]:
    """A stored list (or nothing) as a list."""
    return list(value or ())


def as_dict(value: Any) -> dict[Any, Any]:
    """A stored mapping (or nothing) as a dict."""
    return dict(value or {})


def _stored(record: type[Any]) -> list[Field[Any]]:
    if not hasattr(record, "__dataclass_fields__"):
        raise TypeError(f"{record.__name__} is not a dataclass record")
    return [f for f in fields(record) if not f.metadata.get(_GIVEN)]


def column_names(record: type[Any]) -> tuple[str, ...]:
    """The names of the columns a record is read from, in order (nested records flattened)."""
    return _column_names(record)


@cache
def _column_names(record: type[Any]) -> tuple[str, ...]:
    names: list[str] = []
    for f in _stored(record):
        inner = f.metadata.get(_NESTED)
        names.extend(_column_names(inner) if inner is not None else (f.name,))
    return tuple(names)


def columns(
    record: type[Any], table: Table, **elsewhere: ColumnElement[Any]
) -> tuple[ColumnElement[Any], ...]:
    """The columns to select for a record, in the order ``from_row`` reads them; a field
    named in ``elsewhere`` is read from the column given there (of a joined table)."""
    unknown = set(elsewhere) - set(column_names(record))
    if unknown:
        raise ValueError(f"{record.__name__} has no fields {sorted(unknown)}")
    return tuple(
        elsewhere[name] if name in elsewhere else table.c[name] for name in column_names(record)
    )


@cache
def _reader(record: type[Any]) -> Callable[[Any, int, dict[str, Any]], tuple[Any, int]]:
    """How a record is read from a row from a position on: the record, and the position
    after its columns."""
    steps: list[tuple[str, Any, Any]] = []
    for f in _stored(record):
        steps.append((f.name, f.metadata.get(_CONVERT), f.metadata.get(_NESTED)))
    needed = {
        f.name
        for f in fields(record)
        if f.metadata.get(_GIVEN) and f.default is MISSING and f.default_factory is MISSING
    }

    def read(row: Any, at: int, extra: dict[str, Any]) -> tuple[Any, int]:
        missing = needed - set(extra)
        if missing:
            raise TypeError(f"{record.__name__} needs {sorted(missing)} from its caller")
        values: dict[str, Any] = {}
        for name, fn, inner in steps:
            if inner is not None:
                values[name], at = _reader(inner)(row, at, {})
            else:
                value = row[at]
                values[name] = value if fn is None else fn(value)
                at += 1
        return record(**values, **extra), at

    return read


def from_row(record: type[R], row: Any, start: int = 0, **extra: Any) -> R:
    """The record read from a row selected with ``columns(record, …)`` (from position
    ``start`` on, when the row holds other columns before); ``extra`` gives the fields that
    are no column."""
    found, _ = _reader(record)(row, start, extra)
    return found  # type: ignore[no-any-return]


def width(record: type[Any]) -> int:
    """How many columns a record is read from."""
    return len(column_names(record))
