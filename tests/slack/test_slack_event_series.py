"""A repeating event through Slack's HTTP mode: the signed /event create with repeat: answers
with the rule and the next dates, the first date is announced through the real slack_sdk,
and /event rsvp with occurrence: answers for one later date only."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import EventRsvp
from tests.slack.test_slack_events_polls import ANA, ORG, announced
from tests.slack_support import buttons, slack_rig

WEEKLY = (
    '/event create title:"Book club" kind:meeting start:"2026-11-05 18:00" end:"19:00" '
    'repeat:"every week" count:3'
)


async def test_create_with_repeat_and_answer_for_one_date_on_slack(database) -> None:
    async with slack_rig(database) as rig:
        denied = await rig.command(ANA, WEEKLY)
        assert "needs the organizer role" in denied["text"]
        post = await announced(rig, WEEKLY)
        assert "Book club (event 1)" in post["text"]
        assert "Thu Nov 5, 6:00 PM – 7:00 PM CST" in post["text"]
        going = buttons(post["blocks"])["Going"]
        assert (await rig.click(ANA, going))["text"].startswith(
            "You're going to “Book club” (event 1)"
        )
        later = await rig.command(ANA, "/event rsvp id:1 status:maybe occurrence:11/19")
        assert later["text"].startswith("Noted as a maybe for “Book club” (event 2), Thu Nov 19")
        wrong = await rig.command(ANA, "/event rsvp id:1 status:going occurrence:11/26")
        assert (
            "occurrence: the series (every week on Thursday at 6:00 PM, 3 times) has no date"
            in (wrong["text"])
        )
        async with rig.app.db.transaction() as conn:
            rows = await conn.execute(select(EventRsvp.event_id, EventRsvp.status))
            assert sorted(tuple(r) for r in rows) == [(1, "going"), (2, "maybe")]
        shown = await rig.command(ORG, "/event show id:2")
        assert "Repeats every week on Thursday at 6:00 PM, 3 times." in shown["text"]
        assert rig.standin.refused == []
