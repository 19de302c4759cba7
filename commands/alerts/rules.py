"""The rules of an alert, pure: when it has closed, when it takes answers, and when it may
be sent. Nothing here reads the database or a command's context."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.closing import closed_since
from bot.errors import UserError, ValidationError
from bot.timefmt import local_time
from storage.alerts import AlertRecord

#: the states in which members see an alert
OPEN = ("sent",)


def closed_at(alert: AlertRecord, now: datetime) -> datetime | None:
    """When the alert closed (its deadline may have passed before the closing ran)."""
    return closed_since(alert.state, alert.closed_at, alert.deadline, now)


def check_open(alert: AlertRecord, now: datetime, tz: ZoneInfo) -> None:
    """Refuse an answer to an alert not sent yet or closed (saying when, in ``tz``)."""
    if alert.state in ("draft", "scheduled"):
        raise UserError(f"Alert {alert.id} has not been sent yet.")
    if alert.state == "cancelled":
        raise UserError(f"Alert {alert.id} was cancelled.")
    closed = closed_at(alert, now)
    if closed is not None:
        raise UserError(f"Alert {alert.id} closed on {local_time(closed, tz, now=now)}.")


def check_send_at(alert: AlertRecord, send_at: datetime, now: datetime, tz: ZoneInfo) -> None:
    """An alert with a deadline goes out before it (said in ``tz``), and not once it passed."""
    if alert.deadline is not None:
        if alert.deadline <= now:
            raise ValidationError(
                "id", f"alert {alert.id}'s deadline has passed; create it again with a later one"
            )
        if send_at >= alert.deadline:
            raise ValidationError(
                "at", f"must be before the deadline, {local_time(alert.deadline, tz, now=now)}"
            )


def check_script(script: str | None, has_targets: bool, uses_target: bool) -> None:
    """A script that names {target} needs contacts to fill it in."""
    if script and uses_target and not has_targets:
        raise ValidationError(
            "script", "uses {target}, which needs targets (targets:…); or write who to contact"
        )


def check_changeable(alert: AlertRecord, now: datetime, tz: ZoneInfo) -> None:
    """An alert can be edited, closed or cancelled until it closes or is cancelled."""
    if alert.state == "cancelled":
        raise ValidationError("id", f"alert {alert.id} was cancelled")
    closed = closed_at(alert, now)
    if closed is not None:
        raise ValidationError("id", f"alert {alert.id} closed on {local_time(closed, tz, now=now)}")


def check_deadline(alert: AlertRecord, deadline: datetime, now: datetime, tz: ZoneInfo) -> None:
    """A new deadline is in the future, and after a scheduled alert's sending time."""
    if deadline <= now:
        raise ValidationError("deadline", "must be in the future")
    if alert.state == "scheduled" and alert.send_at is not None and deadline <= alert.send_at:
        raise ValidationError(
            "deadline",
            f"must be after the alert goes out, {local_time(alert.send_at, tz, now=now)}",
        )
