"""pipeline/language.py: py3langid's answer, and the record's own tag."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.language import detect_language, language_tag

SEED_1 = Path(__file__).parents[2] / "data" / "seeds" / "000_bc241506b953dc3f.txt"

SENTENCES = {
    "de": "Die Bundesregierung hat am Dienstag angekündigt, dass sie die Hilfen für die Ukraine "
    "im kommenden Jahr deutlich aufstocken wird.",
    "fr": "Le gouvernement a annoncé mardi qu'il allait renforcer les contrôles aux frontières, "
    "une décision qui a été vivement critiquée par l'opposition.",
    "es": "El Gobierno de España anunció el martes que aumentará la ayuda a los agricultores "
    "afectados por la sequía, según dijo la ministra en una rueda de prensa.",
    "pt": "O governo brasileiro anunciou nesta terça-feira que vai ampliar o auxílio aos "
    "agricultores afetados pela seca, disse o ministro em entrevista à imprensa.",
    "it": "Il governo italiano ha annunciato martedì che aumenterà gli aiuti agli agricoltori "
    "colpiti dalla siccità, ha detto il ministro in una conferenza stampa.",
    "nl": "De Nederlandse regering heeft dinsdag aangekondigd dat de steun voor boeren die door "
    "de droogte zijn getroffen, wordt verhoogd, zei de minister op een persconferentie.",
    "ru": "Правительство России во вторник объявило о новых мерах поддержки фермеров, "
    "пострадавших от засухи, сообщил министр на пресс-конференции.",
}


def test_an_english_seed_is_english() -> None:
    assert detect_language(SEED_1.read_text(encoding="utf-8")) == "en"


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_news_sentences_in_each_language(code: str) -> None:
    assert detect_language(SENTENCES[code]) == code


@pytest.mark.parametrize("text", ["", "12345 !!! 2024-01-01", "🇺🇸 🇫🇷", "The cat."])
def test_no_answer_when_unsure(text: str) -> None:
    assert detect_language(text) is None


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("fr", "fr"), ("en-GB", "en"), ("pt_BR", "pt"), (" DE ", "de"), ("", None), (None, None)],
)
def test_a_records_tag_is_its_primary_subtag(tag: str | None, expected: str | None) -> None:
    assert language_tag(tag) == expected
