"""pipeline/signatures.py: shingles, MinHash, compact estimates and the banding curve."""

from __future__ import annotations

import pytest

from pipeline.signatures import (
    NUM_PERM,
    band_keys,
    candidate_probability,
    compact,
    compact_jaccard,
    minhash,
    shingles,
    words,
)


def test_words_are_casefolded_runs_of_letters_and_digits() -> None:
    assert words("Azerbaijan’s “anti-terrorist” campaign, 2023!") == [
        "azerbaijan",
        "s",
        "anti",
        "terrorist",
        "campaign",
        "2023",
    ]


def test_shingles_are_three_word_runs() -> None:
    assert shingles(["a", "b", "c", "d"]) == {"a b c", "b c d"}
    assert shingles(["a", "b"]) == {"a b"}
    assert shingles([]) == set()


def test_minhash_is_deterministic_and_estimates_jaccard() -> None:
    a = shingles(words(" ".join(f"w{i}" for i in range(300))))
    b = shingles(words(" ".join(f"w{i}" for i in range(100, 400))))
    exact = len(a & b) / len(a | b)  # 198 / 402
    sig_a, sig_b = minhash(a), minhash(b)
    assert sig_a == minhash(a)
    assert len(sig_a) == NUM_PERM
    assert compact_jaccard(compact(sig_a), compact(sig_b)) == pytest.approx(exact, abs=0.12)
    assert compact_jaccard(compact(sig_a), compact(sig_a)) == 1.0


def test_compact_signatures_must_match_in_length() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        compact_jaccard(b"\x01\x02", b"\x01")


def test_band_keys_are_equal_exactly_when_bands_are() -> None:
    sig = list(range(8))
    other = [0, 1, 2, 3, 99, 5, 6, 7]
    keys, other_keys = band_keys(sig, 4, 2), band_keys(other, 4, 2)
    assert [k == o for k, o in zip(keys, other_keys, strict=True)] == [True, True, False, True]
    assert all(len(k) == 8 for k in keys)


def test_band_keys_refuse_more_rows_than_the_signature_has() -> None:
    with pytest.raises(ValueError, match="raise num_perm"):
        band_keys([1, 2, 3], 2, 2)


def test_banding_probability_worked_example() -> None:
    # MMDS 3.4: b = 20 bands of r = 5 rows, s = 0.8 -> 1 - (1 - 0.8^5)^20 = 0.99965
    assert candidate_probability(0.8, 20, 5) == pytest.approx(0.99964, abs=1e-5)
    # Ours: b = 32, r = 2. s = 0.3 -> 1 - 0.91^32 = 0.9511; s = 0.05 -> 0.0770
    assert candidate_probability(0.3, 32, 2) == pytest.approx(0.95110, abs=1e-5)
    assert candidate_probability(0.05, 32, 2) == pytest.approx(0.07698, abs=1e-5)
