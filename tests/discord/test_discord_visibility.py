"""Each command declares whether its answer is public; a slow answer is deferred in that
visibility, and a public command that ends in a refusal answers it privately."""

from __future__ import annotations

from datetime import timedelta

from bot.context import Context
from bot.errors import ValidationError
from bot.options import YesNo
from bot.registry import CommandGroup
from bot.reply import Reply
from standins.discord import DiscordStandIn
from storage.db import Database
from tests.discord_support import ANA, GENERAL, DiscordRig, discord_config, text_of

EPHEMERAL = 64

shout = CommandGroup("shout")


@shout.command(options=[YesNo("fail")], public=True)
async def _shout(ctx: Context, fail: bool | None) -> Reply:
    """Say hello to the channel."""
    if fail:
        raise ValidationError("fail", "asked to refuse")
    return Reply(text="Hello, everyone", ephemeral=False)


hush = CommandGroup("hush")


@hush.command(options=[YesNo("loud")])
async def _quiet(ctx: Context, loud: bool | None) -> Reply:
    """A private command whose answer is public only when asked."""
    return Reply(text="Said aloud" if loud else "Just for you", ephemeral=not loud)


async def test_deferred_answers_keep_the_declared_visibility(
    standin: DiscordStandIn, database: Database
) -> None:
    assert shout.commands[""].public and not hush.commands[""].public
    config = discord_config(standin, defer_after=timedelta(0))  # every answer is deferred
    rig = DiscordRig(standin, database, config, extra_groups=[shout, hush])
    await rig.start_bot()
    await rig.sync()
    try:
        said = await rig.slash(ANA, "shout")
        assert said.responses[0]["type"] == 5
        assert not said.responses[0]["data"].get("flags", 0) & EPHEMERAL  # deferred publicly
        (posted,) = [standin.messages[m] for m in said.messages]
        assert posted["content"] == "Hello, everyone"
        assert not posted["flags"] & EPHEMERAL and posted["channel_id"] == GENERAL

        refused = await rig.slash(ANA, "shout", {"fail": True})
        await rig.wait(refused)
        for _ in range(100):  # the refusal follows the deletion
            if refused.responses[-1]["type"] == "followup":
                break
            await rig.settle()
        kept = [standin.messages[m] for m in refused.messages if m in standin.messages]
        (told,) = kept  # the public "thinking" message is gone
        assert told["flags"] & EPHEMERAL
        assert told["content"].startswith("fail: asked to refuse"), text_of(refused)

        private = await rig.slash(ANA, "hush", {"loud": False})
        assert private.responses[0]["data"].get("flags", 0) & EPHEMERAL
        (answer,) = [standin.messages[m] for m in private.messages]
        assert answer["content"] == "Just for you" and answer["flags"] & EPHEMERAL

        aloud = await rig.slash(ANA, "hush", {"loud": True})
        for _ in range(100):
            if len(aloud.messages) == 2:
                break
            await rig.settle()
        note, post = (standin.messages[m] for m in aloud.messages)
        assert note["content"] == "Posted." and note["flags"] & EPHEMERAL
        assert post["content"] == "Said aloud" and not post["flags"] & EPHEMERAL
    finally:
        await rig.stop_bot()
