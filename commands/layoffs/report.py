"""/layoff report: filing a report. An anonymous one is counted against the hourly limit in
a transaction of its own before the report's opens, stores no member, and waits a random 2
to 15 minutes before anyone (its moderation post too) can see it."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from bot.context import Context
from bot.errors import ValidationError
from bot.reply import Reply
from commands.layoffs import group
from commands.layoffs.access import mod_keys, today, tracker_note
from commands.layoffs.limits import count_report, quietly_found
from commands.layoffs.options import REPORT_OPTIONS, on_date
from commands.layoffs.render import moderation_reply
from storage import layoffs as store

DUPLICATE_WINDOW = timedelta(days=30)
_RANDOM = secrets.SystemRandom()


def _anonymous(given: dict[str, Any]) -> bool:
    """Whether a report is anonymous (the default); refused if it also asks for contact."""
    anonymous = given["anonymous"] is not False
    if anonymous and given["ok_to_contact"]:
        raise ValidationError(
            "ok_to_contact", "works with named reports only: add anonymous:no to give your name"
        )
    return anonymous


def _effective(ctx: Context, given: dict[str, Any]) -> date | None:
    """The report's effective date, checked (a refused one names ``effective_date``)."""
    return on_date(given["effective_date"], today(ctx), "effective_date", past=False)


async def _count_anonymous(ctx: Context, **given: Any) -> None:
    """Count an anonymous report in a unit of work that commits before the report's opens, so
    that no transaction (on PostgreSQL, no xmin) ties the report to the keyed hash of its
    sender; a refusal here stores no report. The report's own checks come first, so a typing
    mistake spends no count; a report that fails later (a fault) has spent it: a
    conservative loss."""
    _effective(ctx, given)
    if _anonymous(given):
        await count_report(ctx, True, await quietly_found(ctx))


@group.command(
    "report",
    options=REPORT_OPTIONS,
    positional="employer",
    before=_count_anonymous,
    form_title="Report layoffs or cuts",
    counted=False,  # /metrics must not show that a report, perhaps anonymous, arrived
    help="Report layoffs, furloughs, cuts or a closure (anonymous unless you say otherwise)",
)
async def report(ctx: Context, **given: Any) -> Reply:
    """File a report; anonymous ones store nothing about the person filing."""
    anonymous = _anonymous(given)
    conn = ctx.conn
    day = today(ctx)
    effective = _effective(ctx, given)
    member = None if anonymous else await ctx.member()
    if member is not None:
        # a named report, which carries its reporter anyway, is counted with it
        await count_report(ctx, anonymous, member)
    # An anonymous report (and its moderation post) waits a random while before anyone
    # can see it.
    delay = timedelta(seconds=_RANDOM.randint(120, 900)) if anonymous else timedelta(0)
    shown_from = ctx.now + delay
    given.update(
        kind=given["kind"] or "layoff",
        classifications=list(given["classifications"] or ()),
        effective_date=effective,
        anonymous=anonymous,
        ok_to_contact=bool(given["ok_to_contact"]),
    )
    report_id, ref = await store.add_report(
        conn,
        store.NewReport(
            org_id=ctx.org.id,
            reporter_member_id=None if member is None else member.id,
            possible_duplicate_of=await store.possible_duplicate(
                conn, ctx.org.id, given["employer"], day - DUPLICATE_WINDOW, ctx.now
            ),
            received_week=day - timedelta(days=day.weekday()),
            visible_from=shown_from if anonymous else None,
            **given,
        ),
    )
    record = await store.get_report(conn, ctx.org.id, ref, shown_from)
    assert record is not None
    post = {"kind": "moderation", "org_id": ctx.org.id, "not_before": shown_from}
    reply = moderation_reply(record)
    for platform, channel, key in mod_keys(ctx, report_id):
        await ctx.messages.to_channel(platform, channel, reply, key=key, **post)
    who = "It carries your name, which only organizers see."
    if anonymous:
        who = "It is anonymous: nothing about who sent it is kept."
    public = ""
    if note := tracker_note(ctx):
        public = (
            " Once verified, a report with a public source link may appear on the public "
            "tracker (employer, place, month, workers and kind; never who sent it)." + note
        )
    return Reply(
        text=f"Thank you. Your report is L-{ref}. {who} Organizers will review it "
        "before it counts in /layoff stats." + public
    )
