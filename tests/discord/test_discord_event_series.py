"""A repeating event in Discord, the real discord.py client against the stand-in: /event
create with repeat: and count: (options Discord sees as synced), the first date announced
with its buttons, and /event rsvp with occurrence: answering for one later date only."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import EventRsvp
from tests.discord.test_discord_events_polls import event_post
from tests.discord_support import BEA, DiscordRig, message_text, text_of


async def test_create_with_repeat_and_answer_for_one_date_in_discord(rig: DiscordRig) -> None:
    post = await event_post(
        rig,
        {
            "title": "Book club",
            "kind": "meeting",
            "start": "2026-11-05 18:00",
            "repeat": "every 2 weeks",
            "count": 4,
        },
    )
    assert "Book club (event 1)" in message_text(post)
    assert "You're going to “Book club” (event 1)" in text_of(
        await rig.click(BEA, post["id"], "Going")
    )
    later = await rig.slash(
        BEA, "event", {"id": 1, "status": "going", "occurrence": "2026-12-03"}, sub="rsvp"
    )
    # Thu Dec 3, 18:00 CST, as a Discord timestamp (midnight UTC on Dec 4)
    dec_3 = int(datetime(2026, 12, 4, 0, 0, tzinfo=UTC).timestamp())
    assert f"You're going to “Book club” (event 2), <t:{dec_3}:F>" in text_of(later), text_of(later)
    wrong = await rig.slash(
        BEA, "event", {"id": 1, "status": "going", "occurrence": "11/12"}, sub="rsvp"
    )
    assert "occurrence: the series (every 2 weeks on Thursday at 6:00 PM, 4 times) has no" in (
        text_of(wrong)
    ), text_of(wrong)
    async with rig.app.db.transaction() as conn:
        rows = await conn.execute(select(EventRsvp.event_id, EventRsvp.status))
        assert sorted((e, s) for e, s in rows) == [(1, "going"), (2, "going")]
    assert rig.standin.invalid_requests == 0
