"""Poll closing times, reminders and the weekly digest on Slack, end to end through the real
slack_sdk into the Slack stand-in (which refuses a malformed date, or one in plain text):
each time is a Slack date with the time in the reader's zone as its fallback, while the
headers and the notification text keep plain text. Runs on a SQLite file and on
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.slack.test_slack_times import DATE, DAY_TIME, mrkdwn, plain, posted
from tests.slack_support import slack_rig, until

ORG, ANA = "U0ORG", "U0ANA"
#: Fri Nov 6, 5:00 PM and Mon Nov 9, 5:00 PM in Chicago
FRIDAY = int(datetime(2026, 11, 6, 23, 0, tzinfo=UTC).timestamp())
MONDAY = int(datetime(2026, 11, 9, 23, 0, tzinfo=UTC).timestamp())


def date(at: int, fallback: str) -> str:
    """A moment as a Slack date: the day and time, its fallback the text."""
    return f"<!date^{at}^{DAY_TIME}|{fallback}>"


def said(answer: dict[str, Any]) -> str:
    """An answer's mrkdwn: its sections' text and fields."""
    fields = [f["text"] for b in answer.get("blocks", []) for f in b.get("fields", [])]
    return "\n".join([mrkdwn(answer), *fields])


async def test_a_polls_closing_time_is_a_date_in_its_post_answers_and_digest(database) -> None:
    async with slack_rig(database) as rig:
        post = await posted(
            rig,
            "C0ALERTS",
            '/poll create question:"Strike vote date" options:"May | June" '
            'closes:"2026-11-06 17:00" anonymous:no',
        )
        friday = date(FRIDAY, "Fri Nov 6, 5:00 PM CST")
        assert f"Closes {friday}." in mrkdwn(post), mrkdwn(post)
        assert plain(post)[0] == "Poll 1: Strike vote date"
        assert "Closes Fri Nov 6, 5:00 PM CST." in post["text"]
        assert not DATE.search(post["text"] + " ".join(plain(post)))
        # a member in New York: Slack shows the date on her clock
        await rig.command(ANA, "/profile timezone:America/New_York")
        shown = await rig.command(ANA, "/poll show id:1")
        assert f"Closes {friday}." in said(shown), said(shown)
        later = await rig.command(ORG, '/poll extend id:1 closes:"2026-11-09 17:00"')
        monday = date(MONDAY, "Mon Nov 9, 5:00 PM CST")
        assert f"Poll 1 now closes {monday};" in said(later), said(later)
        assert "Poll 1 now closes Mon Nov 9, 5:00 PM CST;" in later["text"]
        await rig.app.settle()
        edited = await until(
            lambda: [m for m in rig.standin.sent("chat.update") if monday in mrkdwn(m)]
        )
        assert f"Closes {monday}." in mrkdwn(edited[-1])
        # the weekly digest, posted through the outbox
        before = len(rig.standin.posted_to("C0ALERTS"))
        await rig.app.scheduler.add_digest("il-library-workers")
        await rig.app.settle()
        digest = (await until(lambda: rig.standin.posted_to("C0ALERTS")[before:]))[-1]
        line = f"• Poll 1: Strike vote date (not anonymous): 0 ballots, closes {monday}"
        assert line in mrkdwn(digest), mrkdwn(digest)
        assert "closes Mon Nov 9, 5:00 PM CST" in digest["text"]
        assert rig.standin.refused == []


async def test_a_reminder_is_set_and_reported_missed_with_dates(database) -> None:
    async with slack_rig(database) as rig:
        clock = rig.app.services.clock
        due = int((clock.now() + timedelta(hours=2)).timestamp())
        added = await rig.command(ANA, '/reminder add when:"in 2 hours" text:"Call"')
        eleven = date(due, "Mon Nov 2, 11:00 AM CST")
        assert f"Reminder 1 set for {eleven} (in 2h)." in said(added), said(added)
        # the bot was down past the grace window: the DM says it was missed, and when it was
        clock.advance(timedelta(hours=4))
        await rig.app.settle()
        (dm,) = await until(lambda: rig.standin.posted_to(ANA))
        assert f"your reminder was missed: “Call” (due {eleven})." in mrkdwn(dm), mrkdwn(dm)
        assert "(due Mon Nov 2, 11:00 AM CST)." in dm["text"]
        assert rig.standin.refused == []
