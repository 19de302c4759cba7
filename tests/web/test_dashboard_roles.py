"""The dashboard's role check asks the platform now, and the organization chooser, through the
real web adapter on both databases, with the tests' console answering for the console's
roles: a role lost in the platform ends the session and refuses the login link once the
minute an answer is remembered has passed; a platform that cannot be asked refuses (503)
unless an answer of the last few minutes is remembered; someone organizing two organizations
chooses one, switches, and cannot choose one they do not organize."""

from __future__ import annotations

from datetime import timedelta

from bot.config import Config, OrgConfig, RoleSources
from storage.db import Database
from tests.support import Person
from tests.web.test_dashboard import call, csrf_of, link_of, ok_text, sign_in
from tests.web_support import OLU, tracker_config, web_rig

#: past the minute an answer of the platform is used without asking again
PAST_FRESH = timedelta(seconds=61)
#: a command that makes the person a member of the organization it is typed in
JOIN = "/profile title:Librarian"


def three_orgs_config() -> Config:
    """The demo and Wisconsin organizations, and a third; organizers by the console's word."""
    config = tracker_config()
    config.orgs[1].organizers.console_roles.append("organizer")
    config.orgs.append(
        OrgConfig(
            slug="mn-library-workers",
            name="Minnesota Library Workers",
            timezone="America/Chicago",
            organizers=RoleSources(console_roles=["organizer"]),
        )
    )
    return config


async def test_a_role_lost_in_the_platform_ends_the_session_after_a_minute(
    database: Database,
) -> None:
    async with web_rig(database) as rig:
        session = await sign_in(rig)
        link = link_of(ok_text(await rig.bot.say(OLU, "/dashboard")))
        assert (await call(rig, "GET", "/dashboard", session=session)).status == 200
        await rig.bot.say(Person("olu"), "/help")  # the console now gives olu no role
        rig.bot.clock.advance(timedelta(seconds=30))
        remembered = await call(rig, "GET", "/dashboard", session=session)
        assert remembered.status == 200, "an answer is used for a minute"
        rig.bot.clock.advance(timedelta(seconds=31))
        for path in ("/dashboard", "/dashboard/alerts", "/dashboard/choose"):
            answer = await call(rig, "GET", path, session=session)
            assert answer.status == 403 and "for organizers" in answer.text, path
        for method in ("GET", "POST"):
            assert (await call(rig, method, link)).status == 403
        await rig.bot.say(OLU, "/help")  # organizer again
        rig.bot.clock.advance(PAST_FRESH)
        assert (await call(rig, "GET", "/dashboard", session=session)).status == 200


async def test_someone_no_longer_in_the_space_is_not_an_organizer(database: Database) -> None:
    async with web_rig(database) as rig:
        session = await sign_in(rig)
        del rig.bot.held[("console", "demo", "olu")]
        rig.bot.clock.advance(PAST_FRESH)
        answer = await call(rig, "GET", "/dashboard", session=session)
        assert answer.status == 403 and "for organizers" in answer.text


async def test_a_platform_that_cannot_be_asked_refuses_unless_a_recent_answer_is_known(
    database: Database,
) -> None:
    async with web_rig(database) as rig:
        session = await sign_in(rig)
        link = link_of(ok_text(await rig.bot.say(OLU, "/dashboard")))
        rig.bot.app.services.platform_roles.unregister("console", rig.console_roles)
        rig.bot.clock.advance(timedelta(minutes=4))
        stale = await call(rig, "GET", "/dashboard", session=session)
        assert stale.status == 200, "an answer of the last few minutes stands in"
        rig.bot.clock.advance(timedelta(minutes=1, seconds=1))
        for path in ("/dashboard", "/dashboard/audit"):
            answer = await call(rig, "GET", path, session=session)
            assert answer.status == 503, path
            assert "Could not check your role on the console just now" in answer.text
        shown = await call(rig, "GET", link)
        assert shown.status == 503 and not shown.cookie
        refused = await call(rig, "POST", link)
        assert refused.status == 503 and not refused.cookie
        rig.bot.answer_roles("console")
        signed = await call(rig, "POST", link)
        assert signed.status == 303, "the refused sign-in did not spend the link"


async def test_an_organizer_of_two_organizations_chooses_and_switches(
    database: Database,
) -> None:
    async with web_rig(database, three_orgs_config()) as rig:
        wi = Person("olu", roles=frozenset({"organizer"}), space="wi-library-workers")
        await rig.bot.say(wi, JOIN)
        await rig.bot.say(Person("olu", space="mn-library-workers"), JOIN)  # a member there
        link = link_of(ok_text(await rig.bot.say(OLU, "/dashboard")))
        signed = await call(rig, "POST", link)
        assert signed.status == 303 and signed.location == "/dashboard/choose"
        session = signed.cookie.split("rallybot_dashboard=", 1)[1].split(";", 1)[0]
        chooser = await call(rig, "GET", "/dashboard/choose", session=session)
        assert chooser.status == 200
        assert "Demo Library Workers" in chooser.text
        assert "Wisconsin Library Workers" in chooser.text
        assert "Minnesota" not in chooser.text
        csrf = csrf_of(chooser.text)
        home = await call(rig, "GET", "/dashboard", session=session)
        assert "Demo Library Workers" in home.text and "Switch organization" in home.text
        chosen = await call(
            rig, "POST", "/dashboard/choose", session=session,
            form={"csrf": csrf, "org": "wi-library-workers"},
        )  # fmt: skip
        assert chosen.status == 303 and chosen.location == "/dashboard"
        home = await call(rig, "GET", "/dashboard", session=session)
        assert home.status == 200 and "Wisconsin Library Workers" in home.text
        assert "Demo Library Workers" not in home.text
        audit = await call(rig, "GET", "/dashboard/audit", session=session)
        assert "dashboard.sign_in" in audit.text
        for org, status in (("mn-library-workers", 403), ("no-such-org", 400)):
            crafted = await call(
                rig, "POST", "/dashboard/choose", session=session,
                form={"csrf": csrf, "org": org},
            )  # fmt: skip
            assert crafted.status == status, (org, crafted.text)
        forged = await call(rig, "POST", "/dashboard/choose", session=session, form={"org": "demo"})
        assert forged.status == 403 and "nothing was changed" in forged.text
        home = await call(rig, "GET", "/dashboard", session=session)
        assert "Wisconsin Library Workers" in home.text, "the refused choices changed nothing"
        # losing the role in Wisconsin there ends this session's Wisconsin pages, while the
        # chooser still offers the demo organization
        await rig.bot.say(Person("olu", space="wi-library-workers"), "/help")
        rig.bot.clock.advance(PAST_FRESH)
        assert (await call(rig, "GET", "/dashboard", session=session)).status == 403
        chooser = await call(rig, "GET", "/dashboard/choose", session=session)
        assert chooser.status == 200 and "Wisconsin" not in chooser.text
        back = await call(
            rig, "POST", "/dashboard/choose", session=session,
            form={"csrf": csrf, "org": "demo"},
        )  # fmt: skip
        assert back.status == 303
        home = await call(rig, "GET", "/dashboard", session=session)
        assert home.status == 200 and "Demo Library Workers" in home.text


async def test_an_organizer_of_one_organization_goes_straight_to_the_dashboard(
    database: Database,
) -> None:
    async with web_rig(database, three_orgs_config()) as rig:
        await rig.bot.say(Person("olu", space="wi-library-workers"), JOIN)  # a member there
        link = link_of(ok_text(await rig.bot.say(OLU, "/dashboard")))
        signed = await call(rig, "POST", link)
        assert signed.status == 303 and signed.location == "/dashboard"
        session = signed.cookie.split("rallybot_dashboard=", 1)[1].split(";", 1)[0]
        home = await call(rig, "GET", "/dashboard", session=session)
        assert home.status == 200 and "Switch organization" in home.text
        csrf = csrf_of(home.text)
        crafted = await call(
            rig, "POST", "/dashboard/choose", session=session,
            form={"csrf": csrf, "org": "wi-library-workers"},
        )  # fmt: skip
        assert crafted.status == 403 and "for organizers" in crafted.text
        home = await call(rig, "GET", "/dashboard", session=session)
        assert "Demo Library Workers" in home.text
