"""Installing the app into several workspaces through OAuth, its tokens on our database.

With ``[slack] client_id`` and ``client_secret`` set, ``GET /slack/install`` starts Slack's
OAuth flow and ``GET /slack/oauth_redirect`` finishes it; slack_sdk's SQLAlchemy
installation store and OAuth state store keep the installations and the one-time states
in the bot's own database (tables made by migration 0007). Bolt then finds each request's
token by its team id, and the delivery engine's sender asks ``Installations.tokens`` for
the tokens of the organization a message is for.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import desc, select

if TYPE_CHECKING:
    from bot.app import OrgDirectory
    from bot.config import SlackConfig
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

log = logging.getLogger("rallybot.slack.oauth")
log.setLevel(logging.INFO)  # the stores' debug lines would print rows, tokens included


class Installations:
    """The workspaces the app is installed in, and their bot tokens."""

    def __init__(self, settings: SlackConfig, db: Database) -> None:
        self.store = AsyncSQLAlchemyInstallationStore(
            client_id=settings.client_id, engine=db.engine, logger=log
        )
        self.states = AsyncSQLAlchemyOAuthStateStore(
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
