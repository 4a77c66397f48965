"""Ranking named entities: dates never, each article once, prefixes by word."""

from pipeline.web.trending import rank_named


def _e(text: str, label: str) -> dict[str, str]:
    return {"text": text, "label": label}


ARTICLES = [
    [_e("Wednesday", "DATE"), _e("Maria Zakharova", "PERSON"), _e("Moscow", "GPE")],
    [_e("Wednesday", "DATE"), _e("Moscow", "GPE"), _e("40%", "PERCENT")],
    [_e("Wednesday", "DATE"), _e("Moscow", "GPE"), _e("Kremlin", "ORG")],
]


def test_dates_and_values_are_never_ranked() -> None:
    assert rank_named(ARTICLES, 10) == [
        {"text": "Moscow", "label": "GPE", "articles": 3},
        {"text": "Maria Zakharova", "label": "PERSON", "articles": 1},
        {"text": "Kremlin", "label": "ORG", "articles": 1},
    ]


def test_a_prefix_matches_the_start_of_any_word_case_insensitively() -> None:
    assert [e["text"] for e in rank_named(ARTICLES, 10, "zakh")] == ["Maria Zakharova"]
    assert [e["text"] for e in rank_named(ARTICLES, 10, "Wed")] == []
    assert [e["text"] for e in rank_named(ARTICLES, 1, "")] == ["Moscow"]
