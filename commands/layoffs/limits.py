"""The hourly limit on reports: one person may file ``[limits] layoff_reports_per_hour`` per
clock hour, counted under keyed hashes of the account and of the member, never the account
or member itself; the counts of an hour are deleted once it is over."""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime, timedelta

from bot.context import Context
from bot.errors import UserError, ValidationError
from bot.wording import counted
from storage import layoffs as store
from storage import members
from storage.members import MemberRecord

HOUR = timedelta(hours=1)
#: the due items that delete the hourly counts once their hour is over
FORGET_COUNTS = "layoff.forget-counts"


def hour_of(moment: datetime) -> datetime:
    """The start of the clock hour of ``moment``."""
    return moment.replace(minute=0, second=0, microsecond=0)


def person_key(secret: bytes, person: str) -> str:
    """The keyed hash a person is counted under: an HMAC-SHA256 of ``m:<member id>`` or
    ``a:<platform>:<account>``."""
    return hmac.new(secret, f"rallybot layoff limit|{person}".encode(), hashlib.sha256).hexdigest()


async def quietly_found(ctx: Context) -> MemberRecord | None:
    """The member an anonymous reporter already is, if any, so that linked accounts share one
    limit; looked up without the account in any log line, and nothing is stored."""
    inv = ctx.invocation
    async with ctx.services.db.reading(quiet=True) as conn:
        return await members.find_member(conn, inv.platform, inv.user_id)


async def count_report(ctx: Context, anonymous: bool, member: MemberRecord | None) -> None:
    """Count this report against the person's hourly limit, or refuse it."""
    secret = ctx.services.ballot_secret
    if secret is None and anonymous:
        raise ValidationError(
            "anonymous",
            "anonymous reports need a ballot secret, which this bot does not have: an admin "
            "sets [polls] ballot_secret, the same for every bot process; until then, add "
            "anonymous:no to file it with your name",
        )
    inv = ctx.invocation
    # The account always (it may have filed before it became a member), and the member,
    # whose linked accounts count together.
    people = [f"a:{inv.platform}:{inv.user_id}"] + ([f"m:{member.id}"] if member else [])
    limit = ctx.services.config.layoff_reports_per_hour
    hour = hour_of(ctx.now)
    for person in people:
        # Without a secret only named reports get here, whose reporter is on the report anyway.
        key = person_key(secret or b"", person)
        if not await store.count_report(ctx.conn, key, hour, limit):
            # the refusal rolls back what was counted before it
            minutes = math.ceil((hour + HOUR - ctx.now).total_seconds() / 60)
            raise UserError(
                f"You have filed {counted(limit, 'report')} this hour, the most one person "
                f"may; you can file the next in {counted(minutes, 'minute')}."
            )
    await ctx.schedule(
        kind=FORGET_COUNTS, due_at=hour + HOUR, key=f"{FORGET_COUNTS}:{hour:%Y-%m-%dT%H}"
    )
