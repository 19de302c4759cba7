"""Logging set-up: text or JSON lines, and a filter that keeps secrets out of every record.

The filter replaces every secret of the configuration, and anything shaped like a Slack
token (``xoxb-…``, ``xoxp-…``, ``xapp-…``), such as the bot tokens of workspaces installed
through OAuth, which live in the database rather than the configuration and show up in
``[database] echo`` logs. ``[bot] log_format = "json"`` writes each record as one JSON
object a line (time, level, logger, message and, when there is one, the exception), scrubbed
by the same filter.

Libraries that narrate routine work at INFO are kept to warnings: Alembic's migration steps,
and APScheduler's "Running job" and "executed successfully" for every run of the scheduler's
polling job; discord.py's warnings that voice is not supported (rallybot has no voice) are
dropped.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

REDACTED = "[redacted]"
#: Slack's token shapes: bot, user, app-level, refresh and configuration tokens
SLACK_TOKEN = re.compile(r"\bx(?:ox[abeopr]|app)-[0-9A-Za-z][0-9A-Za-z-]{6,}")
#: a private calendar feed's token, in its address (plain or form-encoded)
FEED_TOKEN = re.compile(r"((?:/|%2[Ff])calendar(?:/|%2[Ff]))[A-Za-z0-9_-]{16,128}(\.ics)")
#: the text format's line
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: loggers that say at INFO what is routine: kept to warnings (unless DEBUG is asked for)
CHATTY = ("alembic", "apscheduler")
#: the logger of discord.py's start-up warnings that voice needs PyNaCl and davey
DISCORD_CLIENT_LOG = "discord.client"


class SecretFilter(logging.Filter):
    """Replaces every known secret in a record's message and arguments."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = FEED_TOKEN.sub(rf"\g<1>{REDACTED}\g<2>", text)
        return SLACK_TOKEN.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self._scrub(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self._scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self._scrub(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
    and ``exception`` (the traceback's text) when the record carries one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


class VoiceWarnings(logging.Filter):
    """Drops discord.py's warnings that voice is not supported, and nothing else its
    client logger says."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in str(record.msg)


def configure_logging(level: str, secrets: Iterable[str], log_format: str = "text") -> None:
    """Log to stderr at ``level`` in ``log_format`` ("text" or "json"), scrubbing
    ``secrets`` from every record."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    handler = logging.StreamHandler()
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    handler.addFilter(SecretFilter(secrets))
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    for chatty in CHATTY:
        logging.getLogger(chatty).setLevel(max(root.level, logging.WARNING))
    client_log = logging.getLogger(DISCORD_CLIENT_LOG)
    if not any(isinstance(f, VoiceWarnings) for f in client_log.filters):
        client_log.addFilter(VoiceWarnings())
