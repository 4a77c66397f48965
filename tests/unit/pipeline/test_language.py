"""pipeline/language.py: the stop-word vote."""

from __future__ import annotations

from pathlib import Path

from pipeline.language import SAMPLE_CHARS, guess_language

SEED_1 = Path(__file__).parents[2] / "data" / "seeds" / "000_bc241506b953dc3f.txt"


def test_an_english_seed_paragraph_is_english() -> None:
    paragraph = SEED_1.read_text(encoding="utf-8").split("\n\n")[1]
    assert paragraph.startswith("Azerbaijan’s Defense Ministry")
    assert guess_language(paragraph) == "en"


def test_news_sentences_in_each_language() -> None:
    sentences = [
        "Die Bundesregierung hat am Dienstag angekündigt, dass sie die Hilfen für die Ukraine "
        "im kommenden Jahr deutlich aufstocken wird.",
        "Le gouvernement a annoncé mardi qu'il allait renforcer les contrôles aux frontières, "
        "une décision qui a été vivement critiquée par l'opposition.",
        "El Gobierno de España anunció el martes que aumentará la ayuda a los agricultores "
        "afectados por la sequía, según dijo la ministra en una rueda de prensa.",
        "O governo brasileiro anunciou nesta terça-feira que vai ampliar o auxílio aos "
        "agricultores afetados pela seca, disse o ministro em entrevista à imprensa.",
        "Il governo italiano ha annunciato martedì che aumenterà gli aiuti agli agricoltori "
        "colpiti dalla siccità, ha detto il ministro in una conferenza stampa.",
        "De Nederlandse regering heeft dinsdag aangekondigd dat de steun voor boeren die door "
        "de droogte zijn getroffen, wordt verhoogd, zei de minister op een persconferentie.",
    ]
    assert [guess_language(s) for s in sentences] == ["de", "fr", "es", "pt", "it", "nl"]


def test_no_answer_without_enough_votes() -> None:
    texts = ["12345 !!!", "", "The cat sat.", "Москва, 19 сентября — РИА Новости.", "東京で地震"]
    assert [guess_language(t) for t in texts] == [None] * len(texts)


def test_no_answer_without_a_clear_winner() -> None:
    # Five English and five German stop words: a tie is no winner.
    assert guess_language("the and of to is der die das und ist") is None
    # Five against two is a clear enough lead.
    assert guess_language("the and of to is der die") == "en"


def test_a_stop_word_of_two_languages_votes_for_both() -> None:
    # "para" is Spanish and Portuguese: five are a tie; five more Spanish words, a clear lead.
    assert guess_language("para para para para para") is None
    assert guess_language("para para para para para y el los las es") == "es"


def test_only_the_start_of_the_text_votes() -> None:
    german = "Die Regierung hat gesagt, dass sie die Hilfen für das Land erhöht. "
    text = "x" * SAMPLE_CHARS + german
    assert [guess_language(german), guess_language(text)] == ["de", None]
