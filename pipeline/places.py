"""Place-name corrections after NER: pure functions over mentions, no spaCy.

The small English pipelines are trained on OntoNotes (news up to 2006): names of places that
came into the news later, or that are spelt in transliteration, are often tagged PERSON or
ORG ("Stepanakert" PERSON, "Nagorno-Karabakh" ORG in both seed articles). Two corrections,
applied to the mentions before canonicalisation (`pipeline.entities`):

1. **Gazetteer.** A mention whose canonical key (case-folded, hyphens as spaces) is a name
   in `PLACES` takes that label, whatever NER said. Only whole mentions match, so "Michael
   Jordan" stays a PERSON while "Jordan" is a GPE. `PLACES` lists contested, breakaway and
   occupied territories and their main towns — places that are constantly in the news,
   that post-date or are rare in the training data, and whose names are also surnames or
   organisation-like — with their de facto status: GPE where a government administers
   them (a city, a region with its own authorities), LOC for a geographic region.
2. **Corridors.** A place name followed by the word "corridor" is one LOC entity with it
   ("Lachin corridor", "Zangezur Corridor", "Suwałki corridor"): the mention is extended
   over the word, or relabelled when NER already included it.

Everything else is left to the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.entities import Mention, canonical_key, canonical_text

__all__ = ["PLACES", "correct_places"]

_GPE = """
nagorno karabakh|artsakh|stepanakert|khankendi|shusha|shushi|lachin|transnistria|tiraspol|
abkhazia|sukhumi|south ossetia|tskhinvali|crimea|simferopol|sevastopol|donetsk|luhansk|
gaza|gaza strip|rafah|khan younis|khan yunis|jenin|ramallah|nablus|hebron|west bank|
golan heights|northern cyprus|somaliland|hargeisa|kosovo|pristina|tigray|mekelle|
darfur|el fasher|rojava|kurdistan|erbil|xinjiang|urumqi|tibet|lhasa|kashmir|srinagar|
jammu and kashmir|puntland|cabo delgado|bakhmut|avdiivka|mariupol|kherson|zaporizhzhia
"""
_LOC = """
donbas|donbass|sahel|sinai|western sahara|spratly islands|paracel islands|kuril islands|
aksai chin|siachen|zangezur|syunik|arctic|horn of africa|red sea|black sea|south china sea
"""
PLACES: dict[str, str] = {
    **{name.strip(): "GPE" for name in _GPE.replace("\n", "").split("|")},
    **{name.strip(): "LOC" for name in _LOC.replace("\n", "").split("|")},
}
"""Canonical key → label; see the module docstring for what belongs here."""

_CORRIDOR_AFTER = re.compile(r"[ \t]+corridor\b", re.IGNORECASE)
_PLACE_LIKE = frozenset(("GPE", "LOC", "FAC", "PERSON", "ORG", "NORP"))


def correct_places(mentions: Iterable[Mention], text: str) -> list[Mention]:
    """`mentions` of `text` with the gazetteer labels and corridors applied (same order)."""
    corrected = []
    for m in mentions:
        key = canonical_key(canonical_text(m.text))
        if m.label in _PLACE_LIKE:
            if key.endswith(" corridor"):
                m = Mention(m.text, "LOC", m.start, m.end)
            elif after := _CORRIDOR_AFTER.match(text, m.end):
                m = Mention(text[m.start : after.end()], "LOC", m.start, after.end())
            elif key in PLACES:
                m = Mention(m.text, PLACES[key], m.start, m.end)
        corrected.append(m)
    return corrected
