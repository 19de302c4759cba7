"""Timezones as people name them: cities, US states, abbreviations, and the ambiguous ones."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import ConfigError, load_config
from bot.errors import ValidationError
from bot.options import Timezone, suggest_timezones
from bot.zones import city_index, resolve_zone


def refusal(text: str, option: str = "timezone") -> str:
    """The rule of the refusal of ``text``, checking it names ``option``."""
    with pytest.raises(ValidationError) as err:
        resolve_zone(text, option)
    assert err.value.field == option
    return err.value.rule


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        # IANA names as before, any case, spaces for underscores
        ("America/Chicago", "America/Chicago"),
        ("america/new york", "America/New_York"),
        ("Europe/London", "Europe/London"),
        ("Etc/GMT+5", "Etc/GMT+5"),
        # the city part of an IANA name
        ("Chicago", "America/Chicago"),
        ("London", "Europe/London"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("Los Angeles", "America/Los_Angeles"),
        ("st. johns", "America/St_Johns"),
        ("port au prince", "America/Port-au-Prince"),
        ("Kolkata", "Asia/Kolkata"),
        # two IANA names of one zone count once, by the more specific name
        ("Indianapolis", "America/Indiana/Indianapolis"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        # US states, district and territories
        ("Illinois", "America/Chicago"),
        ("new jersey", "America/New_York"),
        ("California", "America/Los_Angeles"),
        ("Arizona", "America/Phoenix"),
        ("Colorado", "America/Denver"),
        ("Georgia", "America/New_York"),  # the state, not the country
        ("Washington", "America/Los_Angeles"),
        ("District of Columbia", "America/New_York"),
        ("Washington DC", "America/New_York"),
        ("Puerto Rico", "America/Puerto_Rico"),
        ("Guam", "Pacific/Guam"),
        # abbreviations and words, US zones first
        ("Eastern", "America/New_York"),
        ("ET", "America/New_York"),
        ("EST", "America/New_York"),  # not IANA's fixed EST, which has no daylight time
        ("EDT", "America/New_York"),
        ("Eastern Standard Time", "America/New_York"),
        ("CST", "America/Chicago"),  # not China
        ("Central", "America/Chicago"),
        ("central time", "America/Chicago"),
        ("PT", "America/Los_Angeles"),
        ("Pacific", "America/Los_Angeles"),
        ("pacific time", "America/Los_Angeles"),
        ("MT", "America/Denver"),  # Mountain time, not Montana's code
        ("MST", "America/Denver"),
        ("AKST", "America/Anchorage"),
        ("Alaska", "America/Anchorage"),
        ("HST", "Pacific/Honolulu"),
        ("Hawaii", "Pacific/Honolulu"),
        ("UTC", "UTC"),
        ("GMT", "GMT"),
        ("JST", "Asia/Tokyo"),
    ],
)
def test_names_resolve(text: str, zone: str) -> None:
    assert resolve_zone(text, "timezone").key == zone


def test_est_is_eastern_time_with_daylight_saving() -> None:
    july = datetime(2026, 7, 1, 12, tzinfo=resolve_zone("EST", "timezone"))
    assert july.tzname() == "EDT"


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("IST", ["Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"]),
        ("BST", ["Europe/London", "Asia/Dhaka"]),
    ],
)
def test_an_ambiguous_abbreviation_is_refused_with_the_candidates(
    text: str, candidates: list[str]
) -> None:
    rule = refusal(text)
    assert rule.startswith(f"{text} could mean ")
    assert all(zone in rule for zone in candidates)


@pytest.mark.parametrize(
    ("state", "zones"),
    [
        ("Texas", "America/Chicago or America/Denver"),
        ("Florida", "America/New_York or America/Chicago"),
        ("Indiana", "America/Indiana/Indianapolis or America/Chicago"),
        ("Tennessee", "America/Chicago or America/New_York"),
        ("Michigan", "America/Detroit or America/Menominee"),
    ],
)
def test_a_state_in_two_zones_is_refused_most_populous_first(state: str, zones: str) -> None:
    assert refusal(state) == (
        f"{state} has more than one timezone: {zones} (the first for most people there); "
        "type the one you mean, or your city"
    )


def test_a_city_in_two_different_zones_is_refused_with_both() -> None:
    names = [
        "America/Indianapolis",
        "America/Indiana/Indianapolis",
        "America/Springfield",  # not a zone of tzdata: a zone of its own
        "Australia/Springfield",
        "US/Central",  # not a city
    ]
    index = city_index(names)
    assert index["indianapolis"] == ("America/Indiana/Indianapolis",)
    assert index["springfield"] == ("America/Springfield", "Australia/Springfield")
    assert "central" not in index


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("Chicgo", " (did you mean Chicago?)"),
        ("Illinios", " (did you mean Illinois?)"),
        ("Mars/Olympus", ""),
        ("IL", ""),  # state codes are not taken: CT and MT are zones too
    ],
)
def test_unknown_names_say_what_is_taken(text: str, hint: str) -> None:
    rule = refusal(text, "tz")
    assert rule.startswith("must be an IANA timezone name such as America/Chicago, or a city")
    assert rule.endswith("abbreviation (CST)" + hint)


def test_the_option_stores_the_iana_name() -> None:
    option = Timezone("timezone")
    assert option.parse("Chicago") == "America/Chicago"
    assert option.parse(" eastern ") == "America/New_York"
    with pytest.raises(ValidationError) as err:
        option.parse("IST")
    assert err.value.field == "timezone"


async def test_autocomplete_offers_the_named_zone_first() -> None:
    offered = await suggest_timezones(None, "Illinois")  # type: ignore[arg-type]
    assert offered[0] == ("America/Chicago", "America/Chicago")
    offered = await suggest_timezones(None, "Chicago")  # type: ignore[arg-type]
    assert offered == [("America/Chicago", "America/Chicago")]


def test_the_config_takes_a_zone_name_and_keeps_the_iana_name(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[orgs]]\nslug = "a"\ntimezone = "Central"\n')
    assert load_config(path).orgs[0].timezone == "America/Chicago"
    path.write_text('[[orgs]]\nslug = "a"\ntimezone = "Texas"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "[[orgs]] #1 timezone: 'Texas': Texas has more than one timezone" in str(err.value)


@given(st.text(max_size=70))
def test_any_text_resolves_or_is_refused_naming_the_option(text: str) -> None:
    try:
        zone = resolve_zone(text, "timezone")
    except ValidationError as err:
        assert err.field == "timezone" and err.rule
    else:
        assert zone.key in zoneinfo.available_timezones()
