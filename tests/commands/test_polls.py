"""Polls: counting rules, voting through the dispatcher, anonymity, closing, privacy and the
console, on SQLite files and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, inspect, select, text

from bot.config import Config, ConfigError, PollsConfig, demo_org, load_config
from commands.polls import count as poll_count
from commands.polls.keys import anonymous_key
from commands.polls.options import EQUITY_PRIORITIES
from storage.db import Database
from storage.models import AuditEntry, DueItem, OutboxMessage, Poll, PollBallot
from tests.support import REFUSAL, ROOT, ConsoleBot, Person, link_accounts, run_rallybot

START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # Monday 9:00 in Chicago
SECRET = "a-test-ballot-secret-0123456789"
ORGANIZER = Person("olu", roles=frozenset({"organizer"}))
EXAMPLE = ROOT / "config.example.toml"


# counting rules (pure) -------------------------------------------------------------------


def test_instant_runoff_can_beat_the_plurality_winner() -> None:
    # A leads on first choices, but C's voters prefer B, who then has a majority.
    a, b, c = 0, 1, 2
    ballots = [[a]] * 4 + [[b]] * 3 + [[c, b]] * 2
    runoff = poll_count.instant_runoff(ballots, 3)
    assert poll_count.leaders(poll_count.plurality([x[:1] for x in ballots], 3)) == [a]
    assert runoff.winner == b
    first, second = runoff.rounds
    assert first.votes == {a: 4, b: 3, c: 2} and first.eliminated == (c,)
    assert second.votes == {a: 4, b: 5} and second.winner == b and second.exhausted == 0


def test_a_tie_for_fewest_goes_to_first_preferences_and_exhausted_ballots_are_shown() -> None:
    a, b, c, d = 0, 1, 2, 3
    ballots = [[a]] * 5 + [[b]] * 2 + [[c]] * 3 + [[d, b]]
    runoff = poll_count.instant_runoff(ballots, 4)
    r1, r2, r3 = runoff.rounds
    assert r1.votes == {a: 5, b: 2, c: 3, d: 1} and r1.eliminated == (d,)
    # B and C tie on 3; B had fewer first preferences (2 against 3), so B goes.
    assert r2.votes == {a: 5, b: 3, c: 3}
    assert r2.eliminated == (b,) and r2.tie_break == "first preferences"
    # B's three ballots rank nobody else: exhausted, and the majority is of the 8 left.
    assert r3.votes == {a: 5, c: 3} and r3.exhausted == 3 and r3.winner == a
    assert runoff.winner == a and runoff.ballots == 11


def test_a_full_tie_eliminates_the_later_listed_option() -> None:
    runoff = poll_count.instant_runoff([[0], [1]], 2)
    assert runoff.rounds[0].eliminated == (1,) and runoff.rounds[0].tie_break == "order"
    assert runoff.winner == 0
    tied = poll_count.instant_runoff([[2, 0], [0, 2], [1]], 3)
    # all three tie on one vote and one first preference: C (listed last) goes first
    assert tied.rounds[0].eliminated == (2,) and tied.winner == 0


def test_unranked_options_go_in_the_first_round_and_no_ballots_no_winner() -> None:
    runoff = poll_count.instant_runoff([[1, 0], [1], [0]], 4)
    assert runoff.rounds[0].votes == {0: 1, 1: 2, 2: 0, 3: 0}
    assert runoff.rounds[0].winner == 1 and runoff.rounds[0].eliminated == (2, 3)
    assert poll_count.instant_runoff([], 3).winner is None


def test_plurality_counts_each_option_once_per_ballot() -> None:
    assert poll_count.plurality([[0, 2], [2], [2, 2], [1, 0]], 3) == [2, 1, 3]
    assert poll_count.leaders([2, 3, 3]) == [1, 2]
    assert poll_count.leaders([0, 0]) == []


def test_small_groups_are_folded_and_the_fold_is_never_small() -> None:
    one = (0,)
    shown, hidden = poll_count.fold_small_groups({"IL": [one] * 5, "WI": [one] * 2, "MN": [one]})
    assert [g.label for g in shown] == ["IL"] and hidden is not None
    assert hidden.label == "other/hidden" and len(hidden.ballots) == 3
    # MN alone (1) would be revealed by the total minus the shown groups: WI is folded too
    shown, hidden = poll_count.fold_small_groups({"IL": [one] * 5, "WI": [one] * 3, "MN": [one]})
    assert [g.label for g in shown] == ["IL"] and hidden is not None and len(hidden.ballots) == 4
    shown, hidden = poll_count.fold_small_groups({"IL": [one] * 4, "WI": [one]})
    assert shown == [] and hidden is not None and len(hidden.ballots) == 5
    shown, hidden = poll_count.fold_small_groups({"IL": [one] * 3, "WI": [one] * 3})
    assert [g.label for g in shown] == ["IL", "WI"] and hidden is None


# configuration ---------------------------------------------------------------------------


def test_polls_config_defaults_overrides_and_mistakes(tmp_path: Path) -> None:
    config = load_config(EXAMPLE, environ={})
    assert config.polls.ballot_secret == "" and config.polls.min_group == 3
    assert config.polls.tally_interval == timedelta(seconds=5)
    env = {"RALLYBOT_POLLS__BALLOT_SECRET": SECRET, "RALLYBOT_POLLS__MIN_GROUP": "5"}
    config = load_config(EXAMPLE, environ=env)
    assert config.polls.ballot_secret == SECRET and config.polls.min_group == 5
    assert SECRET in config.secrets() and SECRET not in repr(config)
    for body, message in [
        ("[polls]\nmin_group = 2\n", "[polls] min_group: must be at least 3"),
        ('[polls]\nballot_secret = "short"\n', "[polls] ballot_secret: must be at least 16"),
        ('[polls]\ntally_interval = "0s"\n', "[polls] tally_interval: must be at least 1s"),
        ('[polls]\nsecret = "x"\n', "[polls]: unknown key 'secret'"),
    ]:
        path = tmp_path / "config.toml"
        path.write_text(body)
        with pytest.raises(ConfigError) as err:
            load_config(path, environ={})
        assert str(path) in str(err.value) and message in str(err.value)


# through the dispatcher ------------------------------------------------------------------


class PollBot(ConsoleBot):
    """A bot whose console screen prints every delivered message."""

    async def ballots(self) -> list[tuple]:
        async with self.bot.app.db.transaction() as conn:
            rows = await conn.execute(
                select(
                    PollBallot.poll_id,
                    PollBallot.voter_key,
                    PollBallot.member_id,
                    PollBallot.choices,
                ).order_by(PollBallot.voter_key)
            )
            return [tuple(r) for r in rows]

    async def member_id(self, name: str, platform: str = "console") -> int:
        async with self.bot.app.db.transaction() as conn:
            return (
                await conn.execute(
                    text("SELECT member_id FROM identities WHERE platform = :p AND user_id = :u"),
                    {"p": platform, "u": name},
                )
            ).scalar_one()


async def poll_bot(database: Database, tmp_path: Path, *, secret: str | None = SECRET) -> PollBot:
    t = await PollBot.start(database, tmp_path, start=START)
    if secret is not None:
        t.bot.app.services.ballot_secret = secret.encode()
    return t


async def test_single_choice_votes_change_and_live_results(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    await t.ok(
        ORGANIZER, '/poll create question:"Meet when?" options:"Tuesday | Thursday" results:live'
    )
    await t.ok("ana", '/poll vote id:1 choice:"Tuesday"')
    await t.ok("bea", "/poll vote id:1 choice:2")
    cast = await t.ok("cy", "/poll vote id:1 choice:thursday")
    assert "is counted: Thursday" in cast.text and "Anonymous" in cast.text
    changed = await t.ok("ana", "/poll vote id:1 choice:Thursday")
    assert "is changed: Thursday" in changed.text
    results = await t.ok("eve", "/poll results id:1")
    assert "Thursday leads with 3 of 3 ballots." in results.text
    assert results.table is not None and results.table.rows[0][:2] == ["Tuesday", "0"]
    assert results.files[0].data.startswith(b"\x89PNG")
    assert await t.count(PollBallot) == 3
    withdrawn = await t.ok("cy", "/poll withdraw id:1")
    assert "taken back" in withdrawn.text and await t.count(PollBallot) == 2


async def test_multiple_with_a_maximum_and_approval(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    await t.ok(
        ORGANIZER,
        '/poll create question:"Which two?" options:"Pay | Leave | PD | Power" '
        "kind:multiple max:2 results:live",
    )
    await t.ok("ana", '/poll vote id:1 choices:"Pay | PD"')
    await t.ok("bea", "/poll vote id:1 choice:Pay")
    await t.ok("bea", "/poll vote id:1 choice:Leave")
    over = await t.refused("bea", "/poll vote id:1 choice:Power")
    assert over.startswith("choice: poll 1 takes at most 2 options")
    toggled = await t.ok("bea", "/poll vote id:1 choice:Pay")  # a second click takes it off
    assert "is changed: Leave." in toggled.text
    too_many = await t.refused("cy", '/poll vote id:1 choices:"Pay | PD | Power"')
    assert too_many.startswith("choices: poll 1 takes at most 2 options")
    results = await t.ok("ana", "/poll results id:1")
    assert results.table is not None
    assert [r[:2] for r in results.table.rows] == [
        ["Pay", "1"],
        ["Leave", "1"],
        ["PD", "1"],
        ["Power", "0"],
    ]
    await t.ok(
        ORGANIZER,
        '/poll create question:"Fine by you?" options:"A | B | C" kind:approval results:live',
    )
    await t.ok("ana", '/poll vote id:2 choices:"A | B | C"')
    await t.ok("bea", '/poll vote id:2 choices:"C"')
    approval = await t.ok("ana", "/poll results id:2")
    assert "C leads with 2 of 2 ballots." in approval.text


async def test_bad_input_is_named_by_field(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    one = await t.refused(ORGANIZER, '/poll create question:"Q?" options:"Only one"')
    assert one.startswith("options: needs 2 to 20 options separated by | (got 1)")
    many = " | ".join(f"Option {n}" for n in range(21))
    assert (await t.refused(ORGANIZER, f'/poll create question:"Q?" options:"{many}"')).startswith(
        "options: needs 2 to 20 options separated by | (got 21)"
    )
    twice = await t.refused(ORGANIZER, '/poll create question:"Q?" options:"A | a"')
    assert twice.startswith("options: lists 'A' and 'a', which are the same option")
    # the same after NFKC, casefolding, removing format and bidi characters, collapsing spaces
    for lookalike in (
        "ＰＤ ｆｕｎｄｉｎｇ",  # full-width
        "PD\u200b funding",  # a zero-width space
        "\u202ePD funding",  # a right-to-left override
        "PD\u2066 funding\u2069",  # an isolate
        "pd   FUNDING",  # case and spaces
    ):
        same = await t.refused(
            ORGANIZER, f'/poll create question:"Q?" options:"PD funding | Pay | {lookalike}"'
        )
        assert same.startswith(
            f"options: lists 'PD funding' and {lookalike!r}, which are the same option"
        ), same
    invisible = await t.refused(ORGANIZER, '/poll create question:"Q?" options:"A | \u200b"')
    assert invisible == "options: '\\u200b': an option needs a visible character", invisible
    no_max = await t.refused(ORGANIZER, '/poll create question:"Q?" options:"A | B" kind:multiple')
    assert no_max.startswith("max: is needed for kind:multiple")
    stray = await t.refused(ORGANIZER, '/poll create question:"Q?" options:"A | B" max:2')
    assert stray.startswith("max: applies to kind:multiple only")
    past = await t.refused(
        ORGANIZER, '/poll create question:"Q?" options:"A | B" closes:"2026-11-01 09:00"'
    )
    assert past.startswith("closes: 2026-11-01 09:00 has already passed")
    missing = await t.refused(ORGANIZER, '/poll create options:"A | B"')
    assert "needs the field question" in missing
    await t.ok(ORGANIZER, '/poll create question:"Rank" options:"Benefits | Pay | PD" kind:ranked')
    repeat = await t.refused("ana", '/poll vote id:1 ranking:"Benefits > Pay > benefits"')
    assert repeat.startswith("ranking: lists 'Benefits' twice")
    unknown = await t.refused("ana", '/poll vote id:1 ranking:"Benefits > Parking"')
    assert unknown.startswith("ranking: 'Parking' is not an option of poll 1")
    wrong = await t.refused("ana", '/poll vote id:1 choices:"Benefits | Pay"')
    assert wrong.startswith("choices: poll 1 is ranked")
    nothing = await t.refused("ana", "/poll vote id:9 choice:Pay")
    assert nothing.startswith("id: there is no poll 9 here")
    assert await t.count(Poll) == 1 and await t.count(PollBallot) == 0


async def test_a_vote_without_a_choice_names_the_field_its_poll_is_voted_with(
    database: Database, tmp_path: Path
):
    t = await poll_bot(database, tmp_path)
    for kind in ("single", "ranked", "approval"):
        await t.ok(ORGANIZER, f'/poll create question:"{kind}?" options:"A | B" kind:{kind}')
    assert await t.refused("ana", "/poll vote id:1") == "/poll vote needs the field choice."
    assert await t.refused("ana", "/poll vote id:2") == "/poll vote needs the field ranking."
    assert await t.refused("ana", "/poll vote id:3") == "/poll vote needs the field choices."


async def test_members_may_create_polls_only_where_the_org_allows(
    database: Database, tmp_path: Path
):
    t = await poll_bot(database, tmp_path)
    await t.ok("ana", '/poll create question:"Q?" options:"A | B"')  # the demo org allows it
    wi_member = Person("UWI1", platform="slack", space="TWI")
    denied = await t.refused(wi_member, '/poll create question:"Q?" options:"A | B"')
    assert "needs the organizer role" in denied
    wi_organizer = Person("UWIORG", platform="slack", space="TWI")
    await t.ok(wi_organizer, '/poll create question:"Q?" options:"A | B" anonymous:no')
    assert "needs the organizer role" in await t.refused("bea", "/poll close id:1")


async def test_the_creator_of_a_poll_may_close_it_and_organizers_any(
    database: Database, tmp_path: Path
):
    t = await poll_bot(database, tmp_path)
    await t.ok("ana", '/poll create question:"Lunch?" options:"Soup | Salad"')
    await t.ok("bea", '/poll create question:"Break?" options:"10 | 15"')
    await t.ok(ORGANIZER, '/poll create question:"Strike?" options:"Yes | No"')
    denied = await t.refused("bea", "/poll close id:1")
    assert denied == (
        "/poll close needs the organizer role, or to have created poll 1; you have the member "
        "role here."
    )
    assert "needs the organizer role" in await t.refused("ana", "/poll close id:3")
    closed = await t.ok("ana", "/poll close id:1")
    assert closed.text.startswith("Poll 1 is closed; the results are posted")
    await t.ok(ORGANIZER, "/poll close id:2")
    assert await t.count(AuditEntry, action="poll.close") == 2
    assert await t.count(Poll, state="closed") == 2 and await t.count(Poll, state="open") == 1


async def test_a_members_poll_without_closes_closes_after_member_poll_days(
    database: Database, tmp_path: Path
):
    config = Config(orgs=[demo_org()], polls=PollsConfig(member_poll_days=3))
    t = await PollBot.start(database, tmp_path, start=START, config=config)
    t.bot.app.services.ballot_secret = SECRET.encode()
    created = await t.ok("ana", '/poll create question:"Lunch?" options:"Soup | Salad"')
    assert (
        "It closes Thu Nov 5, 9:00 AM CST (members' polls close after 3 days; closes: sets "
        "another time); or earlier with /poll close id:1." in created.text
    )
    await t.ok("bea", "/poll vote id:1 choice:Soup")
    chosen = await t.ok("ana", '/poll create question:"Later?" options:"A | B" closes:"in 9 days"')
    assert "It closes Wed Nov 11, 9:00 AM CST; or earlier" in chosen.text
    kept = await t.ok(ORGANIZER, '/poll create question:"Strike?" options:"Yes | No"')
    assert "Close it with /poll close id:3." in kept.text
    await t.step_to(START + timedelta(days=3) - timedelta(minutes=1))
    assert await t.count(Poll, state="closed") == 0
    await t.step_to(START + timedelta(days=3, minutes=1))
    assert await t.count(Poll, state="closed") == 1
    assert "Soup wins with 1 of 1 ballot." in t.out.getvalue()
    await t.step_to(START + timedelta(days=30))
    assert await t.count(Poll, state="open") == 1  # the organizer's poll waits for /poll close


async def test_member_polls_per_day_holds_under_a_burst_and_spares_organizers(
    database: Database, tmp_path: Path
):
    t = await poll_bot(database, tmp_path)
    await t.ok("ana", "/profile state:IL")
    replies = await asyncio.gather(
        *(t.bot.say("ana", f'/poll create question:"Q{n}?" options:"A | B"') for n in range(20))
    )
    assert sum(not r.error for r in replies) == 5
    assert {r.text for r in replies if r.error} == {
        "You have created 5 polls in the last 24 hours, the most one member may create a day; "
        "you can create the next one from Tue Nov 3, 9:00 AM CST, or ask an organizer to "
        "create it."
    }
    ana = await t.member_id("ana")
    assert await t.count(Poll, created_by=ana) == 5
    for n in range(7):  # organizers are not limited
        await t.ok(ORGANIZER, f'/poll create question:"O{n}?" options:"A | B"')
    t.bot.clock.advance(timedelta(hours=24))
    await t.ok("ana", '/poll create question:"Next day?" options:"A | B"')
    assert await t.count(Poll, created_by=ana) == 6
    # the polls of a second account of the same person count with the first once linked
    slack_ana = Person("UANA", platform="slack")
    await t.ok(slack_ana, '/poll create question:"From Slack?" options:"A | B"')
    await link_accounts(t.bot, "ana", slack_ana)
    t.bot.app.config.limits.member_polls_per_day = 2
    assert "You have created 2 polls in the last 24 hours" in await t.refused(
        "ana", '/poll create question:"Q?" options:"A | B"'
    )


async def test_repeated_fast_clicks_count_once(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    await t.ok(ORGANIZER, '/poll create question:"Q?" options:"A | B | C" results:live')
    await t.ok(ORGANIZER, '/poll create question:"Named" options:"A | B" anonymous:no')
    # a person not yet known clicks ten times at once on each poll, as does a known one
    await t.ok("bea", "/profile state:WI")
    clicks = [
        t.bot.click(who, f"poll.vote?id={p}&choice=2")
        for who in ("ana", "bea")
        for p in (1, 2)
        for _ in range(10)
    ]
    replies = await asyncio.gather(*clicks)
    assert all(not r.error for r in replies), [r.text for r in replies if r.error]
    assert await t.count(PollBallot, poll_id=1) == 2
    assert await t.count(PollBallot, poll_id=2) == 2
    results = await t.ok("ana", "/poll results id:1")
    assert "B leads with 2 of 2 ballots." in results.text


async def test_linked_accounts_have_one_ballot(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    await t.ok(ORGANIZER, '/poll create question:"Q?" options:"A | B" results:live')
    await t.ok(ORGANIZER, '/poll create question:"Named" options:"A | B" anonymous:no')
    slack_ana = Person("UANA", platform="slack")
    for poll in (1, 2):
        await t.ok("ana", f"/poll vote id:{poll} choice:A")
        await t.ok(slack_ana, f"/poll vote id:{poll} choice:B")
    assert await t.count(PollBallot) == 4  # two people, as far as anyone knew
    await link_accounts(t.bot, "ana", slack_ana)
    assert await t.count(PollBallot) == 2  # one person: the ballot of the code's account stays
    assert "A leads with 1 of 1 ballot." in (await t.ok(slack_ana, "/poll results id:1")).text
    again = await t.ok(slack_ana, "/poll vote id:1 choice:B")
    assert "is changed: B" in again.text and await t.count(PollBallot, poll_id=1) == 1


async def test_anonymous_ballots_cannot_be_linked_to_a_member(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    await t.ok(ORGANIZER, '/poll create question:"Q?" options:"Pay | Leave"')
    await t.ok("ana", "/profile state:IL classification:librarian")
    vote = await t.ok("ana", "/poll vote id:1 choice:Pay")
    await t.ok("newcomer", "/poll vote id:1 choice:Leave")  # first contact: a vote
    ana = await t.member_id("ana")
    newcomer = await t.member_id("newcomer")
    assert "Anonymous: nobody, organizers included, can see how you voted." in vote.text
    rows = await t.ballots()
    assert len(rows) == 2 and all(member is None for _, _, member, _ in rows)
    keys = {key for _, key, _, _ in rows}
    secret = SECRET.encode()
    # only with the configured secret do the keys match their members
    assert keys == {anonymous_key(secret, 1, ana), anonymous_key(secret, 1, newcomer)}
    assert not keys & {anonymous_key(b"some-other-secret-value", 1, m) for m in (ana, newcomer)}
    db = t.bot.app.db
    async with db.transaction() as conn:
        columns = {c["name"] for c in await conn.run_sync(_columns, "poll_ballots")}
        assert columns == {"poll_id", "voter_key", "member_id", "choices"}  # no id, no time
        if db.is_sqlite:
            schema = (
                await conn.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = 'poll_ballots'")
                )
            ).scalar_one()
            assert "WITHOUT ROWID" in schema
        else:
            # the ballot's write shares its transaction with no member, outbox or due row
            ballot_xids = {
                x for (x,) in await conn.execute(text("SELECT xmin::text FROM poll_ballots"))
            }
            other_xids = set()
            for table in (
                "members",
                "identities",
                "org_members",
                "outbox",
                "due_items",
                "audit_log",
                "profiles",
            ):
                other_xids |= {
                    x for (x,) in await conn.execute(text(f"SELECT xmin::text FROM {table}"))
                }
            assert ballot_xids and not ballot_xids & other_xids
    # a second ballot by the same member is refused as a second: it replaces the first
    await t.ok("ana", "/poll vote id:1 choice:Leave")
    assert await t.count(PollBallot) == 2
    if db.is_sqlite:
        path = Path(db.url.database or "")
        raw = b"".join(
            p.read_bytes()
            for p in path.parent.glob(path.name + "*")
            if not p.name.endswith(".ballot-secret")
        )
        assert SECRET.encode() not in raw  # the key of the ballots is not in the file …
        for key in keys:  # … and next to each ballot there is no name or account
            at = raw.find(key.encode())
            assert at >= 0
            while at >= 0:
                near = raw[max(0, at - 64) : at + 128].lower()
                assert b"ana" not in near and b"newcomer" not in near
                at = raw.find(key.encode(), at + 1)


WRITTEN = re.compile(r"(?:INSERT INTO|(?<!DO )UPDATE|DELETE FROM)\s+\"?(\w+)", re.IGNORECASE)


def written_tables(db: Database) -> list[set[str]]:
    """A list that gains, at each COMMIT on ``db``'s engine of a transaction that wrote, the
    tables it wrote."""
    pending: dict[int, set[str]] = {}
    commits: list[set[str]] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def on_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        pending.setdefault(id(conn), set()).update(WRITTEN.findall(statement))

    @event.listens_for(db.engine.sync_engine, "commit")
    def on_commit(conn: Any) -> None:
        tables = pending.pop(id(conn), set())
        if tables:
            commits.append(tables)

    @event.listens_for(db.engine.sync_engine, "rollback")
    def on_rollback(conn: Any) -> None:
        pending.pop(id(conn), None)

    return commits


async def test_a_first_vote_is_one_write_on_sqlite_and_the_ballot_alone_on_postgresql(
    database: Database, tmp_path: Path
):
    """On SQLite, which keeps no transaction id with a row, a first vote stores the member,
    the ballot and the live tally's refresh in one transaction; on PostgreSQL, whose rows of
    one transaction share ``xmin``, the ballot is written in a transaction of its own."""
    t = await poll_bot(database, tmp_path)
    await t.ok(ORGANIZER, '/poll create question:"Q?" options:"A | B" results:live')
    await t.ok("ana", "/poll vote id:1 choice:A")  # the first refresh of this interval
    await t.bot.app.settle()
    commits = written_tables(database)
    first = await t.ok("newcomer", "/poll vote id:1 choice:B")
    assert "is counted: B" in first.text
    if database.is_sqlite:
        assert len(commits) == 1
        assert {"members", "poll_ballots"} <= commits[0]
    else:
        assert "poll_ballots" in set().union(*commits)
        assert [c for c in commits if "poll_ballots" in c] == [{"poll_ballots"}]
        assert any("members" in c for c in commits)
    # a change, and taking the ballot back, write once each on SQLite too
    commits.clear()
    await t.ok("newcomer", "/poll vote id:1 choice:A")
    await t.ok("newcomer", "/poll withdraw id:1")
    ballot_writes = [c for c in commits if "poll_ballots" in c]
    assert len(ballot_writes) == 2
    if database.is_sqlite:
        assert len(commits) == 2
    else:
        assert ballot_writes == [{"poll_ballots"}] * 2
    assert await t.count(PollBallot) == 1
    results = await t.ok("ana", "/poll results id:1")
    assert "A leads with 1 of 1 ballot." in results.text


async def test_votes_racing_a_close_are_counted_or_refused_never_both(
    database: Database, tmp_path: Path
):
    """First votes sent together with the poll's closing: every vote answered as counted is
    in the results, every other is refused as too late, and none is stored after the close."""
    t = await poll_bot(database, tmp_path)
    await t.ok(ORGANIZER, '/poll create question:"Q?" options:"A | B" results:live')
    await t.bot.app.settle()
    votes = [t.bot.click(Person(f"m{n}"), "poll.vote?id=1&choice=1") for n in range(30)]
    close = t.bot.say(ORGANIZER, "/poll close id:1")
    replies = await asyncio.gather(*votes[:15], close, *votes[15:])
    closed = replies.pop(15)
    assert not closed.error and "Poll 1 is closed" in closed.text
    counted = [r for r in replies if not r.error]
    assert all("is counted: A" in r.text for r in counted)
    assert all("it takes no more votes" in r.text for r in replies if r.error)
    assert await t.count(PollBallot, poll_id=1) == len(counted)
    if counted:  # on SQLite, the votes queued ahead of the close
        results = await t.ok("ana", "/poll results id:1")
        assert f"{len(counted)} of {len(counted)} ballots" in results.text


async def test_the_default_secret_is_a_private_file_beside_a_sqlite_database(
    database: Database, tmp_path: Path
):
    t = await poll_bot(database, tmp_path, secret=None)
    services = t.bot.app.services
    if not database.is_sqlite:
        assert services.ballot_secret is None
        refused = await t.refused(ORGANIZER, '/poll create question:"Q?" options:"A | B"')
        assert refused.startswith("anonymous: anonymous polls need a ballot secret")
        assert "[polls] ballot_secret" in refused and "anonymous:no" in refused
        await t.ok(ORGANIZER, '/poll create question:"Q?" options:"A | B" anonymous:no')
        await t.ok("ana", "/poll vote id:1 choice:A")
        assert await t.count(PollBallot, member_id=await t.member_id("ana")) == 1
        return
    await t.ok(ORGANIZER, '/poll create question:"Q?" options:"A | B"')
    await t.ok("ana", "/poll vote id:1 choice:A")
    path = Path((database.url.database or "") + ".ballot-secret")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    secret = (await asyncio.to_thread(path.read_text)).strip().encode()
    assert services.ballot_secret == secret and len(secret) == 64
    ((_, key, _, _),) = await t.ballots()
    assert key == anonymous_key(secret, 1, await t.member_id("ana"))


async def test_the_ballot_secret_is_found_once_when_the_bot_starts(
    database: Database, tmp_path: Path
):
    """The secret is found when the bot starts, before anyone votes (on a SQLite file it is
    made then), and a vote only uses what was found: it reads and writes no file."""
    path = Path((database.url.database or "") + ".ballot-secret")
    t = await poll_bot(database, tmp_path, secret=None)
    services = t.bot.app.services
    if not database.is_sqlite:
        assert services.ballot_secret is None
        return
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # made at start, before any vote
    secret = (await asyncio.to_thread(path.read_text)).strip().encode()
    assert services.ballot_secret == secret and len(secret) == 64
    await t.ok(ORGANIZER, '/poll create question:"Q?" options:"A | B"')
    os.unlink(path)
    await t.ok("ana", "/poll vote id:1 choice:A")
    assert not await asyncio.to_thread(path.exists)  # the vote made no secret of its own …
    ((_, key, _, _),) = await t.ballots()
    assert key == anonymous_key(secret, 1, await t.member_id("ana"))  # … it used the one found


async def test_a_configured_ballot_secret_is_the_one_found_at_start(
    database: Database, tmp_path: Path
):
    """``[polls] ballot_secret`` is the secret on every database, and no file is made."""
    path = Path((database.url.database or "") + ".ballot-secret")
    t = await PollBot.start(
        database,
        tmp_path,
        config=Config(orgs=[demo_org()], polls=PollsConfig(ballot_secret=SECRET)),
    )
    assert t.bot.app.services.ballot_secret == SECRET.encode()
    assert not await asyncio.to_thread(path.exists)
    await t.ok(ORGANIZER, '/poll create question:"Q?" options:"A | B"')
    await t.ok("ana", "/poll vote id:1 choice:B")
    ((_, key, _, _),) = await t.ballots()
    assert key == anonymous_key(SECRET.encode(), 1, await t.member_id("ana"))


async def test_breakdowns_fold_small_groups(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    await t.ok(ORGANIZER, '/poll create question:"Q?" options:"Pay | Leave" results:live')
    await t.ok(
        ORGANIZER, '/poll create question:"Named" options:"Pay | Leave" anonymous:no results:live'
    )
    voters = [
        ("il1", "IL"),
        ("il2", "IL"),
        ("il3", "IL"),
        ("il4", "IL"),
        ("wi1", "WI"),
        ("wi2", "WI"),
        ("wi3", "WI"),
        ("mn1", "MN"),
    ]
    for name, state in voters:
        await t.ok(name, f"/profile state:{state} classification:librarian")
        choice = "Pay" if state == "IL" else "Leave"
        for poll in (1, 2):
            await t.ok(name, f"/poll vote id:{poll} choice:{choice}")
    early = await t.refused(ORGANIZER, "/poll results id:1 by:state")
    assert early.startswith("by: poll 1 is anonymous, so it is broken down only once it has closed")
    named = await t.ok(ORGANIZER, "/poll results id:2 by:state")
    assert named.table is not None
    # MN (1 voter) alone would show; WI is folded with it, so the fold has 4
    assert named.table.rows == [["IL", "4", "Pay 4"], ["other/hidden", "4", "Leave 4"]]
    await t.ok(ORGANIZER, "/poll close id:1")
    anonymous = await t.ok("ana", "/poll results id:1 by:state")
    assert anonymous.table is not None and anonymous.table.rows == named.table.rows
    by_class = await t.ok("ana", "/poll results id:1 by:classification")
    assert by_class.table is not None
    assert by_class.table.rows == [["librarian", "8", "Pay 4 · Leave 4"]]


async def test_closing_at_its_time_through_the_scheduler(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    created = await t.ok(
        ORGANIZER, '/poll create question:"Q?" options:"A | B" closes:"in 2 hours"'
    )
    assert "It closes Mon Nov 2, 11:00 AM CST" in created.text
    await t.ok("ana", "/poll vote id:1 choice:B")
    await t.bot.app.settle()
    hidden = await t.ok("ana", "/poll results id:1")
    assert "shown when it closes" in hidden.text and "1 ballot so far" in hidden.text
    await t.step_to(START + timedelta(hours=3))
    out = t.out.getvalue()
    assert "[#alerts] == Results of poll 1: Q? ==" in out and "B wins with 1 of 1 ballot." in out
    assert "(closed)" in out  # the posts' buttons are closed
    assert (tmp_path / "files" / "poll-1-results.png").exists()
    late = await t.refused("bea", "/poll vote id:1 choice:A")
    assert late.startswith("id: poll 1 closed on Mon Nov 2, 11:00 AM CST; it takes no more votes")
    assert await t.count(DueItem, kind="poll_close", state="done") == 1
    assert await t.count(AuditEntry, action="poll.close") == 1


async def test_closing_by_command_announces_the_runoff(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    await t.ok(
        ORGANIZER,
        '/poll create question:"Priorities" options:"Pay | Leave | PD" '
        'kind:ranked closes:"friday 5pm"',
    )
    ballots = ["Pay"] * 4 + ["Leave"] * 3 + ["PD > Leave"] * 2
    for n, ranking in enumerate(ballots):
        await t.ok(f"voter{n}", f'/poll vote id:1 ranking:"{ranking}"')
    closed = await t.ok(ORGANIZER, "/poll close id:1")
    assert "Round 1: Pay 4 · Leave 3 · PD 2 → PD eliminated (fewest votes)" in closed.text
    assert "Round 2: Pay 4 · Leave 5 → Leave, 5 of 9 (a majority)" in closed.text
    assert "Leave wins by instant runoff after 2 rounds." in closed.text
    assert await t.count(DueItem, kind="poll_close", state="cancelled") == 1
    await t.bot.app.settle()
    assert await t.count(OutboxMessage, kind="poll_results") == 3  # every alert channel
    assert "already closed" in (await t.ok(ORGANIZER, "/poll close id:1")).text


async def test_equity_priorities_template(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    created = await t.ok("ana", "/poll create template:equity-priorities")
    assert "Ranked choice" in created.text
    shown = await t.ok("bea", "/poll show id:1")
    labels = [a.label for a in shown.actions]
    assert labels == [*EQUITY_PRIORITIES, "Start over"]
    assert EQUITY_PRIORITIES == (
        "Compensation",
        "Benefits",
        "Professional-development funding",
        "Institutional and disciplinary power",
        "Affordable MLS/MLIS pathways",
        "Alternative credentialing",
    )
    assert all(len(a.id) <= 100 for a in shown.actions)
    await t.bot.click("bea", shown.actions[1].id)
    await t.bot.click("bea", shown.actions[0].id)
    mine = await t.ok("bea", "/poll show id:1")
    assert "Your ballot: Benefits > Compensation." in mine.text
    assert "Anonymous" in mine.text


async def test_export_erase_and_what_stays_counted(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    await t.ok(ORGANIZER, '/poll create question:"Q?" options:"A | B" results:live')
    await t.ok(ORGANIZER, '/poll create question:"Named" options:"A | B" anonymous:no results:live')
    await t.ok("ana", "/poll vote id:1 choice:A")
    await t.ok("ana", "/poll vote id:2 choice:B")
    exported = await t.ok("ana", "/privacy export")
    data = json.loads(exported.files[0].data)
    assert data["poll"] == [
        {"poll": 1, "question": "Q?", "anonymous": True, "ballot": ["A"]},
        {"poll": 2, "question": "Named", "anonymous": False, "ballot": ["B"]},
    ]
    ana = await t.member_id("ana")
    await t.ok("ana", "/privacy delete confirm:yes")
    rows = await t.ballots()
    assert len(rows) == 2 and all(member is None for _, _, member, _ in rows)
    assert all(key.startswith("x:") for _, key, _, _ in rows)
    assert anonymous_key(SECRET.encode(), 1, ana) not in {key for _, key, _, _ in rows}
    assert "A leads with 1 of 1 ballot." in (await t.ok("bea", "/poll results id:1")).text


async def test_live_tallies_are_coalesced(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    await t.ok(ORGANIZER, '/poll create question:"Q?" options:"A | B" results:live')
    await t.bot.app.settle()
    for name in ("ana", "bea", "cy"):
        await t.ok(name, "/poll vote id:1 choice:A")
    await t.step_to(START + timedelta(seconds=10))
    edits = [line for line in t.out.getvalue().splitlines() if "[#alerts (edit of" in line]
    assert len(edits) == 1
    assert "3 ballots so far · A 3" in t.out.getvalue()


def _columns(sync_conn, table: str) -> list[dict]:
    return inspect(sync_conn).get_columns(table)


# the console -----------------------------------------------------------------------------


async def test_console_ranked_poll_announces_the_runoff_winner(database: Database, tmp_path: Path):
    ballots = ["Pay"] * 4 + ["Leave"] * 3 + ["PD > Leave"] * 2
    script = [
        "!as olu organizer",
        '/poll create question:"What first?" options:"Pay | Leave | PD" kind:ranked',
    ]
    for n, ranking in enumerate(ballots[:-1]):
        script += [f"!as voter{n}", f'/poll vote id:1 ranking:"{ranking}"']
    script += [
        "!as last",
        "!press PD",
        "!press Leave",
        "/poll results id:1",
        "!as olu organizer",
        "/poll close id:1",
        "!quit",
    ]
    t = await poll_bot(database, tmp_path)
    text_out = await t.run_console("\n".join(script))
    assert "Anonymous: nobody, organizers included, can see how you voted." in text_out
    assert "results are shown when it closes" in text_out
    assert "Round 1: Pay 4 · Leave 3 · PD 2 → PD eliminated (fewest votes)" in text_out
    assert "Leave wins by instant runoff after 2 rounds." in text_out
    assert "[#alerts] == Results of poll 1: What first? ==" in text_out
    assert "Traceback" not in text_out


async def test_the_weekly_digest_lists_open_polls(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    await t.ok(ORGANIZER, '/poll create question:"Q?" options:"A | B" closes:"friday 5pm"')
    await t.ok(ORGANIZER, '/poll create question:"Done" options:"A | B" anonymous:no')
    await t.ok("ana", "/poll vote id:1 choice:A")
    await t.ok(ORGANIZER, "/poll close id:2")
    await t.bot.app.scheduler.add_digest("demo")
    await t.bot.app.settle()
    out = t.out.getvalue()
    assert "Open polls:" in out
    assert "• Poll 1: Q? (anonymous): 1 ballot, closes Fri Nov 6, 5:00 PM CST" in out
    assert "• Poll 2" not in out


def test_rallybot_console_keeps_one_ballot_per_member_across_restarts(tmp_path: Path) -> None:
    """The real `rallybot console`, with no secret configured: the secret file made on the
    first run keys the same member's ballot on the next, so a second vote changes it."""

    def console(script: str) -> str:
        run = run_rallybot(["console"], tmp_path, script)
        assert run.returncode == 0 and "Traceback" not in run.stdout + run.stderr, run.stderr
        return run.stdout

    first = console(
        "!as olu organizer\n"
        '/poll create question:"What first?" options:"Pay | Leave | PD" kind:ranked\n'
        "!as ana\n!press Leave\n!press Pay\n"
    )
    assert "Your ballot in poll 1 is changed: Leave > Pay." in first
    assert stat.S_IMODE((tmp_path / "rallybot.db.ballot-secret").stat().st_mode) == 0o600
    second = console(
        '!as ana\n/poll vote id:1 ranking:"PD > Pay"\n!as olu organizer\n/poll close id:1\n'
    )
    assert "Your ballot in poll 1 is changed: PD > Pay." in second
    assert "1 ballot." in second and "PD wins by instant runoff after 1 round." in second
    assert (tmp_path / "rallybot-files" / "poll-1-results.png").exists()


# properties and fuzzing ------------------------------------------------------------------

rankings = st.integers(min_value=2, max_value=8).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True), max_size=40),
    )
)


@given(rankings)
@settings(max_examples=400, deadline=None)
def test_instant_runoff_rounds_add_up_and_the_winner_is_earned(case) -> None:
    options, ballots = case
    runoff = poll_count.instant_runoff(ballots, options)
    if not ballots:
        assert runoff.winner is None and runoff.rounds == ()
        return
    assert runoff == poll_count.instant_runoff([list(b) for b in ballots], options)
    gone: set[int] = set()
    for r in runoff.rounds:
        assert sum(r.votes.values()) + r.exhausted == len(ballots)
        assert not gone & {i for i, n in r.votes.items() if n}
        gone |= set(r.eliminated)
    last = runoff.rounds[-1]
    counting = len(ballots) - last.exhausted
    running = [i for i in last.votes if i not in gone]
    assert last.winner == runoff.winner
    assert last.votes[runoff.winner] * 2 > counting or running == [runoff.winner]
    assert len(runoff.rounds) <= options


poll_lines = st.builds(
    lambda head, parts: head + " " + " ".join(parts),
    st.sampled_from(
        [
            "/poll create",
            '/poll create question:"Q?" options:"A | B | C"',
            "/poll vote id:1",
            "/poll vote id:2",
            "/poll withdraw id:1",
            "/poll results id:1",
            "/poll results id:2",
            "/poll close id:2",
            "/poll show id:1",
            "/poll list",
        ]
    ),
    st.lists(
        st.builds(
            lambda k, v: f'{k}:"{v}"',
            st.sampled_from(
                [
                    "question",
                    "options",
                    "kind",
                    "max",
                    "anonymous",
                    "closes",
                    "results",
                    "template",
                    "choice",
                    "choices",
                    "ranking",
                    "by",
                    "id",
                ]
            ),
            st.one_of(
                st.sampled_from(
                    [
                        "A",
                        "b",
                        "2",
                        "A | B",
                        "C > A",
                        "A > A",
                        "ranked",
                        "multiple",
                        "live",
                        "no",
                        "state",
                        "in 1 hour",
                        "99",
                        "",
                    ]
                ),
                st.text(max_size=30).filter(lambda w: '"' not in w and "\\" not in w),
            ),
        ),
        max_size=4,
    ),
)


@pytest.fixture
def fuzz_bot(own_loop_bot):
    """The bot on its own loop, with the ballot secret set and two polls to vote in."""
    loop, bot = own_loop_bot
    bot.app.services.ballot_secret = SECRET.encode()
    for line in (
        '/poll create question:"Ranked" options:"A | B | C" kind:ranked results:live',
        '/poll create question:"Two" options:"A | B | C" kind:multiple max:2 anonymous:no',
    ):
        reply = loop.run_until_complete(bot.say(ORGANIZER, line))
        assert not reply.error, reply.text
    return loop, bot


def test_random_poll_commands_never_break_the_bot(fuzz_bot) -> None:
    loop, bot = fuzz_bot
    people = [Person("ana"), ORGANIZER, Person("U1", platform="slack")]

    @given(line=poll_lines, who=st.sampled_from(people))
    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def check(line: str, who: Person) -> None:
        reply = loop.run_until_complete(bot.say(who, line))
        text_shown = reply.plain_text()
        assert "Something went wrong" not in text_shown, line
        if reply.error:
            assert REFUSAL.match(reply.text), (line, reply.text)

    check()

    async def one_ballot_each() -> list[tuple]:
        async with bot.app.db.transaction() as conn:
            rows = await conn.execute(
                select(PollBallot.poll_id, func.count()).group_by(PollBallot.poll_id)
            )
            return [tuple(r) for r in rows]

    assert all(n <= len(people) for _, n in loop.run_until_complete(one_ballot_each()))


# editing and extending -------------------------------------------------------------------


async def test_edit_before_the_first_vote_refreshes_the_posts(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    await t.ok(ORGANIZER, '/poll create question:"Meet when?" options:"Tuesday | Thursday"')
    await t.bot.app.settle()
    edited = await t.ok(
        ORGANIZER, '/poll edit id:1 question:"Meet which day?" options:"Monday | Friday"'
    )
    assert edited.title == "Poll 1 is changed"
    await t.bot.app.settle()
    edits = t.edits("#alerts")
    assert len(edits) == 1 and "Meet which day?" in edits[0] and "Monday" in edits[0]
    assert "Tuesday" not in edits[0]
    async with t.bot.app.db.transaction() as conn:
        row = (await conn.execute(select(Poll.question, Poll.options))).one()
    assert row.question == "Meet which day?" and list(row.options) == ["Monday", "Friday"]
    assert await t.count(AuditEntry, action="poll.edit") == 1
    same = await t.refused(ORGANIZER, '/poll edit id:1 options:"A | a"')
    assert same.startswith("options: lists 'A' and 'a', which are the same option")
    await t.ok("ana", "/poll vote id:1 choice:Friday")
    await t.bot.app.settle()
    late = await t.refused(ORGANIZER, '/poll edit id:1 question:"Other?"')
    assert late.startswith("id: poll 1 has votes; it can no longer be edited")
    async with t.bot.app.db.transaction() as conn:
        assert (await conn.execute(select(Poll.question))).scalar_one() == "Meet which day?"
    assert await t.count(AuditEntry, action="poll.edit") == 1


async def test_only_the_creator_or_an_organizer_edits_or_extends(
    database: Database, tmp_path: Path
):
    t = await poll_bot(database, tmp_path)
    await t.ok("ana", '/poll create question:"Mine?" options:"A | B"')
    await t.bot.app.settle()
    other = await t.refused("bea", '/poll edit id:1 question:"Hers?"')
    assert other.startswith("/poll edit needs the organizer role, or to have created poll 1")
    assert (await t.refused("bea", '/poll extend id:1 closes:"in 9 days"')).startswith(
        "/poll extend needs the organizer role, or to have created poll 1"
    )
    await t.ok("ana", '/poll edit id:1 question:"Still mine?"')
    listed = (await t.ok("ana", "/help topic:poll")).text
    assert "/poll edit" in listed and "/poll extend" in listed
    await t.ok(ORGANIZER, '/poll edit id:1 options:"A | B | C"')
    async with t.bot.app.db.transaction() as conn:
        row = (await conn.execute(select(Poll.question, Poll.options))).one()
    assert row.question == "Still mine?" and list(row.options) == ["A", "B", "C"]


async def test_extend_moves_the_close(database: Database, tmp_path: Path):
    t = await poll_bot(database, tmp_path)
    await t.ok(ORGANIZER, '/poll create question:"Q?" options:"A | B" closes:"in 2 hours"')
    await t.bot.app.settle()
    past = await t.refused(ORGANIZER, '/poll extend id:1 closes:"2026-11-01 09:00"')
    assert past.startswith("closes: 2026-11-01 09:00 has already passed")
    earlier = await t.refused(ORGANIZER, '/poll extend id:1 closes:"in 1 hour"')
    assert earlier.startswith("closes: must be later than the poll's current closing time")
    moved = await t.ok(ORGANIZER, '/poll extend id:1 closes:"in 5 hours"')
    assert "Poll 1 now closes Mon Nov 2, 2:00 PM CST" in moved.text
    assert await t.count(DueItem, kind="poll_close") == 1
    assert await t.count(AuditEntry, action="poll.extend") == 1
    await t.step_to(START + timedelta(hours=3))
    assert "Results of poll 1" not in t.out.getvalue()
    assert "Mon Nov 2, 2:00 PM CST" in t.edits("#alerts")[-1]
    await t.ok("ana", "/poll vote id:1 choice:B")
    await t.step_to(START + timedelta(hours=6))
    assert "[#alerts] == Results of poll 1: Q? ==" in t.out.getvalue()
    assert await t.count(DueItem, kind="poll_close", state="done") == 1
    closed = await t.refused(ORGANIZER, '/poll extend id:1 closes:"in 9 days"')
    assert "a closed poll cannot be extended" in closed


async def test_a_vote_takes_the_start_of_an_option_and_refuses_a_near_spelling(
    database: Database, tmp_path: Path
) -> None:
    t = await ConsoleBot.start(database, tmp_path)
    await t.ok(
        ORGANIZER,
        '/poll create question:"When?" options:"Wednesday | Thursday | Tuesday" anonymous:no',
    )
    near = await t.refused("ana", "/poll vote id:1 choice:Wendesday")
    assert near.startswith(
        "choice: 'Wendesday' is not an option of poll 1 (did you mean 'Wednesday'?)"
    )
    both = await t.refused("ana", "/poll vote id:1 choice:T")
    assert both.startswith("choice: 'T' starts 'Thursday' and 'Tuesday'; give more of the option")
    assert await t.count(PollBallot) == 0
    await t.ok("ana", "/poll vote id:1 choice:Wed")
    assert await t.count(PollBallot) == 1
