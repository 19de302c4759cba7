"""The organizers' dashboard as HTML: its pages (Jinja2 templates ``dash_*.html``, escaped
throughout, the tracker's style sheet) and the core's replies shown as sections of a page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.web.render import ENV
from bot.reply import Reply

#: the dashboard's pages, in the order its menu lists them: (path, label)
MENU = (
    ("/dashboard", "Reports to review"),
    ("/dashboard/alerts", "Alerts"),
    ("/dashboard/events", "Events"),
    ("/dashboard/polls", "Polls"),
    ("/dashboard/downloads", "Downloads"),
    ("/dashboard/audit", "Audit log"),
)


@dataclass(frozen=True)
class Section:
    """A reply of the core shown on a page: its title, lines of text, fields and table."""

    title: str
    lines: list[str]
    fields: list[tuple[str, str]]
    headers: list[str]
    rows: list[list[str]]
    error: bool
    link: str = ""


def section(reply: Reply, *, title: str = "", link: str = "") -> Section:
    """A reply as a section of a page, under ``title`` when the reply has none, with a
    link to more when given."""
    table = reply.table
    return Section(
        title=str(reply.title) or title,
        lines=[line for line in str(reply.text).splitlines() if line.strip()],
        fields=[(str(name), str(value)) for name, value in reply.fields],
        headers=[] if table is None else [str(h) for h in table.headers],
        rows=[] if table is None else [[str(cell) for cell in row] for row in table.rows],
        error=reply.error,
        link=link,
    )


def page(template: str, **values: Any) -> bytes:
    """A dashboard page, rendered."""
    return ENV.get_template(template).render(menu=MENU, **values).encode("utf-8")
