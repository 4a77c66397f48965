"""pipeline/stories/prior: wordfreq's frequencies as document shares, and their one-byte codes."""

from __future__ import annotations

import math

import pytest

from pipeline.stories import prior


def test_a_word_s_share_is_the_chance_a_document_of_l_words_holds_it() -> None:
    frequency = prior._frequencies()["ministry"]
    assert prior.word_share("ministry") == pytest.approx(
        1 - math.exp(-prior.WORDS_PER_DOCUMENT * frequency)
    )
    assert prior.word_share("the") > 0.99
    assert prior.word_share("zzqxjvword") == pytest.approx(
        prior.WORDS_PER_DOCUMENT * prior.FLOOR, rel=1e-5
    )


def test_figures_take_wordfreq_s_smoothed_frequency_by_shape() -> None:
    # a year is common (about as common as "ministry"), a decimal rarer, a long figure rare
    assert 0 < prior.word_share("1234567") < prior.word_share("5.9") < prior.word_share("2013")


@pytest.mark.parametrize("p", [1.0, 0.5, 0.01, 3e-6, 4e-8])
def test_a_share_survives_its_one_byte_code_within_a_step(p: float) -> None:
    code = prior.encode_share(p)
    assert 0 <= code <= 255
    assert abs(math.log10(prior.decode_share(code)) - math.log10(p)) <= 0.5 / 20 + 1e-12


def test_a_pair_multiplies_its_words_shares() -> None:
    both = prior.word_share("border") * prior.word_share("deal")
    assert prior.share_code(["border", "deal"]) == prior.encode_share(both)
    assert prior.encode_share(0.0) == 255
