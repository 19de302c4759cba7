"""A record declares its fields once; its select columns and its reading of a row follow."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select

from storage import records
from storage.db import Database
from storage.models import Organization
from storage.records import GIVEN, as_tuple, columns, convert, from_row, nested, width

_meta = MetaData()
_things = Table(
    "things",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("name", String),
    Column("colour", String),
    Column("size", Integer),
    Column("tags", String),
    Column("made_at", DateTime),
)
_makers = Table("makers", _meta, Column("id", Integer), Column("label", String))


@dataclass(frozen=True)
class Looks:
    colour: str | None
    size: int | None


@dataclass(frozen=True)
class Thing:
    id: int
    name: str
    looks: Looks = field(metadata=nested(Looks))
    tags: tuple[str, ...] = field(default=(), metadata=convert(as_tuple))
    made_at: datetime | None = None
    seen_by: str = field(default="", metadata=GIVEN)


def test_columns_follow_the_declared_fields_with_nested_records_in_place() -> None:
    assert [c.name for c in columns(Thing, _things)] == [
        "id",
        "name",
        "colour",
        "size",
        "tags",
        "made_at",
    ]
    assert width(Thing) == 6


def test_a_field_can_come_from_a_joined_table() -> None:
    found = columns(Looks, _things, colour=_makers.c.label)
    assert found == (_makers.c.label, _things.c.size)
    with pytest.raises(ValueError, match=r"Looks has no fields \['shade'\]"):
        columns(Looks, _things, shade=_makers.c.label)


def test_a_row_is_read_in_column_order_with_conversions_and_given_fields() -> None:
    at = datetime(2026, 12, 3, tzinfo=UTC)
    row = (7, "lamp", "red", 3, ["a", "b"], at)
    assert from_row(Thing, row, seen_by="ana") == Thing(
        7, "lamp", Looks("red", 3), ("a", "b"), at, "ana"
    )
    # a stored nothing goes through the conversion too
    assert from_row(Thing, (7, "lamp", None, None, None, None)).tags == ()


def test_a_record_can_be_read_from_the_middle_of_a_joined_row() -> None:
    row = ("before", 1, 2, "after")
    assert from_row(Looks, row, 1) == Looks(1, 2)


def test_a_given_field_without_a_default_must_be_passed() -> None:
    @dataclass(frozen=True)
    class Claimed:
        id: int
        until: datetime = field(metadata=GIVEN)

    assert [c.name for c in columns(Claimed, _things)] == ["id"]
    with pytest.raises(TypeError, match=r"Claimed needs \['until'\] from its caller"):
        from_row(Claimed, (1,))


def test_only_dataclasses_are_records() -> None:
    with pytest.raises(TypeError, match="is not a dataclass record"):
        records.column_names(int)


@dataclass(frozen=True)
class Org:
    slug: str
    name: str


async def test_a_record_reads_what_its_columns_select(database: Database) -> None:
    orgs = Organization.__table__
    async with database.transaction() as conn:
        await conn.execute(orgs.insert().values(slug="il", name="Illinois", timezone="UTC"))
        row = (await conn.execute(select(*columns(Org, orgs)))).one()
        assert from_row(Org, row) == Org("il", "Illinois")
