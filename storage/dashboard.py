"""What the organizers' dashboard lists: the reports waiting for review and the audit log, a
page at a time, always of one organization."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import AuditEntry, LayoffReport, Member

_reports = LayoffReport.__table__
_audit = AuditEntry.__table__
_members = Member.__table__


@dataclass(frozen=True)
class PendingReport:
    """A report waiting for an organizer's decision, as the queue shows it."""

    ref: int
    employer: str
    city: str | None
    state: str | None
    kind: str
    workers: int | None
    effective_date: date | None
    source_url: str | None
    details: str | None
    anonymous: bool
    possible_duplicate_of: int | None


async def pending_reports(conn: AsyncConnection, org_id: int, now: datetime) -> list[PendingReport]:
    """The organization's reports waiting for review, oldest first; an anonymous report still
    held back from its moderation post is not shown yet."""
    r = _reports.c
    rows = await conn.execute(
        select(
            r.ref,
            r.employer,
            r.city,
            r.state,
            r.kind,
            r.workers,
            r.effective_date,
            r.source_url,
            r.details,
            r.anonymous,
            r.possible_duplicate_of,
        )
        .where(
            r.org_id == org_id,
            r.status == "pending",
            or_(r.visible_from.is_(None), r.visible_from <= now),
        )
        .order_by(r.received_week, r.id)
    )
    return [PendingReport(*row) for row in rows]


@dataclass(frozen=True)
class AuditLine:
    """One entry of the audit log, with who did it (None once they erased their data)."""

    at: datetime
    actor: str | None
    action: str
    target: str
    detail: dict[str, Any]


async def audit_page(
    conn: AsyncConnection, org_id: int, *, offset: int, limit: int
) -> tuple[list[AuditLine], int]:
    """A page of the organization's audit log, newest first, and how many entries it has."""
    total = (await conn.execute(select(func.count()).where(_audit.c.org_id == org_id))).scalar_one()
    rows = await conn.execute(
        select(
            _audit.c.at,
            _members.c.display_name,
            _audit.c.action,
            _audit.c.target,
            _audit.c.detail,
        )
        .select_from(_audit.outerjoin(_members, _members.c.id == _audit.c.actor_member_id))
        .where(_audit.c.org_id == org_id)
        .order_by(_audit.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    lines = [
        AuditLine(at, actor, action, target, json.loads(detail or "{}"))
        for at, actor, action, target, detail in rows
    ]
    return lines, total
