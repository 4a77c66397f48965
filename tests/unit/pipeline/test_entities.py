"""pipeline/entities.py: every canonicalisation rule, on sentences from the two seed articles."""

from __future__ import annotations

from dataclasses import asdict, fields

import pytest

from pipeline.entities import (
    KEPT_LABELS,
    LABEL_PRIORITY,
    CanonicalEntity,
    Mention,
    canonical_entities,
    canonical_key,
    canonical_text,
    ner_text,
)
from schemas.article import Entity

# Seed 000: its title and sentences of its body, verbatim.
TITLE_1 = "Azerbaijan Launches “Anti-Terrorist Campaign” in Nagorno-Karabakh"
BODY_1 = (
    "Azerbaijan’s Defense Ministry has announced the launch of an “anti-terrorist campaign” in "
    "the breakaway region of Nagorno-Karabakh.\n\n"
    "Nagorno-Karabakh has been a source of longstanding tensions between Azerbaijan and "
    "Armenia. The region has witnessed two wars over control, with its status as part of "
    "Azerbaijan internationally recognized.\n\n"
    "The previous major conflict in Nagorno-Karabakh occurred in 2020, lasting for six weeks "
    "before a Russian-brokered ceasefire was established.\n\n"
    "Armenia accuses Azerbaijan of causing a humanitarian crisis in Nagorno-Karabakh by "
    "blocking the Lachin Corridor, the only road connecting the region to Armenia."
)
# Seed 002: sentences naming Azerbaijan three times, and the corridor in lower case.
SEED_2_HISTORY = (
    "The conflict in Nagorno-Karabakh has a long history, with Azerbaijan and Armenia having "
    "fought two wars for control. Currently, the region is internationally recognized as part "
    "of Azerbaijan, although it is predominantly populated by ethnic Armenians."
)
SEED_2_LACHIN = (
    "Armenia has accused Azerbaijan of creating a humanitarian crisis in Nagorno-Karabakh by "
    "blocking the Lachin corridor, the sole road that links the region to Armenia. The "
    "corridor is now monitored by Russian peacekeepers."
)


def at(text: str, surface: str, label: str, nth: int = 0) -> Mention:
    """A mention of the `nth` occurrence of `surface` in `text`."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return Mention(surface, label, start, start + len(surface))


# canonical_text


@pytest.mark.parametrize(
    ("surface", "expected"),
    [
        ("the Lachin Corridor", "Lachin Corridor"),
        ("The United Nations", "United Nations"),
        ("the Azerbaijani Defense Ministry", "Azerbaijani Defense Ministry"),
        ("the 1990s", "1990s"),
        ("THE  United States", "United States"),
        ("Theodore Roosevelt", "Theodore Roosevelt"),  # "the" only as a whole word
        ("The", "The"),
    ],
)
def test_leading_the_goes_only_as_a_whole_word(surface: str, expected: str) -> None:
    assert canonical_text(surface) == expected


@pytest.mark.parametrize(
    ("surface", "expected"),
    [
        ("Azerbaijan’s", "Azerbaijan"),  # curly, as the seeds write it
        ("Azerbaijan's", "Azerbaijan"),
        ("Armenia’s", "Armenia"),
        ("Reuters’", "Reuters"),  # a bare apostrophe after s
        ("the region’s", "region"),
        ("Armenia’s foreign ministry", "Armenia's foreign ministry"),  # not at the end: kept
        ("Azerbaijan’s,", "Azerbaijan"),
    ],
)
def test_a_trailing_possessive_goes(surface: str, expected: str) -> None:
    assert canonical_text(surface) == expected


@pytest.mark.parametrize(
    ("surface", "expected"),
    [
        ("“Anti-Terrorist Campaign”", "Anti-Terrorist Campaign"),
        ("“the Lachin Corridor’s”", "Lachin Corridor"),
        ("Maria\n Zakharova", "Maria Zakharova"),
        ("Stephane  Dujarric ", "Stephane Dujarric"),
        ("Nagorno-Karabakh\n\nAzerbaijan's", "Nagorno-Karabakh Azerbaijan"),
        ("(UN)", "UN"),
        ("EU,", "EU"),
        ("Party (UK)", "Party (UK)"),  # a bracket whose partner is inside stays
        ("U.S.", "U.S."),  # a final period ends an abbreviation
        ("Nagorno-Karabakh", "Nagorno-Karabakh"),  # case and inner hyphens are kept
    ],
)
def test_whitespace_quotes_and_edge_punctuation(surface: str, expected: str) -> None:
    assert canonical_text(surface) == expected


@pytest.mark.parametrize("surface", ["’s", "“”", "  ", "‘’", "()", "—", "🇺", "🔥 ★"])
def test_what_becomes_empty_is_empty(surface: str) -> None:
    assert canonical_text(surface) == ""


# canonical_key


def test_keys_merge_case_hyphen_and_space_variants() -> None:
    assert canonical_key("Lachin Corridor") == canonical_key("Lachin corridor") == "lachin corridor"
    assert (
        canonical_key("Nagorno-Karabakh")
        == canonical_key("Nagorno Karabakh")
        == canonical_key("Nagorno–Karabakh")
        == canonical_key("nagorno -  karabakh")
        == "nagorno karabakh"
    )
    assert canonical_key("Armenia's") == canonical_key("Armenia’s") == "armenia's"
    assert canonical_key("Armenia") != canonical_key("Armenian")


# canonical_entities


def test_ner_text_joins_title_and_body_with_a_paragraph_break() -> None:
    assert ner_text(TITLE_1, BODY_1) == f"{TITLE_1}\n\n{BODY_1}"
    assert ner_text("", BODY_1) == BODY_1


def test_seed_1_entities_count_offsets_title_and_labels() -> None:
    text = ner_text(TITLE_1, BODY_1)
    mentions = [
        at(text, "Azerbaijan Launches", "PERSON"),  # the model's reading of the headline
        at(text, "Nagorno-Karabakh", "ORG", 0),
        at(text, "Azerbaijan’s", "ORG"),
        at(text, "Nagorno-Karabakh", "GPE", 1),
        at(text, "Nagorno-Karabakh", "GPE", 2),
        at(text, "Azerbaijan", "GPE", 3),
        at(text, "Armenia", "GPE", 0),
        at(text, "two", "CARDINAL"),
        at(text, "Azerbaijan", "GPE", 4),
        at(text, "2020", "DATE"),
        at(text, "six weeks", "DATE"),
        at(text, "Russian", "NORP"),
        at(text, "Armenia", "GPE", 1),
        at(text, "the Lachin Corridor", "FAC"),
    ]
    assert text.index("Azerbaijan’s") == len(TITLE_1) + 2 == 67
    assert canonical_entities(reversed(mentions), TITLE_1) == [
        CanonicalEntity("Azerbaijan Launches", "PERSON", 1, 0, True),
        CanonicalEntity("Nagorno-Karabakh", "GPE", 3, 49, True),
        # ORG (the possessive) once, GPE twice: GPE; in the title as text, not as a mention.
        CanonicalEntity("Azerbaijan", "GPE", 3, 67, True),
        CanonicalEntity("Armenia", "GPE", 2, 283, False),
        CanonicalEntity("2020", "DATE", 1, 467, False),
        CanonicalEntity("six weeks", "DATE", 1, 485, False),
        CanonicalEntity("Russian", "NORP", 1, 504, False),
        CanonicalEntity("Lachin Corridor", "FAC", 1, 641, False),
    ]  # "two" (CARDINAL) is dropped


def test_majority_label_outvotes_a_mislabelled_minority() -> None:
    text = f"{SEED_2_HISTORY}\n\n{SEED_2_LACHIN}"
    mentions = [
        at(text, "Azerbaijan", "GPE", 0),
        at(text, "Armenia", "GPE", 0),
        at(text, "Azerbaijan", "GPE", 1),
        at(text, "Armenians", "NORP"),
        at(text, "Armenia", "ORG", 2),
        at(text, "Azerbaijan", "PERSON", 2),  # as the small model tags it in seed 002
        at(text, "Armenia", "GPE", 3),
    ]
    assert canonical_entities(mentions, "") == [
        CanonicalEntity("Azerbaijan", "GPE", 3, 58, False),
        CanonicalEntity("Armenia", "GPE", 3, 73, False),
        CanonicalEntity("Armenians", "NORP", 1, 241, False),
    ]


def test_label_ties_go_by_priority() -> None:
    text = "Azerbaijan and Armenia. Azerbaijan. The conflict occurred in 2020 and in 2020."
    mentions = [
        at(text, "Azerbaijan", "PERSON", 0),
        at(text, "Azerbaijan", "GPE", 1),
        at(text, "2020", "CARDINAL", 0),
        at(text, "2020", "DATE", 1),
    ]
    assert canonical_entities(mentions, "") == [
        CanonicalEntity("Azerbaijan", "GPE", 2, 0, False),
        CanonicalEntity("2020", "DATE", 2, 61, False),  # a year stays a DATE, and is kept
    ]
    assert LABEL_PRIORITY.index("GPE") < LABEL_PRIORITY.index("PERSON")
    assert LABEL_PRIORITY.index("DATE") < LABEL_PRIORITY.index("CARDINAL")


def test_case_variants_merge_and_the_first_seen_form_wins_a_tie() -> None:
    text = f"{BODY_1}\n\n{SEED_2_LACHIN}"
    mentions = [at(text, "the Lachin Corridor", "FAC"), at(text, "Lachin corridor", "LOC")]
    assert canonical_entities(mentions, "") == [
        CanonicalEntity("Lachin Corridor", "LOC", 2, 574, False)
    ]


def test_the_most_frequent_surface_is_the_text() -> None:
    text = "Nagorno Karabakh. Nagorno-Karabakh. Nagorno-Karabakh."
    mentions = [at(text, "Nagorno Karabakh", "GPE")] + [
        Mention("Nagorno-Karabakh", "GPE", start, start + 16) for start in (18, 36)
    ]
    assert canonical_entities(mentions, "") == [
        CanonicalEntity("Nagorno-Karabakh", "GPE", 3, 0, False)
    ]


def test_in_title_by_key_is_case_insensitive_but_exact_for_acronyms() -> None:
    title = "Un envoy urges Nagorno Karabakh talks"
    body = "The UN called on Azerbaijan to stop. Nagorno-Karabakh is calm. The Un envoy left."
    text = ner_text(title, body)
    start = len(title) + 2
    mentions = [
        at(text, "UN", "ORG"),
        at(text, "Nagorno-Karabakh", "GPE"),
        at(text, "Azerbaijan", "GPE"),
    ]
    assert canonical_entities(mentions, title) == [
        CanonicalEntity("UN", "ORG", 1, start + 4, False),  # "Un" in the title is no match
        CanonicalEntity("Azerbaijan", "GPE", 1, start + 17, False),
        CanonicalEntity("Nagorno-Karabakh", "GPE", 1, start + 37, True),
    ]


def test_noise_labels_are_dropped_and_empty_texts_ignored() -> None:
    text = "Two wars, six weeks, 40%, $5, the 1990s, English, third, 10 km, Hours before. ’s"
    mentions = [
        at(text, "Two", "CARDINAL"),
        at(text, "six weeks", "DATE"),
        at(text, "40%", "PERCENT"),
        at(text, "$5", "MONEY"),
        at(text, "the 1990s", "DATE"),
        at(text, "English", "LANGUAGE"),
        at(text, "third", "ORDINAL"),
        at(text, "10 km", "QUANTITY"),
        at(text, "Hours", "TIME"),
        at(text, "’s", "ORG"),
    ]
    assert [(e.text, e.label) for e in canonical_entities(mentions, "")] == [
        ("six weeks", "DATE"),
        ("1990s", "DATE"),
    ]
    assert {"CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "MONEY", "TIME"}.isdisjoint(KEPT_LABELS)
    assert "LANGUAGE" not in KEPT_LABELS


def test_no_mentions_no_entities() -> None:
    assert canonical_entities([], TITLE_1) == []


def test_canonical_entity_has_the_fields_of_the_entity_record() -> None:
    entity = CanonicalEntity("Azerbaijan", "GPE", 3, 68, True)
    assert [f.name for f in fields(CanonicalEntity)] == list(Entity._options.fields)
    assert Entity(**asdict(entity)).to_representation() == {
        "text": "Azerbaijan",
        "label": "GPE",
        "count": 3,
        "first_offset": 68,
        "in_title": True,
    }


# short forms of names


def _entities(title: str, body: str, spans: list[tuple[str, str, int]]) -> list[CanonicalEntity]:
    text = ner_text(title, body)
    return canonical_entities([at(text, s, label, nth) for s, label, nth in spans], title)


def test_later_short_forms_fold_into_the_full_name_and_counts_add_up() -> None:
    body = (
        "Former president Hosni Mubarak died on Tuesday. Hosni Mubarak ruled for 30 years. "
        "Hosni, as crowds called him, was 91. Maria Zakharova spoke. Zakharova said so."
    )
    entities = _entities(
        "",
        body,
        [
            ("Hosni Mubarak", "PERSON", 0),
            ("Hosni Mubarak", "PERSON", 1),
            ("Hosni", "PERSON", 2),
            ("Maria Zakharova", "PERSON", 0),
            ("Zakharova", "ORG", 1),  # the small model's usual reading of a surname
        ],
    )
    assert entities == [
        CanonicalEntity("Hosni Mubarak", "PERSON", 3, body.index("Hosni"), False),
        CanonicalEntity("Maria Zakharova", "PERSON", 2, body.index("Maria"), False),
    ]


def test_a_short_form_in_the_title_folds_into_the_name_in_the_body() -> None:
    title, body = "Navalny airlifted to Germany", "Alexei Navalny was flown to Berlin."
    entities = _entities(title, body, [("Navalny", "PERSON", 0), ("Alexei Navalny", "PERSON", 0)])
    assert entities == [CanonicalEntity("Alexei Navalny", "PERSON", 2, 0, True)]


def test_longest_names_fold_first_then_the_surname() -> None:
    body = "Vladimir Vladimirovich Putin spoke. Vladimir Putin left. Putin returned."
    entities = _entities(
        "",
        body,
        [
            ("Vladimir Vladimirovich Putin", "PERSON", 0),
            ("Vladimir Putin", "PERSON", 0),
            ("Putin", "PERSON", 2),
        ],
    )
    assert entities == [CanonicalEntity("Vladimir Vladimirovich Putin", "PERSON", 3, 0, False)]


@pytest.mark.parametrize(
    ("body", "spans"),
    [
        # Two names fit: "Biden" stays on its own.
        (
            "Joe Biden and Hunter Biden met. Biden spoke.",
            [("Joe Biden", "PERSON", 0), ("Hunter Biden", "PERSON", 0), ("Biden", "PERSON", 2)],
        ),
        # A place named after a person stays a place.
        (
            "George Washington was born in 1732. Washington is the capital.",
            [("George Washington", "PERSON", 0), ("Washington", "GPE", 1)],
        ),
        # The short form came first in the body: not a later short form.
        (
            "Mubarak was ousted in 2011. Hosni Mubarak died in 2020.",
            [("Mubarak", "PERSON", 0), ("Hosni Mubarak", "PERSON", 0)],
        ),
        # Not the words of the name, in its order.
        (
            "Maria Zakharova spoke. Zakharova Maria is not her name.",
            [("Maria Zakharova", "PERSON", 0), ("Zakharova Maria", "PERSON", 0)],
        ),
    ],
)
def test_what_does_not_fold(body: str, spans: list[tuple[str, str, int]]) -> None:
    entities = _entities("", body, spans)
    assert len(entities) == len({s for s, _, _ in spans})
