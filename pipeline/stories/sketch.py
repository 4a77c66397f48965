"""What the story index reads of an article: a `Sketch`, made without any index state.

`sketch(article, settings)` is pure, so the pipeline makes it in enrich's finishing
processes, beside NER (`pipeline.ner`), and carries it packed on news.enriched
(`pack_sketch` / `unpack_sketch`); dedupe only decides.

Features are content words (case-folded, no stop words), adjacent content-word pairs and
canonical entities (label + case-folded text, GPE merged into LOC), each a 48-bit
BLAKE2b digest, with its term frequency tf_f and a factor
a_f · (1 + title_boost · in_title_f): a_f = 1 for words, `number_weight` for words with
a digit, `bigram_weight` for pairs, `entity_weight` for entities. The index turns them
into TF-IDF weights (`pipeline.stories.index`). An article keeps at most `max_features`
features, its heaviest by tf · factor. The near-copy signal is a MinHash signature over
3-word shingles (`pipeline.signatures`), kept compact, with its LSH band keys; the
title's word ids serve the copy check. The years the text names (`named_years`) are time
evidence of their own: the index asks more of a story anchored in a year the article does
not name.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools
import math
import re
import struct
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import numpy as np

from pipeline import signatures as sig
from pipeline.stories import prior
from pipeline.stories.settings import ALGO_VERSION, DedupeSettings

__all__ = [
    "EntityLike",
    "Sketch",
    "StoryInput",
    "article_features",
    "content_words",
    "named_years",
    "pack_sketch",
    "sketch",
    "unpack_sketch",
]


class EntityLike(Protocol):
    """What stories reads of an entity (`schemas.article.Entity` fits)."""

    @property
    def text(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def in_title(self) -> bool: ...


class StoryInput(Protocol):
    """What stories reads of an article (`schemas.article.Article` fits)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def published_at(self) -> str | None: ...
    @property
    def received_at(self) -> float | None: ...
    @property
    def entities(self) -> Sequence[EntityLike]: ...


_STOP_WORDS = (
    "a about above after again against all also am an and any are as at be because been "
    "before being below between both but by can could did do does doing down during each few "
    "for from further had has have having he her here hers herself him himself his how i if "
    "in into is it its itself just me more most my myself no nor not now of off on once only "
    "or other our ours ourselves out over own same she should so some such than that the "
    "their theirs them themselves then there these they this those through to too under until "
    "up very was we were what when where which while who whom why will with would you your "
    "yours yourself yourselves said says say told new one two mr mrs ms"
)
_STOP = frozenset(_STOP_WORDS.split(" "))
_WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")
_DIGIT = re.compile(r"\d")
_ENTITY_LABELS = {"PERSON": "P", "ORG": "O", "GPE": "L", "LOC": "L", "NORP": "N", "FAC": "F"}
_ENTITY_LABELS |= {"EVENT": "E", "PRODUCT": "R", "WORK_OF_ART": "W", "LAW": "A"}
_DAY_SECONDS = 86_400.0
_YEAR = re.compile(r"(?:19|20)\d\d")
_CLOCK = frozenset({"gmt", "utc", "bst", "cet", "cest", "et", "est", "edt", "ct", "cst", "cdt"})
_CLOCK |= {"pt", "pst", "pdt", "hrs", "hours"}
"""Words after a four-digit figure that make it a time of day ("at 1900 GMT"), not a year."""
_MAX_YEARS = 8


@functools.lru_cache(maxsize=1 << 18)
def _fid(text: str) -> int:
    """A 48-bit feature id; cached, since news vocabulary repeats (Zipf)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=6).digest(), "little")


def content_words(text: str) -> list[str]:
    """Case-folded word tokens without stop words and one-character tokens."""
    words = (w.casefold() for w in _WORD.findall(text))
    return [w for w in words if len(w) > 1 and w not in _STOP]


def named_years(words: Sequence[str]) -> Counter[int]:
    """How often each year (1900-2099) is named in content words `words`, clock times
    ("1900 GMT") aside."""
    return Counter(
        int(w)
        for w, after in zip(words, (*words[1:], ""), strict=True)
        if _YEAR.fullmatch(w) and after not in _CLOCK
    )


def article_features(
    article: StoryInput, settings: DedupeSettings, title: list[str], body: list[str]
) -> tuple[Counter[int], dict[int, float], dict[int, int]]:
    """Term frequencies, per-feature factors a_f·(1 + title_boost·in_title) and prior
    document-share codes (`pipeline.stories.prior`) of an article whose title and body
    have the content words `title` and `body`."""
    in_title = set(title)
    words = title + body
    word_ids = [_fid("w" + w) for w in words]
    tf: Counter[int] = Counter(word_ids)
    boosted = 1.0 + settings.title_boost
    number = settings.number_weight
    factor = {
        f: (boosted if w in in_title else 1.0) * (number if _DIGIT.search(w) else 1.0)
        for w, f in zip(words, word_ids, strict=True)
    }
    share = {f: prior.share_code([w]) for w, f in zip(words, word_ids, strict=True)}
    if settings.bigram_weight:
        pairs = list(itertools.pairwise(words))
        pair_ids = [_fid(f"b{a} {b}") for a, b in pairs]
        tf.update(pair_ids)
        factor.update(dict.fromkeys(pair_ids, settings.bigram_weight))
        share.update({f: prior.share_code(list(p)) for p, f in zip(pairs, pair_ids, strict=True)})
    for e in article.entities:
        label = _ENTITY_LABELS.get(e.label)
        names = _WORD.findall(e.text.casefold())
        if label is None or not names:
            continue
        f = _fid(f"e{label}{' '.join(names)}")
        tf[f] += max(1, e.count)
        factor[f] = settings.entity_weight * (1.0 + settings.title_boost * e.in_title)
        share[f] = max(prior.share_code([n]) for n in names)  # the rarest word's share
    return tf, factor, share


def _day_of(
    published_at: str | None, article_id: str, received_at: float | None = None
) -> float | None:
    """Days since the epoch of a UTC ISO 8601 time (naive times are taken as UTC); an
    undated article's receive time (Unix seconds), if known."""
    if not published_at:
        return None if received_at is None else received_at / _DAY_SECONDS
    try:
        when = datetime.fromisoformat(published_at)
    except ValueError as err:
        raise ValueError(
            f"article {article_id!r}: published_at {published_at!r} is not an ISO 8601 time"
        ) from err
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp() / _DAY_SECONDS


@dataclass(frozen=True)
class Sketch:
    """Everything the index needs from one article, and nothing of the index's state.

    `features`, `counts` and `factors` are parallel: feature id (48-bit digest), term
    frequency, factor a_f·(1 + title_boost·in_title) and prior document-share code
    (`pipeline.stories.prior`), in text order. `bands` are the
    LSH band keys (32-bit), `signature` the compact MinHash signature, `day` the
    publication time in days since the epoch (undated: when it was received; None if
    neither is known), `title` the word feature
    ids of the title's distinct content words (at most 16), for the copy check, and
    `years` the years the text names with how often, most named first (at most 8).
    """

    id: str
    day: float | None
    features: tuple[int, ...]
    counts: tuple[int, ...]
    factors: tuple[float, ...]
    shares: tuple[int, ...]
    bands: tuple[int, ...]
    signature: bytes
    title: tuple[int, ...] = ()
    years: tuple[tuple[int, int], ...] = ()

    @functools.cached_property
    def weights(self) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
        """a_f · (1 + ln tf_f) per feature: the TF-IDF weight before the IDF."""
        tf = np.array(self.counts, dtype=np.float64)
        weights: np.ndarray[tuple[int], np.dtype[np.float64]] = np.array(self.factors) * (
            1.0 + np.log(tf)
        )
        return weights

    @functools.cached_property
    def prior(self) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
        """The prior document share p_f of each feature (`pipeline.stories.prior`)."""
        codes = np.array(self.shares, dtype=np.float64)
        shares: np.ndarray[tuple[int], np.dtype[np.float64]] = 10.0 ** (-codes / 20.0)
        return shares

    def to_bytes(self) -> bytes:
        """A compact, versioned binary form (zlib over fixed-width columns)."""
        palette = sorted(set(self.factors))
        if len(palette) > 255:
            raise ValueError(f"sketch {self.id!r}: more than 255 distinct feature factors")
        slot = {f: i for i, f in enumerate(palette)}
        ident = self.id.encode()
        n = len(self.features)
        body = b"".join(
            (
                struct.pack("<HdIB", len(ident), math.nan if self.day is None else self.day, n, 0),
                ident,
                struct.pack(f"<B{len(palette)}d", len(palette), *palette),
                _pack_ids(self.features),
                struct.pack(f"<{n}H", *self.counts),
                bytes(slot[f] for f in self.factors),
                bytes(self.shares),
                struct.pack(f"<B{len(self.bands)}I", len(self.bands), *self.bands),
                struct.pack("<B", len(self.title)),
                _pack_ids(self.title),
                struct.pack(
                    f"<B{2 * len(self.years)}H", len(self.years), *itertools.chain(*self.years)
                ),
                self.signature,
            )
        )
        return _SKETCH_FORMAT + zlib.compress(body, 1)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Sketch:
        """The sketch that `to_bytes` wrote, or one of format 3 (stories-5 and 6: no years),
        so that a story index kept by an earlier version restores after an upgrade (its
        articles simply name no years)."""
        version = raw[0] if raw else 0
        if not 3 <= version <= _SKETCH_FORMAT[0]:
            raise ValueError(f"not a stories sketch (format byte {raw[:1]!r})")
        body = zlib.decompress(raw[1:])
        id_len, day, n, _ = struct.unpack_from("<HdIB", body)
        at = struct.calcsize("<HdIB")
        ident = body[at : at + id_len].decode()
        at += id_len
        (k,) = struct.unpack_from("<B", body, at)
        palette = struct.unpack_from(f"<{k}d", body, at + 1)
        at += 1 + 8 * k
        features = _unpack_ids(body[at : at + 6 * n])
        at += 6 * n
        counts = struct.unpack_from(f"<{n}H", body, at)
        at += 2 * n
        factors = tuple(map(palette.__getitem__, body[at : at + n]))
        at += n
        shares = tuple(body[at : at + n])
        at += n
        (b,) = struct.unpack_from("<B", body, at)
        bands = struct.unpack_from(f"<{b}I", body, at + 1)
        at += 1 + 4 * b
        (t,) = struct.unpack_from("<B", body, at)
        at += 1
        title = _unpack_ids(body[at : at + 6 * t])
        at += 6 * t
        flat: tuple[int, ...] = ()
        if version >= 4:
            (y,) = struct.unpack_from("<B", body, at)
            flat = struct.unpack_from(f"<{2 * y}H", body, at + 1)
            at += 1 + 4 * y
        return cls(
            ident,
            None if math.isnan(day) else day,
            features,
            tuple(counts),
            factors,
            shares,
            tuple(bands),
            body[at:],
            title,
            tuple(zip(flat[::2], flat[1::2], strict=True)),
        )


def _pack_ids(ids: Sequence[int]) -> bytes:
    """48-bit feature ids as 6 little-endian bytes each (numpy: no per-id Python call)."""
    wide = np.array(ids, dtype="<u8").view(np.uint8).reshape(len(ids), 8)
    return wide[:, :6].tobytes()


def _unpack_ids(raw: bytes) -> tuple[int, ...]:
    """The ids `_pack_ids` wrote."""
    wide = np.zeros((len(raw) // 6, 8), np.uint8)
    wide[:, :6] = np.frombuffer(raw, np.uint8).reshape(-1, 6)
    return tuple(wide.view("<u8").ravel().tolist())


_SKETCH_FORMAT = b"\x04"
_MAX_COUNT = 0xFFFF
_MAX_TITLE_WORDS = 16
"""Title words kept per article for the copy check (a headline rarely has more)."""


def sketch(article: StoryInput, settings: DedupeSettings) -> Sketch:
    """Everything the index needs from `article` (pure: no index state is read).

    At most `max_features` features are kept, the heaviest by tf·factor, earlier first
    on ties (news puts the story in its first paragraphs): this bounds the work per
    decision and the sketch's size for long articles.
    """
    title, body = content_words(article.title), content_words(article.body)
    tf, factor, share = article_features(article, settings, title, body)
    kept = list(tf)
    if len(kept) > settings.max_features:
        rank = {f: i for i, f in enumerate(kept)}
        kept = sorted(kept, key=lambda f: (-tf[f] * factor[f], rank[f]))[: settings.max_features]
        kept.sort(key=rank.__getitem__)
    years = named_years(title + body)
    signature = sig.minhash(sig.shingles(sig.words(f"{article.title}\n{article.body}")))
    keys = sig.band_keys(signature, settings.bands, settings.rows)
    return Sketch(
        article.id,
        _day_of(article.published_at, article.id, article.received_at),
        tuple(kept),
        tuple(min(tf[f], _MAX_COUNT) for f in kept),
        tuple(factor[f] for f in kept),
        tuple(share[f] for f in kept),
        tuple(int.from_bytes(key[:4], "little") for key in keys),
        sig.compact(signature),
        tuple(dict.fromkeys(_fid("w" + w) for w in title))[:_MAX_TITLE_WORDS],
        tuple(
            (y, min(n, _MAX_COUNT))
            for y, n in sorted(years.items(), key=lambda t: (-t[1], -t[0]))[:_MAX_YEARS]
        ),
    )


def pack_sketch(s: Sketch) -> str:
    """`s` as text for a record field: `<ALGO_VERSION>:<base64 of Sketch.to_bytes()>`."""
    return f"{ALGO_VERSION}:{base64.b64encode(s.to_bytes()).decode()}"


def unpack_sketch(text: str) -> Sketch | None:
    """The sketch `pack_sketch` wrote; None if another algorithm version wrote it, or if
    it is damaged (the caller sketches the article again: a packed sketch is a cache)."""
    version, _, packed = text.partition(":")
    if version != ALGO_VERSION:
        return None
    try:
        return Sketch.from_bytes(base64.b64decode(packed, validate=True))
    except (ValueError, IndexError, zlib.error, struct.error):
        return None
