"""The audit log: what organizers and admins did."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import AuditEntry

_audit = AuditEntry.__table__


async def add_entry(
    conn: AsyncConnection,
    org_id: int | None,
    actor: int | None,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    *,
    at: datetime,
) -> None:
    """Record an organizer's or admin's action."""
    await conn.execute(
        insert(_audit).values(
            org_id=org_id,
            actor_member_id=actor,
            action=action,
            target=target,
            detail=json.dumps(detail or {}, sort_keys=True),
            at=at,
        )
    )


async def entries(
    conn: AsyncConnection, org_id: int | None = None, actor: int | None = None
) -> list[dict[str, Any]]:
    """Audit entries, oldest first, filtered by organization or actor."""
    query = select(_audit.c.action, _audit.c.target, _audit.c.detail, _audit.c.at).order_by(
        _audit.c.id
    )
    if org_id is not None:
        query = query.where(_audit.c.org_id == org_id)
    if actor is not None:
        query = query.where(_audit.c.actor_member_id == actor)
    return [
        {
            "action": action,
            "target": target,
            "detail": json.loads(detail or "{}"),
            "at": at.isoformat(),
        }
        for action, target, detail, at in await conn.execute(query)
    ]
