"""What members see of an alert: its channel post with the live (or final) tally, the
direct message with each member's own script and contacts, and its buttons."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.options import (
    US_STATES,
)
from bot.reply import Action, Reply
from bot.timefmt import Moment, TimedText
from commands.alerts.options import placeholders
from storage.alerts import AlertRecord, Counts, Recipient, TargetRecord

KIND_LABELS = {
    "sign-on": "Sign-on letter",
    "call": "Call",
    "email": "Email",
    "show-up": "Show up",
    "other": "Action",
}


def alert_buttons(alert: AlertRecord, *, disabled: bool = False) -> list[Action]:
    """Sign on (for a letter), I took action and Not for me: the typed commands, as buttons."""
    sign_on = alert.kind == "sign-on"

    def button(label: str, action: str, style: str = "default") -> Action:
        args = {"id": str(alert.id)}
        return Action(label, f"alert {action}", args, style=style, disabled=disabled)

    return [
        *([button("Sign on", "sign", "primary")] if sign_on else []),
        button("I took action", "acted", "default" if sign_on else "primary"),
        button("Not for me", "decline"),
    ]


def typed_line(alert: AlertRecord) -> str:
    """The commands that answer the alert, for those who type."""
    actions = (["sign"] if alert.kind == "sign-on" else []) + ["acted", "decline"]
    return "Or type " + " · ".join(f"/alert {a} id:{alert.id}" for a in actions)


def tally_line(alert: AlertRecord, counts: Counts) -> str:
    """How many signed (on a letter) and acted."""
    acted = f"{counts.acted} acted"
    return f"{counts.signed} signed · {acted}" if alert.kind == "sign-on" else acted


def alert_reply(
    alert: AlertRecord,
    tz: ZoneInfo,
    middle: list[str],
    end: list[str],
    *,
    now: datetime,
    closed: bool = False,
) -> Reply:
    """The alert as members see it: body, ``middle``, link, deadline, ``end``, buttons."""
    lines: list[str] = [alert.body, *middle]
    if alert.link:
        lines.append(f"More: {alert.link}")
    if alert.deadline and not closed:
        lines.append(TimedText("Closes ", Moment(alert.deadline, tz.key, None, now), "."))
    lines += end if closed else [*end, typed_line(alert)]
    return Reply(
        title=f"{KIND_LABELS[alert.kind]}: {alert.title} (alert {alert.id})",
        text=TimedText.join("\n\n", lines),
        actions=alert_buttons(alert, disabled=closed),
        ephemeral=False,
    )


def alert_post(alert: AlertRecord, counts: Counts, tz: ZoneInfo, *, now: datetime) -> Reply:
    """The alert as posted in a channel, with the live tally (or the final one)."""
    tally = tally_line(alert, counts)
    if alert.state == "cancelled":
        end = ["Cancelled. This alert was sent in error; nothing more is asked of you."]
        cancelled = alert_reply(alert, tz, [], end, now=now, closed=True)
        return replace(cancelled, title=f"Cancelled: {cancelled.title}")
    if alert.state == "closed":
        end = [f"Closed. Final: {tally}. Thank you, everyone who took part."]
        return alert_reply(alert, tz, [], end, now=now, closed=True)
    return alert_reply(
        alert, tz, [], [tally, f"Your script and contacts: /alert show id:{alert.id}"], now=now
    )


def _spoken(target: TargetRecord) -> str:
    """A target as the script says it: the name, and the office when there is one."""
    return f"{target.name} ({target.office})" if target.office else target.name


def _spoken_list(names: list[str]) -> str:
    """Names as said aloud: "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _contact(target: TargetRecord) -> str:
    """A target with the details to reach them: office, phone, email."""
    details = ", ".join(p for p in (target.office, target.phone, target.email) if p)
    return f"{target.name} ({details})" if details else target.name


def _contacts(mine: list[TargetRecord]) -> str:
    """Who to contact, with their details: on the same line for one, a line each for more."""
    if len(mine) == 1:
        return f"Who to contact: {_contact(mine[0])}"
    return "Who to contact:\n" + "\n".join(f"• {_contact(t)}" for t in mine)


def alert_dm(
    alert: AlertRecord,
    targets: list[TargetRecord],
    who: Recipient,
    tz: ZoneInfo,
    *,
    now: datetime,
) -> Reply:
    """The alert for one member: their script (read aloud, so contact details stay out of it)
    and the contacts for their state and district, each with their details."""
    state_name = US_STATES.get(who.state, who.state) if who.state else None
    mine = [
        t
        for t in targets
        if t.state == who.state
        and (t.district is None or who.district is None or t.district == who.district)
    ]
    middle = []
    if alert.script:
        filled = alert.script.format(
            name=who.name,
            state=state_name or "[your state]",
            target=_spoken_list([_spoken(t) for t in mine]) if mine else "your representative",
        )
        middle.append(f"What to say:\n{filled}")
    if mine:
        middle.append(_contacts(mine))
    elif targets and state_name:
        middle.append(f"This alert lists no one to contact in {state_name}.")
    if not state_name and (targets or "state" in placeholders(alert.script or "")):
        middle.append(
            "Your profile has no state: set it (e.g. /profile state:IL) to have your state "
            "and who to contact filled in."
        )
    return alert_reply(alert, tz, middle, [], now=now)
