"""A cheap language tag: a stop-word vote over the start of the text.

This is a heuristic for tagging articles, not a classifier. Each language has a small
set of very common function words, chosen to overlap little with the others (no "de",
"en", "in", "la"); every word of the first `SAMPLE_CHARS` characters that is in a set
is one vote. The leader wins only with at least `MIN_VOTES` votes and at least
`MIN_LEAD_RATIO` times the runner-up's; otherwise the answer is None (unknown). Short,
mixed or other-language texts are meant to come out None rather than wrong.
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["MIN_LEAD_RATIO", "MIN_VOTES", "SAMPLE_CHARS", "STOP_WORDS", "guess_language"]

SAMPLE_CHARS = 2_000
MIN_VOTES = 5
MIN_LEAD_RATIO = 2


def _words(spaced: str) -> frozenset[str]:
    """A word set written as one space-separated string, to keep the lists compact."""
    return frozenset(spaced.split())


STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and of to is was that for with on are it as by at this from has have be were "
        "which an but not his their they been said will would"
    ),
    "de": _words(
        "der die das und ist nicht ein eine einen mit den dem des auf für sich von zu im "
        "auch wird wurde hat bei nach sind dass sie er aus"
    ),
    "fr": _words(
        "le les et est une du dans pour qui pas sur au aux avec ce elle sont par plus ont "
        "été cette mais ses leur qu nous ces"
    ),
    "es": _words(
        "el los las y es del una por con para lo como más pero sus fue este esta también "
        "muy hay ya según dijo cuando han está están"
    ),
    "pt": _words(
        "o os do da dos das em na nas um não mais foi ao à às pelo pela são também seu sua "
        "ele disse já uma com para"
    ),
    "it": _words(
        "il di che è della per non sono si nel nella gli delle dei degli alla anche più "
        "questo questa ai dal dopo ma stato ha"
    ),
    "nl": _words(
        "het een van op te zijn met voor niet aan om ook bij maar werd naar door uit wordt "
        "heeft nog dan deze dit worden hun geen"
    ),
}
"""ISO 639-1 code -> its stop words (lower case)."""

# Runs of letters: "qu'il" gives "qu" and "il", digits and punctuation give nothing.
_WORD = re.compile(r"[^\W\d_]+")

# Stop word -> the languages that list it (in STOP_WORDS order): one lookup per word.
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {
    word: tuple(code for code, words in STOP_WORDS.items() if word in words)
    for word in frozenset().union(*STOP_WORDS.values())
}


def guess_language(text: str) -> str | None:
    """Return the ISO 639-1 code (en, de, fr, es, pt, it, nl) `text` is written in, or None.

    None means too few votes or no clear winner; see the module docstring.
    """
    votes: Counter[str] = Counter()
    languages_of = _LANGUAGES_OF.get
    for word in _WORD.findall(text[:SAMPLE_CHARS].lower()):
        for code in languages_of(word, ()):
            votes[code] += 1
    ranked = [*votes.most_common(2), ("", 0), ("", 0)]
    (leader, lead), (_, runner_up) = ranked[0], ranked[1]
    if lead >= MIN_VOTES and lead >= MIN_LEAD_RATIO * runner_up:
        return leader
    return None
