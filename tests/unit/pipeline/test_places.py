"""pipeline/places.py: gazetteer labels and corridors, on sentences from the seed articles."""

from __future__ import annotations

from pipeline.entities import Mention
from pipeline.places import PLACES, correct_places


def mention(text: str, sentence: str, label: str) -> Mention:
    start = sentence.index(text)
    return Mention(text, label, start, start + len(text))


def test_a_listed_place_takes_the_gazetteer_label_whatever_ner_said() -> None:
    s = "Reports of explosions in Stepanakert, the de facto capital of Nagorno-Karabakh."
    got = correct_places(
        [mention("Stepanakert", s, "PERSON"), mention("Nagorno-Karabakh", s, "ORG")], s
    )
    assert [(m.text, m.label) for m in got] == [("Stepanakert", "GPE"), ("Nagorno-Karabakh", "GPE")]


def test_the_possessive_and_case_do_not_hide_a_listed_place() -> None:
    s = "STEPANAKERT's residents fled."
    assert correct_places([mention("STEPANAKERT's", s, "ORG")], s)[0].label == "GPE"


def test_only_whole_mentions_match_so_a_person_named_after_a_place_stays_a_person() -> None:
    s = "Lachin Ahmadov, a farmer, spoke to reporters."
    assert correct_places([mention("Lachin Ahmadov", s, "PERSON")], s)[0].label == "PERSON"


def test_a_name_followed_by_corridor_becomes_one_loc_entity() -> None:
    s = "The blockade of the Lachin corridor has caused shortages."
    (got,) = correct_places([mention("Lachin", s, "PERSON")], s)
    assert (got.text, got.label, s[got.start : got.end]) == ("Lachin corridor", "LOC", got.text)


def test_a_corridor_ner_already_found_is_relabelled_loc() -> None:
    s = "the Lachin Corridor, the only road linking Nagorno-Karabakh to Armenia"
    assert correct_places([mention("Lachin Corridor", s, "GPE")], s)[0].label == "LOC"


def test_other_labels_and_unlisted_names_are_left_to_the_model() -> None:
    s = "In 2020 Maria Zakharova spoke in Moscow; Gaza corridor talks"
    mentions = [
        mention("2020", s, "DATE"),
        mention("Maria Zakharova", s, "PERSON"),
        mention("Moscow", s, "GPE"),
    ]
    assert correct_places(mentions, s) == mentions


def test_the_gazetteer_keys_are_canonical_keys() -> None:
    assert all(key == key.casefold().strip() and "-" not in key for key in PLACES)
    assert PLACES["nagorno karabakh"] == "GPE" and PLACES["donbas"] == "LOC"
