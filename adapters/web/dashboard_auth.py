"""Signing in to the organizers' dashboard: the one-time link, the session cookie, the form
token, and the organizer role checked again on every request.

Opening a login link (GET) shows a Sign-in button and spends nothing, so a link preview
cannot use it up; the button's POST spends it and starts a session. The session cookie is
HttpOnly, SameSite=Lax, Secure when ``[web] base_url`` is https, and lasts 12 hours. Every
request asks the dispatcher for the person's role as a command would (platform roles as
they were when the link was asked for, and roles granted in the database), so someone who is
no longer an organizer there is signed out. Every form carries a token derived from the
session's own, so another site cannot make a signed-in browser act.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.web.dashboard_render import page
from adapters.web.tracker import HTML_HEADERS, message
from bot.context import Invocation
from bot.registry import Role
from storage import audit, web_access
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


def invocation_of(signer: Signer) -> Invocation:
    """The invocation a dashboard request runs commands as: the account and space the login
    link was asked from, with the platform roles held then."""
    return Invocation(
        platform=signer.platform,
        space_id=signer.space_id,
        channel_id="",
        user_id=signer.account,
        display_name=signer.display_name,
        platform_roles=frozenset(signer.roles),
        role_names=frozenset(signer.role_names),
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

    async def organizer(self, signer: Signer) -> str | None:
        """The organization's name if the signer is an organizer there now, else None."""
        inv = invocation_of(signer)
        found = self.app.services.orgs.lookup(inv.platform, inv.space_id)
        if found is None or found[0].id != signer.org_id:
            return None
        role = await self.app.dispatcher.role_in(inv)
        return found[0].name if role is not None and role >= Role.ORGANIZER else None

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Serve the login link's page and its sign-in, and signing out."""
        router.add_get(PATH + "/login/{token}", self.login_page)
        router.add_post(PATH + "/login/{token}", self.sign_in)
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
        org_name = await self.organizer(grant.signer)
        if org_name is None:
            return _not_organizer()
        body = page("dash_login.html", org_name=org_name, who=grant.signer.display_name)
        return web.Response(body=body, content_type="text/html", headers=NO_HEADERS)

    async def sign_in(self, request: web.Request) -> web.Response:
        """Spend a login link and start a session."""
        token = request.match_info["token"]
        now = self.app.services.clock.now()
        async with self.app.db.reading() as conn:
            grant = await web_access.find_login(conn, token)
        if grant is None or await self.organizer(grant.signer) is None:
            if grant is not None:
                return _not_organizer()
            return message(
                "Link expired", f"This sign-in link was used or expired. {NEW_LINK}", 410
            )
        async with self.app.db.transaction() as conn:
            signer = await web_access.spend_login(conn, token, now)
            if signer is None:
                session = None
            else:
                session = await web_access.add_session(conn, signer, now, now + SESSION_LIFETIME)
                await audit.add_entry(
                    conn, signer.org_id, signer.member_id, "dashboard.sign_in", at=now
                )
        if session is None:
            return message(
                "Link expired", f"This sign-in link was used or expired. {NEW_LINK}", 410
            )
        response = web.Response(status=303, headers={"Location": PATH, "Cache-Control": "no-store"})
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

    async def visitor(self, request: web.Request) -> Visitor | web.Response:
        """The signed-in organizer making this request, or the page that says to sign in."""
        token = request.cookies.get(COOKIE, "")
        signer = None
        if token:
            async with self.app.db.reading() as conn:
                signer = await web_access.find_session(conn, token, self.app.services.clock.now())
        if signer is None:
            return message("Please sign in", f"You are not signed in. {NEW_LINK}", 401)
        org_name = await self.organizer(signer)
        if org_name is None:
            return _not_organizer()
        return Visitor(signer, token, invocation_of(signer), org_name)

    async def checked(self, request: web.Request) -> tuple[Visitor, dict[str, str]] | web.Response:
        """The visitor of a form's POST and its fields, once its form token is right."""
        found = await self.visitor(request)
        if isinstance(found, web.Response):
            return found
        form = {key: str(value) for key, value in (await request.post()).items()}
        if not hmac.compare_digest(form.get("csrf", ""), found.csrf):
            return message(
                "Form expired",
                "This form is out of date or came from another site; nothing was changed. "
                "Reload the page and try again.",
                403,
            )
        return found, form

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


def _not_organizer() -> web.Response:
    return message(
        "For organizers only",
        "The dashboard is for organizers, and this account is not an organizer there now.",
        403,
    )
