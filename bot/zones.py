"""Timezones as people name them, to one IANA zone, wherever a timezone is typed.

Read in this order (case, dots, ``_``, ``-`` and extra spaces ignored):

1. a common abbreviation or word, US zones first: ``Eastern``/``ET``/``EST``/``EDT``,
   ``Central``/``CT``/``CST``/``CDT``, ``Mountain``/``MT``/``MST``/``MDT``,
   ``Pacific``/``PT``/``PST``/``PDT``, ``Alaska``/``AKST``, ``Hawaii``/``HST``, ``AST`` (Puerto
   Rico), ``ChST`` (Guam), a few unambiguous ones elsewhere (``JST``, ``AEST`` …), with or
   without "time" or "standard time" after it. ``EST`` and ``MST`` are also IANA names of
   fixed offsets without daylight saving; people typing them mean the US zones, so they are
   read as those. ``CST`` is US Central, never China;
2. an IANA name, ``America/Chicago``, ``UTC``, ``GMT``;
3. a US state, district or territory by its full name (``Illinois``, ``District of
   Columbia``; two-letter codes are not taken, ``CT`` and ``MT`` being zones too). A state
   whose land lies in more than one zone (Texas, Florida, Indiana …) is refused with its
   zones, the most populous first: a guess would put part of the state an hour off without
   a word. Arizona is America/Phoenix (no daylight saving, as the state keeps), Alaska is
   America/Anchorage;
4. the city part of an IANA name, ``Chicago``, ``London``, ``new york``. IANA names that are
   the same zone under two names (``America/Indianapolis`` and
   ``America/Indiana/Indianapolis``) count once, by the more specific name; a city in two
   different zones is refused with the candidates.

An abbreviation that means different zones around the world (``IST``: India, Israel,
Ireland; ``BST``) is refused with the candidates.
"""

from __future__ import annotations

import re
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from importlib import resources

from bot.errors import ValidationError
from bot.suggest import nearest

NY, CHI, DEN, LA = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
_WORDS: dict[str, str] = {
    **dict.fromkeys(("eastern", "et", "est", "edt"), NY),
    **dict.fromkeys(("central", "ct", "cst", "cdt"), CHI),
    **dict.fromkeys(("mountain", "mt", "mst", "mdt"), DEN),
    **dict.fromkeys(("pacific", "pt", "pst", "pdt"), LA),
    **dict.fromkeys(("alaska", "akt", "akst", "akdt"), "America/Anchorage"),
    **dict.fromkeys(("hawaii", "hst", "hast"), "Pacific/Honolulu"),
    **dict.fromkeys(("atlantic", "ast"), "America/Puerto_Rico"),
    "chst": "Pacific/Guam",
    "sst": "Pacific/Pago_Pago",
    **dict.fromkeys(("utc", "z", "zulu", "universal"), "UTC"),
    "gmt": "GMT",
    **dict.fromkeys(("cet", "cest"), "Europe/Paris"),
    **dict.fromkeys(("eet", "eest"), "Europe/Athens"),
    "jst": "Asia/Tokyo",
    "kst": "Asia/Seoul",
    "hkt": "Asia/Hong_Kong",
    "sgt": "Asia/Singapore",
    "msk": "Europe/Moscow",
    **dict.fromkeys(("aest", "aedt"), "Australia/Sydney"),
    **dict.fromkeys(("nzst", "nzdt"), "Pacific/Auckland"),
}
#: abbreviations that name different zones in different countries
_AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "ist": ("Asia/Kolkata (India)", "Asia/Jerusalem (Israel)", "Europe/Dublin (Ireland)"),
    "bst": ("Europe/London (British summer)", "Asia/Dhaka (Bangladesh)"),
    "gst": ("Asia/Dubai (Gulf)", "Atlantic/South_Georgia (South Georgia)"),
    "amt": ("America/Manaus (Amazon)", "Asia/Yerevan (Armenia)"),
}
#: each US state, district and territory: its zones, the most populous first
_STATES: dict[str, tuple[str, ...]] = {
    "alabama": (CHI,),
    "arizona": ("America/Phoenix",),
    "arkansas": (CHI,),
    "california": (LA,),
    "colorado": (DEN,),
    "connecticut": (NY,),
    "delaware": (NY,),
    "florida": (NY, CHI),
    "georgia": (NY,),
    "idaho": ("America/Boise", LA),
    "illinois": (CHI,),
    "indiana": ("America/Indiana/Indianapolis", CHI),
    "iowa": (CHI,),
    "kansas": (CHI, DEN),
    "kentucky": ("America/Kentucky/Louisville", CHI),
    "louisiana": (CHI,),
    "maine": (NY,),
    "maryland": (NY,),
    "massachusetts": (NY,),
    "michigan": ("America/Detroit", "America/Menominee"),
    "minnesota": (CHI,),
    "mississippi": (CHI,),
    "missouri": (CHI,),
    "montana": (DEN,),
    "nebraska": (CHI, DEN),
    "nevada": (LA,),
    "new hampshire": (NY,),
    "new jersey": (NY,),
    "new mexico": (DEN,),
    "new york": (NY,),
    "north carolina": (NY,),
    "north dakota": (CHI, DEN),
    "ohio": (NY,),
    "oklahoma": (CHI,),
    "oregon": (LA, "America/Boise"),
    "pennsylvania": (NY,),
    "rhode island": (NY,),
    "south carolina": (NY,),
    "south dakota": (CHI, DEN),
    "tennessee": (CHI, NY),
    "texas": (CHI, DEN),
    "utah": (DEN,),
    "vermont": (NY,),
    "virginia": (NY,),
    "washington": (LA,),
    "west virginia": (NY,),
    "wisconsin": (CHI,),
    "wyoming": (DEN,),
    "district of columbia": (NY,),
    "washington dc": (NY,),
    "dc": (NY,),
    "puerto rico": ("America/Puerto_Rico",),
    "guam": ("Pacific/Guam",),
    "us virgin islands": ("America/St_Thomas",),
    "virgin islands": ("America/St_Thomas",),
    "american samoa": ("Pacific/Pago_Pago",),
    "northern mariana islands": ("Pacific/Saipan",),
}
#: the first part of the IANA names whose last part is a city (not US/, Etc/ …)
_REGIONS = frozenset(
    "Africa America Antarctica Arctic Asia Atlantic Australia Europe Indian Pacific".split()
)
_SUFFIX = re.compile(r"(?: (?:standard|daylight|daylight saving|summer))? time$")
_RULE = (
    "must be an IANA timezone name such as America/Chicago, or a city (Chicago), "
    "a US state (Illinois) or an abbreviation (CST)"
)


def _fold(text: str) -> str:
    """Case, dots, '_', '-' and runs of spaces ignored: "New_York" == "new york"."""
    return " ".join(re.sub(r"[._\-]", " ", text.casefold()).split())


def _or(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def _zone_data(name: str) -> bytes:
    """A zone's compiled rules, equal for two names of one zone."""
    try:
        return resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).read_bytes()
    except (FileNotFoundError, ModuleNotFoundError):
        return name.encode()  # a zone this tzdata lacks stands alone


@cache
def _names() -> dict[str, str]:
    """Every IANA name, by its folded form."""
    return {_fold(name): name for name in zoneinfo.available_timezones()}


def city_index(names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each city part of the IANA ``names`` (folded), with one name per distinct zone it is
    in: of two names of one zone, the more specific (``America/Indiana/Indianapolis``)."""
    by_city: dict[str, dict[bytes, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name in names:
        region, _, rest = name.partition("/")
        if region in _REGIONS and rest:
            by_city[_fold(rest.rpartition("/")[2])][_zone_data(name)].append(name)
    return {
        city: tuple(
            sorted(min(names, key=lambda n: (-n.count("/"), n)) for names in zones.values())
        )
        for city, zones in by_city.items()
    }


@cache
def _cities() -> dict[str, tuple[str, ...]]:
    return city_index(zoneinfo.available_timezones())


@cache
def _known() -> dict[str, str]:
    """What a near-spelling may be offered as: each city, state and word, as people write it."""
    known = {word: word for word in _WORDS if len(word) > 3}
    known |= {state: state.title() for state in _STATES}
    return known | {
        city: names[0].rpartition("/")[2].replace("_", " ") for city, names in _cities().items()
    }


def resolve_zone(text: str, option: str) -> zoneinfo.ZoneInfo:
    """The IANA zone a person means by ``text``: an abbreviation, an IANA name, a US state or
    a city, in that order (see the module's notes). Raises ``ValidationError(option, rule)``
    naming the candidates when the text could mean more than one zone, and the accepted
    forms (with the nearest known name) when it names none."""
    folded = _SUFFIX.sub("", _fold(text)) or _fold(text)
    name = _WORDS.get(folded) or _names().get(_fold(text))
    if name is None and folded in _STATES:
        zones = _STATES[folded]
        if len(zones) > 1:
            raise ValidationError(
                option,
                f"{text.strip()} has more than one timezone: {_or(list(zones))} "
                "(the first for most people there); type the one you mean, or your city",
            )
        name = zones[0]
    if name is None and folded in _AMBIGUOUS:
        choices = _or(list(_AMBIGUOUS[folded]))
        raise ValidationError(option, f"{text.strip()} could mean {choices}; type the one you mean")
    if name is None and folded in _cities():
        found = _cities()[folded]
        if len(found) > 1:
            raise ValidationError(
                option, f"{text.strip()} is in more than one timezone: {_or(list(found))}"
            )
        name = found[0]
    if name is None:
        close = nearest(folded, _known()) if len(folded) > 2 else []  # "IL" is not "Dili"
        hint = f" (did you mean {_known()[close[0]]}?)" if close else ""
        raise ValidationError(option, _RULE + hint)
    return zoneinfo.ZoneInfo(name)
