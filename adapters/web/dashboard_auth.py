"""Signing in to the organizers' dashboard: the one-time link, the session cookie, the form
token, the organizer role checked again on every request, and the choice of organization.

Opening a login link (GET) shows a Sign-in button and spends nothing, so a link preview
cannot use it up; the button's POST spends it and starts a session. The session cookie is
HttpOnly, SameSite=Lax, Secure when ``[web] base_url`` is https, and lasts 12 hours.

Every request checks the person's role as a command would, with their platform roles as the
platform says now: the running Slack, Discord or console adapter is asked
(``bot.platform_roles``; an answer is used for a minute), and roles granted in the database
raise them. So someone removed from the organizer role or user group, or who left the guild
or workspace, is refused within a minute, and ``rallybot roles revoke`` at once. When the
platform cannot be asked (its adapter is not running here, or its API fails) and no answer
of the last few minutes is remembered, the page says so and shows nothing (503): the check
fails closed.

A session shows one organization. Someone who organizes more than one (the spaces of their
accounts joined by ``/link``) chooses which after signing in, and again through the header's
"Switch organization"; their role in each is checked the same live way, through the account
and space that reach it, and a choice of one they do not organize now is refused. The choice
is kept in the session's row (its organization, account and space).

Every form carries a token derived from the session's own, so another site cannot make a
signed-in browser act.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.web.dashboard_render import page
from adapters.web.tracker import HTML_HEADERS, message
from bot.context import Invocation
from bot.platform_roles import PLATFORM_NAMES, HeldRoles, RolesUnavailable
from bot.registry import Role
from storage import audit, members, web_access
from storage.web_access import Signer

if TYPE_CHECKING:
    from bot.app import Application

#: the session cookie's name and how long a session lasts
COOKIE = "rallybot_dashboard"
SESSION_LIFETIME = timedelta(hours=12)
#: where the dashboard lives; the cookie is sent to nothing else
PATH = "/dashboard"
NEW_LINK = "Type /dashboard in chat for a new sign-in link."
NO_HEADERS = {**HTML_HEADERS, "Cache-Control": "no-store"}


def invocation_of(signer: Signer, held: HeldRoles) -> Invocation:
    """The invocation a dashboard request runs commands as: the session's account and space,
    with the platform roles ``held`` there now."""
    return Invocation(
        platform=signer.platform,
        space_id=signer.space_id,
        channel_id="",
        user_id=signer.account,
        display_name=signer.display_name,
        platform_roles=held.roles,
        role_names=held.role_names,
        is_dm=True,
        console=signer.platform == "console",
    )


def csrf_token(session_token: str) -> str:
    """The form token of a session: derived from its secret token, so only its browser
    knows it."""
    return hashlib.sha256(f"dashboard-form:{session_token}".encode()).hexdigest()


@dataclass(frozen=True)
class Visitor:
    """A signed-in organizer on the dashboard."""

    signer: Signer
    token: str
    inv: Invocation
    org_name: str
    #: how many organizations the person belongs to (more than one: they may switch)
    organizations: int = 1

    @property
    def csrf(self) -> str:
        """The token every form of this session carries."""
        return csrf_token(self.token)


class DashboardAuth:
    """Login links, sessions and the role check of every dashboard request."""

    def __init__(self, app: Application) -> None:
        self.app = app

    @property
    def secure(self) -> bool:
        """Whether the pages are reached over https (the cookie is then Secure)."""
        return self.app.config.web.base_url.lower().startswith("https://")

    async def organizer(self, signer: Signer) -> Invocation | None:
        """What a request of ``signer`` runs as, if they are an organizer of the signer's
        organization now (their platform roles asked of the platform), else None; raises
        ``RolesUnavailable`` when the platform cannot be asked."""
        found = self.app.services.orgs.lookup(signer.platform, signer.space_id)
        if found is None or found[0].id != signer.org_id:
            return None
        held = await self.app.services.platform_roles.current(
            signer.platform, signer.space_id, signer.account
        )
        if held is None:  # no longer in the guild or workspace
            return None
        inv = invocation_of(signer, held)
        role = await self.app.dispatcher.role_in(inv)
        return inv if role is not None and role >= Role.ORGANIZER else None

    async def choices(
        self, signer: Signer, only: int | None = None
    ) -> tuple[list[Choice], list[str]]:
        """The organizations the signer's member organizes now (or only organization
        ``only``), each reached through one of their accounts in one of its spaces, and the
        names of those where their role could not be checked just now."""
        async with self.app.db.reading() as conn:
            accounts = await members.identities(conn, signer.member_id)
            belongs = set(await members.org_ids_of(conn, signer.member_id)) | {signer.org_id}
        found: list[Choice] = []
        unchecked: list[str] = []
        here = (signer.platform, signer.space_id, signer.account)
        for record, config in self.app.services.orgs:
            if record.id not in belongs or (only is not None and record.id != only):
                continue
            reaches = [
                replace(
                    signer,
                    org_id=record.id,
                    platform=platform,
                    space_id=space,
                    account=account.user_id,
                    display_name=account.display_name or signer.display_name,
                )
                for platform, space in config.spaces()
                for account in accounts
                if account.platform == platform
            ]
            # the session's own account and space first: it was just checked, and is remembered
            reaches.sort(key=lambda r: (r.platform, r.space_id, r.account) != here)
            failed = False
            for reached in reaches:
                try:
                    if await self.organizer(reached) is not None:
                        found.append(Choice(record.slug, record.name, reached))
                        break
                except RolesUnavailable:
                    failed = True
            else:
                if failed:
                    unchecked.append(record.name)
        return found, unchecked

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Serve the login link's page and its sign-in, the organization chooser, and
        signing out."""
        router.add_get(PATH + "/login/{token}", self.login_page)
        router.add_post(PATH + "/login/{token}", self.sign_in)
        router.add_get(PATH + "/choose", self.choose_page)
        router.add_post(PATH + "/choose", self.choose)
        router.add_post(PATH + "/signout", self.sign_out)
        router.add_post(PATH + "/signout-everywhere", self.sign_out_everywhere)

    async def login_page(self, request: web.Request) -> web.Response:
        """The Sign-in button of a login link; spends nothing."""
        now = self.app.services.clock.now()
        async with self.app.db.reading() as conn:
            grant = await web_access.find_login(conn, request.match_info["token"])
        if grant is None or grant.used_at is not None or grant.expires_at <= now:
            return message(
                "Link expired", f"This sign-in link was used or expired. {NEW_LINK}", 410
            )
        checked = await self._org_name(grant.signer)
        if isinstance(checked, web.Response):
            return checked
        body = page("dash_login.html", org_name=checked, who=grant.signer.display_name)
        return web.Response(body=body, content_type="text/html", headers=NO_HEADERS)

    async def sign_in(self, request: web.Request) -> web.Response:
        """Spend a login link and start a session; someone organizing more than one
        organization goes on to choose which."""
        token = request.match_info["token"]
        now = self.app.services.clock.now()
        async with self.app.db.reading() as conn:
            grant = await web_access.find_login(conn, token)
        if grant is None:
            return message(
                "Link expired", f"This sign-in link was used or expired. {NEW_LINK}", 410
            )
        checked = await self._org_name(grant.signer)
        if isinstance(checked, web.Response):
            return checked
        async with self.app.db.transaction() as conn:
            signer = await web_access.spend_login(conn, token, now)
            if signer is None:
                session = None
            else:
                session = await web_access.add_session(conn, signer, now, now + SESSION_LIFETIME)
                await audit.add_entry(
                    conn, signer.org_id, signer.member_id, "dashboard.sign_in", at=now
                )
        if session is None or signer is None:
            return message(
                "Link expired", f"This sign-in link was used or expired. {NEW_LINK}", 410
            )
        chosen, _ = await self.choices(signer)
        where = PATH + "/choose" if len(chosen) > 1 else PATH
        response = web.Response(
            status=303, headers={"Location": where, "Cache-Control": "no-store"}
        )
        response.set_cookie(
            COOKIE,
            session,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path=PATH,
            httponly=True,
            samesite="Lax",
            secure=self.secure,
        )
        return response

    async def _organizer_or_page(self, signer: Signer) -> Invocation | web.Response:
        """The signer's invocation if they organize their organization now, else the page
        that refuses them (or says their role could not be checked)."""
        try:
            inv = await self.organizer(signer)
        except RolesUnavailable as exc:
            return _unavailable(exc.platform)
        return _not_organizer() if inv is None else inv

    async def _org_name(self, signer: Signer) -> str | web.Response:
        """The name of the signer's organization if they organize it now, else the page that
        refuses them (or says their role could not be checked)."""
        inv = await self._organizer_or_page(signer)
        if isinstance(inv, web.Response):
            return inv
        return self.app.services.orgs.by_id(signer.org_id)[0].name

    async def session(self, request: web.Request) -> tuple[Signer, str, int] | web.Response:
        """The signer of this browser's session, its token and how many organizations the
        person belongs to; or the page that says to sign in."""
        token = request.cookies.get(COOKIE, "")
        signer = None
        count = 0
        if token:
            async with self.app.db.reading() as conn:
                signer = await web_access.find_session(conn, token, self.app.services.clock.now())
                if signer is not None:
                    count = len(await members.org_ids_of(conn, signer.member_id))
        if signer is None:
            return message("Please sign in", f"You are not signed in. {NEW_LINK}", 401)
        return signer, token, count

    async def visitor(self, request: web.Request) -> Visitor | web.Response:
        """The signed-in organizer making this request, or the page that says to sign in."""
        found = await self.session(request)
        if isinstance(found, web.Response):
            return found
        signer, token, count = found
        inv = await self._organizer_or_page(signer)
        if isinstance(inv, web.Response):
            return inv
        org_name = self.app.services.orgs.by_id(signer.org_id)[0].name
        return Visitor(signer, token, inv, org_name, count)

    async def checked(self, request: web.Request) -> tuple[Visitor, dict[str, str]] | web.Response:
        """The visitor of a form's POST and its fields, once its form token is right."""
        found = await self.visitor(request)
        if isinstance(found, web.Response):
            return found
        form = await _form(request, found.token)
        if isinstance(form, web.Response):
            return form
        return found, form

    async def choose_page(self, request: web.Request) -> web.Response:
        """The organizations the signed-in person organizes now, to choose one."""
        found = await self.session(request)
        if isinstance(found, web.Response):
            return found
        signer, token, _ = found
        chosen, unchecked = await self.choices(signer)
        if not chosen:
            if unchecked:
                return _unavailable(signer.platform)
            return _not_organizer()
        current = self.app.services.orgs.by_id(signer.org_id)[0].slug
        body = page(
            "dash_choose.html",
            who=signer.display_name,
            csrf=csrf_token(token),
            choices=chosen,
            current=current,
            unchecked=unchecked,
        )
        return web.Response(body=body, content_type="text/html", headers=NO_HEADERS)

    async def choose(self, request: web.Request) -> web.Response:
        """Show the chosen organization in this session, if the person organizes it now."""
        found = await self.session(request)
        if isinstance(found, web.Response):
            return found
        signer, token, _ = found
        form = await _form(request, token)
        if isinstance(form, web.Response):
            return form
        slug = form.get("org", "")
        org = next((record for record, _ in self.app.services.orgs if record.slug == slug), None)
        if org is None:
            return message("Not a valid choice", "org: must be an organization you organize", 400)
        chosen, unchecked = await self.choices(signer, only=org.id)
        if not chosen:
            if unchecked:
                return _unavailable(signer.platform)
            return _not_organizer()
        now = self.app.services.clock.now()
        reached = chosen[0].signer
        async with self.app.db.transaction() as conn:
            moved = await web_access.move_session(conn, token, reached)
            if moved and org.id != signer.org_id:
                await audit.add_entry(conn, org.id, reached.member_id, "dashboard.sign_in", at=now)
        if not moved:
            return message("Please sign in", f"You are not signed in. {NEW_LINK}", 401)
        return web.Response(status=303, headers={"Location": PATH, "Cache-Control": "no-store"})

    async def sign_out(self, request: web.Request) -> web.Response:
        """End this browser's session."""
        found = await self.checked(request)
        if isinstance(found, web.Response):
            return found
        visitor, _ = found
        async with self.app.db.transaction() as conn:
            await web_access.end_session(conn, visitor.token)
        return self._signed_out("You are signed out.")

    async def sign_out_everywhere(self, request: web.Request) -> web.Response:
        """End every session of this person, on every browser, and void their links."""
        found = await self.checked(request)
        if isinstance(found, web.Response):
            return found
        visitor, _ = found
        async with self.app.db.transaction() as conn:
            ended = await web_access.end_sessions_of(conn, visitor.signer.member_id)
        return self._signed_out(f"You are signed out everywhere ({ended} sessions ended).")

    def _signed_out(self, text: str) -> web.Response:
        response = message("Signed out", text, 200, {"Cache-Control": "no-store"})
        response.del_cookie(COOKIE, path=PATH)
        return response


@dataclass(frozen=True)
class Choice:
    """An organization the person organizes, and the account and space that reach it."""

    slug: str
    name: str
    signer: Signer


async def _form(request: web.Request, session_token: str) -> dict[str, str] | web.Response:
    """A POST's fields, once its form token is the session's."""
    form = {key: str(value) for key, value in (await request.post()).items()}
    if not hmac.compare_digest(form.get("csrf", ""), csrf_token(session_token)):
        return message(
            "Form expired",
            "This form is out of date or came from another site; nothing was changed. "
            "Reload the page and try again.",
            403,
        )
    return form


def _unavailable(platform: str) -> web.Response:
    where = PLATFORM_NAMES.get(platform, platform)
    return message(
        "Could not check your role",
        f"Could not check your role on {where} just now, so nothing is shown; try again in a "
        "minute.",
        503,
        {"Retry-After": "60", "Cache-Control": "no-store"},
    )


def _not_organizer() -> web.Response:
    return message(
        "For organizers only",
        "The dashboard is for organizers, and this account is not an organizer there now.",
        403,
    )
