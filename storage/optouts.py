"""Alert-DM opt-outs of an organization: lists organizers import (applied at once to the
organization's members, kept as pending for accounts it has not seen yet) and the list as CSV.

A member's own choice is the ``alert_dms`` field of their profile, one for the person on every
platform; an imported opt-out for a known account sets it. A pending opt-out names only an
organization, a platform and an account: no member is stored for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, false, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.csvfile import write_csv
from storage.models import Identity, Organization, OrgMember, PendingOptout, Profile

_pending = PendingOptout.__table__
_identities = Identity.__table__
_org_members = OrgMember.__table__
_profiles = Profile.__table__
_orgs = Organization.__table__

#: the columns of an exported list; an import reads platform, account and display_name
EXPORT_COLUMNS = ("platform", "account", "display_name", "person", "status")
#: accounts looked up per statement, well under every driver's limit of bound parameters
_CHUNK = 500


@dataclass(frozen=True)
class OptoutRow:
    """One valid row of an imported list: an account that wants no alert DMs."""

    line: int
    platform: str
    account: str
    display_name: str = ""


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did: the distinct accounts it named, members whose alert DMs it switched
    off, members who had them off already, and accounts kept until they first appear in the
    organization."""

    accounts: int
    switched_off: int
    already_off: int
    pending: int


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def _identities_in_org(org_id: int, *columns: Any) -> Any:
    """A select of ``columns`` over the accounts of the organization's members."""
    return select(*columns).join(
        _org_members,
        and_(
            _org_members.c.member_id == _identities.c.member_id,
            _org_members.c.org_id == org_id,
        ),
    )


def _by_platform(keys: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """(platform, accounts) groups of at most a chunk each: a plain ``IN`` on one column
    uses the index directly, where a long list of (platform, account) pairs does not."""
    accounts: dict[str, list[str]] = {}
    for platform, account in keys:
        accounts.setdefault(platform, []).append(account)
    return [(platform, chunk) for platform, found in accounts.items() for chunk in _chunks(found)]


async def import_optouts(
    conn: AsyncConnection, org_id: int, rows: list[OptoutRow], now: datetime
) -> ImportOutcome:
    """Record that each account wants no alert DMs from now on.

    An account of a member of the organization switches that member's alert DMs off (on
    every platform, one choice for the person); any other account is kept as pending until
    it first appears in the organization. Accounts named twice count once."""
    if conn.dialect.name == "postgresql":
        # No account may first appear while the list is read against the known accounts:
        # one stored between that reading and this commit would miss its pending opt-out.
        # (SQLite has one writer, so there it cannot happen.)
        await conn.execute(text("LOCK TABLE identities IN SHARE MODE"))
    wanted: dict[tuple[str, str], OptoutRow] = {}
    for row in rows:
        wanted.setdefault((row.platform, row.account), row)
    keys = list(wanted)
    known: dict[tuple[str, str], tuple[int, bool | None]] = {}
    for platform, accounts in _by_platform(keys):
        found = await conn.execute(
            _identities_in_org(
                org_id,
                _identities.c.user_id,
                _identities.c.member_id,
                _profiles.c.alert_dms,
                _profiles.c.member_id.is_not(None),
            )
            .outerjoin(_profiles, _profiles.c.member_id == _identities.c.member_id)
            .where(_identities.c.platform == platform, _identities.c.user_id.in_(accounts))
        )
        for user_id, member_id, alert_dms, has_profile in found:
            known[(platform, user_id)] = (member_id, alert_dms if has_profile else None)
    # One person may be named by several of their accounts: count and change them once.
    members: dict[int, bool | None] = {mid: dms for mid, dms in known.values()}
    to_update = [mid for mid, dms in members.items() if dms is True]
    to_create = [mid for mid, dms in members.items() if dms is None]
    for chunk in _chunks(to_update):
        await conn.execute(
            update(_profiles).where(_profiles.c.member_id.in_(chunk)).values(alert_dms=False)
        )
    if to_create:
        await conn.execute(
            insert(_profiles),
            [{"member_id": mid, "alert_dms": False, "topics": []} for mid in to_create],
        )
    already: set[tuple[str, str]] = set()
    for platform, accounts in _by_platform(keys):
        found = await conn.execute(
            select(_pending.c.account).where(
                _pending.c.org_id == org_id,
                _pending.c.platform == platform,
                _pending.c.account.in_(accounts),
            )
        )
        already.update((platform, account) for (account,) in found)
    # an account known here now keeps no pending row beside its member's choice
    for platform, accounts in _by_platform([key for key in already if key in known]):
        await conn.execute(
            delete(_pending).where(
                _pending.c.org_id == org_id,
                _pending.c.platform == platform,
                _pending.c.account.in_(accounts),
            )
        )
    unseen = [key for key in keys if key not in known]
    new = [key for key in unseen if key not in already]
    if new:
        await conn.execute(
            insert(_pending),
            [
                {
                    "org_id": org_id,
                    "platform": platform,
                    "account": account,
                    "display_name": wanted[(platform, account)].display_name,
                    "imported_at": now,
                }
                for platform, account in new
            ],
        )
    return ImportOutcome(
        accounts=len(keys),
        switched_off=len(to_update) + len(to_create),
        already_off=sum(1 for dms in members.values() if dms is False),
        pending=len(unseen),
    )


async def export_optouts(conn: AsyncConnection, org_id: int) -> tuple[bytes, int, int]:
    """The organization's opt-outs as CSV: each member with alert DMs off, one row for each of
    their accounts, then each pending account. Returns the file, people and rows."""
    members = await conn.execute(
        _identities_in_org(
            org_id,
            _identities.c.member_id,
            _identities.c.platform,
            _identities.c.user_id,
            _identities.c.display_name,
        )
        .join(_profiles, _profiles.c.member_id == _identities.c.member_id)
        .where(_profiles.c.alert_dms == false())
        .order_by(_identities.c.member_id, _identities.c.id)
    )
    pending = await conn.execute(
        select(_pending.c.platform, _pending.c.account, _pending.c.display_name)
        .where(_pending.c.org_id == org_id)
        .order_by(_pending.c.platform, _pending.c.account)
    )
    person, last, rows = 0, None, []
    for member_id, platform, user_id, name in members:
        if member_id != last:
            person, last = person + 1, member_id
        rows.append([platform, user_id, name, person, "member"])
    for platform, account, name in pending:
        person += 1
        rows.append([platform, account, name, person, "pending"])
    return write_csv(EXPORT_COLUMNS, rows), person, len(rows)


def _of_accounts(accounts: list[tuple[str, str]]) -> Any:
    return or_(*(and_(_pending.c.platform == p, _pending.c.account == a) for p, a in accounts))


async def pending_of_accounts(
    conn: AsyncConnection, accounts: list[tuple[str, str]]
) -> list[dict[str, object]]:
    """Pending opt-outs that name any of these (platform, account) pairs, for the person's
    own `/privacy export`."""
    if not accounts:
        return []
    rows = await conn.execute(
        select(
            _orgs.c.slug,
            _pending.c.platform,
            _pending.c.account,
            _pending.c.display_name,
            _pending.c.imported_at,
        )
        .join(_orgs, _orgs.c.id == _pending.c.org_id)
        .where(_of_accounts(accounts))
        .order_by(_orgs.c.slug, _pending.c.platform, _pending.c.account)
    )
    return [
        {
            "organization": slug,
            "platform": platform,
            "account": account,
            "display_name": name,
            "imported_at": at.isoformat(),
        }
        for slug, platform, account, name, at in rows
    ]


async def forget_accounts(conn: AsyncConnection, accounts: list[tuple[str, str]]) -> None:
    """Erase every pending opt-out that names one of these accounts (`/privacy delete`)."""
    if accounts:
        await conn.execute(delete(_pending).where(_of_accounts(accounts)))
