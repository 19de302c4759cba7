"""Discord roles and mentions through the real discord.py against the stand-in.

Who is an organizer or admin comes from a role id (which only that role has) or a role name
matched exactly; a role a member names like an admin role's id, or in another case, gives
nothing. Every message the bot sends says which mentions may ping, so text typed by members
never pings anyone; an organizer's ``notify:`` pings exactly what was asked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from standins.discord import DiscordStandIn, Guild
from storage.db import Database
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
    discord_config,
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
async def standin() -> AsyncIterator[DiscordStandIn]:
    """The organization's guild, with roles members could have made to pass for others."""
    server = DiscordStandIn(
        [
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
    )
    await server.start()
    server.add_user(ANA, "ana", guild_id=GUILD, roles=[ORGANIZER_ROLE])
    server.add_user(BEA, "bea", guild_id=GUILD)
    server.add_user(CAL, "cal", guild_id=GUILD, roles=[ADMIN_ROLE])
    server.add_user(DAN, "dan", guild_id=GUILD, roles=[LOOKALIKE_ROLE])
    server.add_user(EVE, "eve", guild_id=GUILD, roles=[LOWER_ROLE])
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def rig(standin: DiscordStandIn, database: Database) -> AsyncIterator[DiscordRig]:
    """The bot connected to the stand-in, its commands synced to the guild."""
    rig = DiscordRig(standin, database, discord_config(standin))
    await rig.start_bot()
    await rig.sync()
    try:
        yield rig
    finally:
        await rig.stop_bot()


async def test_roles_match_by_id_or_by_exact_name_only(rig: DiscordRig) -> None:
    report = await rig.slash(
        BEA, "layoff", {"employer": "Elm St Public Library", "workers": "12", "state": "IL"},
        sub="report",
    )
    assert "Your report is L-1" in text_of(report)
    # a role named like the admin role's id, or "organizer" where the config says
    # "Organizer", gives no role
    for impostor in (DAN, EVE):
        denied = await rig.slash(impostor, "layoff", {"id": "1"}, sub="verify")
        assert "needs the organizer role" in text_of(denied), text_of(denied)
    # the admin role by its id, and the organizer role by its exact name
    verified = await rig.slash(CAL, "layoff", {"id": "1"}, sub="verify")
    assert "L-1 is now marked verified" in text_of(verified), text_of(verified)
    exported = await rig.slash(ANA, "layoff", sub="export")
    assert "needs the organizer role" not in text_of(exported), text_of(exported)
    assert exported.responses[-1]["files"], "the organizer got the CSV file"
