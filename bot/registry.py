"""Commands, declared once: name, typed options, required role, help and handler.

A feature module makes a ``CommandGroup`` and decorates its handlers; the application puts
the groups in a ``Registry``, from which every adapter builds its platform's surface.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from bot import posts
from bot.errors import FieldError, InvalidFields, MissingFields, ValidationError
from bot.grammar import Token
from bot.options import Option
from bot.suggest import did_you_mean

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from bot.config import Config
    from bot.context import Context
    from bot.reply import Reply
    from bot.scheduler import DueContext
    from bot.unit import UnitOfWork

Handler = Callable[..., Awaitable["Reply"]]
MemberHook = Callable[["Context", int], Awaitable[Any]]
MergeHook = Callable[["Context", int, int], Awaitable[None]]
DueHandler = Callable[["DueContext"], Awaitable[None]]
DigestHook = Callable[["DueContext", int, "datetime"], Awaitable[list[str]]]
Render = Callable[["UnitOfWork", int], Awaitable["Reply | None"]]
#: a file a feature serves to one member of one organization (org id, member id)
FeedRender = Callable[["UnitOfWork", int, int], Awaitable[bytes]]


@dataclass(frozen=True)
class LiveView:
    """How a feature shows one kind of subject in its channel posts (see ``bot.posts``)."""

    #: the post as it should look now; None leaves the posts as they are
    render: Render
    #: the outbox kind of the posts' edits (its priority class comes with it)
    edit_kind: str
    #: for subjects refreshed as people answer: the interval that coalesces the edits
    interval: Callable[[Config], timedelta] | None = None


class Role(enum.IntEnum):
    """What a person may do in an organization; each role includes the ones below it."""

    MEMBER = 1
    ORGANIZER = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        """The role's name as people read it."""
        return self.name.lower()


@dataclass(frozen=True)
class Command:
    """One command, e.g. ``/event rsvp``."""

    group: str
    action: str
    handler: Handler
    options: tuple[Option, ...] = ()
    role: Role = Role.MEMBER
    help: str = ""
    #: the option that takes words written without a key, if any
    positional: str | None = None
    #: shown on a form asking for missing fields
    form_title: str = ""
    #: the handler only reads: its unit of work never holds SQLite's writer
    read_only: bool = False
    #: the handler writes only through ``UnitOfWork.apart`` (an anonymous ballot): where
    #: rows keep their transaction's id its own unit only reads, and what it writes apart
    #: goes in units of their own once it has ended; on SQLite, which keeps none, its unit
    #: holds the writer and what it writes apart is written in it
    writes_apart: bool = False
    #: run with the same options in a unit of work of its own that commits before the
    #: handler's opens (a write that must share no transaction with the handler's)
    before: Handler | None = None
    #: the answer is for the channel, not only the person who asked; adapters answer
    #: slowly in the same visibility (a refusal is private all the same)
    public: bool = False
    #: counted in /metrics (commands and answer times); False where its very arrival must
    #: not be seen from outside (a layoff report, anonymous by default)
    counted: bool = True

    @property
    def name(self) -> str:
        """``group action``, or just ``group`` for a group's own command."""
        return f"{self.group} {self.action}".strip()

    def option(self, name: str) -> Option | None:
        """The option with this name."""
        for opt in self.options:
            if opt.name == name:
                return opt
        return None

    def usage(self) -> str:
        """A one-line synopsis: required options plain, optional ones in brackets."""
        parts = [f"/{self.name}"]
        for opt in self.options:
            parts.append(f"{opt.name}:…" if opt.required else f"[{opt.name}:…]")
        return " ".join(parts)

    def check(self, raw: dict[str, str]) -> list[FieldError]:
        """Every error in ``raw`` at once, in the order of the options: each required
        option not given, and each value that breaks its option's rule."""
        errors: list[FieldError] = []
        for opt in self.options:
            text = raw.get(opt.name)
            if text is None:
                if opt.required:
                    errors.append(FieldError(opt.name, "is needed"))
                continue
            try:
                opt.parse(text)
            except ValidationError as exc:
                errors.extend(exc.errors)
        return errors

    def parse(self, raw: dict[str, str], *, check_required: bool = True) -> dict[str, Any]:
        """Validate raw option text into values; every option appears, missing ones as None.

        Every value that breaks its option's rule is named in one refusal."""
        values: dict[str, Any] = {}
        missing = []
        invalid: list[ValidationError] = []
        for opt in self.options:
            text = raw.get(opt.name)
            if text is None:
                if opt.required:
                    missing.append(opt.name)
                values[opt.name] = None
            else:
                try:
                    values[opt.name] = opt.parse(text)
                except ValidationError as exc:
                    invalid.append(exc)
        if len(invalid) == 1:
            raise invalid[0]
        if invalid:
            raise InvalidFields([error for exc in invalid for error in exc.errors])
        if missing and check_required:
            raise MissingFields(self.name, missing)
        return values


@dataclass(frozen=True)
class HomeSection:
    """A part of a person's home page (Slack's App Home): a heading over what one of the
    feature's commands answers the person, run with no options; ``rank`` orders the parts,
    smallest first."""

    heading: str
    command: str
    rank: int


@dataclass
class CommandGroup:
    """The commands of one feature (``/layoff``, ``/alert``, …) and its privacy hooks."""

    name: str
    help: str = ""
    commands: dict[str, Command] = field(default_factory=dict)
    exporters: list[MemberHook] = field(default_factory=list)
    erasers: list[MemberHook] = field(default_factory=list)
    mergers: list[MergeHook] = field(default_factory=list)
    due_handlers: dict[str, DueHandler] = field(default_factory=dict)
    digests: list[DigestHook] = field(default_factory=list)
    live_views: dict[str, LiveView] = field(default_factory=dict)
    home_sections: list[HomeSection] = field(default_factory=list)
    feeds: dict[str, FeedRender] = field(default_factory=dict)

    def command(
        self,
        action: str = "",
        *,
        options: Iterable[Option] = (),
        role: Role = Role.MEMBER,
        help: str = "",
        positional: str | None = None,
        form_title: str = "",
        read_only: bool = False,
        writes_apart: bool = False,
        before: Handler | None = None,
        public: bool = False,
        counted: bool = True,
    ) -> Callable[[Handler], Handler]:
        """Declare a handler as ``/<group> <action>``."""

        def register(handler: Handler) -> Handler:
            if action in self.commands:
                raise ValueError(f"/{self.name} {action} is declared twice")
            self.commands[action] = Command(
                group=self.name,
                action=action,
                handler=handler,
                options=tuple(options),
                role=role,
                help=help or (handler.__doc__ or "").strip().partition("\n")[0],
                positional=positional,
                form_title=form_title,
                read_only=read_only,
                writes_apart=writes_apart,
                before=before,
                public=public,
                counted=counted,
            )
            return handler

        return register

    def on_export(self, hook: MemberHook) -> MemberHook:
        """Register what this feature adds to a member's `/privacy export`."""
        self.exporters.append(hook)
        return hook

    def on_erase(self, hook: MemberHook) -> MemberHook:
        """Register how this feature forgets a member on `/privacy delete`."""
        self.erasers.append(hook)
        return hook

    def on_merge(self, hook: MergeHook) -> MergeHook:
        """Register how this feature joins two members' records when `/link` merges them."""
        self.mergers.append(hook)
        return hook

    def on_due(self, kind: str) -> Callable[[DueHandler], DueHandler]:
        """Register what happens when a due item of ``kind`` falls due (or was missed)."""

        def register(handler: DueHandler) -> DueHandler:
            self.due_handlers[kind] = handler
            return handler

        return register

    def live_view(
        self,
        subject_kind: str,
        *,
        edit_kind: str,
        interval: Callable[[Config], timedelta] | None = None,
    ) -> Callable[[Render], Render]:
        """Register how this feature's channel posts about a ``subject_kind`` look now."""

        def register(render: Render) -> Render:
            self.live_views[subject_kind] = LiveView(render, edit_kind, interval)
            return render

        return register

    def on_digest(self, hook: DigestHook) -> DigestHook:
        """Register this feature's lines for the weekly digest (none: nothing to say)."""
        self.digests.append(hook)
        return hook

    def feed(self, kind: str) -> Callable[[FeedRender], FeedRender]:
        """Register the file this feature serves a member at a private address of ``kind``
        (the web adapter serves it; ``calendar``: ``GET /calendar/<token>.ics``)."""

        def register(render: FeedRender) -> FeedRender:
            self.feeds[kind] = render
            return render

        return register

    def home_section(self, heading: str, action: str = "", *, rank: int) -> None:
        """Show ``/<group> <action>`` (as the person, with no options) on their home page under
        ``heading``, at ``rank`` among every feature's sections (smallest first)."""
        self.home_sections.append(HomeSection(heading, f"{self.name} {action}".strip(), rank))


def _needs_quotes(raw: dict[str, str], trailing: dict[str, list[str]], key: str) -> NoReturn:
    """Refuse a value typed with spaces but without quotes (``employer:Oak Park PL``),
    showing it quoted."""
    value = " ".join([raw[key], *trailing[key]]).replace("\\", "\\\\").replace('"', '\\"')
    raise ValidationError(key, f'a value with spaces needs quotes: {key}:"{value}"')


class Registry:
    """Every command the application offers."""

    def __init__(self, groups: Iterable[CommandGroup]) -> None:
        self.groups: dict[str, CommandGroup] = {}
        for group in groups:
            if group.name in self.groups:
                raise ValueError(f"/{group.name} is declared twice")
            self.groups[group.name] = group
        for section in self.home_sections():
            group_name, _, action = section.command.partition(" ")
            if action not in self.groups[group_name].commands:
                raise ValueError(f"the home section {section.heading!r} shows no command")

    def __iter__(self):  # type: ignore[no-untyped-def]
        for group in self.groups.values():
            yield from group.commands.values()

    def _joined(self, table: str, what: str, start: dict[str, Any]) -> dict[str, Any]:
        """``start`` and every group's table named ``table``, refusing a key declared twice."""
        joined = dict(start)
        for group in self.groups.values():
            for kind, value in getattr(group, table).items():
                if kind in joined:
                    raise ValueError(f"{what} {kind!r} are declared twice")
                joined[kind] = value
        return joined

    def due_handlers(self) -> dict[str, DueHandler]:
        """Every feature's due-item handlers by kind, and the refresh of live posts."""
        return self._joined(
            "due_handlers", "handlers of due items of kind", {posts.REFRESH: posts.refresh_due}
        )

    def live_views(self) -> dict[str, LiveView]:
        """Every feature's live views by subject kind."""
        return self._joined("live_views", "live views of posts about", {})

    def feeds(self) -> dict[str, FeedRender]:
        """Every feature's private files by kind."""
        return self._joined("feeds", "feeds of kind", {})

    def home_sections(self) -> list[HomeSection]:
        """Every feature's parts of a person's home page, in rank order."""
        found = [s for group in self.groups.values() for s in group.home_sections]
        return sorted(found, key=lambda s: s.rank)

    def get(self, name: str) -> Command:
        """The command with this full name (``event rsvp``)."""
        group_name, _, action = name.partition(" ")
        group = self.groups.get(group_name)
        if group is None or action not in group.commands:
            raise ValidationError("command", f"/{name} is not a command; try /help")
        return group.commands[action]

    def resolve(self, group_name: str, tokens: list[Token]) -> tuple[Command, dict[str, str]]:
        """Find the command a line names and collect its raw option text."""
        group = self.groups.get(group_name)
        if group is None or not group.commands:
            known = [name for name, g in self.groups.items() if g.commands]
            hint = did_you_mean(group_name, known, "/{}")
            raise ValidationError("command", f"/{group_name} is not a command{hint}; try /help")
        rest = list(tokens)
        if rest and rest[0].key is None and rest[0].value.lower() in group.commands:
            command = group.commands[rest.pop(0).value.lower()]
        elif "" in group.commands:
            command = group.commands[""]
        else:
            actions = ", ".join(sorted(a for a in group.commands if a))
            given = ""
            if rest and rest[0].key is None:
                hint = did_you_mean(rest[0].value, [a for a in group.commands if a])
                given = f" ({rest[0].value!r} is not one{hint})"
            raise ValidationError("action", f"/{group_name} needs one of: {actions}{given}")
        raw: dict[str, str] = {}
        words: list[str] = []
        # the bare words right after each key:value, most likely the rest of an unquoted value
        trailing: dict[str, list[str]] = {}
        last_key: str | None = None
        for token in rest:
            if token.key is None:
                words.append(token.value)
                if last_key is not None:
                    trailing.setdefault(last_key, []).append(token.value)
                continue
            last_key = token.key
            if command.option(token.key) is None:
                known = ", ".join(o.name for o in command.options) or "none"
                hint = did_you_mean(token.key, [o.name for o in command.options], "{}:")
                raise ValidationError(
                    token.key, f"is not an option of /{command.name}{hint} (options: {known})"
                )
            if token.key in raw:
                raise ValidationError(token.key, "is given twice; give it once")
            raw[token.key] = token.value
        if trailing:  # a bare word after a key:value is the rest of that value, unquoted
            _needs_quotes(raw, trailing, next(iter(trailing)))
        if words:
            if command.positional is None:
                raise ValidationError(
                    "text",
                    f"{words[0]!r} has no key; write options as key:value (see /help {group_name})",
                )
            if command.positional in raw:
                raise ValidationError(command.positional, "is given twice; give it once")
            raw[command.positional] = " ".join(words)
        return command, raw
