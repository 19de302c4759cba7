"""Installing the app into several workspaces through OAuth, its tokens on our database.

With ``[slack] client_id`` and ``client_secret`` set, ``GET /slack/install`` starts Slack's
OAuth flow and ``GET /slack/oauth_redirect`` finishes it; slack_sdk's SQLAlchemy
installation store and OAuth state store keep the installations and the one-time states
in the bot's own database (tables made by migration 0007). Bolt then finds each request's
token by its team id, and the delivery engine's sender asks ``Installations.tokens`` for
the tokens of the organization a message is for.

A state lasts 10 minutes (slack_sdk's default). Each new one first purges up to
``PURGE_BATCH`` expired ones, and no more than ``LIVE_STATES`` may wait at once, so
``GET /slack/install`` cannot grow the table without bound; the adapter also limits how
often one client address may ask (``INSTALLS_PER_MINUTE``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import delete, desc, func, select

if TYPE_CHECKING:
    from bot.config import SlackConfig
    from bot.services import OrgDirectory
    from storage.db import Database

#: the bot scopes the app asks for (adapters/slack/manifest.yml declares the same)
SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "im:history",
    "files:write",
    "usergroups:read",
)
#: how long a started installation may take to come back
STATE_SECONDS = 600
#: expired states purged, at most, each time a new one is issued
PURGE_BATCH = 100
#: states that may wait at once; past it, ``GET /slack/install`` answers 429
LIVE_STATES = 1000
#: installations one client address may start a minute (and at once)
INSTALLS_PER_MINUTE = 10

log = logging.getLogger("rallybot.slack.oauth")
log.setLevel(logging.INFO)  # the stores' debug lines would print rows, tokens included


class ExpiringStateStore(AsyncSQLAlchemyOAuthStateStore):
    """slack_sdk's OAuth state store, purging expired states as it issues new ones."""

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state, after dropping up to ``PURGE_BATCH`` expired ones."""
        states = self.oauth_states
        expired = (
            select(states.c.id)
            .where(states.c.expire_at <= _db_now())
            .order_by(states.c.id)
            .limit(PURGE_BATCH)
        )
        async with self.engine.begin() as conn:
            await conn.execute(delete(states).where(states.c.id.in_(expired.scalar_subquery())))
        return await super().async_issue(*args, **kwargs)

    async def live(self) -> int:
        """How many states are waiting, not yet expired."""
        states = self.oauth_states
        query = select(func.count()).select_from(states).where(states.c.expire_at > _db_now())
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())


def _db_now() -> datetime | None:
    """Now, as the state store writes its times (naive UTC)."""
    return normalize_datetime_for_db(datetime.now(UTC))


class Installations:
    """The workspaces the app is installed in, and their bot tokens."""

    def __init__(self, settings: SlackConfig, db: Database) -> None:
        self.store = AsyncSQLAlchemyInstallationStore(
            client_id=settings.client_id, engine=db.engine, logger=log
        )
        self.states = ExpiringStateStore(
            expiration_seconds=STATE_SECONDS, engine=db.engine, logger=log
        )
        self.settings = settings

    def bolt_settings(self) -> AsyncOAuthSettings:
        """Bolt's OAuth settings on these stores."""
        return AsyncOAuthSettings(
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            scopes=list(SCOPES),
            installation_store=self.store,
            installation_store_bot_only=True,
            state_store=self.states,
        )

    def authorize(self, client: AsyncWebClient) -> AsyncInstallationStoreAuthorize:
        """Bolt's lookup of each request's bot token, remembering what ``auth.test`` said of
        a token, so a request waits for the database only, not for Slack, before its ack."""
        return AsyncInstallationStoreAuthorize(
            logger=log,
            installation_store=self.store,
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            bot_only=True,
            cache_enabled=True,
            client=client,
        )

    async def token(self, team_id: str) -> str | None:
        """The bot token of the workspace ``team_id``, if the app is installed there."""
        bot = await self.store.async_find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot is not None else None

    async def tokens(self, orgs: OrgDirectory, org_id: int | None) -> list[str]:
        """Tokens to try for a message of organization ``org_id``: its workspaces' in order;
        without an organization, every installed workspace's, newest first."""
        if org_id is not None:
            try:
                _, config = orgs.by_id(org_id)
            except KeyError:
                return []
            found = [await self.token(team) for team in config.slack_team_ids]
            return [t for t in found if t]
        bots = self.store.bots
        query = (
            select(bots.c.bot_token)
            .where(bots.c.client_id == self.settings.client_id, bots.c.bot_token.is_not(None))
            .order_by(desc(bots.c.installed_at))
        )
        async with self.store.engine.connect() as conn:
            rows = (await conn.execute(query)).scalars().all()
        return list(dict.fromkeys(rows))
