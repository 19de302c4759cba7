"""Dispatch: a typed line, a click or a form submission becomes one command run in one unit of work.

The dispatcher finds the organization of the space, checks the role, validates the options,
runs the handler inside a transaction (after the command's ``before`` step, if it declares one,
in a transaction of its own that commits first) and turns every refusal into a plain answer. Nothing
the person sends can raise past it; an unexpected fault is logged with a reference and the
unit of work is rolled back, so what was already stored stays as it was.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.context import Context, Invocation, config_role
from bot.errors import FieldError, MissingFields, NotConfigured, PermissionDenied, UserError
from bot.grammar import split_command, tokenize
from bot.registry import Command, Role
from bot.reply import Form, FormField, Reply, decode_action
from storage.orgs import OrgRecord

if TYPE_CHECKING:
    from bot.config import OrgConfig
    from bot.services import Services

log = logging.getLogger(__name__)

#: how many times a command stopped by a constraint runs once more: a first contact and the
#: same click may each have been made elsewhere at the same moment, one after the other
RERUNS = 2


class Dispatcher:
    """Runs commands for every adapter."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def handle_text(self, inv: Invocation, line: str) -> Reply:
        """Run a typed command line such as ``/profile state:IL``."""
        try:
            group, rest = split_command(line, self.services.config.bot.prefix)
            command, raw = self.services.registry.resolve(group, tokenize(rest))
        except UserError as exc:
            return Reply.refuse(exc.message)
        return await self.invoke(inv, command, raw)

    async def handle_interaction(
        self, inv: Invocation, action_id: str, values: dict[str, str] | None = None
    ) -> Reply:
        """Run a button click, menu choice or form submission carrying ``action_id``."""
        try:
            name, args = decode_action(action_id)
            command = self.services.registry.get(name)
        except UserError as exc:
            return Reply.refuse(exc.message)
        values = dict(values or {})
        select_arg = args.pop("_select", None)
        if select_arg is not None and "value" in values:
            args[select_arg] = values.pop("value")
        for key, value in values.items():
            if value is not None and str(value).strip() and command.option(key) is not None:
                args[key] = str(value)
        return await self.invoke(inv, command, args)

    def check_form(self, action_id: str, values: dict[str, str]) -> list[FieldError]:
        """Every error in a form's submitted values at once, before anything runs: each
        required field left blank and each value that breaks its option's rule, in the
        command's order of options. The values the form's id carries count as given; a
        blank value counts as not given. None for an id that names no command (running it
        refuses it as usual)."""
        try:
            name, args = decode_action(action_id)
            command = self.services.registry.get(name)
        except UserError:
            return []
        args.pop("_select", None)
        given = {
            key: str(value)
            for key, value in values.items()
            if value is not None and str(value).strip() and command.option(key) is not None
        }
        return command.check({**args, **given})

    async def suggest(
        self, inv: Invocation, command: Command, option: str, typed: str
    ) -> list[tuple[str, str]]:
        """Values to offer for ``option`` while the person types; stores nothing.

        An unknown space, an option without suggestions or a fault offers nothing."""
        opt = command.option(option)
        found = self.services.orgs.lookup(inv.platform, inv.space_id)
        if opt is None or opt.suggest is None or found is None:
            return []
        org, org_config = found
        try:
            async with self.services.db.reading() as conn:
                ctx = await self._context(conn, inv, command, org, org_config, check_role=False)
                return await opt.suggest(ctx, typed)
        except Exception:
            log.exception("suggestions for /%s %s failed", command.name, option)
            return []

    async def role_in(self, inv: Invocation) -> Role | None:
        """The role a person holds in the organization of ``inv``'s space, exactly as a
        command checks it (platform roles, raised by a role granted in the database); None
        where the bot is not set up."""
        found = self.services.orgs.lookup(inv.platform, inv.space_id)
        if found is None:
            return None
        org, org_config = found
        async with self.services.db.reading() as conn:
            ctx = Context(
                services=self.services,
                conn=conn,
                invocation=inv,
                org=org,
                org_config=org_config,
                role=config_role(org_config, inv),
                command="",
            )
            return await ctx.effective_role()

    async def invoke(self, inv: Invocation, command: Command, raw: dict[str, str]) -> Reply:
        """Run ``command`` with raw option text as the person described by ``inv``; count
        it and its answer time in /metrics unless the command is declared not counted."""
        started = time.monotonic()
        reply, outcome = await self._answer(inv, command, raw)
        metrics = self.services.metrics
        if metrics is not None and command.counted:
            metrics.answered(inv.platform, command.group, outcome, time.monotonic() - started)
        return reply

    async def _answer(
        self, inv: Invocation, command: Command, raw: dict[str, str]
    ) -> tuple[Reply, str]:
        """The answer to ``command`` and its outcome: ``ok``, ``form`` (fields are missing),
        ``refused`` or ``error``."""
        services = self.services
        found = services.orgs.lookup(inv.platform, inv.space_id)
        if found is None:
            return Reply.refuse(NotConfigured().message), "refused"
        org, org_config = found
        try:
            reruns = 0
            while True:
                try:
                    reply = await self._run(
                        inv, command, raw, org, org_config, use_cache=not reruns
                    )
                    return reply, "ok"
                except IntegrityError:
                    # Another unit of work got there first, and committed: a member this
                    # process remembered was merged or erased, or another process made this
                    # person's first contact, or their same click, at the same moment. Run
                    # once more, asking the database afresh, which now shows what it did.
                    if reruns == RERUNS:
                        raise
                    reruns += 1
                    log.info("/%s hit a constraint; running it once more afresh", command.name)
        except MissingFields as exc:
            if inv.interactive:
                return Reply(text=exc.message, form=form_for(command, raw)), "form"
            return Reply.refuse(exc.message + "."), "refused"
        except UserError as exc:
            return Reply.refuse(exc.message, exc.errors), "refused"
        except Exception:
            ref = secrets.token_hex(3)
            log.exception("/%s failed (ref %s)", command.name, ref)
            reply = Reply.refuse(
                f"Something went wrong on our side (ref {ref}). Nothing was changed; "
                "please try again, and tell an organizer if it keeps happening."
            )
            return reply, "error"

    async def _run(
        self,
        inv: Invocation,
        command: Command,
        raw: dict[str, str],
        org: OrgRecord,
        org_config: OrgConfig,
        *,
        use_cache: bool,
    ) -> Reply:
        services = self.services
        if not use_cache:
            services.members.forget(inv.platform, inv.user_id, org.id)
        values = None
        if command.before is not None:
            async with services.db.transaction() as conn:
                ctx = await self._context(conn, inv, command, org, org_config)
                values = command.parse(raw)
                await command.before(ctx, **values)
            ctx.committed()
            await ctx.run_after_commit()
        reads = command.read_only or (command.writes_apart and services.db.stores_transaction_ids)
        unit_of_work = services.db.reading if reads else services.db.transaction
        async with unit_of_work() as conn:
            ctx = await self._context(conn, inv, command, org, org_config)
            if values is None:
                values = command.parse(raw)
            reply = await command.handler(ctx, **values)
        ctx.committed()
        await ctx.run_after_commit()
        return reply

    async def _context(
        self,
        conn: AsyncConnection,
        inv: Invocation,
        command: Command,
        org: OrgRecord,
        org_config: OrgConfig,
        *,
        check_role: bool = True,
    ) -> Context:
        """The context of ``command`` over one unit of work, once the person may run it
        (whoever they are, without ``check_role``)."""
        ctx = Context(
            services=self.services,
            conn=conn,
            invocation=inv,
            org=org,
            org_config=org_config,
            role=config_role(org_config, inv),
            command=command.name,
        )
        if check_role and ctx.role < command.role and await ctx.effective_role() < command.role:
            raise PermissionDenied(
                f"/{command.name} needs the {command.role.label} role; "
                f"you have the {ctx.role.label} role here."
            )
        return ctx


def form_for(command: Command, given: dict[str, str]) -> Form:
    """A form asking for a command's options, required ones first, given ones filled in."""
    ordered = sorted(command.options, key=lambda o: not o.required)
    return Form(
        title=command.form_title or f"/{command.name}",
        command=command.name,
        fields=[
            FormField(
                name=opt.name,
                label=opt.help or opt.name.replace("_", " "),
                required=opt.required,
                long=opt.long,
                default=given.get(opt.name, ""),
                max_length=opt.max_length,
                choices=tuple(opt.choices),
            )
            for opt in ordered
        ],
    )
