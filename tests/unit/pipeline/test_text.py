"""pipeline/text.py: cleaning, boilerplate tails, titles that are leads, word counts."""

from __future__ import annotations

from pathlib import Path

from pipeline.text import (
    MAX_DERIVED_TITLE_CHARS,
    clean_text,
    clean_title,
    strip_boilerplate_tail,
    title_and_lead,
    word_count,
)

SEEDS = Path(__file__).parents[2] / "data" / "seeds"
SEED_1 = SEEDS / "000_bc241506b953dc3f.txt"
SEED_2 = SEEDS / "002_ff8d21c301fe0d75.txt"

SEED_2_LEAD = (
    "Amid rising tensions with neighboring Armenia, Azerbaijan has commenced what it calls "
    "“anti-terrorist activities” in the breakaway region of Nagorno-Karabakh. While the "
    "Azerbaijan defence ministry emphasizes that the offensive is aimed solely at military "
    "structures, the move has raised concerns about another large-scale conflict in the region."
)
# The lead's first sentence is 158 characters, so the title is its cut at a word boundary.
SEED_2_TITLE = (
    "Amid rising tensions with neighboring Armenia, Azerbaijan has commenced what it calls "
    "“anti-terrorist activities” in the breakaway region of…"
)


def read_seed(path: Path) -> tuple[str, str]:
    """(title, body) of a seed file, cleaned; its first line is ` date YYYY-MM-DD Title`."""
    first_line, rest = path.read_text(encoding="utf-8").split("\n", 1)
    _, _, _, title = first_line.split(" ", 3)
    return clean_title(title), clean_text(rest)


# clean_text


def test_clean_text_composes_to_nfc() -> None:
    assert [clean_text(s) for s in ["e\u0301", "Cafe\u0301 Zu\u0308rich", "é"]] == [
        "é",
        "Café Zürich",
        "é",
    ]


def test_clean_text_normalises_line_ends() -> None:
    assert [clean_text(s) for s in ["a\r\nb", "a\rb", "a\nb", "a\r\n\r\nb"]] == [
        "a\nb",
        "a\nb",
        "a\nb",
        "a\n\nb",
    ]


def test_clean_text_removes_control_characters() -> None:
    assert clean_text("a\x00b\x07c\x1bd\x7fe\x9ff\x80g") == "abcdefg"


def test_clean_text_cleans_plain_ascii_too() -> None:
    # ASCII text skips the per-character table unless it holds a control character.
    assert clean_text("a\x00b\x0bc\x1fd\x7fe") == "ab\ncde"
    assert clean_text("one\ttwo  three \n four") == "one two three\nfour"
    tidy = "A tidy first paragraph.\n\nA second one,\nwith a line break."
    assert clean_text(tidy) == tidy


def test_clean_text_removes_zero_width_and_format_characters() -> None:
    assert [
        clean_text(s)
        for s in [
            "zero\u200bwidth",
            "non\u200cjoiner",
            "join\u200der",
            "\ufeffbom",
            "soft\u00adhyphen",
            "bidi\u200e\u202amarks\u202c\u2066",
        ]
    ] == ["zerowidth", "nonjoiner", "joiner", "bom", "softhyphen", "bidimarks"]


def test_clean_text_drops_lone_surrogates() -> None:
    assert clean_text("caf\udce9 ok") == "caf ok"


def test_clean_text_keeps_scripts_and_emoji() -> None:
    kept = [
        "Привет, мир",
        "مرحبا بالعالم",
        "你好，世界。東京 ソウル",
        "नमस्ते दुनिया",
        "Party 🎉 👍🏽 ❤️",
        "👩\u200d💻 coder, 🐈\u200d⬛ cat, ❤\ufe0f\u200d🔥",  # ZWJ inside emoji sequences
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f Scotland",
        "\u0600١٢٣ Arabic number sign",
    ]
    assert [clean_text(s) for s in kept] == kept


def test_clean_text_drops_joiners_and_tags_outside_emoji() -> None:
    assert [clean_text(s) for s in ["a\u200d🎉", "🎉\u200da", "x\U000e0067y"]] == [
        "a🎉",
        "🎉a",
        "xy",
    ]


def test_clean_text_turns_unicode_spaces_into_plain_spaces() -> None:
    assert clean_text("a\u00a0b\u2009c\u3000d\u202fe\u2007f\u205fg") == "a b c d e f g"


def test_clean_text_collapses_spaces_and_tabs() -> None:
    assert [clean_text(s) for s in ["a  \t  b", "a\tb", "a b", "a\u00a0 \u00a0b"]] == [
        "a b",
        "a b",
        "a b",
        "a b",
    ]


def test_clean_text_strips_each_line_and_the_whole_text() -> None:
    assert [clean_text(s) for s in ["  a  \n  b  ", "\n\n  a \n\n", "   ", ""]] == [
        "a\nb",
        "a",
        "",
        "",
    ]


def test_clean_text_separates_paragraphs_by_one_blank_line() -> None:
    assert [
        clean_text(s)
        for s in ["a\n\n\nb", "a\n\n\n\n\nb", "a\n \t \n\u00a0\nb", "a\n\nb", "One.\nTwo."]
    ] == ["a\n\nb", "a\n\nb", "a\n\nb", "a\n\nb", "One.\nTwo."]


def test_clean_text_treats_other_line_breaks_as_newlines() -> None:
    assert [clean_text(s) for s in ["a\u2028b", "a\u2029b", "a\x0bb", "a\x0cb", "a\x85b"]] == [
        "a\nb",
        "a\n\nb",
        "a\nb",
        "a\nb",
        "a\nb",
    ]


def test_clean_text_is_idempotent_on_the_seeds() -> None:
    bodies = [read_seed(SEED_1)[1], read_seed(SEED_2)[1]]
    assert [clean_text(body) for body in bodies] == bodies


# clean_title


def test_clean_title_puts_everything_on_one_line() -> None:
    assert [clean_title(s) for s in ["Breaking:\n\nBig  news\ntoday ", "One line", ""]] == [
        "Breaking: Big news today",
        "One line",
        "",
    ]


# strip_boilerplate_tail


def test_strip_boilerplate_tail_removes_only_the_faq_line_of_seed_2() -> None:
    _, body = read_seed(SEED_2)
    assert body.endswith("consequences.\n\nFrequently Asked Questions")
    assert strip_boilerplate_tail(body) == (
        body.removesuffix("\n\nFrequently Asked Questions"),
        True,
    )


def test_strip_boilerplate_tail_leaves_seed_1_alone() -> None:
    _, body = read_seed(SEED_1)
    assert strip_boilerplate_tail(body) == (body, False)


def test_strip_boilerplate_tail_recognises_each_pattern() -> None:
    lines = [
        "Frequently Asked Questions",
        "FREQUENTLY ASKED QUESTIONS:",
        "FAQ",
        "FAQs",
        "Related articles",
        "Related stories:",
        "Related content",
        "Related Coverage",
        "Related topics",
        "Read more",
        "Read more »",
        "Read more: Why the ceasefire failed",
        "More on this story",
        "Share this",
        "Share this article",
        "Share on Facebook",
        "Advertisement",
        "ADVERTISEMENT",
        "Sponsored",
        "Sponsored content",
        "Sign up for our daily newsletter",
        "Sign up to the Morning Briefing newsletter.",
        "Subscribe",
        "Subscribe to our channel for updates",
        "Follow us on Twitter and Facebook",
        "Click here to read the full report",
        "All rights reserved.",
        "© 2023 Example News. All rights reserved.",
        "Copyright 2023 The Associated Press",
        "Copyright © 2023 Reuters",
        "(c) 2023 Example Media Group",
        "Recommended",
        "Recommended for you",
        "Most read",
        "Most popular",
        "Most viewed",
        "You may also like",
        "Comments",
        "Leave a comment",
        "Leave a reply",
        "Skip to content",
        "Skip to main content",
        "Back to top",
        "Print this page",
        "Print this article",
        "Tags: Azerbaijan, Armenia",
        "Tag: conflict",
        "Topics: World, Europe",
        "Topic: Caucasus",
    ]
    results = [strip_boilerplate_tail(f"The story itself.\n\n{line}") for line in lines]
    assert results == [("The story itself.", True)] * len(lines)


def test_strip_boilerplate_tail_keeps_prose_that_only_looks_similar() -> None:
    bodies = [
        "The story itself.\n\nRelated reading suggests the talks will resume.",
        "The story itself.\n\nComments by the minister drew criticism on Tuesday.",
        "The story itself.\n\nSubscribers to the service will pay more from May.",
        "The story itself.\n\nAdvertisement revenue fell 5% in the quarter.",
        "The story itself.\n\nShare prices fell sharply in Baku.",
        "The story itself.\n\nThe FAQ was published by the ministry.",
        "The story itself.\n\nRead more " + "about the long history of the dispute " * 3 + ".",
    ]
    assert [strip_boilerplate_tail(body) for body in bodies] == [(b, False) for b in bodies]


def test_strip_boilerplate_tail_removes_several_trailing_lines() -> None:
    body = (
        "First paragraph.\n\nSecond paragraph.\n\nRelated articles:\nRead more »\n"
        "Advertisement\n\n© 2023 Example News. All rights reserved."
    )
    assert strip_boilerplate_tail(body) == ("First paragraph.\n\nSecond paragraph.", True)


def test_strip_boilerplate_tail_keeps_a_body_that_is_only_boilerplate() -> None:
    bodies = ["Advertisement\n\nRelated stories", "Frequently Asked Questions", ""]
    assert [strip_boilerplate_tail(body) for body in bodies] == [(b, False) for b in bodies]


def test_strip_boilerplate_tail_keeps_mid_body_boilerplate() -> None:
    body = "First paragraph.\n\nAdvertisement\n\nSecond paragraph."
    assert strip_boilerplate_tail(body) == (body, False)
    assert strip_boilerplate_tail(body + "\n\nAdvertisement") == (body, True)


# title_and_lead


def test_title_and_lead_moves_seed_2_lead_into_the_body() -> None:
    title, body = read_seed(SEED_2)
    assert title == SEED_2_LEAD
    assert title_and_lead(title, body, 300) == (SEED_2_TITLE, f"{SEED_2_LEAD}\n\n{body}", True)
    assert len(SEED_2_TITLE) == 141


def test_title_and_lead_keeps_seed_1_title() -> None:
    title, body = read_seed(SEED_1)
    assert title == "Azerbaijan Launches “Anti-Terrorist Campaign” in Nagorno-Karabakh"
    assert title_and_lead(title, body, 300) == (title, body, False)


def test_title_and_lead_moves_a_long_title_with_two_sentences() -> None:
    first = "Floods hit the north of the country after a week of heavy rain."
    title = first + " " + "Rescue teams are searching villages along the river for survivors. " * 2
    title = title.strip()
    assert 150 < len(title) <= 300
    assert title_and_lead(title, "Body.", 300) == (first, f"{title}\n\nBody.", True)


def test_title_and_lead_keeps_titles_that_are_short_or_one_sentence() -> None:
    one_long_sentence = "A very long headline " + "about very many things " * 7 + "indeed"
    assert 150 < len(one_long_sentence) <= 300
    titles = ["Fire in Paris. Dozens evacuated", "Short headline", one_long_sentence]
    assert [title_and_lead(t, "Body.", 300) for t in titles] == [
        (t, "Body.", False) for t in titles
    ]


def test_title_and_lead_cuts_a_title_over_the_limit_at_a_word_boundary() -> None:
    titles = [
        "word " * 70 + "end",  # 353 characters; a word ends exactly at 149
        "abcdefg " * 40 + "end",  # 323 characters; character 150 falls inside a word
    ]
    assert [title_and_lead(t, "", 300) for t in titles] == [
        (("word " * 30).strip() + "…", titles[0], True),
        (("abcdefg " * 18).strip() + "…", titles[1], True),
    ]
    assert [len(title_and_lead(t, "", 300)[0]) for t in titles] == [MAX_DERIVED_TITLE_CHARS, 144]


def test_title_and_lead_takes_an_empty_title_from_the_body() -> None:
    bodies = [
        "It rained. Then it stopped.",
        "First sentence here.\nSecond sentence.\n\nNext paragraph.",
        "Is it over? Nobody knows.",
        "Wow! Really.",
        "He said “we will win.” Then he left.",
        "No sentence end at all",
    ]
    assert [title_and_lead("", body, 300) for body in bodies] == [
        ("It rained.", bodies[0], True),
        ("First sentence here.", bodies[1], True),
        ("Is it over?", bodies[2], True),
        ("Wow!", bodies[3], True),
        ("He said “we will win.”", bodies[4], True),
        ("No sentence end at all", bodies[5], True),
    ]


def test_title_and_lead_with_empty_title_and_body_changes_nothing() -> None:
    assert title_and_lead("", "", 300) == ("", "", False)


def test_title_and_lead_does_not_split_on_abbreviations() -> None:
    bodies = [
        "Mr. Smith met Dr. Jones in St. Petersburg on Monday. They talked.",
        "The U.S. Navy and J. Smith arrived. Others followed.",
        "Prices rose, e.g. in fuel. Then they fell.",
        "Output rose 2.5 percent. Analysts were surprised.",
        "He said no. Then he left.",
    ]
    assert [title_and_lead("", body, 300)[0] for body in bodies] == [
        "Mr. Smith met Dr. Jones in St. Petersburg on Monday.",
        "The U.S. Navy and J. Smith arrived.",
        "Prices rose, e.g. in fuel.",
        "Output rose 2.5 percent.",
        "He said no.",
    ]


# word_count


def test_word_count_counts_tokens_with_a_letter_or_digit() -> None:
    texts = ["Hello, world!", "— – ... 42 a-b", "", "   \n ", "日本語 テキスト", "!!! ???"]
    assert [word_count(t) for t in texts] == [2, 2, 0, 0, 2, 0]


def test_word_count_of_the_seeds() -> None:
    assert [word_count(read_seed(path)[1]) for path in (SEED_1, SEED_2)] == [432, 404]
