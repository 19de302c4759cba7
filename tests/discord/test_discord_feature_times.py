"""Poll closing times, reminders and the weekly digest on Discord, end to end through the
real discord.py client against the stand-in (which refuses a malformed timestamp, or one
where Discord shows none): each time is a Discord timestamp, shown on each reader's own
clock, in the post, the answers, the DM and the digest. Runs on a SQLite file and on
PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.discord_support import ALERTS, ANA, BEA, DiscordRig, message_text, text_of

#: Fri Nov 6, 5:00 PM and Mon Nov 9, 5:00 PM in Chicago
FRIDAY = int(datetime(2026, 11, 6, 23, 0, tzinfo=UTC).timestamp())
MONDAY = int(datetime(2026, 11, 9, 23, 0, tzinfo=UTC).timestamp())
STAMP = re.compile(r"<t:")


def moment(at: int) -> str:
    """A moment as Discord timestamps: the day and time, then how far away it is."""
    return f"<t:{at}:F> (<t:{at}:R>)"


async def test_a_polls_closing_time_is_a_timestamp_in_its_post_answers_and_digest(
    rig: DiscordRig,
) -> None:
    poll = {
        "question": "Strike vote date",
        "options": "May | June",
        "closes": "2026-11-06 17:00",
        "anonymous": False,
    }
    created = await rig.slash(ANA, "poll", poll, sub="create")
    assert f"It closes {moment(FRIDAY)}; or earlier with /poll close id:1." in text_of(created)
    await rig.settle()
    (post,) = rig.standin.messages_in(ALERTS)
    (embed,) = post["embeds"]
    assert embed["title"] == "Poll 1: Strike vote date" and not STAMP.search(embed["title"])
    assert f"Closes {moment(FRIDAY)}." in embed["description"]
    shown = await rig.slash(BEA, "poll", {"id": 1}, sub="show")
    assert f"Closes {moment(FRIDAY)}.\n" in text_of(shown), text_of(shown)
    voted = await rig.slash(BEA, "poll", {"id": 1, "choice": "May"}, sub="vote")
    assert f"You can change it until {moment(FRIDAY)}." in text_of(voted), text_of(voted)
    # extended: the answer and the post both show the new time
    later = await rig.slash(ANA, "poll", {"id": 1, "closes": "2026-11-09 17:00"}, sub="extend")
    assert f"Poll 1 now closes {moment(MONDAY)};" in text_of(later), text_of(later)
    await rig.settle()
    (post,) = rig.standin.messages_in(ALERTS)
    assert f"Closes {moment(MONDAY)}." in post["embeds"][0]["description"]
    # the weekly digest, posted through the outbox
    assert rig.app is not None
    await rig.app.scheduler.add_digest("il-library-workers")
    await rig.settle()
    digest = rig.standin.messages_in(ALERTS)[-1]
    (embed,) = digest["embeds"]
    assert embed["title"] == "This week in Illinois Library Workers", embed["title"]
    line = f"• Poll 1: Strike vote date (not anonymous): 1 ballot, closes {moment(MONDAY)}"
    assert line in embed["description"], embed["description"]
    assert rig.standin.refused == [] and rig.standin.invalid_requests == 0


async def test_a_reminder_is_set_and_reported_missed_with_timestamps(rig: DiscordRig) -> None:
    due = int((rig.clock.now() + timedelta(hours=2)).timestamp())
    added = await rig.slash(BEA, "reminder", {"when": "in 2 hours", "text": "Call"}, sub="add")
    # the answer says how far away it is, so Discord's relative time is not said twice
    assert f"Reminder 1 set for <t:{due}:F> (in 2h)." in text_of(added), text_of(added)
    # the bot was down past the grace window: the DM says it was missed, and when it was due
    rig.clock.advance(timedelta(hours=4))
    await rig.settle()
    (dm,) = rig.standin.messages_in(rig.standin.dm_channels[BEA])
    shown = message_text(dm)
    assert f"your reminder was missed: “Call” (due {moment(due)})." in shown, shown
    assert rig.standin.refused == [] and rig.standin.invalid_requests == 0


async def test_an_alerts_send_answer_status_and_nudge_carry_timestamps(rig: DiscordRig) -> None:
    await rig.slash(BEA, "profile", {"state": "IL", "alert_dms": True})
    alert = {
        "title": "Save the Elm St branch",
        "body": "Council votes Friday.",
        "kind": "sign-on",
        "deadline": "2026-11-06 17:00",
    }
    await rig.slash(ANA, "alert", alert, sub="create")
    tuesday = int(datetime(2026, 11, 3, 15, 0, tzinfo=UTC).timestamp())  # 9:00 AM in Chicago
    sent = await rig.slash(ANA, "alert", {"id": 1, "at": "2026-11-03 09:00"}, sub="send")
    assert f"Alert 1 goes out {moment(tuesday)}: posted" in text_of(sent), text_of(sent)
    status = await rig.slash(ANA, "alert", {"id": 1}, sub="status")
    assert f"state: scheduled (closes {moment(FRIDAY)})" in text_of(status), text_of(status)
    # the alert goes out on Tuesday; a day before the deadline, the member who has not
    # answered is reminded by DM. One step each: a jump over both may run the nudge before
    # the alert is marked sent, and a nudge for an alert not sent is skipped
    for at in (datetime(2026, 11, 3, 15, 5, tzinfo=UTC), datetime(2026, 11, 5, 23, 5, tzinfo=UTC)):
        rig.clock.advance(at - rig.clock.now())
        await rig.settle()
    dms = [message_text(m) for m in rig.standin.messages_in(rig.standin.dm_channels[BEA])]
    (nudge,) = [text for text in dms if "If it is for you" in text]
    assert f"“Save the Elm St branch” closes {moment(FRIDAY)}. If it is for you" in nudge, nudge
    assert rig.standin.refused == [] and rig.standin.invalid_requests == 0
