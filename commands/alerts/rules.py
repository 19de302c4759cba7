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
