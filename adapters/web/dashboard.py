"""The organizers' dashboard: ``GET /dashboard`` (the reports to review) and its pages of
alerts, events, polls, downloads and the audit log, with sign-in in ``dashboard_auth``.

Every page shows the signed-in organizer's own organization only. What the chat commands
already show is shown by running them through the dispatcher as the organizer (``/alert
status``, ``/poll results``, ``/event attendees``), and every action (Verify, Reject,
Duplicate of, a CSV download) is the same command a chat button runs, so it is checked,
scoped to the organization and audited exactly as in chat: the id of another organization's
report, alert or event is refused like an unknown one. An action answers 303 to the page it
came from, which shows its outcome once (``flash``), so reloading that page runs nothing
again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from adapters.web import flash
from adapters.web.dashboard_auth import NO_HEADERS, PATH, DashboardAuth, Visitor
from adapters.web.dashboard_render import Section, page, section
from adapters.web.render import place_text
from adapters.web.tracker import message
from bot.reply import Reply, encode_action
from storage import alerts, events, polls
from storage import dashboard as store

if TYPE_CHECKING:
    from bot.app import Application

#: the moderation buttons of the reports queue, as the commands they run
ACTIONS = {"verify": "layoff verify", "reject": "layoff reject", "duplicate": "layoff duplicate"}
#: the CSV downloads, as the commands that make them (with an id, or none)
DOWNLOADS = {
    "layoff export": False,
    "alert signers": True,
    "event attendees": True,
}
#: audit entries on a page
AUDIT_PAGE = 50
ALERT_STATES = ("draft", "scheduled", "sent", "closed")
#: the newest alerts and polls a page shows: each is one command run, so a page stays quick
#: however long the organization's history (older ones: /alert list, /poll list)
NEWEST = 25


class DashboardPages:
    """The dashboard's routes."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.auth = DashboardAuth(app)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Serve the dashboard's pages, its actions and its sign-in."""
        self.auth.add_routes(router)
        router.add_get(PATH, self.queue)
        router.add_post(PATH + "/act", self.act)
        router.add_get(PATH + "/alerts", self.alerts)
        router.add_get(PATH + "/events", self.events)
        router.add_get(PATH + "/events/{id:[0-9]{1,9}}", self.event)
        router.add_get(PATH + "/polls", self.polls)
        router.add_get(PATH + "/downloads", self.downloads)
        router.add_post(PATH + "/download", self.download)
        router.add_get(PATH + "/audit", self.audit)

    async def run(self, visitor: Visitor, command: str, **args: str) -> Reply:
        """Run a command as the signed-in organizer, exactly as a chat button would."""
        return await self.app.dispatcher.handle_interaction(
            visitor.inv, encode_action(command, args or None)
        )

    def _page(
        self, visitor: Visitor, template: str, here: str, heading: str, **values: Any
    ) -> web.Response:
        body = page(
            template,
            org_name=visitor.org_name,
            who=visitor.signer.display_name,
            csrf=visitor.csrf,
            switch=visitor.organizations > 1,
            here=here,
            heading=heading,
            **values,
        )
        return web.Response(body=body, content_type="text/html", headers=NO_HEADERS)

    def _done(self, visitor: Visitor, reply: Reply, location: str = PATH) -> web.Response:
        """The answer to an action's POST: 303 to the page it came from, which shows the
        reply once (so reloading that page runs nothing again)."""
        outcome = flash.Outcome(str(reply.text).splitlines(), reply.error)
        return flash.redirect(
            location,
            visitor.token,
            outcome,
            self.app.services.clock.now(),
            path=PATH,
            secure=self.auth.secure,
        )

    async def queue(self, request: web.Request) -> web.Response:
        """The reports waiting for review, each with Verify, Reject and Duplicate of, and
        the outcome of the action that led here, once."""
        visitor = await self.auth.visitor(request)
        if isinstance(visitor, web.Response):
            return visitor
        now = self.app.services.clock.now()
        outcome, carried = flash.take(request, visitor.token, now)
        async with self.app.db.reading() as conn:
            reports = await store.pending_reports(conn, visitor.signer.org_id, now)
        response = self._page(
            visitor,
            "dash_queue.html",
            PATH,
            "Reports to review",
            reports=reports,
            place=place_text,
            outcome=outcome and outcome.lines,
            outcome_error=outcome is not None and outcome.error,
        )
        if carried:
            flash.forget(response, path=PATH, secure=self.auth.secure)
        return response

    async def act(self, request: web.Request) -> web.Response:
        """Verify, reject or mark a report as a duplicate, through the dispatcher."""
        found = await self.auth.checked(request)
        if isinstance(found, web.Response):
            return found
        visitor, form = found
        command = ACTIONS.get(form.get("action", ""))
        if command is None:
            return message("Not a valid choice", "action: must be verify, reject or duplicate", 400)
        values = {"of": form["of"]} if command == "layoff duplicate" and form.get("of") else {}
        reply = await self.app.dispatcher.handle_interaction(
            visitor.inv, encode_action(command, {"id": form.get("id", "")[:20]}), values
        )
        return self._done(visitor, reply)

    async def alerts(self, request: web.Request) -> web.Response:
        """Every alert not cancelled, newest first, with its live tallies (/alert status)."""
        visitor = await self.auth.visitor(request)
        if isinstance(visitor, web.Response):
            return visitor
        async with self.app.db.reading() as conn:
            found = await alerts.org_alerts(conn, visitor.signer.org_id, ALERT_STATES)
        return await self._command_page(
            visitor,
            "alerts",
            "Alerts",
            [(f"Alert {a.id}: {a.title}", "alert status", a.id) for a in found[:NEWEST]],
            intro="Responses by state and platform, and how many messages were delivered.",
            empty="There are no alerts yet.",
        )

    async def events(self, request: web.Request) -> web.Response:
        """The events to come, with their answers and waitlists."""
        visitor = await self.auth.visitor(request)
        if isinstance(visitor, web.Response):
            return visitor
        async with self.app.db.reading() as conn:
            found = await events.upcoming_events(
                conn, visitor.signer.org_id, self.app.services.clock.now()
            )
            counts = await events.counts_of(conn, [e.id for e in found])
        sections = []
        for e in found:
            c = counts[e.id]
            going = f"{c['going']}" + (f" of {e.capacity}" if e.capacity else "")
            sections.append(
                Section(
                    title=f"Event {e.id}: {e.title}",
                    lines=[f"{e.kind}, starts {e.starts_at:%Y-%m-%d %H:%M} UTC"],
                    fields=[
                        ("going", going),
                        ("maybe", str(c["maybe"])),
                        ("waitlisted", str(c["waitlisted"])),
                        ("can't go", str(c["no"])),
                    ],
                    headers=[],
                    rows=[],
                    error=False,
                    link=f"{PATH}/events/{e.id}",
                )
            )
        return self._page(
            visitor,
            "dash_sections.html",
            PATH + "/events",
            "Events",
            sections=sections,
            intro="",
            empty="There are no events to come.",
        )

    async def event(self, request: web.Request) -> web.Response:
        """One event's answers by status and its state delegations (/event attendees)."""
        visitor = await self.auth.visitor(request)
        if isinstance(visitor, web.Response):
            return visitor
        reply = await self.run(visitor, "event attendees", id=request.match_info["id"])
        status = 404 if reply.error else 200
        response = self._page(
            visitor,
            "dash_sections.html",
            PATH + "/events",
            "Event",
            sections=[section(reply)],
            intro="",
            empty="",
        )
        response.set_status(status)
        return response

    async def polls(self, request: web.Request) -> web.Response:
        """Every poll, newest first, with its results as /poll results shows them."""
        visitor = await self.auth.visitor(request)
        if isinstance(visitor, web.Response):
            return visitor
        async with self.app.db.reading() as conn:
            found = await polls.org_polls(conn, visitor.signer.org_id, ("open", "closed"))
        return await self._command_page(
            visitor,
            "polls",
            "Polls",
            [(f"Poll {p.id}: {p.question}", "poll results", p.id) for p in found[:NEWEST]],
            intro="",
            empty="There are no polls yet.",
        )

    async def _command_page(
        self,
        visitor: Visitor,
        page: str,
        heading: str,
        runs: list[tuple[str, str, int]],
        *,
        intro: str,
        empty: str,
    ) -> web.Response:
        """A page of sections, each the reply of one command (``(title, command, id)``) run
        as the signed-in organizer."""
        sections = [
            section(await self.run(visitor, command, id=str(id)), title=title)
            for title, command, id in runs
        ]
        return self._page(
            visitor,
            "dash_sections.html",
            f"{PATH}/{page}",
            heading,
            sections=sections,
            intro=intro,
            empty=empty,
        )

    async def downloads(self, request: web.Request) -> web.Response:
        """The CSV files organizers can download."""
        visitor = await self.auth.visitor(request)
        if isinstance(visitor, web.Response):
            return visitor
        org_id, now = visitor.signer.org_id, self.app.services.clock.now()
        async with self.app.db.reading() as conn:
            sent = await alerts.org_alerts(conn, org_id, ("sent", "closed"))
            upcoming = await events.upcoming_events(conn, org_id, now)
        offered = [("Layoff reports (every verified report)", "layoff export", "")]
        offered += [
            (f"Signers of alert {a.id}: {a.title}", "alert signers", str(a.id)) for a in sent
        ]
        offered += [
            (f"Answers to event {e.id}: {e.title}", "event attendees", str(e.id)) for e in upcoming
        ]
        return self._page(
            visitor,
            "dash_downloads.html",
            PATH + "/downloads",
            "Downloads",
            downloads=offered,
        )

    async def download(self, request: web.Request) -> web.Response:
        """A CSV file, made by the command that makes it in chat (and audited as there)."""
        found = await self.auth.checked(request)
        if isinstance(found, web.Response):
            return found
        visitor, form = found
        command = form.get("command", "")
        if command not in DOWNLOADS:
            return message("Not a valid choice", "command: is not a download", 400)
        args = {"id": form.get("id", "")[:20]} if DOWNLOADS[command] else {}
        reply = await self.run(visitor, command, **args)
        files = [f for f in reply.files if f.name.endswith(".csv")]
        if reply.error or not files:
            return message("Not available", str(reply.text) or "There is no file to download.", 404)
        file = files[0]
        return web.Response(
            body=file.data,
            content_type="text/csv",
            charset="utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{file.name}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    async def audit(self, request: web.Request) -> web.Response:
        """The organization's audit log, newest first, a page at a time."""
        visitor = await self.auth.visitor(request)
        if isinstance(visitor, web.Response):
            return visitor
        raw = request.query.get("page", "1")
        if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
            return message("Not a valid choice", "page: must be a whole number from 1", 400)
        number = int(raw)
        async with self.app.db.reading() as conn:
            lines, total = await store.audit_page(
                conn, visitor.signer.org_id, offset=(number - 1) * AUDIT_PAGE, limit=AUDIT_PAGE
            )
        first = (number - 1) * AUDIT_PAGE + 1
        return self._page(
            visitor,
            "dash_audit.html",
            PATH + "/audit",
            "Audit log",
            lines=lines,
            total=total,
            page=number,
            pages=max(1, -(-total // AUDIT_PAGE)),
            first=first,
            last=first + len(lines) - 1,
        )
