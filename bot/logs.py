"""Logging set-up: one format, and a filter that keeps secrets out of every record.

The filter replaces every secret of the configuration, and anything shaped like a Slack
token (``xoxb-…``, ``xoxp-…``, ``xapp-…``), such as the bot tokens of workspaces installed
through OAuth, which live in the database rather than the configuration and show up in
``[database] echo`` logs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "[redacted]"
#: Slack's token shapes: bot, user, app-level, refresh and configuration tokens
SLACK_TOKEN = re.compile(r"\bx(?:ox[abeopr]|app)-[0-9A-Za-z][0-9A-Za-z-]{6,}")


class SecretFilter(logging.Filter):
    """Replaces every known secret in a record's message and arguments."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return SLACK_TOKEN.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self._scrub(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self._scrub(record.exc_text)
        return True


def configure_logging(level: str, secrets: Iterable[str]) -> None:
    """Log to stderr at ``level``, scrubbing ``secrets`` from every handler's output."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secrets))
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    # Migrations narrate every step at INFO, and APScheduler every job it adds, runs and
    # stops; keep them to warnings.
    for chatty in ("alembic", "apscheduler"):
        logging.getLogger(chatty).setLevel(max(root.level, logging.WARNING))
