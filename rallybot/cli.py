"""The `rallybot` command line: console, run, demo, db upgrade, export and import, discord sync,
roles, check, backup and restore."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import Application
from bot.clock import MovableClock
from bot.config import Config, ConfigError, demo_org, load_config
from bot.logs import configure_logging
from rallybot.backup import BackupError, backup, restore
from rallybot.groups import default_groups
from storage import audit, members, orgs
from storage.db import Database, DatabaseError
from storage.orgs import OrgRecord


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rallybot", description="Chat bot for library workers' organizing and advocacy."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    console = sub.add_parser("console", help="chat with the bot in this terminal (SQLite)")
    console.add_argument("--config", help="a config.toml (default: built-in demo)")
    console.add_argument("--org", help="the organization's slug (default: the first one)")
    console.add_argument("--files", help="folder for files the bot hands out")
    console.add_argument(
        "--web",
        type=_port,
        metavar="PORT",
        help="also serve the web pages (the public layoff tracker) on 127.0.0.1:PORT",
    )

    run = sub.add_parser("run", help="run every adapter the config enables")
    run.add_argument("--config", required=True, help="path of config.toml")

    export = sub.add_parser("export", help="CSV to standard output (or --out FILE)")
    export.add_argument("what", choices=EXPORTS, help="what to export")
    export.add_argument("--config", help="path of config.toml (default: built-in demo)")
    export.add_argument("--org", help="the organization's slug (default: the first one)")
    export.add_argument("--alert", type=int, help="the alert's id (for signers)")
    export.add_argument("--event", type=int, help="the event's id (for rsvps)")
    export.add_argument("--out", help="write to this file instead of standard output")

    discord = sub.add_parser("discord", help="Discord maintenance")
    discord_sub = discord.add_subparsers(dest="discord_command", required=True)
    sync = discord_sub.add_parser(
        "sync", help="replace the slash commands (Discord allows 200 creations a day per guild)"
    )
    sync.add_argument("--config", required=True, help="path of config.toml")
    sync.add_argument("--guild", help="one guild's id (at once); default: global (within an hour)")
    imports = sub.add_parser("import", help="read a CSV file into the database")
    imports.add_argument("what", choices=IMPORTS, help="what to import")
    imports.add_argument("file", help="the CSV file (- for standard input)")
    imports.add_argument("--config", help="path of config.toml (default: built-in demo)")
    imports.add_argument("--org", help="the organization's slug (default: the first one)")

    sub.add_parser(
        "demo", help="watch one organization on Slack and Discord at once, with no tokens"
    )

    roles = sub.add_parser("roles", help="raise a member's role beyond what platform roles give")
    roles_sub = roles.add_subparsers(dest="roles_command", required=True)
    for action, said in (("grant", "give"), ("revoke", "take back")):
        change = roles_sub.add_parser(action, help=f"{said} a granted role")
        change.add_argument("--org", required=True, help="the organization's slug")
        change.add_argument("--platform", required=True, choices=PLATFORMS, help="where")
        change.add_argument("--account", required=True, help="the platform's user id")
        if action == "grant":
            change.add_argument("--role", required=True, choices=GRANTABLE, help="the role")
        change.add_argument("--config", help="path of config.toml (default: built-in demo)")
    listing = roles_sub.add_parser("list", help="the roles granted in an organization")
    listing.add_argument("--org", required=True, help="the organization's slug")
    listing.add_argument("--config", help="path of config.toml (default: built-in demo)")

    check = sub.add_parser("check", help="check the config, database, tokens and channels")
    check.add_argument("--config", help="path of config.toml")

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply the migrations")
    upgrade.add_argument("--config", help="path of config.toml")

    saving = sub.add_parser(
        "backup", help="copy the database to FILE (mode 0600), bot running or not"
    )
    saving.add_argument("file", help="the backup file to write")
    saving.add_argument("--config", help="path of config.toml")
    restoring = sub.add_parser("restore", help="put a backup into an empty database (bot stopped)")
    restoring.add_argument("file", help="the backup file to read")
    restoring.add_argument("--config", help="path of config.toml")
    return parser


def _port(text: str) -> int:
    """A TCP port given on the command line."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (a number from 1 to 65535)")
    return int(text)


async def _console(
    config: Config, org: str | None, files: str | None, web_port: int | None = None
) -> int:
    from adapters.console import ConsoleAdapter, Screen, console_senders

    if not config.orgs:
        # the demo organization shows its public tracker (with --web)
        config.orgs.append(demo_org(named_channels=True))
        config.orgs[0].public_tracker = True
    if web_port is not None:
        config.web.enabled, config.web.host, config.web.port = True, "127.0.0.1", web_port
    if org:
        config.org(org)  # refuses an unknown slug, listing the known ones
    clock = MovableClock()
    if files:  # where /privacy delete looks for a member's earlier exports, too
        config.bot.files_dir = files
    screen = Screen(sys.stdout, config.bot.files_dir)
    app = Application(
        config,
        groups=default_groups(),
        clock=clock,
        senders=console_senders(screen, config.channel_names()),
    )
    interactive = sys.stdin.isatty()
    # On a terminal, reminders arrive by themselves; a piped script runs step by step.
    await app.start(background=interactive)
    web = None
    try:
        if web_port is not None:
            from adapters.web import WebAdapter

            web = WebAdapter(config)
            await web.start(app)
            shown = [o for o in config.orgs if o.public_tracker]
            where = config.web.tracker_url(shown[0].slug) if shown else config.web.address()
            print(f"The web pages are at {where}", flush=True)
        adapter = ConsoleAdapter(app, screen, clock=clock, org_slug=org, interactive=interactive)
        return await adapter.run()
    finally:
        if web is not None:
            await web.stop()
        await app.stop()


class CommandLineError(Exception):
    """What was asked on the command line cannot be done; the message names the argument."""


EXPORTS = ("layoffs", "signers", "rsvps", "optouts")
IMPORTS = ("optouts",)
PLATFORMS = ("slack", "discord", "console")
GRANTABLE = ("organizer", "admin")


@contextlib.asynccontextmanager
async def _org_app(
    config: Config, slug: str | None
) -> AsyncIterator[tuple[Application, OrgRecord]]:
    """The application without its background work, and the organization named by ``slug``
    (default: the first one), for the command line's exports and imports."""
    if not config.orgs:
        config.orgs.append(demo_org())
    if slug:
        config.org(slug)  # refuses an unknown slug, listing the known ones
    app = Application(config, groups=default_groups())
    await app.start(background=False)
    try:
        orgs = app.services.orgs
        record, _ = orgs.by_slug(slug) if slug else next(iter(orgs))
        yield app, record
    finally:
        await app.stop()


def _check_export(args: argparse.Namespace) -> None:
    """Refuse an export that lacks the id it needs, or is given one it does not take."""
    needed = {"signers": "alert", "rsvps": "event"}
    for what, option in needed.items():
        given = getattr(args, option)
        if args.what == what and given is None:
            raise CommandLineError(
                f"--{option}: export {what} needs --{option} ID, the {option}'s number "
                f"(e.g. rallybot export {what} --{option} 7)"
            )
        if args.what != what and given is not None:
            raise CommandLineError(f"--{option}: is for export {what} only, not export {args.what}")


async def _export(config: Config, args: argparse.Namespace) -> bytes:
    from storage.alerts import export_signers_csv, get_alert
    from storage.events import export_rsvps_csv, get_event
    from storage.layoffs import export_layoffs_csv
    from storage.optouts import export_optouts

    async with _org_app(config, args.org) as (app, record):
        async with app.db.transaction() as conn:
            if args.what == "layoffs":
                data = await export_layoffs_csv(conn, record.id, app.services.clock.now())
            elif args.what == "signers":
                alert = await get_alert(conn, args.alert)
                if alert is None or alert.org_id != record.id:
                    raise CommandLineError(f"--alert: no alert {args.alert} in {record.slug}")
                data = await export_signers_csv(conn, alert.id)
            elif args.what == "optouts":
                data, _, _ = await export_optouts(conn, record.id)
            else:
                event = await get_event(conn, args.event)
                if event is None or event.org_id != record.id:
                    raise CommandLineError(f"--event: no event {args.event} in {record.slug}")
                data = await export_rsvps_csv(conn, event.id)
            await audit.add_entry(
                conn,
                record.id,
                None,
                f"{args.what}.export",
                "cli",
                {"via": "rallybot export"},
                at=app.services.clock.now(),
            )
    return data


def _read_csv(file: str) -> str:
    """The text of a CSV file (or of standard input for ``-``), UTF-8 with or without a BOM."""
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise CommandLineError(f"{file}: cannot be read ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandLineError(f"{file}: is not UTF-8 text (byte {exc.start + 1})") from None


async def _import(config: Config, args: argparse.Namespace) -> int:
    """Import an opt-out list: the good rows are taken, each refused one is named."""
    from commands.optouts import COLUMNS, describe_import, parse_optouts
    from storage.optouts import import_optouts

    rows, problems = parse_optouts(_read_csv(args.file))
    if not rows:
        for problem in problems:
            print(f"rallybot: {args.file}: {problem}", file=sys.stderr)
        raise CommandLineError(f"{args.file}: has no row that can be taken (columns: {COLUMNS})")
    async with _org_app(config, args.org) as (app, record):
        async with app.db.transaction() as conn:
            outcome = await import_optouts(conn, record.id, rows, app.services.clock.now())
            await audit.add_entry(
                conn,
                record.id,
                None,
                "optouts.import",
                "cli",
                {
                    "via": "rallybot import",
                    "accounts": outcome.accounts,
                    "switched_off": outcome.switched_off,
                    "pending": outcome.pending,
                    "refused": len({p.line for p in problems}),
                },
                at=app.services.clock.now(),
            )
    print(f"{record.slug}: {describe_import(outcome, problems, limit=None)}")
    return 1 if problems else 0


async def _roles(config: Config, args: argparse.Namespace) -> int:
    """Grant, revoke or list the roles kept in the database for an organization's members; a
    member's role is the higher of this and what their platform roles give, on every linked
    account, from their next command on. Each grant and revocation is audited."""
    async with _org_app(config, args.org) as (app, record):
        async with app.db.transaction() as conn:
            if args.roles_command == "list":
                print(await _granted(conn, record))
                return 0
            account = args.account.strip()
            if not account:
                raise CommandLineError("--account: must not be empty")
            who = f"{args.platform} account {account!r}"
            member = await members.find_member(conn, args.platform, account)
            if args.roles_command == "grant":
                if member is None:  # not seen yet: the grant waits for them as a member
                    member = await members.ensure_member(
                        conn, args.platform, account, account, record.id
                    )
                role, granted = args.role, args.role
                done = f"now has the {role} role, on every account of the member"
            else:
                role = (
                    None if member is None else await orgs.granted_role(conn, record.id, member.id)
                )
                if member is None or role is None:
                    raise CommandLineError(f"--account: {who} has no role granted in {record.slug}")
                granted = None
                done = f"no longer has the {role} role it was granted"
            await orgs.grant_role(conn, record.id, member.id, granted)
            await audit.add_entry(
                conn,
                record.id,
                None,
                f"role.{args.roles_command}",
                f"member {member.id}",
                {"via": "rallybot roles", "role": role},
                at=app.services.clock.now(),
            )
    print(f"{record.slug}: {who} (member {member.id}) {done}")
    return 0


async def _granted(conn: AsyncConnection, record: OrgRecord) -> str:
    """The roles granted in an organization, a line per member with their accounts."""
    lines = []
    for member_id, role in await orgs.granted_roles(conn, record.id):
        identities = await members.identities(conn, member_id)
        accounts = ", ".join(f"{i.platform}:{i.user_id} ({i.display_name})" for i in identities)
        lines.append(f"member {member_id}\t{role}\t{accounts}")
    return "\n".join(lines) or (
        f"{record.slug}: no role is granted; roles come from the configuration"
    )


async def _upgrade(config: Config) -> int:
    db = Database(config.database.url)
    try:
        await db.probe()
        await db.upgrade()
        current, _ = await db.revision()
    finally:
        await db.dispose()
    print(f"database is at revision {current}")
    return 0


async def _discord_sync(config: Config, guild: str | None) -> int:
    from adapters.discord import sync_commands
    from bot.registry import Registry

    if guild is not None and not guild.isdigit():
        raise CommandLineError(f"--guild: {guild!r} is not a Discord guild id (digits)")
    count = await sync_commands(config, Registry(default_groups()), guild)
    where = f"guild {guild}" if guild else "every guild (global commands)"
    print(f"synced {count} slash commands to {where}")
    return 0


async def _run(config: Config) -> int:
    from rallybot.runner import enabled_adapters, serve

    adapters = enabled_adapters(config)
    if not adapters:
        print(
            "rallybot: nothing to run: enable [slack], [discord] or [web] in the config "
            "(or try `rallybot console`)",
            file=sys.stderr,
        )
        return 2
    await serve(config, adapters)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rallybot` console script."""
    args = _parser().parse_args(argv)
    if args.command == "check":  # says itself what is wrong with the config
        from rallybot.check import main as check

        return check(args.config)
    try:
        config = load_config(getattr(args, "config", None))
        level = "WARNING" if args.command in ("console", "demo") else config.bot.log_level
        configure_logging(level, config.secrets(), config.bot.log_format)
        if args.command == "console":
            return asyncio.run(_console(config, args.org, args.files, args.web))
        if args.command in ("backup", "restore"):
            done = backup if args.command == "backup" else restore
            print(done(config, args.file))
            return 0
        if args.command == "db":
            return asyncio.run(_upgrade(config))
        if args.command == "demo":
            from rallybot.demo import run_demo

            return asyncio.run(run_demo())
        if args.command == "discord":
            return asyncio.run(_discord_sync(config, args.guild))
        if args.command == "roles":
            return asyncio.run(_roles(config, args))
        if args.command == "import":
            return asyncio.run(_import(config, args))
        if args.command == "export":
            _check_export(args)
            data = asyncio.run(_export(config, args))
            if args.out:
                Path(args.out).write_bytes(data)
            else:
                sys.stdout.buffer.write(data)
            return 0
        return asyncio.run(_run(config))
    except (ConfigError, DatabaseError, CommandLineError, BackupError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        print(f"rallybot: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
