"""Canonical named entities for the enrich stage: pure functions over NER mentions, no spaCy.

NER (`pipeline/ner.py`) runs once per article on `ner_text(title, body)`, that is
``title + "\\n\\n" + body``. Every offset here counts characters in that text: a mention
is in the title iff ``start < len(title)``, and a body offset is ``len(title) + 2`` more
than the same position in `body`. Truncation for NER only cuts the end, so offsets stay
valid in the full text.

Canonical surface form, `canonical_text` (rules applied again until nothing changes, so
``“the Lachin Corridor’s”`` becomes ``Lachin Corridor``):

1. curly quotes become straight ones (’ → ', “ → "); whitespace runs become one space;
2. a trailing possessive goes: ``Azerbaijan's`` → ``Azerbaijan``, ``Reuters'`` → ``Reuters``;
3. quotes, brackets and punctuation around the text are stripped (a bracket is kept when
   its partner is inside: ``Party (UK)``; a final "." is kept: ``U.S.``, ``Inc.``);
4. a leading whole word "the" goes, in any case: ``the United States`` → ``United States``.
   This also turns "The Hague" into "Hague": one predictable rule beats a list of exceptions.
5. a text with no letter or digit left is empty (the model tags stray symbols: 🇺 as DATE).

Case is otherwise kept. The merge key, `canonical_key`, is the case-folded text with runs of
whitespace, hyphens and dashes made one space: "Lachin Corridor" and "Lachin corridor",
"Nagorno-Karabakh" and "Nagorno Karabakh" share a key.

Per article, `canonical_entities` groups mentions by key. For a group with mentions m_i:

- label = argmax over labels L of #{i : label(m_i) = L}; ties go to the label earliest in
  `LABEL_PRIORITY`. Every mention votes, so one mislabelled mention ("Azerbaijan" as PERSON
  once, GPE twice) is outvoted. A group whose label is not in `KEPT_LABELS` is dropped.
- text = the most frequent canonical surface; ties go to the one seen first.
- count = number of mentions in the group (whatever label each had).
- first_offset = min start(m_i).
- in_title = some mention starts in the title, or the text occurs in the title as whole
  words: case-insensitively by key (headlines are often Title Case), but exactly for an
  all-capitals acronym, so "US" does not match the word "us".

Short forms of names (news style: "Maria Zakharova", then "Zakharova"): a PERSON or ORG
entity whose words (by key) are some, in order, of the words of a longer PERSON name of the
same article folds into that name when its first mention comes after the name's first
mention, or in the title (headlines use the short form): counts add up, first_offset is the
earlier one, in_title is either's. ORG too because the small English model tags surnames it
does not know as organisations ("Kokesh", "Pence"); never a place, which people are named
after ("Washington" the GPE after "George Washington" stays a place). Names are folded
longest first, so "Vladimir Putin" folds into "Vladimir Vladimirovich Putin" before "Putin"
is matched. A short form that fits two names ("Biden" after "Joe Biden" and "Hunter Biden")
stays on its own.

The result is ordered by first_offset.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "KEPT_LABELS",
    "LABEL_PRIORITY",
    "NAMED_LABELS",
    "TITLE_BODY_SEPARATOR",
    "CanonicalEntity",
    "Mention",
    "canonical_entities",
    "canonical_key",
    "canonical_text",
    "fold_short_forms",
    "ner_text",
]

TITLE_BODY_SEPARATOR = "\n\n"
"""Joins title and body in the text NER sees; a paragraph break, so no entity spans it."""

KEPT_LABELS = frozenset(
    ("PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "DATE")
)
"""OntoNotes labels worth keeping: the names news is about (who, where, which group, thing,
event, law) and DATE, which anchors events ("2020"). Dropped: CARDINAL, ORDINAL, QUANTITY,
PERCENT, MONEY, TIME and LANGUAGE, values rather than names: nobody follows "six" or "40%"
across stories, and they would crowd out the names."""

NAMED_LABELS = KEPT_LABELS - {"DATE"}
"""The kept labels that name something: people, organisations, places (GPE, LOC, FAC),
groups (NORP), events, works, laws and products. What the dashboard ranks and suggests;
DATE stays in the records, where it anchors events, but "Wednesday" is nothing to follow."""

_LABEL_ORDER = (
    "GPE LOC ORG PERSON NORP FAC EVENT PRODUCT WORK_OF_ART LAW DATE "
    "TIME MONEY PERCENT QUANTITY ORDINAL CARDINAL LANGUAGE"
)
LABEL_PRIORITY = tuple(_LABEL_ORDER.split())
"""Tie-break of the majority label, first wins; other labels come after, alphabetically.
Places first: the small English model's usual error is a place tagged ORG or PERSON. Kept
labels precede dropped ones, so a year tagged DATE once and CARDINAL once stays a DATE."""

_PRIORITY = {label: rank for rank, label in enumerate(LABEL_PRIORITY)}


@dataclass(frozen=True, slots=True)
class Mention:
    """One NER span: its surface text, label and [start, end) offsets in `ner_text`."""

    text: str
    label: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class CanonicalEntity:
    """An article's entity, with the fields of `schemas.article.Entity` (no faust here)."""

    text: str
    label: str
    count: int
    first_offset: int
    in_title: bool


def ner_text(title: str, body: str) -> str:
    """The one text NER runs on for an article; offsets of mentions count in it."""
    return f"{title}{TITLE_BODY_SEPARATOR}{body}" if title else body


_QUOTES = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "‟": '"'}
    | {"″": '"', "«": '"', "»": '"'}
)
# Stripped from either end of a surface form; "." is not, it ends abbreviations (U.S., Inc.).
_EDGE_PUNCT = "\"'`,;:!?*•·…/\\|-‐‑‒–—―_"
_PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">"}
_CLOSERS = {close: open_ for open_, close in _PAIRS.items()}
_POSSESSIVE = re.compile(r"(?:'[sS]|(?<=[sS])')$")
_LEADING_THE = re.compile(r"the\s+", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―]+")


def _strip_edges(text: str) -> str:
    """Strip punctuation and quotes at both ends, and brackets whose partner is not inside."""
    while text:
        first, last = text[0], text[-1]
        if first in _EDGE_PUNCT or (first in _PAIRS and _PAIRS[first] not in text[1:]):
            text = text[1:]
        elif last in _EDGE_PUNCT or (last in _CLOSERS and _CLOSERS[last] not in text[:-1]):
            text = text[:-1]
        elif first in _PAIRS and last == _PAIRS[first] and last not in text[1:-1]:
            text = text[1:-1]  # "(UN)": one pair around the whole text
        else:
            break
        text = text.strip()
    return text


def canonical_text(surface: str) -> str:
    """The canonical form of an entity's surface text (see the module docstring); may be ""."""
    text = " ".join(surface.translate(_QUOTES).split())
    while True:
        before = text
        text = _strip_edges(_POSSESSIVE.sub("", text).rstrip())
        if _LEADING_THE.match(text):
            text = _LEADING_THE.sub("", text, count=1)
        if text == before:
            return text if any(char.isalnum() for char in text) else ""


def _unified(text: str) -> str:
    """Straight quotes, and one space for each run of whitespace, hyphens and dashes."""
    return _SEPARATORS.sub(" ", text.translate(_QUOTES)).strip()


def canonical_key(text: str) -> str:
    """The merge key: case-folded, whitespace, hyphens and dashes unified to single spaces."""
    return _unified(text).casefold()


def _contains_words(haystack: str, needle: str) -> bool:
    """Whether `needle` occurs in `haystack` with no letter or digit right before or after."""
    start = haystack.find(needle)
    while start >= 0:
        end = start + len(needle)
        before_ok = start == 0 or not haystack[start - 1].isalnum()
        after_ok = end == len(haystack) or not haystack[end].isalnum()
        if before_ok and after_ok:
            return True
        start = haystack.find(needle, start + 1)
    return False


def _majority_label(labels: list[str]) -> str:
    counts = Counter(labels)
    return min(counts, key=lambda lb: (-counts[lb], _PRIORITY.get(lb, len(_PRIORITY)), lb))


def canonical_entities(mentions: Iterable[Mention], title: str) -> list[CanonicalEntity]:
    """Group an article's mentions into canonical entities (rules in the module docstring).

    `mentions` carry offsets in `ner_text(title, body)`; their order does not matter.
    """
    groups: dict[str, list[tuple[Mention, str]]] = {}
    for mention in sorted(mentions, key=lambda m: (m.start, m.end, m.label)):
        text = canonical_text(mention.text)
        if text:
            groups.setdefault(canonical_key(text), []).append((mention, text))
    title_unified = _unified(title)
    title_key = title_unified.casefold()
    entities = []
    for key, members in groups.items():
        label = _majority_label([mention.label for mention, _ in members])
        if label not in KEPT_LABELS:
            continue
        # Counter keeps first-seen order, and most_common is stable: ties go to the first seen.
        text = Counter(text for _, text in members).most_common(1)[0][0]
        first = members[0][0].start
        in_title = any(mention.start < len(title) for mention, _ in members)
        if not in_title:
            acronym = text.isupper()
            in_title = _contains_words(
                title_unified if acronym else title_key, _unified(text) if acronym else key
            )
        entities.append(CanonicalEntity(text, label, len(members), first, in_title))
    entities = fold_short_forms(entities, len(title))
    return sorted(entities, key=lambda e: (e.first_offset, canonical_key(e.text)))


_SHORT_FORM_LABELS = frozenset({"PERSON", "ORG"})


def _is_part_of(short: list[str], full: list[str]) -> bool:
    """Whether `short` is `full` with some words left out (a subsequence, order kept)."""
    rest = iter(full)
    return len(short) < len(full) and all(word in rest for word in short)


def fold_short_forms(entities: list[CanonicalEntity], title_length: int) -> list[CanonicalEntity]:
    """Fold each later short form of a PERSON name into that name (module docstring)."""
    words = {id(e): canonical_key(e.text).split() for e in entities}
    people = sorted((e for e in entities if e.label == "PERSON"), key=lambda e: -len(words[id(e)]))
    merged: dict[int, CanonicalEntity] = {id(e): e for e in entities}  # by original entity
    into: dict[int, int] = {}  # folded entity -> the name it went into
    shorts = sorted(
        (e for e in entities if e.label in _SHORT_FORM_LABELS), key=lambda e: -len(words[id(e)])
    )
    for short in shorts:
        names = [
            full
            for full in people
            if id(full) not in into
            and _is_part_of(words[id(short)], words[id(full)])
            and (short.first_offset > full.first_offset or short.first_offset < title_length)
        ]
        if len(names) != 1:
            continue
        target, gone = merged[id(names[0])], merged[id(short)]
        merged[id(names[0])] = CanonicalEntity(
            target.text,
            target.label,
            target.count + gone.count,
            min(target.first_offset, gone.first_offset),
            target.in_title or gone.in_title,
        )
        into[id(short)] = id(names[0])
    return [merged[id(e)] for e in entities if id(e) not in into]
