"""Configuration from a TOML file, with ``RALLYBOT_<SECTION>__<KEY>`` environment overrides.

Every key is declared here with its type and default; ``config.example.toml`` documents them.
A wrong key or value is refused with the file (or variable) and the key named.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from bot.errors import ValidationError
from bot.options import NO, YES
from bot.timefmt import Channel
from bot.timeparse import parse_duration
from bot.zones import resolve_zone

PLATFORMS = ("slack", "discord", "console")
#: a configured Discord role of 17 to 20 digits is a role id (a snowflake); anything else is a
#: role name
DISCORD_ROLE_ID = re.compile(r"\d{17,20}")
#: a Slack user group id (user groups are matched by id only, never by handle or name)
SLACK_USERGROUP_ID = re.compile(r"S[A-Z0-9]{2,}")
#: a channel's name as people know it, given beside its id ("C0ALERTS#alerts")
CHANNEL_NAME = re.compile(r"[^\s#<>@&`|]{1,100}")
#: the values ``[bot] log_level`` takes (any case)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: the values ``[bot] log_format`` takes
LOG_FORMATS = ("text", "json")


class ConfigError(Exception):
    """The configuration is wrong; the message names where and which key."""

    @classmethod
    def at(cls, section: str, key: str, rule: str, *, source: str = "") -> ConfigError:
        """The error of one key: ``[section] key: rule``, after the file's name if given."""
        where = f"{source}: " if source else ""
        return cls(f"{where}[{section}] {key}: {rule}")


@dataclass
class DatabaseConfig:
    """[database]"""

    url: str = field(default="sqlite+aiosqlite:///rallybot.db", repr=False)
    echo: bool = False


@dataclass
class SchedulerConfig:
    """[scheduler]"""

    grace: timedelta = timedelta(hours=1)
    digest_cron: str = "0 9 * * MON"


@dataclass
class BotConfig:
    """[bot]: behaviour shared by every platform."""

    prefix: str = ""
    log_level: str = "INFO"
    #: "text" (a line a record) or "json" (one JSON object a line)
    log_format: str = "text"
    files_dir: str = "rallybot-files"
    #: the old home of ``[limits] layoff_reports_per_hour``, still read when that is not set
    layoff_reports_per_hour: int = 0


@dataclass
class LimitsConfig:
    """[limits]: how much one member may ask of the bot, so no one can crowd out the rest."""

    #: reminders a member may have waiting at once
    reminders_per_member: int = 50
    #: polls a member (not an organizer) may create a day, where members may create polls
    member_polls_per_day: int = 5
    #: layoff reports one person may file an hour; 0: not set here, so the old
    #: ``[bot] layoff_reports_per_hour`` if that is set, else 5 (see
    #: :meth:`Config.layoff_reports_per_hour`)
    layoff_reports_per_hour: int = 0


@dataclass
class AlertsConfig:
    """[alerts]"""

    #: how long before an alert's deadline members who have not answered get one nudge
    nudge_before: timedelta = timedelta(hours=24)
    #: channel tallies are refreshed at most once per this interval per message
    tally_interval: timedelta = timedelta(seconds=5)


@dataclass
class EventsConfig:
    """[events]"""

    #: how long before each occurrence of a repeating event it is announced in the alert
    #: channels (its occurrences are made as events a day before that)
    announce_before: timedelta = timedelta(days=7)


@dataclass
class PollsConfig:
    """[polls]"""

    #: the key of anonymous ballots' voter keys; never stored in the database. Empty: on a
    #: SQLite file, one is made once in a file beside the database (mode 0600); on PostgreSQL,
    #: anonymous polls are refused until it is set (every process needs the same one)
    ballot_secret: str = field(default="", repr=False, metadata={"secret": True})
    #: breakdowns fold groups with fewer voters than this into "other/hidden" (at least 3)
    min_group: int = 3
    #: live poll tallies in channel posts are refreshed at most once per this interval
    tally_interval: timedelta = timedelta(seconds=5)
    #: a poll a member (not an organizer) creates without ``closes:`` closes this many days
    #: after it is created
    member_poll_days: int = 7


@dataclass
class SlackConfig:
    """[slack]"""

    enabled: bool = False
    mode: str = "http"
    host: str = "0.0.0.0"
    port: int = 3000
    signing_secret: str = field(default="", repr=False, metadata={"secret": True})
    bot_token: str = field(default="", repr=False, metadata={"secret": True})
    app_token: str = field(default="", repr=False, metadata={"secret": True})
    api_url: str = "https://slack.com/api/"
    #: OAuth installation into several workspaces (both set): tokens kept in the database
    client_id: str = ""
    client_secret: str = field(default="", repr=False, metadata={"secret": True})

    @property
    def oauth(self) -> bool:
        """The app is installed into workspaces through OAuth, not given one bot token."""
        return bool(self.client_id and self.client_secret)


@dataclass
class DiscordConfig:
    """[discord]"""

    enabled: bool = False
    token: str = field(default="", repr=False, metadata={"secret": True})
    api_url: str = "https://discord.com/api/v10"
    #: development only: sync the slash commands to each configured guild at every start
    sync_on_start: bool = False
    #: this process's shards (empty: all of them) out of ``shard_count`` (0: as Discord says)
    shard_ids: list[int] = field(default_factory=list)
    shard_count: int = 0
    #: REST requests a second for the whole bot (Discord's global limit is 50)
    global_rate: int = 50
    #: an interaction not answered within this time is deferred (Discord allows 3 seconds)
    defer_after: timedelta = timedelta(seconds=2)


@dataclass
class WebConfig:
    """[web]: the bot's own web pages (the public layoff tracker), served by `rallybot run`
    on their own server, or on the Slack HTTP endpoint's when host and port are the same."""

    enabled: bool = False
    host: str = "0.0.0.0"
    port: int = 8080
    #: the address people reach the pages at, behind a reverse proxy with https
    #: ("https://rally.example.org"); empty: http://host:port
    base_url: str = ""

    def address(self) -> str:
        """Where people reach the pages: ``base_url``, else this server's own address."""
        if self.base_url:
            return self.base_url
        host = "localhost" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    def tracker_url(self, slug: str) -> str:
        """The address of an organization's public layoff tracker."""
        return f"{self.address()}/o/{slug}/layoffs"


@dataclass
class MetricsConfig:
    """[metrics]: ``GET /metrics`` in the Prometheus text format, on every server that has
    ``/healthz``; a deployment with no such server (Discord only, Slack in Socket Mode)
    serves it on a small server of its own at ``host`` and ``port``."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 9180
    #: when set, a scrape must send ``Authorization: Bearer <token>``
    token: str = field(default="", repr=False, metadata={"secret": True})


@dataclass
class RoleSources:
    """Who holds a role: platform user ids, Slack user group ids, Discord role ids or names."""

    slack_users: list[str] = field(default_factory=list)
    slack_usergroups: list[str] = field(default_factory=list)
    discord_roles: list[str] = field(default_factory=list)
    console_roles: list[str] = field(default_factory=list)


@dataclass
class OrgConfig:
    """One [[orgs]] entry."""

    slug: str = ""
    name: str = ""
    timezone: str = "America/Chicago"
    slack_team_ids: list[str] = field(default_factory=list)
    discord_guild_ids: list[str] = field(default_factory=list)
    #: channel ids per platform; an entry may carry the name people know the channel by:
    #: "C0ALERTS", "C0ALERTS#alerts" or {id = "C0ALERTS", name = "alerts"}
    alert_channels: dict[str, list[str]] = field(default_factory=dict, metadata={"channels": True})
    moderation_channels: dict[str, list[str]] = field(
        default_factory=dict, metadata={"channels": True}
    )
    #: the names given to channels in ``alert_channels`` and ``moderation_channels``, by
    #: (platform, channel id)
    channel_names: dict[tuple[str, str], str] = field(
        default_factory=dict, metadata={"internal": True}
    )
    organizers: RoleSources = field(default_factory=RoleSources)
    admins: RoleSources = field(default_factory=RoleSources)
    members_may_create_polls: bool = False
    #: the organization's email address, named as the organizer in calendar files
    contact: str = ""
    #: verified public layoff reports are shown at /o/<slug>/layoffs when [web] is enabled
    public_tracker: bool = False

    def spaces(self) -> list[tuple[str, str]]:
        """(platform, space id) pairs this organization owns; its console room included."""
        return (
            [("slack", t) for t in self.slack_team_ids]
            + [("discord", g) for g in self.discord_guild_ids]
            + [("console", self.slug)]
        )

    def channel(self, platform: str, channel_id: str) -> Channel:
        """A channel of this organization as people know it: by its configured name, else
        by its id."""
        return Channel(platform, channel_id, self.channel_names.get((platform, channel_id), ""))

    def dm_platforms(self) -> tuple[str, ...]:
        """Platforms where the organization has a space, so its members can get a DM there."""
        return (
            ("console",)
            + (("slack",) if self.slack_team_ids else ())
            + (("discord",) if self.discord_guild_ids else ())
        )


@dataclass
class Config:
    """The whole configuration."""

    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    bot: BotConfig = field(default_factory=BotConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    polls: PollsConfig = field(default_factory=PollsConfig)
    events: EventsConfig = field(default_factory=EventsConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    discord: DiscordConfig = field(default_factory=DiscordConfig)
    web: WebConfig = field(default_factory=WebConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    orgs: list[OrgConfig] = field(default_factory=list)
    source: str = field(default="(defaults)", metadata={"internal": True})

    def secrets(self) -> list[str]:
        """Every secret value set, so logs can be scrubbed of them."""
        found = []
        for section in (self.slack, self.discord, self.polls, self.metrics):
            for f in dataclasses.fields(section):
                value = getattr(section, f.name)
                if f.metadata.get("secret") and value:
                    found.append(value)
        password = _url_password(self.database.url)
        if password:
            found.append(password)
        return found

    def channel_names(self) -> dict[tuple[str, str], str]:
        """The configured names of every organization's channels, by (platform, channel id)."""
        return {key: name for org in self.orgs for key, name in org.channel_names.items()}

    @property
    def layoff_reports_per_hour(self) -> int:
        """Layoff reports one person may file an hour: ``[limits]``, else the old ``[bot]``
        key, else 5."""
        return self.limits.layoff_reports_per_hour or self.bot.layoff_reports_per_hour or 5

    def org(self, slug: str) -> OrgConfig:
        """The organization with this slug."""
        for org in self.orgs:
            if org.slug == slug:
                return org
        known = ", ".join(org.slug for org in self.orgs) or "none"
        raise ConfigError(
            f"{self.source}: no organization with slug {slug!r} (the organizations: {known})"
        )


def _url_password(url: str) -> str | None:
    match = re.match(r"^[a-z0-9+]+://[^:/@]+:([^@]+)@", url)
    return match.group(1) if match else None


def _coerce(value: Any, typ: Any, where: str, *, from_env: bool = False) -> Any:
    """Check (and, for environment text, convert) one value against its declared type."""
    origin = get_origin(typ)
    if typ is bool:
        if isinstance(value, bool):
            return value
        if from_env and str(value).lower() in YES | NO:
            return str(value).lower() in YES
        raise ConfigError(f"{where}: must be true or false")
    if typ is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if from_env and re.fullmatch(r"-?\d+", str(value).strip()):
            return int(value)
        raise ConfigError(f"{where}: must be a whole number")
    if typ is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{where}: must be a string")
    if typ is timedelta:
        if isinstance(value, int) and not isinstance(value, bool):
            return timedelta(seconds=value)
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            raise ConfigError(f"{where}: must be {exc}") from None
    if origin is list:
        (inner,) = get_args(typ)
        if from_env and isinstance(value, str):
            text = value.strip()
            try:
                value = (
                    json.loads(text)
                    if text.startswith("[")
                    else [v.strip() for v in text.split(",") if v.strip()]
                )
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"{where}: not a JSON list ({exc.msg} at character {exc.pos + 1}); "
                    'write ["a", "b"] or a, b'
                ) from None
        if not isinstance(value, list):
            raise ConfigError(f"{where}: must be a list")
        if inner in (str, int, bool):
            return [
                _coerce(v, inner, f"{where}[{i}]") if inner is not str else str(v)
                for i, v in enumerate(value)
            ]
        return [_section(v, inner, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: must be a table")
        _, inner = get_args(typ)
        return {str(k): _coerce(v, inner, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(typ):
        return _section(value, typ, where)
    raise ConfigError(f"{where}: unsupported type")  # pragma: no cover - declarations only


def _section(raw: Any, cls: Any, where: str) -> Any:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: must be a table")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(fields))})")
        at = f"{where}.{key}" if where else key
        if fields[key].metadata.get("channels"):
            values[key], names = _channel_table(value, at)
            values.setdefault("channel_names", {}).update(names)
        else:
            values[key] = _coerce(value, hints[key], at)
    return cls(**values)


def _channel_table(
    value: Any, where: str
) -> tuple[dict[str, list[str]], dict[tuple[str, str], str]]:
    """A table of channels per platform: the ids, and the names given with them."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: must be a table")
    ids: dict[str, list[str]] = {}
    names: dict[tuple[str, str], str] = {}
    for platform, entries in value.items():
        at = f"{where}.{platform}"
        if platform not in PLATFORMS:
            raise ConfigError(
                f"{at}: unknown platform {platform!r} (known: {', '.join(PLATFORMS)})"
            )
        if not isinstance(entries, list):
            raise ConfigError(f"{at}: must be a list")
        ids[str(platform)] = []
        for i, entry in enumerate(entries):
            channel_id, name = _channel_entry(entry, f"{at}[{i}]")
            ids[str(platform)].append(channel_id)
            if name:
                names[(str(platform), channel_id)] = name
    return ids, names


def _channel_entry(entry: Any, where: str) -> tuple[str, str]:
    """One channel: "C0ALERTS", "C0ALERTS#alerts" or {id = "C0ALERTS", name = "alerts"}."""
    forms = 'write "ID", "ID#name" or { id = "ID", name = "name" }'
    if isinstance(entry, Mapping):
        unknown = sorted(set(entry) - {"id", "name"})
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: id, name)")
        if "id" not in entry:
            raise ConfigError(f"{where}: id: missing; {forms}")
        channel_id, name = entry["id"], entry.get("name", "")
        if not isinstance(name, str):
            raise ConfigError(f"{where}: name: must be a string")
        name = name.removeprefix("#")
    elif isinstance(entry, str):
        channel_id, _, name = entry.partition("#")
        if entry.startswith("#") or entry.endswith("#"):
            side = "id before" if entry.startswith("#") else "name after"
            raise ConfigError(f"{where}: {entry!r} has no {side} #; {forms}")
    elif isinstance(entry, int) and not isinstance(entry, bool):
        channel_id, name = entry, ""
    else:
        raise ConfigError(f"{where}: must be a channel id; {forms}")
    if isinstance(channel_id, bool) or not isinstance(channel_id, str | int):
        raise ConfigError(f"{where}: id: must be a string")
    channel_id = str(channel_id).strip()
    if not channel_id:
        raise ConfigError(f"{where}: id: must not be empty; {forms}")
    if name and not CHANNEL_NAME.fullmatch(name):
        raise ConfigError(
            f"{where}: name: {name!r} is not a channel name (1 to 100 characters, without "
            "spaces or any of # < > @ & ` |)"
        )
    return channel_id, name


def _apply_env(config: Config, environ: Mapping[str, str]) -> None:
    """Apply RALLYBOT_<SECTION>__<KEY> variables on top of the file's values."""
    sections = {f.name for f in dataclasses.fields(Config)} - {"orgs", "source"}
    for name, value in sorted(environ.items()):
        if not name.startswith("RALLYBOT_") or "__" not in name:
            continue
        section_name, _, key = name[len("RALLYBOT_") :].lower().partition("__")
        if section_name not in sections:
            raise ConfigError(
                f"{name}: unknown section {section_name!r} (known: {', '.join(sorted(sections))})"
            )
        section = getattr(config, section_name)
        hints = get_type_hints(type(section))
        if key not in hints:
            raise ConfigError(f"{name}: unknown key {key!r} in [{section_name}]")
        setattr(section, key, _coerce(value, hints[key], name, from_env=True))


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read the TOML file (if any), apply environment overrides, validate everything."""
    source = str(path) if path else "(defaults)"
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{source}: no such file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    hints = get_type_hints(Config)
    built: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in hints or key == "source":
            raise ConfigError(f"{source}: unknown section [{key}]")
        where = f"{source}: [[orgs]]" if key == "orgs" else f"{source}: [{key}]"
        built[key] = _coerce(value, hints[key], where)
    config = Config(**built, source=source)
    _apply_env(config, os.environ if environ is None else environ)
    validate(config)
    return config


def validate(config: Config) -> None:
    """Check the rules that span keys: unique slugs, known timezones, modes, channels."""
    src = config.source
    if config.bot.log_level.upper() not in LOG_LEVELS:
        raise ConfigError(
            f"{src}: [bot] log_level: {config.bot.log_level!r} is not a log level; "
            f"use one of {', '.join(LOG_LEVELS)}"
        )
    if config.bot.log_format not in LOG_FORMATS:
        raise ConfigError(
            f"{src}: [bot] log_format: {config.bot.log_format!r} is not a log format; "
            'use "text" or "json"'
        )
    if config.slack.mode not in ("http", "socket"):
        raise ConfigError(f'{src}: [slack] mode: must be "http" or "socket"')
    if not 0 <= config.slack.port <= 65535:
        raise ConfigError(f"{src}: [slack] port: must be from 0 to 65535")
    _validate_web(config)
    _validate_metrics(config)
    discord = config.discord
    if discord.shard_count < 0:
        raise ConfigError(f"{src}: [discord] shard_count: must be 0 (ask Discord) or more")
    if discord.shard_ids and not discord.shard_count:
        raise ConfigError(f"{src}: [discord] shard_ids: needs shard_count as well")
    for shard in discord.shard_ids:
        if not 0 <= shard < discord.shard_count:
            raise ConfigError(
                f"{src}: [discord] shard_ids: {shard} is not from 0 to shard_count - 1"
            )
    if not 1 <= discord.global_rate <= 50_000:
        raise ConfigError(f"{src}: [discord] global_rate: must be from 1 to 50,000")
    if not timedelta(0) <= discord.defer_after <= timedelta(milliseconds=2500):
        raise ConfigError(f"{src}: [discord] defer_after: must be from 0s to 2.5s")
    if config.bot.prefix and not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,8}", config.bot.prefix):
        raise ConfigError(f"{src}: [bot] prefix: up to 9 lower-case letters, digits, - or _")
    if config.bot.layoff_reports_per_hour < 0:
        raise ConfigError(f"{src}: [bot] layoff_reports_per_hour: must be at least 1")
    if config.limits.layoff_reports_per_hour < 0:
        raise ConfigError(f"{src}: [limits] layoff_reports_per_hour: must be at least 1")
    for key in ("reminders_per_member", "member_polls_per_day"):
        if getattr(config.limits, key) < 1:
            raise ConfigError(f"{src}: [limits] {key}: must be at least 1")
    if config.scheduler.grace < timedelta(0):
        raise ConfigError(f"{src}: [scheduler] grace: must not be negative")
    if config.alerts.tally_interval < timedelta(seconds=1):
        raise ConfigError(f"{src}: [alerts] tally_interval: must be at least 1s")
    if not timedelta(minutes=1) <= config.events.announce_before <= timedelta(days=365):
        raise ConfigError(
            f'{src}: [events] announce_before: must be from 1 minute to 365 days, e.g. "7d"'
        )
    if config.polls.min_group < 3:
        raise ConfigError(f"{src}: [polls] min_group: must be at least 3")
    if config.polls.tally_interval < timedelta(seconds=1):
        raise ConfigError(f"{src}: [polls] tally_interval: must be at least 1s")
    if config.polls.member_poll_days < 1:
        raise ConfigError(
            f"{src}: [polls] member_poll_days: must be a whole number of days, 1 or more "
            f"(got {config.polls.member_poll_days})"
        )
    if config.polls.ballot_secret and len(config.polls.ballot_secret) < 16:
        raise ConfigError(f"{src}: [polls] ballot_secret: must be at least 16 characters")
    slugs: set[str] = set()
    spaces: dict[tuple[str, str], str] = {}
    for i, org in enumerate(config.orgs):
        where = f"{src}: [[orgs]] #{i + 1}"
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", org.slug):
            raise ConfigError(f"{where} slug: lower-case letters, digits and -, at most 64")
        if org.slug in slugs:
            raise ConfigError(f"{where} slug: {org.slug!r} is used twice")
        slugs.add(org.slug)
        if not org.name:
            org.name = org.slug
        try:
            org.timezone = resolve_zone(org.timezone, "timezone").key
        except ValidationError as exc:
            raise ConfigError(f"{where} timezone: {org.timezone!r}: {exc.rule}") from None
        if org.contact and not re.fullmatch(r"[^@\s\"<>:;,]+@[^@\s\"<>:;,]+", org.contact):
            raise ConfigError(
                f"{where} contact: {org.contact!r} is not an email address "
                "(e.g. organizers@example.org)"
            )
        for table_name in ("alert_channels", "moderation_channels"):
            for platform in getattr(org, table_name):
                if platform not in PLATFORMS:
                    raise ConfigError(f"{where} {table_name}: unknown platform {platform!r}")
        for role_name in ("organizers", "admins"):
            for group in getattr(org, role_name).slack_usergroups:
                if not SLACK_USERGROUP_ID.fullmatch(group):
                    raise ConfigError(
                        f"{where} {role_name}.slack_usergroups: {group!r} is not a user group id "
                        "(S and capital letters or digits, e.g. S0123ABCD); user groups match "
                        "by id only"
                    )
        for space in org.spaces():
            if space in spaces:
                raise ConfigError(
                    f"{where}: {space[0]} space {space[1]} also belongs to {spaces[space]}"
                )
            spaces[space] = org.slug


def _validate_web(config: Config) -> None:
    """Check [web]: a port, a host, and a base_url that is an http(s) address of a site."""
    src, web = config.source, config.web
    if not 0 <= web.port <= 65535:
        raise ConfigError(f"{src}: [web] port: must be from 0 to 65535")
    if not web.host.strip():
        raise ConfigError(f"{src}: [web] host: must not be empty (0.0.0.0 listens everywhere)")
    if web.base_url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", web.base_url):
        raise ConfigError(
            f"{src}: [web] base_url: {web.base_url!r} is not an http:// or https:// address "
            "without ? or # (e.g. https://rally.example.org)"
        )
    web.base_url = web.base_url.rstrip("/")


def _validate_metrics(config: Config) -> None:
    """Check [metrics]: a port, a host, and a token long enough not to be guessed."""
    src, metrics = config.source, config.metrics
    if not 0 <= metrics.port <= 65535:
        raise ConfigError(f"{src}: [metrics] port: must be from 0 to 65535")
    if not metrics.host.strip():
        raise ConfigError(f"{src}: [metrics] host: must not be empty (127.0.0.1: this machine)")
    token = metrics.token
    if token and (len(token) < 16 or not re.fullmatch(r"[\x21-\x7e]+", token)):
        raise ConfigError(
            f"{src}: [metrics] token: must be at least 16 characters, without spaces "
            "(for example the output of: openssl rand -hex 32)"
        )


def demo_org(*, named_channels: bool = False) -> OrgConfig:
    """The organization `rallybot console` uses when the configuration lists none; with
    ``named_channels``, its Slack and Discord channels have names, as a configuration gives
    them ("CALERTS#alerts"), else they are known by their ids."""
    names = {
        ("slack", "CALERTS"): "alerts",
        ("slack", "CMODS"): "moderation",
        ("discord", "200000000000000001"): "alerts",
        ("discord", "200000000000000002"): "moderation",
    }
    return OrgConfig(
        slug="demo",
        name="Demo Library Workers",
        timezone="America/Chicago",
        slack_team_ids=["TDEMO"],
        discord_guild_ids=["100000000000000001"],
        alert_channels={
            "console": ["alerts"],
            "slack": ["CALERTS"],
            "discord": ["200000000000000001"],
        },
        moderation_channels={
            "console": ["moderation"],
            "slack": ["CMODS"],
            "discord": ["200000000000000002"],
        },
        organizers=RoleSources(console_roles=["organizer"]),
        admins=RoleSources(console_roles=["admin"]),
        members_may_create_polls=True,
        channel_names=names if named_channels else {},
    )
