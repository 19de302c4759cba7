"""Action alerts: the alerts, their targets, members' answers, deliveries and channel posts."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from storage import posts as posts_store
from storage.csvfile import write_csv
from storage.models import (
    Alert,
    AlertDelivery,
    AlertResponse,
    AlertTarget,
    Identity,
    Member,
    Organization,
    OrgMember,
    OutboxMessage,
    Profile,
)
from storage.records import as_dict, columns, convert, from_row

_alerts = Alert.__table__
_targets = AlertTarget.__table__
_responses = AlertResponse.__table__
_deliveries = AlertDelivery.__table__
_identities = Identity.__table__
_members = Member.__table__
_org_members = OrgMember.__table__
_outbox = OutboxMessage.__table__
_profiles = Profile.__table__
_orgs = Organization.__table__

SIGNER_HEADERS = ("name", "title", "institution", "city", "state", "platform", "signed_on")


@dataclass(frozen=True)
class AlertRecord:
    """An alert as stored."""

    id: int
    org_id: int
    title: str
    body: str
    kind: str
    link: str | None
    audience: dict[str, list[str]] = field(metadata=convert(as_dict))
    script: str | None
    deadline: datetime | None
    state: str
    send_at: datetime | None
    sent_at: datetime | None
    closed_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class TargetRecord:
    """Someone members contact, for those in ``state`` (and ``district`` when given)."""

    state: str
    district: str | None
    name: str
    office: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Counts:
    """An alert's answers."""

    signed: int = 0
    acted: int = 0
    declined: int = 0


@dataclass(frozen=True)
class Recipient:
    """A member to send an alert to, on the one account chosen for them."""

    member_id: int
    platform: str
    user_id: str
    name: str
    state: str | None
    district: str | None
    timezone: str | None


@dataclass(frozen=True)
class NewResponse:
    """A member's answer to store."""

    alert_id: int
    member_id: int
    kind: str
    platform: str
    state: str | None
    created_at: datetime
    name: str | None = None
    title: str | None = None
    institution: str | None = None
    city: str | None = None


_ALERT_COLUMNS = columns(AlertRecord, _alerts)
_TARGET_COLUMNS = columns(TargetRecord, _targets)

# The statements of a click (sign, acted, decline) are built once.
_GET_ALERT = select(*_ALERT_COLUMNS).where(_alerts.c.id == bindparam("alert_id"))
_MEMBER_ANSWERS = select(_responses.c.kind, _responses.c.created_at).where(
    _responses.c.alert_id == bindparam("alert_id"),
    _responses.c.member_id == bindparam("member_id"),
)
_ADD_RESPONSE = insert(_responses).values(
    {
        name: bindparam(name)
        for name in (
            "alert_id",
            "member_id",
            "kind",
            "platform",
            "state",
            "name",
            "title",
            "institution",
            "city",
            "created_at",
        )
    }
)
_DELETE_RESPONSE = delete(_responses).where(
    _responses.c.alert_id == bindparam("alert_id"),
    _responses.c.member_id == bindparam("member_id"),
    _responses.c.kind == bindparam("kind"),
)
_COUNTS = (
    select(_responses.c.kind, func.count())
    .where(_responses.c.alert_id == bindparam("alert_id"))
    .group_by(_responses.c.kind)
)
_ADD_DELIVERY = insert(_deliveries).values(
    alert_id=bindparam("alert_id"),
    member_id=bindparam("member_id"),
    outbox_id=select(_outbox.c.id)
    .where(_outbox.c.idempotency_key == bindparam("key"))
    .scalar_subquery(),
    nudged=False,
)


# alerts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewAlert:
    """A draft alert as /alert create stores it, each field its column's value."""

    org_id: int
    title: str
    body: str
    kind: str
    link: str | None
    audience: dict[str, list[str]]
    script: str | None
    deadline: datetime | None
    created_by: int
    created_at: datetime


async def create_alert(
    conn: AsyncConnection, alert: NewAlert, targets: list[TargetRecord]
) -> AlertRecord:
    """Store a draft alert and its targets."""
    row = (
        await conn.execute(
            insert(_alerts).values(**asdict(alert), state="draft").returning(*_ALERT_COLUMNS)
        )
    ).one()
    if targets:
        await conn.execute(
            insert(_targets),
            [{"alert_id": row.id, **vars(target)} for target in targets],
        )
    return from_row(AlertRecord, row)


async def get_alert(conn: AsyncConnection, alert_id: int) -> AlertRecord | None:
    """One alert."""
    row = (await conn.execute(_GET_ALERT, {"alert_id": alert_id})).first()
    return None if row is None else from_row(AlertRecord, row)


async def get_alerts(conn: AsyncConnection, ids: list[int]) -> dict[int, AlertRecord]:
    """Several alerts by id, in one query."""
    rows = await conn.execute(select(*_ALERT_COLUMNS).where(_alerts.c.id.in_(ids)))
    return {row.id: from_row(AlertRecord, row) for row in rows}


async def org_alerts(
    conn: AsyncConnection, org_id: int, states: tuple[str, ...]
) -> list[AlertRecord]:
    """An organization's alerts in the given states, newest first."""
    rows = await conn.execute(
        select(*_ALERT_COLUMNS)
        .where(_alerts.c.org_id == org_id, _alerts.c.state.in_(states))
        .order_by(_alerts.c.id.desc())
    )
    return [from_row(AlertRecord, row) for row in rows]


async def mark_scheduled(conn: AsyncConnection, alert_id: int, send_at: datetime) -> bool:
    """Move a draft to scheduled; False if it was no longer a draft."""
    result = await conn.execute(
        update(_alerts)
        .where(_alerts.c.id == alert_id, _alerts.c.state == "draft")
        .values(state="scheduled", send_at=send_at)
    )
    return result.rowcount == 1


async def mark_sent(conn: AsyncConnection, alert_id: int, now: datetime) -> None:
    """Record that an alert went out."""
    await conn.execute(
        update(_alerts).where(_alerts.c.id == alert_id).values(state="sent", sent_at=now)
    )


async def mark_closed(conn: AsyncConnection, alert_id: int, now: datetime) -> None:
    """Record that an alert closed."""
    await conn.execute(
        update(_alerts).where(_alerts.c.id == alert_id).values(state="closed", closed_at=now)
    )


async def update_alert(
    conn: AsyncConnection,
    alert_id: int,
    values: dict[str, Any],
    targets: list[TargetRecord] | None = None,
) -> None:
    """Change an alert's columns (title, body, script, deadline); ``targets``, when given,
    replace its contacts."""
    if values:
        await conn.execute(update(_alerts).where(_alerts.c.id == alert_id).values(**values))
    if targets is not None:
        await conn.execute(delete(_targets).where(_targets.c.alert_id == alert_id))
        if targets:
            await conn.execute(
                insert(_targets), [{"alert_id": alert_id, **vars(t)} for t in targets]
            )


async def mark_cancelled(conn: AsyncConnection, alert_id: int, now: datetime) -> None:
    """Record that an alert was cancelled (its closing time is when)."""
    await conn.execute(
        update(_alerts).where(_alerts.c.id == alert_id).values(state="cancelled", closed_at=now)
    )


async def alert_targets(conn: AsyncConnection, alert_id: int) -> list[TargetRecord]:
    """An alert's targets, in the order given."""
    rows = await conn.execute(
        select(*_TARGET_COLUMNS).where(_targets.c.alert_id == alert_id).order_by(_targets.c.id)
    )
    return [from_row(TargetRecord, row) for row in rows]


# answers ---------------------------------------------------------------------------------


async def member_answers(
    conn: AsyncConnection, alert_id: int, member_id: int
) -> dict[str, datetime]:
    """A member's answers to an alert: kind → when."""
    rows = await conn.execute(_MEMBER_ANSWERS, {"alert_id": alert_id, "member_id": member_id})
    return {kind: at for kind, at in rows}


async def add_response(conn: AsyncConnection, response: NewResponse) -> None:
    """Store an answer; a second one of the same kind breaks the unique constraint."""
    await conn.execute(_ADD_RESPONSE, vars(response))


async def remove_response(conn: AsyncConnection, alert_id: int, member_id: int, kind: str) -> bool:
    """Take an answer back; False if there was none."""
    result = await conn.execute(
        _DELETE_RESPONSE, {"alert_id": alert_id, "member_id": member_id, "kind": kind}
    )
    return result.rowcount > 0


async def counts(conn: AsyncConnection, alert_id: int) -> Counts:
    """How many signed, acted and declined."""
    found = dict((await conn.execute(_COUNTS, {"alert_id": alert_id})).all())
    return Counts(found.get("signed", 0), found.get("acted", 0), found.get("declined", 0))


async def counts_of(conn: AsyncConnection, alert_ids: list[int]) -> dict[int, Counts]:
    """The counts of several alerts, in one query."""
    found: dict[int, Counter[str]] = {alert_id: Counter() for alert_id in alert_ids}
    rows = await conn.execute(
        select(_responses.c.alert_id, _responses.c.kind, func.count())
        .where(_responses.c.alert_id.in_(alert_ids))
        .group_by(_responses.c.alert_id, _responses.c.kind)
    )
    for alert_id, kind, n in rows:
        found[alert_id][kind] = n
    return {
        alert_id: Counts(c["signed"], c["acted"], c["declined"]) for alert_id, c in found.items()
    }


async def breakdown(conn: AsyncConnection, alert_id: int, by: str) -> dict[str, Counter[str]]:
    """Answers by ``state`` or by ``platform``: value → kind → count."""
    column = _responses.c[by]
    rows = await conn.execute(
        select(column, _responses.c.kind, func.count())
        .where(_responses.c.alert_id == alert_id)
        .group_by(column, _responses.c.kind)
    )
    found: dict[str, Counter[str]] = {}
    for value, kind, n in rows:
        found.setdefault(value or "—", Counter())[kind] = n
    return found


# recipients ------------------------------------------------------------------------------


def _recipient_select(platforms: tuple[str, ...], *, alert_dms: bool = True) -> Select[Any]:
    """Members and their accounts on ``platforms``, lowest account first; with ``alert_dms``,
    only members who take alert DMs."""
    query = (
        select(
            _members.c.id,
            _identities.c.platform,
            _identities.c.user_id,
            func.coalesce(_profiles.c.name, _members.c.display_name),
            _profiles.c.state,
            _profiles.c.district,
            _profiles.c.timezone,
        )
        .join(
            _identities,
            and_(_identities.c.member_id == _members.c.id, _identities.c.platform.in_(platforms)),
        )
        .outerjoin(_profiles, _profiles.c.member_id == _members.c.id)
        .order_by(_members.c.id, _identities.c.id)
    )
    if alert_dms:
        query = query.where(or_(_profiles.c.alert_dms.is_(None), _profiles.c.alert_dms == true()))
    return query


async def _one_account_each(conn: AsyncConnection, query: Select[Any]) -> list[Recipient]:
    recipients: list[Recipient] = []
    for row in await conn.execute(query):
        if not recipients or recipients[-1].member_id != row[0]:
            recipients.append(Recipient(*row))
    return recipients


async def audience(
    conn: AsyncConnection, org_id: int, wanted: dict[str, list[str]], platforms: tuple[str, ...]
) -> list[Recipient]:
    """The organization's members in an alert's audience who take alert DMs, one account each.

    An empty audience is everyone; a member without a profile matches only that."""
    query = _recipient_select(platforms).join(
        _org_members,
        and_(_org_members.c.member_id == _members.c.id, _org_members.c.org_id == org_id),
    )
    for key, column in (
        ("states", _profiles.c.state),
        ("library_types", _profiles.c.library_type),
        ("classifications", _profiles.c.classification),
    ):
        if wanted.get(key):
            query = query.where(column.in_(wanted[key]))
    return await _one_account_each(conn, query)


async def record_deliveries(
    conn: AsyncConnection, alert_id: int, delivered: list[tuple[int, str]]
) -> None:
    """Record who was sent an alert: (member id, the outbox key of their message)."""
    if delivered:
        await conn.execute(
            _ADD_DELIVERY,
            [{"alert_id": alert_id, "member_id": mid, "key": key} for mid, key in delivered],
        )


async def to_nudge(
    conn: AsyncConnection, alert_id: int, platforms: tuple[str, ...]
) -> list[Recipient]:
    """Members sent an alert who have not answered it in any way and were not nudged yet."""
    answered = exists().where(
        _responses.c.alert_id == alert_id, _responses.c.member_id == _deliveries.c.member_id
    )
    query = (
        _recipient_select(platforms)
        .join(_deliveries, _deliveries.c.member_id == _members.c.id)
        .where(_deliveries.c.alert_id == alert_id, _deliveries.c.nudged == False, ~answered)  # noqa: E712
    )
    return await _one_account_each(conn, query)


async def signers(
    conn: AsyncConnection, alert_id: int, platforms: tuple[str, ...]
) -> list[Recipient]:
    """Members who signed an alert, one account each, whether or not they take alert DMs: a
    change to a letter their name is on, or its cancellation, concerns their own signature,
    so they are told even when they asked for no new alerts by DM."""
    query = (
        _recipient_select(platforms, alert_dms=False)
        .join(_responses, _responses.c.member_id == _members.c.id)
        .where(_responses.c.alert_id == alert_id, _responses.c.kind == "signed")
    )
    return await _one_account_each(conn, query)


async def mark_nudged(conn: AsyncConnection, alert_id: int) -> None:
    """The nudge time of an alert has passed: nobody is nudged for it again."""
    await conn.execute(
        update(_deliveries).where(_deliveries.c.alert_id == alert_id).values(nudged=True)
    )


async def delivery_figures(conn: AsyncConnection, alert_id: int) -> dict[str, Counter[str]]:
    """Outbox states of an alert's direct messages ("dm") and channel posts ("post")."""
    found: dict[str, Counter[str]] = {"dm": Counter(), "post": Counter()}
    posts = posts_store.outbox_ids("alert", alert_id)
    dms = select(_deliveries.c.outbox_id).where(_deliveries.c.alert_id == alert_id)
    for name, rows_of in (("dm", dms), ("post", posts)):
        rows = await conn.execute(
            select(_outbox.c.state, func.count())
            .where(_outbox.c.id.in_(rows_of))
            .group_by(_outbox.c.state)
        )
        for state, n in rows:
            found[name][state] += n
    return found


# signers ---------------------------------------------------------------------------------


async def _signer_rows(conn: AsyncConnection, alert_id: int) -> list[list[str]]:
    """Rows of the signers CSV, oldest signature first; the date in the organization's zone.

    A signature whose member erased their data stays counted but is not listed."""
    rows = await conn.execute(
        select(
            _responses.c.name,
            _responses.c.title,
            _responses.c.institution,
            _responses.c.city,
            _responses.c.state,
            _responses.c.platform,
            _responses.c.created_at,
            _orgs.c.timezone,
        )
        .join(_alerts, _alerts.c.id == _responses.c.alert_id)
        .join(_orgs, _orgs.c.id == _alerts.c.org_id)
        .where(
            _responses.c.alert_id == alert_id,
            _responses.c.kind == "signed",
            _responses.c.name.is_not(None),
        )
        .order_by(_responses.c.created_at, _responses.c.id)
    )
    return [
        [
            *(value or "" for value in row[:6]),
            row[6].astimezone(ZoneInfo(row[7])).date().isoformat(),
        ]
        for row in rows
    ]


async def export_signers_csv(conn: AsyncConnection, alert_id: int) -> bytes:
    """The signers of an alert as CSV (UTF-8, a header row), for /alert signers and the CLI."""
    return write_csv(SIGNER_HEADERS, await _signer_rows(conn, alert_id))


# privacy ---------------------------------------------------------------------------------


async def member_responses(conn: AsyncConnection, member_id: int) -> list[dict[str, Any]]:
    """A member's answers to alerts, for /privacy export."""
    rows = await conn.execute(
        select(
            _responses.c.alert_id,
            _alerts.c.title,
            _responses.c.kind,
            _responses.c.platform,
            _responses.c.state,
            _responses.c.name,
            _responses.c.title.label("signed_title"),
            _responses.c.institution,
            _responses.c.city,
            _responses.c.created_at,
        )
        .join(_alerts, _alerts.c.id == _responses.c.alert_id)
        .where(_responses.c.member_id == member_id)
        .order_by(_responses.c.id)
    )
    return [
        {
            "alert": row.alert_id,
            "alert_title": row.title,
            "answer": row.kind,
            "platform": row.platform,
            "state": row.state,
            "signed_as": {
                "name": row.name,
                "title": row.signed_title,
                "institution": row.institution,
                "city": row.city,
            }
            if row.kind == "signed"
            else None,
            "at": row.created_at.isoformat(),
        }
        for row in rows
    ]


async def forget_signatures(conn: AsyncConnection, member_id: int) -> None:
    """Take a member's name off their signatures; the answers stay counted (by state and
    platform) and lose the member when the member row goes."""
    await conn.execute(
        update(_responses)
        .where(_responses.c.member_id == member_id)
        .values(name=None, title=None, institution=None, city=None)
    )


async def merge_members(conn: AsyncConnection, keep: int, drop: int) -> None:
    """Give ``drop``'s answers and deliveries to ``keep``: one person, one answer each.

    Where both answered an alert the same way, ``drop``'s row goes; where the joined person
    signed or acted, a "not for me" of theirs on the same alert goes."""
    kept = aliased(_responses)
    same_answer = exists().where(
        kept.c.member_id == keep,
        kept.c.alert_id == _responses.c.alert_id,
        kept.c.kind == _responses.c.kind,
    )
    await conn.execute(delete(_responses).where(_responses.c.member_id == drop, same_answer))
    await conn.execute(
        update(_responses).where(_responses.c.member_id == drop).values(member_id=keep)
    )
    took_part = exists().where(
        kept.c.member_id == keep,
        kept.c.alert_id == _responses.c.alert_id,
        kept.c.kind.in_(("signed", "acted")),
    )
    await conn.execute(
        delete(_responses).where(
            _responses.c.member_id == keep, _responses.c.kind == "declined", took_part
        )
    )
    kept_delivery = aliased(_deliveries)
    also_sent = exists().where(
        kept_delivery.c.member_id == keep, kept_delivery.c.alert_id == _deliveries.c.alert_id
    )
    await conn.execute(delete(_deliveries).where(_deliveries.c.member_id == drop, also_sent))
    await conn.execute(
        update(_deliveries).where(_deliveries.c.member_id == drop).values(member_id=keep)
    )
