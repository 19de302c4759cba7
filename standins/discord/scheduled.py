"""The Discord stand-in's Guild Scheduled Events: list, get, create, modify (status included)
and delete, checked as Discord documents them.

Discord's words, from https://discord.com/developers/docs/resources/guild-scheduled-event
(the discord-api-docs repository, ``docs/resources/Guild_Scheduled_Event.md``):

- the object: ``name`` 1-100 characters, ``description`` 1-1000,
  ``entity_metadata.location`` 1-100; ``privacy_level`` GUILD_ONLY (2) is the only level;
  entity types STAGE_INSTANCE 1, VOICE 2, EXTERNAL 3; statuses SCHEDULED 1, ACTIVE 2,
  COMPLETED 3, CANCELED 4.
- "Field Requirements By Entity Type": EXTERNAL needs ``channel_id`` null, an
  ``entity_metadata`` with a non-null ``location``, and a ``scheduled_end_time``; STAGE and
  VOICE need a ``channel_id`` (this stand-in's guilds have text channels only, so it
  refuses them).
- "Valid Guild Scheduled Event Status Transitions": SCHEDULED → ACTIVE, ACTIVE → COMPLETED,
  SCHEDULED → CANCELED; "Once status is set to COMPLETED or CANCELED, the status can no
  longer be updated".
- Create: "A guild can have a maximum of 100 events with SCHEDULED or ACTIVE status at any
  time" (JSON error 30038, "Maximum number of guild scheduled events reached (100)").
- Permissions: creating needs CREATE_EVENTS, modifying and deleting MANAGE_EVENTS (or
  CREATE_EVENTS for one's own); without them Discord answers 403, "Missing Permissions"
  (50013). A guild here grants them unless ``Guild.manage_events`` is False.
- Errors: "Unknown Guild" (10004), "Unknown Guild Scheduled Event" (10070).

A start time must be in the future (Discord refuses a past one when it is set); "the
future" is the stand-in's ``clock``, which a test may set to its own clock. discord.py calls
these routes from ``HTTPClient.get_scheduled_events``, ``get_scheduled_event``,
``create_guild_scheduled_event``, ``edit_scheduled_event`` and ``delete_scheduled_event``
(discord/http.py); they share one rate-limit bucket per guild (see ``limits``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from standins.discord.payloads import API, invalid_form, json_response, read_body
from standins.discord.state import StandInState

SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
EXTERNAL = 3
GUILD_ONLY = 2
#: the most events with SCHEDULED or ACTIVE status a guild holds
MAX_LIVE = 100
#: the status changes Discord allows
TRANSITIONS = {(SCHEDULED, ACTIVE), (ACTIVE, COMPLETED), (SCHEDULED, CANCELED)}
_UPDATABLE = (
    "name",
    "description",
    "privacy_level",
    "scheduled_start_time",
    "scheduled_end_time",
    "entity_type",
    "entity_metadata",
    "channel_id",
)


def _error(message: str, code: int, status: int) -> web.Response:
    return json_response({"message": message, "code": code}, status)


def _time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp with its offset, as Discord takes it; None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def check_event(event: dict[str, Any], now: datetime, *, start_changed: bool) -> str | None:
    """What Discord refuses in a scheduled event's fields (as created or as modified)."""
    name = event.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        return "name: must be 1 to 100 characters"
    description = event.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 1000):
        return "description: must be at most 1000 characters"
    if event.get("privacy_level") != GUILD_ONLY:
        return "privacy_level: must be 2 (GUILD_ONLY)"
    if event.get("entity_type") != EXTERNAL:
        return "entity_type: this guild has no voice or stage channel; use 3 (EXTERNAL)"
    if event.get("channel_id") is not None:
        return "channel_id: must be null for an EXTERNAL event"
    location = (event.get("entity_metadata") or {}).get("location")
    if not isinstance(location, str) or not 1 <= len(location) <= 100:
        return "entity_metadata.location: required for an EXTERNAL event, 1 to 100 characters"
    start = _time(event.get("scheduled_start_time"))
    if start is None:
        return "scheduled_start_time: must be an ISO 8601 timestamp"
    if start_changed and start <= now:
        return "scheduled_start_time: cannot be in the past"
    end = _time(event.get("scheduled_end_time"))
    if end is None:
        return "scheduled_end_time: required for an EXTERNAL event, an ISO 8601 timestamp"
    if end <= start:
        return "scheduled_end_time: must be after scheduled_start_time"
    return None


class ScheduledEventsApi(StandInState):
    """Guild Scheduled Event routes, answered from and recorded in the stand-in's state."""

    def _scheduled_routes(self, r: web.UrlDispatcher) -> None:
        """Add the scheduled-event routes to the server's router."""
        base = f"{API}/guilds/{{guild}}/scheduled-events"
        r.add_get(base, self._list_events)
        r.add_post(base, self._create_event)
        r.add_get(f"{base}/{{event}}", self._get_event)
        r.add_patch(f"{base}/{{event}}", self._modify_event)
        r.add_delete(f"{base}/{{event}}", self._delete_event)

    def events_in(self, guild_id: str) -> dict[str, dict[str, Any]]:
        """A guild's scheduled events, by id."""
        return self.scheduled_events.setdefault(guild_id, {})

    def live_events(self, guild_id: str) -> list[dict[str, Any]]:
        """A guild's events with SCHEDULED or ACTIVE status (the ones Discord counts)."""
        return [e for e in self.events_in(guild_id).values() if e["status"] in (SCHEDULED, ACTIVE)]

    def _refusal(self, guild_id: str) -> web.Response | None:
        """404 for a guild the bot is not in, 403 where it may not manage events."""
        guild = self.guilds.get(guild_id)
        if guild is None:
            return _error("Unknown Guild", 10004, 404)
        if not guild.manage_events:
            self.invalid_requests += 1  # Discord counts 403s toward the invalid-request limit
            return _error("Missing Permissions", 50013, 403)
        return None

    async def _list_events(self, request: web.Request) -> web.Response:
        guild_id = request.match_info["guild"]
        if guild_id not in self.guilds:
            return _error("Unknown Guild", 10004, 404)
        return json_response(list(self.events_in(guild_id).values()))

    async def _get_event(self, request: web.Request) -> web.Response:
        guild_id = request.match_info["guild"]
        if guild_id not in self.guilds:
            return _error("Unknown Guild", 10004, 404)
        event = self.events_in(guild_id).get(request.match_info["event"])
        if event is None:
            return _error("Unknown Guild Scheduled Event", 10070, 404)
        return json_response(event)

    async def _create_event(self, request: web.Request) -> web.Response:
        guild_id = request.match_info["guild"]
        refused = self._refusal(guild_id)
        if refused is not None:
            return refused
        body, _ = await read_body(request)
        event = {key: body.get(key) for key in _UPDATABLE}
        problem = check_event(event, self.clock(), start_changed=True)
        if problem:
            return invalid_form(problem)
        if len(self.live_events(guild_id)) >= MAX_LIVE:
            return _error("Maximum number of guild scheduled events reached (100)", 30038, 400)
        event_id = self.snowflake()
        stored = {
            **event,
            "id": event_id,
            "guild_id": guild_id,
            "creator_id": self.application_id,
            "creator": self.bot_user,
            "status": SCHEDULED,
            "entity_id": None,
            "user_count": 0,
            "image": None,
            "edits": 0,
        }
        self.events_in(guild_id)[event_id] = stored
        return json_response(stored)

    async def _modify_event(self, request: web.Request) -> web.Response:
        guild_id = request.match_info["guild"]
        refused = self._refusal(guild_id)
        if refused is not None:
            return refused
        event = self.events_in(guild_id).get(request.match_info["event"])
        if event is None:
            return _error("Unknown Guild Scheduled Event", 10070, 404)
        body, _ = await read_body(request)
        if event["status"] in (COMPLETED, CANCELED):
            return invalid_form("status: a completed or canceled event can no longer be changed")
        status = body.get("status", event["status"])
        if status != event["status"] and (event["status"], status) not in TRANSITIONS:
            return invalid_form(f"status: cannot go from {event['status']} to {status}")
        changed = {key: body[key] for key in _UPDATABLE if key in body}
        merged = {**event, **changed}
        start_changed = (
            changed.get("scheduled_start_time", event["scheduled_start_time"])
            != (event["scheduled_start_time"])
        )
        problem = check_event(merged, self.clock(), start_changed=start_changed)
        if problem:
            return invalid_form(problem)
        event.update(changed, status=status, edits=event["edits"] + 1)
        return json_response(event)

    async def _delete_event(self, request: web.Request) -> web.Response:
        guild_id = request.match_info["guild"]
        refused = self._refusal(guild_id)
        if refused is not None:
            return refused
        if self.events_in(guild_id).pop(request.match_info["event"], None) is None:
            return _error("Unknown Guild Scheduled Event", 10070, 404)
        return web.Response(status=204)
