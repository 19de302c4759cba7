"""All Discord rendering: the core's Reply as content, embeds, components, files and modals.

Discord's limits are kept here and nowhere else: message content 2,000 characters, an
embed's title 256, description 4,096, 25 fields (name 256, value 1,024) and 6,000 in
total; 5 action rows of 5 buttons, labels 80, custom ids 100, menus of 25 options; modal
titles and input labels 45, 5 inputs. Longer text is cut with an ellipsis
(``bot.reply.truncate``), never refused by Discord. A short plain answer is message
content; anything with a title, fields, a table or more text than content allows is an
embed. Charts are shown inside the embed; other files (CSV, .ics) are attachments.

Every message says which mentions may ping (``allowed_mentions``): none, so that
``@everyone`` or a role mention in text a member typed is shown but pings no one. An
organizer's ``notify:`` on a channel post (``with_ping``) allows exactly the mention asked
for. A Discord channel a reply names is written ``<#id>``, which Discord shows as the
channel's name (it pings no one); a channel of another platform is shown by its configured
name. Every time in message content, an embed's description and its field values is a
Discord timestamp (``stamps.py``), shown on each reader's own clock; titles, field names,
buttons, menus and modals keep the plain text of the event's zone, where Discord shows no
timestamp. Text is cut (``stamps.fit``) never inside a timestamp or a mention.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import discord

from adapters.discord.components import ActionButton, ActionSelect, FormStep
from adapters.discord.stamps import fit, once, time_markup
from bot.config import DISCORD_ROLE_ID
from bot.options import NOTIFY_ALL
from bot.reply import Action, File, Form, FormField, Reply, Select, format_table, truncate
from bot.timefmt import Channel, render_text

MAX_CONTENT = 2000
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_EMBED_TOTAL = 6000
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_ROWS = 5
MAX_PER_ROW = 5
MAX_LABEL = 80
MAX_OPTIONS = 25
MAX_OPTION_TEXT = 100
MAX_PLACEHOLDER = 150
MAX_MODAL_TITLE = 45
MAX_MODAL_INPUTS = 5
MAX_INPUT_LENGTH = 4000
MAX_FILE_DESCRIPTION = 1024
#: what a message may ping unless an organizer asked for more: nothing
NO_MENTIONS = discord.AllowedMentions.none()
ERROR_COLOUR = discord.Colour.red()
COLOUR = discord.Colour.blurple()

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
    "default": discord.ButtonStyle.secondary,
}


@dataclass
class Rendered:
    """A reply ready for discord.py: pass ``kwargs()`` to ``send``/``send_message``."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None
    files: list[File] = field(default_factory=list)
    ephemeral: bool = True
    allowed_mentions: discord.AllowedMentions = NO_MENTIONS

    def discord_files(self) -> list[discord.File]:
        """Fresh file objects (discord.py consumes them on each send)."""
        return [
            discord.File(
                io.BytesIO(f.data),
                filename=f.name,
                description=truncate(f.description, MAX_FILE_DESCRIPTION) or None,
            )
            for f in self.files
        ]

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for a new message."""
        out: dict[str, Any] = {
            "content": self.content,
            "embeds": self.embeds,
            "allowed_mentions": self.allowed_mentions,
        }
        if self.view is not None:
            out["view"] = self.view
        if self.files:
            out["files"] = self.discord_files()
        return out

    def edit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for an edit (replacing content, embeds, buttons and files)."""
        return {
            "content": self.content,
            "embeds": self.embeds,
            "view": self.view,
            "attachments": self.discord_files(),
            "allowed_mentions": self.allowed_mentions,
        }


def _is_image(file: File) -> bool:
    return file.mime.startswith("image/")


def marked(text: str) -> str:
    """A reply's text as Discord markdown: its channels as mentions, its times as
    timestamps."""
    return once(render_text(text, channel=channel_mention, time=time_markup))


def _embed(reply: Reply, text: str) -> discord.Embed:
    """The reply's title, text, table and fields in one embed within 6,000 characters."""
    budget = MAX_EMBED_TOTAL
    title = truncate(reply.title, MAX_TITLE) if reply.title else None
    budget -= len(title or "")
    parts = [text] if text else []
    if reply.table is not None:
        parts.append("```\n" + format_table(reply.table) + "\n```")
    description = "\n".join(parts)
    field_texts = [
        (
            truncate(name, MAX_FIELD_NAME) or "\u200b",
            fit(marked(value), MAX_FIELD_VALUE) or "\u200b",
        )
        for name, value in reply.fields[:MAX_FIELDS]
    ]
    fields_size = sum(len(n) + len(v) for n, v in field_texts)
    room = min(MAX_DESCRIPTION, budget - min(fields_size, budget // 2))
    if len(description) > room and reply.table is not None and description.endswith("```"):
        # keep the code block closed when the table is cut
        inner = fit(description[:-4], max(room - 4, 0))
        description = inner + "\n```" if inner.count("```") % 2 else inner
    description = fit(description, room)
    budget -= len(description)
    embed = discord.Embed(
        title=title,
        description=description or None,
        colour=ERROR_COLOUR if reply.error else COLOUR,
    )
    for name, value in field_texts:
        cost = len(name) + len(value)
        if cost > budget:
            value = fit(value, budget - len(name))
            if len(value) < 2:
                break
            cost = len(name) + len(value)
        embed.add_field(name=name, value=value, inline=len(value) <= 40)
        budget -= cost
    image = next((f for f in reply.files if _is_image(f)), None)
    if image is not None:
        embed.set_image(url=f"attachment://{image.name}")
    return embed


def view_of(actions: list[Action | Select]) -> discord.ui.View | None:
    """Buttons five to a row and each menu on its own row, at most five rows."""
    if not actions:
        return None
    view = discord.ui.View(timeout=None)
    row, in_row = 0, 0
    for item in actions:
        if isinstance(item, Select):
            if in_row:
                row, in_row = row + 1, 0
            if row >= MAX_ROWS:
                break
            options = [
                discord.SelectOption(
                    label=truncate(label, MAX_OPTION_TEXT) or "—",
                    value=truncate(value, MAX_OPTION_TEXT),
                )
                for label, value in item.options[:MAX_OPTIONS]
            ]
            if not options:
                continue
            select: discord.ui.Select[Any] = discord.ui.Select(
                custom_id=item.id,
                placeholder=truncate(item.placeholder, MAX_PLACEHOLDER) or None,
                options=options,
            )
            menu = ActionSelect(select)
            menu.row = row
            view.add_item(menu)
            row += 1
            continue
        if in_row == MAX_PER_ROW:
            row, in_row = row + 1, 0
        if row >= MAX_ROWS:
            break
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=truncate(item.label, MAX_LABEL) or "—",
            custom_id=item.id,
            style=_STYLES.get(item.style, discord.ButtonStyle.secondary),
            disabled=item.disabled,
        )
        wrapped = ActionButton(button)
        wrapped.row = row
        view.add_item(wrapped)
        in_row += 1
    return view if view.children else None


#: a link not already in angle brackets
_BARE_LINK = re.compile(r"(?<!<)(https?://[^\s<>]+)")


def channel_mention(channel: Channel) -> str | None:
    """A Discord channel as ``<#id>`` (Discord shows its name); None for another platform's
    channel, shown by name as text."""
    return f"<#{channel.id}>" if channel.platform == "discord" else None


def without_previews(text: str) -> str:
    """Every link of ``text`` in angle brackets, which Discord shows without a preview."""
    return _BARE_LINK.sub(r"<\1>", text)


def render(reply: Reply) -> Rendered:
    """The reply as a Discord message (a form is rendered by ``modal`` instead)."""
    text = marked(reply.text)
    if reply.no_previews:
        text = without_previews(text)
    rich = bool(reply.title or reply.fields or reply.table is not None)
    rich = rich or len(text) > MAX_CONTENT or any(_is_image(f) for f in reply.files)
    if reply.form is not None and reply.form.error:
        text = f"{text}\n{reply.form.error}".strip()
    rendered = Rendered(files=list(reply.files), ephemeral=reply.ephemeral)
    if rich:
        rendered.embeds = [_embed(reply, text)]
    else:
        rendered.content = fit(text, MAX_CONTENT) if text else None
    if rendered.content is None and not rendered.embeds and not reply.files:
        rendered.content = "Done."
    rendered.view = view_of(reply.actions)
    return rendered


def with_ping(rendered: Rendered, notify: str, roles: Mapping[str, int]) -> Rendered | None:
    """A channel post with the organizer's ping in front, allowing that mention only:
    ``here`` is ``@here``, ``channel`` and ``everyone`` are ``@everyone`` (Discord governs
    both with its ``everyone`` flag), a role id or a name in ``roles`` (the guild's roles by
    name) is that role. None when ``notify`` names no role of the guild."""
    if notify in NOTIFY_ALL:
        mention = "@here" if notify == "here" else "@everyone"
        allowed = discord.AllowedMentions(
            everyone=True, users=False, roles=False, replied_user=False
        )
    else:
        role_id = int(notify) if DISCORD_ROLE_ID.fullmatch(notify) else roles.get(notify)
        if role_id is None:
            return None
        mention = f"<@&{role_id}>"
        allowed = discord.AllowedMentions(
            everyone=False, users=False, roles=[discord.Object(role_id)], replied_user=False
        )
    room = MAX_CONTENT - len(mention) - 1
    content = f"{mention} {fit(rendered.content, room)}" if rendered.content else mention
    return replace(rendered, content=content, allowed_mentions=allowed)


def render_form_as_text(reply: Reply) -> Rendered:
    """A form that cannot open as a modal (the answer came late): say what to type."""
    assert reply.form is not None
    form = reply.form
    known = [f"{name}:{value}" for name, value in form.args.items()]
    names = [f"{f.name}:…" for f in form.fields if f.required and f.name not in form.args]
    hint = " ".join([f"/{form.command}", *known, *names])
    return render(Reply(text=f"{reply.text}\nType it as: `{hint}`".strip(), error=True))


def form_pages(form: Form) -> list[list[FormField]]:
    """The form's inputs in modals of at most five: required ones first, then those with a
    value, then the rest. A longer form becomes several steps."""
    ordered = sorted(form.fields, key=lambda f: (not f.required, not f.default))
    pages = [ordered[i : i + MAX_MODAL_INPUTS] for i in range(0, len(ordered), MAX_MODAL_INPUTS)]
    return pages or [[]]


def modal(
    form: Form,
    page: int = 0,
    custom_id: str | None = None,
    answers: dict[str, str] | None = None,
) -> discord.ui.Modal:
    """One step of the form as a modal; its custom id is the form's action id when the form
    fits in one modal (``custom_id`` names the step of a longer one). ``answers`` given so
    far are shown again in their inputs (the steps stay those of the form as first shown)."""
    pages = form_pages(form)
    answers = answers or {}
    title = form.title if len(pages) == 1 else f"{form.title} ({page + 1}/{len(pages)})"
    if len(title) > MAX_MODAL_TITLE and len(pages) > 1:
        title = truncate(form.title, MAX_MODAL_TITLE - 6) + f" ({page + 1}/{len(pages)})"
    box = discord.ui.Modal(
        title=truncate(title, MAX_MODAL_TITLE) or "rallybot",
        custom_id=custom_id or form.id,
        timeout=900,
    )
    for item in pages[page]:
        hint = item.help
        if item.choices:
            hint = "one of: " + ", ".join(item.choices)
        limit = max(1, min(item.max_length, MAX_INPUT_LENGTH))
        box.add_item(
            discord.ui.TextInput(
                label=truncate(item.label, MAX_MODAL_TITLE) or item.name,
                custom_id=item.name,
                required=item.required,
                default=truncate(answers.get(item.name, item.default), limit) or None,
                max_length=limit,
                placeholder=truncate(hint, MAX_OPTION_TEXT) or None,
                style=discord.TextStyle.paragraph if item.long else discord.TextStyle.short,
            )
        )
    return box


def _step_view(buttons: list[tuple[str, str, discord.ButtonStyle]]) -> discord.ui.View:
    """A view of buttons (label, custom id, style) between the steps of a long form; they
    keep working after a restart."""
    view = discord.ui.View(timeout=None)
    for label, custom_id, style in buttons:
        view.add_item(FormStep(discord.ui.Button(label=label, custom_id=custom_id, style=style)))
    return view


def step_done(form: Form, page: int, continue_id: str, send_id: str | None) -> Rendered:
    """The answer between two steps of a long form: Continue, and Send now when every
    required field is filled."""
    total = len(form_pages(form))
    buttons = [(f"Continue ({page + 2}/{total})", continue_id, discord.ButtonStyle.primary)]
    if send_id is not None:
        buttons.append(("Send now", send_id, discord.ButtonStyle.secondary))
    view = _step_view(buttons)
    text = f"Step {page + 1} of {total} of *{truncate(form.title, 200)}* is saved for 15 minutes."
    return Rendered(content=text, view=view, ephemeral=True)


def refused_page(form: Form, reply: Reply) -> int | None:
    """The first step holding a field the refusal names (``lead_meeting``), or None if the
    reply is not a refusal of one of the form's values."""
    if not reply.error:
        return None
    named = {error.field for error in reply.errors}
    for number, page in enumerate(form_pages(form)):
        if any(item.name in named for item in page):
            return number
    return None


def correct_view(form: Form, page: int, step_custom_id: str) -> discord.ui.View:
    """A button back to the step of a long form that holds a refused value."""
    total = len(form_pages(form))
    label = f"Correct it ({page + 1}/{total})"
    return _step_view([(label, step_custom_id, discord.ButtonStyle.primary)])


def modal_values(data: dict[str, Any]) -> dict[str, str]:
    """The text typed into a submitted modal, by input."""
    values: dict[str, str] = {}
    for row in data.get("components") or []:
        for item in row.get("components") or [row.get("component") or {}]:
            if item.get("custom_id") is not None and item.get("value") is not None:
                values[str(item["custom_id"])] = str(item["value"])
    return values
