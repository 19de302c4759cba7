"""Random text through the grammar and every command: nothing escapes, refusals name a field."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import ValidationError
from bot.grammar import tokenize
from commands.members import PROFILE_OPTIONS
from storage.models import Identity, Member
from tests.support import REFUSAL, Person

COMMANDS = [
    "/help",
    "/profile",
    "/link",
    "/privacy export",
    "/privacy delete",
    "/privacy",
    "/reminder add",
    "/reminder list",
    "/reminder cancel",
    "/reminder",
    "/layoff report",
    "/layoff stats",
    "/layoff list",
    "/layoff verify",
    "/layoff export",
    "/alert create",
    "/alert send",
    "/alert sign",
    "/alert acted",
    "/alert status",
    "/alert list",
    "/alert show",
]

words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
keys = st.sampled_from(
    [o.name for o in PROFILE_OPTIONS]
    + [
        "code",
        "confirm",
        "topic",
        "x",
        "id",
        "when",
        "text",
        "employer",
        "workers",
        "source",
        "title",
        "body",
        "kind",
        "deadline",
        "script",
        "targets",
        "at",
        "since",
        "of",
    ]
)
quoted = st.builds(
    lambda k, v, q: f"{k}:{q}{v}{q}", keys, words, st.sampled_from(['"', "'", "“", ""])
)
plausible = st.builds(
    lambda when, text: f'when:"{when}" text:"{text}"',
    st.sampled_from(
        [
            "in 2 hours",
            "tomorrow 9am",
            "every monday 9am",
            "2026-12-01 09:00",
            "every weekday 8:30am",
            "in 3 days",
        ]
    ),
    words.filter(lambda w: '"' not in w and "\\" not in w),
)
lines = st.builds(
    lambda head, parts: head + " " + " ".join(parts),
    st.sampled_from(COMMANDS),
    st.lists(st.one_of(quoted, words, plausible), max_size=6),
)


@given(words)
@settings(max_examples=500, deadline=None)
def test_tokenize_only_ever_raises_validation_errors(text: str) -> None:
    try:
        tokens = tokenize(text)
    except ValidationError as exc:
        assert exc.field == "text"
    else:
        assert all(t.value is not None for t in tokens)


def test_random_command_lines_never_break_the_bot(own_loop_bot) -> None:
    loop, bot = own_loop_bot
    people = [
        Person("ana"),
        Person("olu", roles=frozenset({"organizer"})),
        Person("U1", platform="slack"),
        Person("7", platform="discord"),
        Person("U9", platform="slack", space="TNOWHERE"),
    ]

    @given(line=lines, who=st.sampled_from(people), interactive=st.booleans())
    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def check(line: str, who: Person, interactive: bool) -> None:
        reply = loop.run_until_complete(bot.say(who, line, interactive=interactive))
        text = reply.plain_text()
        assert "Something went wrong" not in text, line
        assert "Traceback" not in text
        if reply.error:
            assert REFUSAL.match(reply.text), (line, reply.text)

    check()

    # The stranger in an unknown workspace left nothing behind.
    async def strangers() -> int:
        from sqlalchemy import func, select

        async with bot.app.db.sessions() as session:
            return (
                await session.execute(
                    select(func.count()).select_from(Identity).where(Identity.user_id == "U9")
                )
            ).scalar_one()

    assert loop.run_until_complete(strangers()) == 0
    assert loop.run_until_complete(bot.count(Member)) <= 4
