"""The Discord adapter: slash commands, buttons, menus, modals and DMs through discord.py.

``DiscordAdapter`` is what `rallybot run` starts when ``[discord] enabled``. It connects a
sharded discord.py client to ``[discord] api_url`` (and the gateway that address names),
turns each interaction into an ``Invocation`` and a dispatcher call, and answers within
Discord's 3 seconds: directly when the core is quick, else deferred and then edited. Its
sender delivers the outbox's Discord rows. Rendering lives in ``render.py``; the command
tree in ``tree.py``; the persistent components in ``components.py``.

Nothing here logs who ran a command (an anonymous layoff report must leave no trace), and
discord.py's own debug logging, which prints gateway payloads, is kept off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord.webhook.async_ import async_context

from adapters.discord.client import RallyClient, RoutedHTTP, RoutedWebhookAdapter
from adapters.discord.components import PERSISTENT_ITEMS, RepeatedClicks
from adapters.discord.forms import Drafts, missing_required, parse_step_id, step_id
from adapters.discord.render import (
    NO_MENTIONS,
    Rendered,
    correct_view,
    form_pages,
    modal,
    modal_values,
    refused_page,
    render,
    render_form_as_text,
    step_done,
)
from adapters.discord.sender import DiscordSender
from adapters.discord.tree import INTEGER, build_commands, command_of, kind_of
from bot.config import Config, ConfigError
from bot.context import Invocation
from bot.delivery import Sender
from bot.dispatch import form_for
from bot.errors import NotConfigured, UserError
from bot.platform_roles import HeldRoles, RolesUnavailable
from bot.registry import Command, Registry
from bot.reply import Form, Reply, decode_action
from storage import discord as store

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)

__all__ = ["DiscordAdapter", "sync_commands"]


def _roles_of(member: discord.Member) -> tuple[frozenset[str], frozenset[str]]:
    """A guild member's role ids and names, ``@everyone`` left out."""
    roles = [role for role in member.roles if not role.is_default()]
    return frozenset(str(r.id) for r in roles), frozenset(r.name for r in roles)


def _quiet_library_logs() -> None:
    """discord.py logs whole gateway payloads (with who sent an interaction) at DEBUG."""
    for name in ("discord", "discord.gateway", "discord.http", "discord.client"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


class DiscordAdapter:
    """Serves the configured organizations' Discord guilds."""

    name = "discord"

    def __init__(self, config: Config) -> None:
        self.config = config
        self.settings = config.discord
        self.sender = DiscordSender(rate=float(self.settings.global_rate))
        self.client: RallyClient | None = None
        self.app: Application | None = None
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[Any]] = set()
        self.drafts = Drafts()
        self.repeats = RepeatedClicks()

    def senders(self) -> Mapping[str, Sender]:
        """The sender for the outbox's Discord rows."""
        return {"discord": self.sender}

    # lifecycle ------------------------------------------------------------------------------

    async def start(self, app: Application) -> None:
        """Log in, connect every shard, and return once the guilds have arrived."""
        if not self.settings.token:
            raise ConfigError.at("discord", "token", "is empty (set RALLYBOT_DISCORD__TOKEN)")
        _quiet_library_logs()
        self.app = app
        settings = self.settings
        client = RallyClient(
            api_url=settings.api_url,
            global_rate=float(settings.global_rate),
            shard_ids=settings.shard_ids or None,
            shard_count=settings.shard_count or None,
            on_setup=self._setup,
            on_interaction=self._on_interaction,
        )
        client.rally = self  # type: ignore[attr-defined]
        self.client = client
        self.sender.attach(client, app.db)
        await self.sender.load()
        self._task = asyncio.create_task(self._run(client), name="discord-client")
        serving = asyncio.create_task(client.serving.wait())
        done, _ = await asyncio.wait({serving, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            serving.cancel()
            try:
                self._task.result()
            except discord.LoginFailure:
                raise ConfigError.at(
                    "discord", "token", "Discord refused it (check RALLYBOT_DISCORD__TOKEN)"
                ) from None
            except (aiohttp.ClientError, OSError) as exc:
                raise ConfigError.at(
                    "discord",
                    "api_url",
                    f"{settings.api_url} cannot be reached ({type(exc).__name__})",
                ) from None
            raise RuntimeError("the Discord client stopped before it was ready")
        app.services.platform_roles.register("discord", self.current_roles)
        app.delivery.wake("discord")

    async def _run(self, client: RallyClient) -> None:
        # Interaction answers go through discord.py's webhook adapter, taken from a context
        # variable; set here, it reaches every task this client starts, and nothing else.
        async_context.set(RoutedWebhookAdapter(self.settings.api_url))
        try:
            await client.login(self.settings.token)
            if self.settings.sync_on_start:
                await self._sync_configured_guilds(client.http)
            await client.connect(reconnect=True)
        finally:
            if not client.is_closed():
                await client.close()

    async def _setup(self, client: RallyClient) -> None:
        client.add_dynamic_items(*PERSISTENT_ITEMS)

    async def _sync_configured_guilds(self, http: RoutedHTTP) -> None:
        assert self.app is not None
        commands = build_commands(self.app.services.registry, self.config.bot.prefix)
        info = await http.application_info()
        for org in self.config.orgs:
            for guild in org.discord_guild_ids:
                await http.bulk_upsert_guild_commands(info["id"], guild, commands)
        log.info("synced %d commands to the configured guilds", len(commands))

    async def stop(self) -> None:
        """Finish answering what arrived, then disconnect."""
        if self.app is not None:
            self.app.services.platform_roles.unregister("discord", self.current_roles)
        if self._pending:
            await asyncio.wait(self._pending, timeout=10)
        await self.sender.flush()
        if self.client is not None:
            await self.client.close()
        if self._task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._task
        self.sender.client = None

    # who and where --------------------------------------------------------------------------

    async def current_roles(self, guild_id: str, user_id: str) -> HeldRoles | None:
        """The roles ``user_id`` holds in the guild now, asked of Discord (Get Guild Member):
        the bot connects with the guilds intent only, so no member updates arrive to keep a
        cache of members current; None when the person is not in the guild."""
        client = self.client
        if client is None or client.is_closed() or not guild_id.isdigit() or not user_id.isdigit():
            raise RolesUnavailable("discord")
        guild = client.get_guild(int(guild_id))
        if guild is None:
            raise RolesUnavailable("discord")
        try:
            member = await guild.fetch_member(int(user_id))
        except discord.NotFound:
            return None
        return HeldRoles(*_roles_of(member))

    async def invocation(
        self, interaction: discord.Interaction, *, interactive: bool
    ) -> Invocation:
        """The person and place of an interaction as the core sees them."""
        user = interaction.user
        ids: frozenset[str] = frozenset()
        names: frozenset[str] = frozenset()
        if isinstance(user, discord.Member):
            ids, names = _roles_of(user)
        guild_id = interaction.guild_id
        if guild_id is not None:
            space = str(guild_id)
        else:
            space = await self._dm_space(str(user.id))
        return Invocation(
            platform="discord",
            space_id=space,
            channel_id=str(interaction.channel_id or ""),
            user_id=str(user.id),
            display_name=user.display_name,
            platform_roles=ids,
            role_names=names,
            is_dm=guild_id is None,
            interactive=interactive,
        )

    async def _dm_space(self, user_id: str) -> str:
        """The guild a DM interaction belongs to: the person's organization's guild."""
        assert self.app is not None
        orgs = self.app.services.orgs
        async with self.app.db.reading() as conn:
            for guild in await store.home_guilds(conn, user_id):
                if orgs.lookup("discord", guild) is not None:
                    return guild
        configured = [g for _, org in orgs for g in org.discord_guild_ids]
        return configured[0] if len(configured) == 1 else ""

    @property
    def registry(self) -> Registry:
        """The application's commands."""
        assert self.app is not None
        return self.app.services.registry

    # interactions ---------------------------------------------------------------------------

    async def _on_interaction(self, interaction: discord.Interaction) -> None:
        kind = interaction.type
        try:
            if kind == discord.InteractionType.application_command:
                await self._command(interaction)
            elif kind == discord.InteractionType.autocomplete:
                await self._autocomplete(interaction)
            elif kind == discord.InteractionType.modal_submit:
                data: dict[str, Any] = dict(interaction.data or {})
                values = modal_values(data)
                step = parse_step_id(str(data["custom_id"]))
                if step is not None:
                    await self._step_submitted(interaction, step[0], int(step[1]), values)
                    return
                await self._answer(
                    interaction,
                    self._dispatch_form(interaction, data["custom_id"], values),
                    public=self._public(str(data["custom_id"])),
                )
        except discord.HTTPException as exc:
            log.warning("an interaction answer was refused by Discord: HTTP %s", exc.status)
        except Exception:
            await self._fault(interaction)

    async def _fault(self, interaction: discord.Interaction) -> None:
        """Something in the adapter failed: log it (not who), and say so if still possible."""
        ref = secrets.token_hex(3)
        log.exception("a Discord interaction failed (ref %s)", ref)
        if not interaction.response.is_done():
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.send_message(
                    f"Something went wrong on our side (ref {ref}). Please try again.",
                    ephemeral=True,
                    allowed_mentions=NO_MENTIONS,
                )

    async def _command(self, interaction: discord.Interaction) -> None:
        found = command_of(self.registry, self.config.bot.prefix, dict(interaction.data or {}))
        if found is None:
            await interaction.response.send_message(
                "That command is not known here any more; an admin may need to run "
                "`rallybot discord sync`.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        command, raw, _ = found
        missing = [o.name for o in command.options if o.required and o.name not in raw]
        known = (
            interaction.guild_id is not None
            and self.app is not None
            and (self.app.services.orgs.lookup("discord", str(interaction.guild_id)) is not None)
        )
        if missing and known:
            # A modal must be the first answer, and needs no database: open it at once. The
            # submission runs the command with every check (role, values) in the core.
            await interaction.response.send_modal(
                self._form_modal(interaction, form_for(command, raw))
            )
            return
        await self._answer(
            interaction, self._dispatch_command(interaction, command, raw), public=command.public
        )

    async def _dispatch_command(
        self, interaction: discord.Interaction, command: Command, raw: dict[str, str]
    ) -> Reply:
        assert self.app is not None
        inv = await self.invocation(interaction, interactive=True)
        return await self.app.dispatcher.invoke(inv, command, raw)

    async def _dispatch_action(
        self, interaction: discord.Interaction, action_id: str, values: dict[str, str]
    ) -> Reply:
        assert self.app is not None
        inv = await self.invocation(interaction, interactive=True)
        if not inv.space_id:
            return Reply.refuse(NotConfigured().message)
        return await self.app.dispatcher.handle_interaction(inv, action_id, values)

    def _public(self, action_id: str) -> bool:
        """Whether the command an action id runs declares a public answer."""
        try:
            return self.registry.get(decode_action(action_id)[0]).public
        except UserError:
            return False

    async def _dispatch_form(
        self, interaction: discord.Interaction, action_id: str, values: dict[str, str]
    ) -> Reply:
        """A submitted form: every field in error refused at once (a modal cannot mark its
        fields, so the private answer names them all), else the command run."""
        assert self.app is not None
        inv = await self.invocation(interaction, interactive=True)
        if not inv.space_id or self.app.services.orgs.lookup("discord", inv.space_id) is None:
            return Reply.refuse(NotConfigured().message)
        errors = self.app.dispatcher.check_form(action_id, values)
        if errors:
            return Reply.refuse_fields(errors)
        return await self.app.dispatcher.handle_interaction(inv, action_id, values)

    async def handle_component(
        self, interaction: discord.Interaction, action_id: str, values: dict[str, str]
    ) -> None:
        """A click on a persistent button or a menu choice (from ``components.py``); a
        button clicked again at once by the same person counts once."""
        message = interaction.message
        if (
            not values
            and message is not None
            and self.repeats.repeated(str(interaction.user.id), str(message.id), action_id)
        ):
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.send_message(
                    "You just clicked that; it counts once.",
                    ephemeral=True,
                    allowed_mentions=NO_MENTIONS,
                )
            return
        try:
            await self._answer(
                interaction,
                self._dispatch_action(interaction, action_id, values),
                public=self._public(action_id),
            )
        except discord.HTTPException as exc:
            log.warning("a click's answer was refused by Discord: HTTP %s", exc.status)
        except Exception:
            await self._fault(interaction)

    # forms longer than one modal ------------------------------------------------------------

    def _form_modal(self, interaction: discord.Interaction, form: Form) -> discord.ui.Modal:
        """The form's modal; a long form's first step, its answers kept as a draft."""
        if len(form_pages(form)) == 1:
            return modal(form)
        token = self.drafts.start(form, str(interaction.user.id))
        return modal(form, 0, step_id(token, 0))

    async def _expired(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            "This form is no longer kept (forms last 15 minutes); please run the command again.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    async def _step_submitted(
        self, interaction: discord.Interaction, token: str, page: int, values: dict[str, str]
    ) -> None:
        draft = self.drafts.get(token, str(interaction.user.id))
        if draft is None:
            await self._expired(interaction)
            return
        for name, value in values.items():  # a step's inputs all come back, cleared ones too
            if value.strip():
                draft.values[name] = value
            else:
                draft.values.pop(name, None)
        if page + 1 < len(form_pages(draft.form)):
            send = None if missing_required(draft) else step_id(token, "send")
            rendered = step_done(draft.form, page, step_id(token, page + 1), send)
            await interaction.response.send_message(**rendered.kwargs(), ephemeral=True)
            return
        await self._send_draft(interaction, token)

    async def handle_form_step(
        self, interaction: discord.Interaction, token: str, step: str
    ) -> None:
        """Continue or Send now between two steps of a long form (from ``components.py``)."""
        draft = self.drafts.get(token, str(interaction.user.id))
        if draft is None:
            await self._expired(interaction)
        elif step == "send":
            await self._send_draft(interaction, token)
        else:
            box = modal(draft.form, int(step), step_id(token, step), draft.values)
            await interaction.response.send_modal(box)

    async def _send_draft(self, interaction: discord.Interaction, token: str) -> None:
        draft = self.drafts.get(token, str(interaction.user.id))
        assert draft is not None
        values = {f.name: f.default for f in draft.form.fields if f.default}
        values.update(draft.values)

        def correct(reply: Reply, rendered: Rendered) -> None:
            # A value the core refused keeps the draft, with a button back to its step, so
            # the answers given so far are not lost; anything else ends the draft.
            page = refused_page(draft.form, reply)
            if page is None:
                self.drafts.finish(token)
                return
            rendered.view = correct_view(draft.form, page, step_id(token, page))

        await self._answer(
            interaction,
            self._dispatch_form(interaction, draft.form.id, values),
            adjust=correct,
            public=self._public(draft.form.id),
        )

    async def _autocomplete(self, interaction: discord.Interaction) -> None:
        assert self.app is not None
        found = command_of(self.registry, self.config.bot.prefix, dict(interaction.data or {}))
        choices: list[discord.app_commands.Choice[Any]] = []
        if found is not None and found[2] is not None:
            command, raw, focused = found
            inv = await self.invocation(interaction, interactive=False)
            typed = raw.get(focused or "", "")
            opt = command.option(focused or "")
            for label, value in await self.app.dispatcher.suggest(inv, command, focused, typed):
                if opt is not None and kind_of(opt) == INTEGER:
                    if not value.isdigit():
                        continue
                    choices.append(discord.app_commands.Choice(name=label[:100], value=int(value)))
                else:
                    choices.append(discord.app_commands.Choice(name=label[:100], value=value[:100]))
        await interaction.response.autocomplete(choices[:25])

    async def _answer(
        self,
        interaction: discord.Interaction,
        work: Any,
        adjust: Callable[[Reply, Rendered], None] | None = None,
        *,
        public: bool = False,
    ) -> None:
        """Answer within Discord's deadline: at once if the core is quick, else defer first,
        as privately or publicly as the command declares (a deferred message keeps the
        visibility it was deferred with). ``adjust`` may change the rendered answer once the
        reply is known."""
        task: asyncio.Task[Reply] = asyncio.create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        wait = self.settings.defer_after.total_seconds()
        done, _ = await asyncio.wait({task}, timeout=wait)
        response = interaction.response
        if done:
            reply = task.result()
            if reply.form is not None and interaction.type != discord.InteractionType.modal_submit:
                await response.send_modal(self._form_modal(interaction, reply.form))
                return
            rendered = render_form_as_text(reply) if reply.form is not None else render(reply)
            if adjust is not None:
                adjust(reply, rendered)
            await response.send_message(**rendered.kwargs(), ephemeral=rendered.ephemeral)
            return
        await response.defer(ephemeral=not public, thinking=True)
        reply = await task
        rendered = render_form_as_text(reply) if reply.form is not None else render(reply)
        if adjust is not None:
            adjust(reply, rendered)
        if rendered.ephemeral != public:  # the answer is as visible as the deferral
            await interaction.edit_original_response(**rendered.edit_kwargs())
            return
        if public:
            # A public command that ended privately (a refusal): the deferred message is
            # public, so it goes, and the answer comes as a private message of its own.
            await interaction.delete_original_response()
            await interaction.followup.send(**rendered.kwargs(), ephemeral=True)
            return
        # A private deferral of a public answer: the deferred message is closed first, since
        # a follow-up while it still shows "thinking" would become it, and stay private.
        await interaction.edit_original_response(
            content="Posted.", embeds=[], view=None, allowed_mentions=NO_MENTIONS
        )
        await interaction.followup.send(**rendered.kwargs(), ephemeral=False)


async def sync_commands(config: Config, registry: Registry, guild_id: str | None) -> int:
    """Replace the application's slash commands (in one guild, or globally); the count.

    Discord allows 200 command creations a day per guild, so this is an explicit step
    (`rallybot discord sync`), not part of every start."""
    if not config.discord.token:
        raise ConfigError.at("discord", "token", "is empty (set RALLYBOT_DISCORD__TOKEN)")
    _quiet_library_logs()
    http = RoutedHTTP(
        asyncio.get_running_loop(),
        api_url=config.discord.api_url,
        global_rate=float(config.discord.global_rate),
    )
    commands = build_commands(registry, config.bot.prefix)
    try:
        await http.static_login(config.discord.token)
        info = await http.application_info()
        if guild_id:
            await http.bulk_upsert_guild_commands(info["id"], guild_id, commands)
        else:
            await http.bulk_upsert_global_commands(info["id"], commands)
    finally:
        await http.close()
    return len(commands)
