from newsfixtures import page, pages

from pipeline.feeds.extract import extract_article, strip_site_name, summary_text


def test_real_pages_give_title_date_and_text() -> None:
    rows = pages()
    assert len(rows) == 6
    for row in rows:
        expected = row["expected"]
        result = extract_article(page(row), row["url"])
        assert result is not None, row["file"]
        assert result.title == expected["title"].strip(), row["file"]
        assert result.date == expected["publishing_date"][:10], row["file"]
        first = expected["paragraphs"][0][:60]
        assert first in result.text, row["file"]


def test_no_article_gives_none() -> None:
    assert extract_article(b"<html><head><title>x</title></head><body></body></html>") is None


def test_summary_text_drops_markup() -> None:
    assert summary_text("<p>Hello <b>world</b></p><p>again</p>").split() == [
        "Hello",
        "world",
        "again",
    ]
    assert summary_text("plain text ") == "plain text"


def test_site_name_suffix_is_dropped_from_titles() -> None:
    assert (
        strip_site_name("How RPA vendors aim | TechCrunch", "TechCrunch") == "How RPA vendors aim"
    )
    assert strip_site_name("Hydrogen pipeline flagged - The Namibian", "The Namibian") == (
        "Hydrogen pipeline flagged"
    )
    assert strip_site_name("Storms - residents warned", "The Citizen") == (
        "Storms - residents warned"
    )
    assert strip_site_name("A title", None) == "A title"
