"""`newswire bench minhash`: rensa against datasketch on real news, the numbers behind the pick.

For each real article and a derived near-copy of it (`derive_copy`: byline, syndication
lines, up to 20% of words replaced, paragraphs swapped or cut), both libraries sign the
3-word shingle sets with 128 permutations. Reported per library: signing time per article
(median of the articles, same shingle sets, same process), and how far the estimated
Jaccard is from the exact one over the copy pairs and over unrelated pairs (mean absolute
error), plus the share of copy pairs the LSH banding in `pipeline.signatures` (32 × 2)
would find. datasketch is an optional extra (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline import signatures as sig
from pipeline.bench.dedupe import derive_copy

__all__ = ["MinHashScores", "compare_minhash"]


@dataclass(frozen=True)
class MinHashScores:
    """One library's figures."""

    library: str
    sign_us: float
    copy_error: float
    unrelated_error: float
    copies_found: float

    def line(self) -> str:
        return (
            f"  {self.library:<10} sign {self.sign_us:7.1f} µs/article | |estimate - exact| "
            f"copies {self.copy_error:.3f}, unrelated {self.unrelated_error:.3f} | "
            f"copies sharing a band {self.copies_found:.1%}"
        )


def _exact(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _rensa(items: set[str]) -> list[int]:
    return sig.minhash(items)


def _datasketch() -> Callable[[set[str]], list[int]]:
    from datasketch import MinHash  # optional: the bench extra

    def sign(items: set[str]) -> list[int]:
        m = MinHash(num_perm=sig.NUM_PERM, seed=sig.SEED)
        m.update_batch([s.encode() for s in items])
        return [int(v) for v in m.hashvalues]

    return sign


def _score(
    library: str, sign: Callable[[set[str]], list[int]], pairs: Sequence[tuple[set[str], set[str]]]
) -> MinHashScores:
    times, copy_err, found = [], [], 0
    signed = []
    for a, b in pairs:
        started = time.perf_counter()
        sa = sign(a)
        times.append(time.perf_counter() - started)
        sb = sign(b)
        signed.append(sa)
        estimate = sum(x == y for x, y in zip(sa, sb, strict=True)) / len(sa)
        copy_err.append(abs(estimate - _exact(a, b)))
        bands_a = set(sig.band_keys(sa, 32, 2))
        found += bool(bands_a & set(sig.band_keys(sb, 32, 2)))
    unrelated = []
    for i in range(len(pairs) - 1):
        (a, _), (b, _) = pairs[i], pairs[i + 1]
        sa, sb = signed[i], signed[i + 1]
        estimate = sum(x == y for x, y in zip(sa, sb, strict=True)) / len(sa)
        unrelated.append(abs(estimate - _exact(a, b)))
    return MinHashScores(
        library,
        statistics.median(times) * 1e6,
        statistics.fmean(copy_err),
        statistics.fmean(unrelated),
        found / len(pairs),
    )


def compare_minhash(articles: Sequence[dict[str, Any]], seed: int = 0) -> list[MinHashScores]:
    """Both libraries on (article, derived copy) shingle sets of `articles`."""
    rng = random.Random(seed)
    pairs = []
    for a in articles:
        text = f"{a.get('title', '')}\n{a['text']}"
        copy, _ = derive_copy(text, rng)
        pairs.append((sig.shingles(sig.words(text)), sig.shingles(sig.words(copy))))
    return [_score("rensa", _rensa, pairs), _score("datasketch", _datasketch(), pairs)]
