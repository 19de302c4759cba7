"""The nearest known word to one a person mistyped, for every "did you mean" rallybot says:
an unknown command, action or option name, a profile choice, a ballot choice. One matcher
(difflib's ratio), so every feature suggests alike."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches

#: how alike two words must be (difflib ratio) to be suggested at all
SUGGEST_CUTOFF = 0.6
#: how alike a near-spelling must be to be taken for the word itself
ACCEPT_CUTOFF = 0.8


def nearest(word: str, known: Iterable[str], cutoff: float = SUGGEST_CUTOFF) -> list[str]:
    """The known words closest to ``word`` (case ignored), best first; empty if none is close.
    Known words are returned as given."""
    by_folded: dict[str, str] = {}
    for item in known:
        by_folded.setdefault(item.casefold(), item)
    found = get_close_matches(word.casefold(), list(by_folded), n=3, cutoff=cutoff)
    return [by_folded[item] for item in found]


def did_you_mean(word: str, known: Iterable[str], template: str = "{}") -> str:
    """`` (did you mean X?)`` for the nearest known word, or an empty string when none is
    close; ``template`` shapes the word (``"/{}"`` for a command)."""
    found = nearest(word, known)
    return f" (did you mean {template.format(found[0])}?)" if found else ""


def accept_near(word: str, known: Iterable[str]) -> str | None:
    """The one known word ``word`` is a near-spelling of, or None when no word is close
    enough or two are equally close (a guess between them would be a guess)."""
    found = nearest(word, known, cutoff=ACCEPT_CUTOFF)
    if len(found) == 1:
        return found[0]
    return None
