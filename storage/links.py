"""One-time link codes: how a member joins the accounts they have on two platforms."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import LinkCode
from storage.records import columns, from_row

_codes = LinkCode.__table__


@dataclass(frozen=True)
class LinkCodeRecord:
    """A one-time link code: whose it is, made on which platform, until when, and the
    account that entered it (None until one does)."""

    member_id: int
    platform: str
    expires_at: datetime
    entered_by: int | None


_CODE_COLUMNS = columns(LinkCodeRecord, _codes)


def hash_code(code: str) -> str:
    """The stored form of a one-time code."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


async def store_link_code(
    conn: AsyncConnection,
    code: str,
    member_id: int,
    platform: str,
    expires_at: datetime,
    now: datetime,
) -> None:
    """Keep a one-time code's hash; any earlier code of the member stops working, and
    every expired code is dropped (with the account that entered it, if any)."""
    await conn.execute(
        delete(_codes).where(or_(_codes.c.member_id == member_id, _codes.c.expires_at <= now))
    )
    await conn.execute(
        insert(_codes).values(
            code_hash=hash_code(code),
            member_id=member_id,
            platform=platform,
            expires_at=expires_at,
        )
    )


async def enter_link_code(
    conn: AsyncConnection, code: str, identity_id: int
) -> LinkCodeRecord | None:
    """Mark a code as entered by this account, unless another account entered it first:
    the code as stored, or None if there is no such code or another account holds it."""
    row = (
        await conn.execute(
            update(_codes)
            .where(
                _codes.c.code_hash == hash_code(code),
                or_(_codes.c.entered_by.is_(None), _codes.c.entered_by == identity_id),
            )
            .values(entered_by=identity_id)
            .returning(*_CODE_COLUMNS)
        )
    ).first()
    return None if row is None else from_row(LinkCodeRecord, row)


async def find_link_code(conn: AsyncConnection, code: str) -> LinkCodeRecord | None:
    """A code as stored, whoever entered it; changes nothing."""
    row = (
        await conn.execute(select(*_CODE_COLUMNS).where(_codes.c.code_hash == hash_code(code)))
    ).first()
    return None if row is None else from_row(LinkCodeRecord, row)


async def take_link_code(
    conn: AsyncConnection, code: str, identity_id: int
) -> LinkCodeRecord | None:
    """Use up a code entered by this account: the code as it was, or None if there is no
    such code or this account did not enter it."""
    row = (
        await conn.execute(
            delete(_codes)
            .where(_codes.c.code_hash == hash_code(code), _codes.c.entered_by == identity_id)
            .returning(*_CODE_COLUMNS)
        )
    ).first()
    return None if row is None else from_row(LinkCodeRecord, row)
