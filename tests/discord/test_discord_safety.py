"""Discord roles and mentions through the real discord.py against the stand-in.

Who is an organizer or admin comes from a role id (which only that role has) or a role name
matched exactly; a role a member names like an admin role's id, or in another case, gives
nothing. Every message the bot sends says which mentions may ping, so text typed by members
never pings anyone; an organizer's ``notify:`` pings exactly what was asked.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from standins.discord import Guild
from tests.discord_support import (
    ADMIN_ROLE,
    ALERTS,
    ANA,
    BEA,
    CAL,
    GENERAL,
    GUILD,
    MODS,
    ORGANIZER_ROLE,
    DiscordRig,
    GuildMember,
    message_text,
    text_of,
)

#: a role a member made, named like the admin role's id
LOOKALIKE_ROLE = "500000000000000008"
#: a role a member made, named like the organizer role in another case
LOWER_ROLE = "500000000000000009"
#: a role organizers may ping
STEWARDS_ROLE = "500000000000000010"
DAN = "700000000000000004"  # holds the role named like the admin role's id
EVE = "700000000000000005"  # holds the role named "organizer"


@pytest.fixture
def discord_guilds() -> list[Guild]:
    """The organization's guild, with roles members could have made to pass for others."""
    return [
        Guild(
            GUILD,
            "Illinois Library Workers",
            roles={
                ORGANIZER_ROLE: "Organizer",
                ADMIN_ROLE: "Admin",
                LOOKALIKE_ROLE: ADMIN_ROLE,
                LOWER_ROLE: "organizer",
                STEWARDS_ROLE: "Stewards",
            },
            channels=[ALERTS, MODS, GENERAL],
        )
    ]


@pytest.fixture
def discord_people() -> list[GuildMember]:
    """An organizer, a member, an admin, and two members holding look-alike roles."""
    return [
        GuildMember(ANA, "ana", roles=(ORGANIZER_ROLE,)),
        GuildMember(BEA, "bea"),
        GuildMember(CAL, "cal", roles=(ADMIN_ROLE,)),
        GuildMember(DAN, "dan", roles=(LOOKALIKE_ROLE,)),
        GuildMember(EVE, "eve", roles=(LOWER_ROLE,)),
    ]


async def test_roles_match_by_id_or_by_exact_name_only(rig: DiscordRig) -> None:
    report = await rig.slash(
        BEA,
        "layoff",
        {"employer": "Elm St Public Library", "workers": "12", "state": "IL", "anonymous": "no"},
        sub="report",
    )
    assert "Your report is L-" in text_of(report)
    ref = text_of(report).split("Your report is ")[1].split()[0].rstrip(".")
    # a role named like the admin role's id, or "organizer" where the config says
    # "Organizer", gives no role
    for impostor in (DAN, EVE):
        denied = await rig.slash(impostor, "layoff", {"id": ref}, sub="verify")
        assert "needs the organizer role" in text_of(denied), text_of(denied)
    # the admin role by its id, and the organizer role by its exact name
    verified = await rig.slash(CAL, "layoff", {"id": ref}, sub="verify")
    assert f"{ref} is now marked verified" in text_of(verified), text_of(verified)
    exported = await rig.slash(ANA, "layoff", sub="export")
    assert "needs the organizer role" not in text_of(exported), text_of(exported)
    assert exported.responses[-1]["files"], "the organizer got the CSV file"


#: text a member types that would ping everyone and a role if the bot let it
LOUD = f"@everyone @here <@&{STEWARDS_ROLE}> <@{ANA}>"
NOBODY = {"everyone": False, "roles": [], "users": []}


def pings_nobody(message: dict[str, Any]) -> None:
    """The message says that nothing pings, and Discord would have pinged no one."""
    assert message["allowed_mentions"] == {"parse": []}, message["allowed_mentions"]
    assert message["pinged"] == NOBODY, message["pinged"]


async def test_text_from_members_pings_no_one(rig: DiscordRig) -> None:
    standin = rig.standin
    await rig.slash(BEA, "reminder", {"when": "in 2 hours", "text": LOUD}, sub="add")
    listed = await rig.slash(BEA, "reminder", sub="list")
    assert LOUD in text_of(listed)
    pings_nobody(rig.message(listed))
    report = await rig.slash(
        BEA,
        "layoff",
        {"employer": f"{LOUD} Library", "workers": "3", "state": "IL", "anonymous": "no"},
        sub="report",
    )
    pings_nobody(rig.message(report))
    # the moderation post and the reminder's DM carry the member's text, pinging no one
    rig.clock.advance(timedelta(hours=3))
    await rig.settle()
    (moderation,) = standin.messages_in(MODS)
    assert LOUD in message_text(moderation)
    pings_nobody(moderation)
    (dm,) = standin.messages_in(standin.dm_channels[BEA])
    assert LOUD in message_text(dm)
    pings_nobody(dm)
    # an answer given after a deferral, and the followup of a public one, say so as well
    for interaction in standin.interactions.values():
        for response in interaction.responses:
            if response["type"] in (4, "followup", "edit"):
                assert response["data"]["allowed_mentions"] == {"parse": []}, response


async def alert(rig: DiscordRig, title: str, options: dict[str, Any]) -> str:
    """Create an alert (its body as loud as a member could make it) and send it."""
    created = await rig.slash(
        ANA, "alert", {"title": title, "body": LOUD, "kind": "call"}, sub="create"
    )
    alert_id = text_of(created).split("(alert ")[1].split(")")[0]
    sent = await rig.slash(ANA, "alert", {"id": alert_id, **options}, sub="send")
    assert "goes out" in text_of(sent), text_of(sent)
    return alert_id


async def test_organizers_ping_exactly_what_they_ask_for(rig: DiscordRig) -> None:
    standin = rig.standin
    await rig.slash(BEA, "reminder", {"when": "in 9 days", "text": "RSVP"}, sub="add")
    # a member may not ask
    denied = await rig.slash(BEA, "alert", {"id": "1", "notify": "everyone"}, sub="send")
    assert "needs the organizer role" in text_of(denied)
    # here: @here and nothing else, in the channel post only
    await alert(rig, "Call now", {"notify": "@here"})
    await rig.settle()
    (post,) = standin.messages_in(ALERTS)
    assert post["content"].startswith("@here")
    assert post["pinged"] == {"everyone": True, "roles": [], "users": []}
    (dm,) = standin.messages_in(standin.dm_channels[BEA])
    assert "@here" not in (dm["content"] or "")
    pings_nobody(dm)
    # a role by id, sent later: the ping is kept with the alert until it goes out
    await alert(rig, "Call tomorrow", {"notify": STEWARDS_ROLE, "at": "in 2 hours"})
    await rig.settle()
    assert len(standin.messages_in(ALERTS)) == 1
    rig.clock.advance(timedelta(hours=3))
    await rig.settle()
    later = standin.messages_in(ALERTS)[-1]
    assert "Call tomorrow" in message_text(later)
    assert later["pinged"] == {"everyone": False, "roles": [STEWARDS_ROLE], "users": []}
    # an event announced to a role given by its exact name; channel pings @everyone
    for notify, expected in (
        ("Stewards", {"everyone": False, "roles": [STEWARDS_ROLE], "users": []}),
        ("channel", {"everyone": True, "roles": [], "users": []}),
    ):
        created = await rig.slash(
            ANA,
            "event",
            {"title": f"Meeting {notify}", "kind": "meeting", "start": "2026-12-20 18:00",
             "description": LOUD, "notify": notify},
            sub="create",
        )
        assert "created" in text_of(created), text_of(created)
        await rig.settle()
        announcement = standin.messages_in(ALERTS)[-1]
        assert f"Meeting {notify}" in message_text(announcement)
        assert announcement["pinged"] == expected, announcement["pinged"]
    # the tally edit of the first post allows no mention
    await rig.click(BEA, post["id"], "I took action")
    rig.clock.advance(timedelta(seconds=30))
    await rig.settle()
    assert post["edits"] == 1 and "1 acted" in message_text(post)
    assert post["allowed_mentions"] == {"parse": []}
