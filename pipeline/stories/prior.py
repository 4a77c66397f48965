"""A general prior for document frequencies, so that weights are sensible from the first article.

A stream's own document frequencies know nothing at its start: with two articles indexed,
"ministry" and "Stepanakert" weigh the same. The prior is the English word frequencies of
the `wordfreq` package (Speer 2022; its `large` list, about 321,000 words, shipped inside
the wheel: nothing is downloaded; code Apache-2.0, data CC BY-SA 4.0, see docs/stories.md).

A word of frequency f (share of all running words) turns up in a document of
`WORDS_PER_DOCUMENT` (L) words with probability p = 1 - exp(-L·f): the document share that
the index blends with its own counts (`pipeline.stories.index`). A word pair's share is the
product of its words' shares, an entity's the share of its rarest word. Words with a digit
take wordfreq's smoothed figure frequency (a year, a score and a toll are told apart by shape
only). A word wordfreq does not list takes `FLOOR`.

Shares travel in the sketch as one byte each, q = round(-20·log10 p) (p = 10^(-q/20), a
step of 0.05 decades; at most 255, p ≥ 1.8e-13), so a sketch made in enrich and one
unpacked in dedupe are the same.
"""

from __future__ import annotations

import functools
import math
import re

import wordfreq

__all__ = [
    "FLOOR",
    "WORDS_PER_DOCUMENT",
    "decode_share",
    "encode_share",
    "share_code",
    "word_frequency",
    "word_share",
]

WORDS_PER_DOCUMENT = 400.0
"""L: the running words of a typical news article (title and body)."""
FLOOR = 1e-8
"""Frequency of a word wordfreq does not list (its `large` list stops at about 1e-8)."""
_DIGIT = re.compile(r"\d")
_STEPS_PER_DECADE = 20.0


@functools.cache
def _frequencies() -> dict[str, float]:
    """wordfreq's English `large` list: word -> frequency (read once per process, 0.2 s)."""
    frequencies: dict[str, float] = wordfreq.get_frequency_dict("en", "large")
    return frequencies


@functools.lru_cache(maxsize=1 << 18)
def word_frequency(word: str) -> float:
    """f: the case-folded `word`'s share of running English words (at least `FLOOR`)."""
    if _DIGIT.search(word):
        return float(wordfreq.word_frequency(word, "en", wordlist="large", minimum=FLOOR))
    return _frequencies().get(word, FLOOR) or FLOOR


@functools.lru_cache(maxsize=1 << 18)
def word_share(word: str) -> float:
    """p = 1 - exp(-L·f): the share of documents holding the case-folded `word`."""
    return -math.expm1(-WORDS_PER_DOCUMENT * word_frequency(word))


def encode_share(p: float) -> int:
    """The one-byte code of a document share (see the module docstring)."""
    if p <= 0.0:
        return 255
    return min(255, max(0, round(-_STEPS_PER_DECADE * math.log10(p))))


def decode_share(code: int) -> float:
    """The document share a code stands for."""
    return float(10.0 ** (-code / _STEPS_PER_DECADE))


def share_code(words: list[str]) -> int:
    """The code of a feature made of `words`: a pair multiplies, an entity passes its
    rarest word (call with that word alone)."""
    return encode_share(math.prod(word_share(w) for w in words))
