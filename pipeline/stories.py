"""Story decisions: is an article new, a near-copy (`duplicate`) or a rewrite (`same_story`)?

One decision at a time, in stream order, never looking ahead. Two signals:

1. Near-copy. MinHash over 3-word shingles with LSH banding (`pipeline.signatures`):
   candidates share a band; the best one with estimated Jaccard ≥ `duplicate_jaccard`
   (0.30) is the original. An optional gate, `duplicate_min_cosine` (off: 0.0), also
   asks for story cosine (below) with the original's story; at 0.35 it cut copy
   recall from 0.96 to 0.70 on the benchmark, so it is off.
2. Same story. The article becomes a sparse vector x over features f: content words,
   adjacent content-word pairs and canonical entities (label + case-folded text, GPE
   merged into LOC), each weighted

       x_f = a_f · (1 + ln tf_f) · (1 + title_boost · in_title_f) · idf_f,
       idf_f = ln((N + 1) / (df_f + 0.5)),

   with a_f = 1 for words, `bigram_weight` for pairs and `entity_weight` for entities;
   N and df come from a running document-frequency table, so weights need no corpus.
   A story keeps a centroid c = Σ x/‖x‖ over its members, cut to its
   `story_features` (192) heaviest features, and ‖c‖ of the uncut sum, updated as
   ‖c + x‖² = ‖c‖² + 2 c·x + 1. Score(x, story) = x·c / ‖c‖; the best candidate story
   with score ≥ `story_threshold` (0.15) is joined, else a new story starts.

   Settings were chosen on half the ECB+ topics (alternate topic numbers) and checked on
   the other half (`pipeline.bench.dedupe`): threshold 0.15 was best on both halves.

Candidates are sub-linear: each article posts its story id under its
`posting_features` heaviest features; a query reads the postings of its
`query_features` heaviest features, each capped at `max_postings` recent stories.

State. Everything lives in injected `MutableMapping[str, bytes]` tables (`StoryTables`),
small packed values that a Faust table can hold and replay from its changelog:
`articles` id → (day, story, compact signature), `bands` band key → ids,
`stories` id → (day, size, norm, centroid) and "\\x00"+id → its latest member,
`postings` feature → story ids, `df` feature → count ("0": documents), `days` day →
ids published that day (for the horizon). Features are 48-bit BLAKE2b
digests. Articles older than `horizon_days` (by publication time, against the
latest time seen) are forgotten; stale band, posting and story entries are skipped
when read and pruned when their entry is rewritten.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import struct
from collections import Counter
from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from pipeline import signatures as sig

__all__ = [
    "ALGO_VERSION",
    "Decision",
    "DedupeSettings",
    "EntityLike",
    "StoryIndex",
    "StoryInput",
    "StoryTables",
    "article_features",
    "content_words",
]

ALGO_VERSION = "stories-1"
"""Bump when a formula or default threshold changes; output records carry it."""

Kind = Literal["new", "duplicate", "same_story"]
Features = dict[int, float]


@dataclass(frozen=True)
class DedupeSettings:
    """Thresholds and weights of the decision; the defaults were chosen on ECB+ (see bench)."""

    horizon_days: float = 90.0
    duplicate_jaccard: float = 0.30
    duplicate_min_cosine: float = 0.0
    story_threshold: float = 0.15
    entity_weight: float = 1.0
    bigram_weight: float = 1.0
    title_boost: float = 1.0
    story_features: int = 192
    posting_features: int = 12
    query_features: int = 24
    max_postings: int = 48
    bands: int = 32
    rows: int = 2


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
    def entities(self) -> Sequence[EntityLike]: ...


@dataclass(frozen=True)
class Decision:
    """The outcome for one article; `similarity` holds every score that was computed."""

    kind: Kind
    story_id: str
    duplicate_of: str | None = None
    related_to: str | None = None
    similarity: dict[str, float] = field(default_factory=dict)
    method: str = "none"
    algo_version: str = ALGO_VERSION


@dataclass
class StoryTables:
    """The index state: six key → bytes tables (plain dicts in tests, Faust tables live)."""

    articles: MutableMapping[str, bytes] = field(default_factory=dict)
    bands: MutableMapping[str, bytes] = field(default_factory=dict)
    stories: MutableMapping[str, bytes] = field(default_factory=dict)
    postings: MutableMapping[str, bytes] = field(default_factory=dict)
    df: MutableMapping[str, bytes] = field(default_factory=dict)
    days: MutableMapping[str, bytes] = field(default_factory=dict)

    def all(self) -> tuple[MutableMapping[str, bytes], ...]:
        return (self.articles, self.bands, self.stories, self.postings, self.df, self.days)


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
_ENTITY_LABELS = {"PERSON": "P", "ORG": "O", "GPE": "L", "LOC": "L", "NORP": "N", "FAC": "F"}
_ENTITY_LABELS |= {"EVENT": "E", "PRODUCT": "R", "WORK_OF_ART": "W", "LAW": "A"}
_NUM = struct.Struct("<I")
_DAY_SECONDS = 86_400.0
_MAX_DUPLICATE_CANDIDATES = 32
"""Candidates confirmed per article: a copy shares many bands, so it ranks high."""
_MAX_STORY_CANDIDATES = 32
"""Stories scored per article: those sharing most posted features with it."""


def _fid(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=6).digest(), "little")


def content_words(text: str) -> list[str]:
    """Case-folded word tokens without stop words and one-character tokens."""
    words = (w.casefold() for w in _WORD.findall(text))
    return [w for w in words if len(w) > 1 and w not in _STOP]


def article_features(
    article: StoryInput, settings: DedupeSettings
) -> tuple[Counter[int], dict[int, float]]:
    """Term frequencies and per-feature factors a_f·(1 + title_boost·in_title) of an article."""
    body = content_words(article.body)
    title = content_words(article.title)
    in_title = set(title)
    words = title + body
    tf: Counter[int] = Counter()
    factor: dict[int, float] = {}
    for w in words:
        f = _fid("w" + w)
        tf[f] += 1
        factor[f] = 1.0 + settings.title_boost * (w in in_title)
    for a, b in itertools.pairwise(words):
        f = _fid(f"b{a} {b}")
        tf[f] += 1
        factor[f] = settings.bigram_weight
    for e in article.entities:
        label = _ENTITY_LABELS.get(e.label)
        key = " ".join(_WORD.findall(e.text.casefold()))
        if label is None or not key:
            continue
        f = _fid(f"e{label}{key}")
        tf[f] += max(1, e.count)
        factor[f] = settings.entity_weight * (1.0 + settings.title_boost * e.in_title)
    return tf, factor


def _pack_ids(ids: Iterable[str]) -> bytes:
    return "\n".join(ids).encode()


def _unpack_ids(raw: bytes | None) -> list[str]:
    return raw.decode().split("\n") if raw else []


def _pack_story(day: int, size: int, norm: float, centroid: Features) -> bytes:
    keys, values = zip(*sorted(centroid.items()), strict=True) if centroid else ((), ())
    n = len(keys)
    return struct.pack(f"<iIf{n}Q{n}f", day, size, norm, *keys, *values)


def _unpack_story(raw: bytes) -> tuple[int, int, float, Features]:
    day, size, norm = struct.unpack_from("<iIf", raw)
    n = (len(raw) - 12) // 12
    values = struct.unpack_from(f"<{n}Q{n}f", raw, 12)
    return day, size, norm, dict(zip(values[:n], values[n:], strict=True))


def _day_of(article: StoryInput, fallback: float) -> float:
    if article.published_at:
        return datetime.fromisoformat(article.published_at).timestamp() / _DAY_SECONDS
    return fallback


class StoryIndex:
    """The streaming decision: `observe(article)` = `decide` then `add`, in stream order."""

    def __init__(self, settings: DedupeSettings | None = None, tables: StoryTables | None = None):
        self.settings = settings or DedupeSettings()
        self.tables = tables if tables is not None else StoryTables()
        self._latest_day = -math.inf

    # --- reading -------------------------------------------------------------------------
    def _df(self, f: int) -> int:
        raw = self.tables.df.get(f"{f:x}")
        return _NUM.unpack(raw)[0] if raw else 0

    def _vector(self, article: StoryInput) -> Features:
        """The article's TF-IDF vector, normalised (df counts the article itself)."""
        tf, factor = article_features(article, self.settings)
        n = self._df(0) + 1
        x = {
            f: factor[f] * (1 + math.log(c)) * math.log((n + 1) / (self._df(f) + 1.5))
            for f, c in tf.items()
        }
        norm = math.sqrt(sum(v * v for v in x.values())) or 1.0
        return {f: v / norm for f, v in x.items()}

    def _duplicate(self, signature: list[int], day: float) -> tuple[str, str, float] | None:
        """The best near-copy among LSH candidates, most shared bands first (at most 32)."""
        s = self.settings
        mine = sig.compact(signature)
        shared: Counter[str] = Counter()
        for key in sig.band_keys(signature, s.bands, s.rows):
            shared.update(_unpack_ids(self.tables.bands.get(key.hex()[:8])))
        best: tuple[str, str, float] | None = None
        for other, _ in shared.most_common(_MAX_DUPLICATE_CANDIDATES):
            raw = self.tables.articles.get(other)
            if raw is None or day - struct.unpack_from("<i", raw)[0] > s.horizon_days:
                continue
            j = sig.compact_jaccard(mine, raw[-128:])
            if j >= s.duplicate_jaccard and (best is None or j > best[2]):
                best = (other, raw[4:-128].decode(), j)
        return best

    def _stories(self, x: Features, day: float) -> list[tuple[float, str]]:
        """Candidate stories as (cosine, id), best first; the most-posted 32 are scored."""
        s = self.settings
        hits: Counter[str] = Counter()
        for f in sorted(x, key=x.__getitem__, reverse=True)[: s.query_features]:
            hits.update(_unpack_ids(self.tables.postings.get(f"{f:x}")))
        scored = []
        for story, _ in hits.most_common(_MAX_STORY_CANDIDATES):
            raw = self.tables.stories.get(story)
            if raw is None:
                continue
            story_day, _, norm, centroid = _unpack_story(raw)
            if day - story_day > s.horizon_days:
                continue
            cos = sum(w * x.get(f, 0.0) for f, w in centroid.items()) / (norm or 1.0)
            scored.append((cos, story))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return scored

    def decide(self, article: StoryInput) -> Decision:
        """The decision for `article` against everything indexed so far (changes nothing)."""
        decision, _, _ = self._decide(article)
        return decision

    def _decide(self, article: StoryInput) -> tuple[Decision, Features, list[int]]:
        s = self.settings
        day = _day_of(article, self._latest_day if self._latest_day > -math.inf else 0.0)
        signature = sig.minhash(sig.shingles(sig.words(f"{article.title}\n{article.body}")))
        x = self._vector(article)
        stories = self._stories(x, day)
        cosines = {story: cos for cos, story in stories}
        dup = self._duplicate(signature, day)
        if dup is not None and cosines.get(dup[1], 0.0) >= s.duplicate_min_cosine:
            other, story, j = dup
            scores = {"jaccard": round(j, 4), "cosine": round(cosines[story], 4)}
            decision = Decision("duplicate", story, other, other, scores, "minhash-lsh")
        elif stories and stories[0][0] >= s.story_threshold:
            cos, story = stories[0]
            related = self._latest_member(story)
            scores = {"cosine": round(cos, 4)}
            decision = Decision("same_story", story, None, related, scores, "tfidf-entity-centroid")
        else:
            best = {"cosine": round(stories[0][0], 4)} if stories else {}
            decision = Decision("new", article.id, similarity=best)
        return decision, x, signature

    def _latest_member(self, story: str) -> str | None:
        raw = self.tables.stories.get(f"\x00{story}")
        return raw.decode() if raw else None

    # --- writing -------------------------------------------------------------------------
    def observe(self, article: StoryInput) -> Decision:
        """Decide for `article`, then index it under that decision."""
        decision, x, signature = self._decide(article)
        self._add(article, decision, x, signature)
        return decision

    def add(self, article: StoryInput, decision: Decision) -> None:
        """Index `article` under `decision` (as returned by `decide`)."""
        _, x, signature = self._decide(article)
        self._add(article, decision, x, signature)

    def _add(
        self, article: StoryInput, decision: Decision, x: Features, signature: list[int]
    ) -> None:
        s, t = self.settings, self.tables
        day = _day_of(article, self._latest_day if self._latest_day > -math.inf else 0.0)
        iday = math.floor(day)
        story = decision.story_id
        t.articles[article.id] = struct.pack("<i", iday) + story.encode() + sig.compact(signature)
        for key in sig.band_keys(signature, s.bands, s.rows):
            k = key.hex()[:8]
            ids = [i for i in _unpack_ids(t.bands.get(k)) if i in t.articles]
            t.bands[k] = _pack_ids([*ids[-(s.max_postings - 1) :], article.id])
        t.days[str(iday)] = _pack_ids([*_unpack_ids(t.days.get(str(iday))), article.id])
        # document frequencies: feature 0 counts documents
        t.df["0"] = _NUM.pack(self._df(0) + 1)
        for f in x:
            t.df[f"{f:x}"] = _NUM.pack(self._df(f) + 1)
        old = t.stories.get(story)
        last, size, norm, centroid = _unpack_story(old) if old else (iday, 0, 0.0, {})
        # ‖c + x‖² = ‖c‖² + 2 c·x + 1 (x is a unit vector; c·x over the kept features)
        norm = math.sqrt(norm * norm + 2 * sum(w * centroid.get(f, 0.0) for f, w in x.items()) + 1)
        for f, w in x.items():
            centroid[f] = centroid.get(f, 0.0) + w
        top = dict(sorted(centroid.items(), key=lambda kv: -kv[1])[: s.story_features])
        t.stories[story] = _pack_story(max(iday, last), size + 1, norm, top)
        t.stories[f"\x00{story}"] = article.id.encode()
        for f in sorted(x, key=x.__getitem__, reverse=True)[: s.posting_features]:
            k = f"{f:x}"
            ids = [i for i in _unpack_ids(t.postings.get(k)) if i != story and i in t.stories]
            t.postings[k] = _pack_ids([*ids[-(s.max_postings - 1) :], story])
        if day > self._latest_day:
            self._latest_day = day
            self._expire(math.floor(day - s.horizon_days))

    def _expire(self, before_day: int) -> None:
        """Forget articles (and stories) published before `before_day`."""
        t = self.tables
        for key in [k for k in t.days if int(k) < before_day]:
            for article in _unpack_ids(t.days.pop(key)):
                raw = t.articles.pop(article, None)
                if raw is None:
                    continue
                story = raw[4:-128].decode()
                story_raw = t.stories.get(story)
                if story_raw is not None and _unpack_story(story_raw)[0] < before_day:
                    del t.stories[story]
                    t.stories.pop(f"\x00{story}", None)

    def state_bytes(self) -> dict[str, float]:
        """Bytes of keys + values per indexed article, per table and in total."""
        t = self.tables
        n = max(1, len(t.articles))
        out = {
            name: sum(len(k) + len(v) for k, v in table.items()) / n
            for name, table in zip(
                ("articles", "bands", "stories", "postings", "df", "days"), t.all(), strict=True
            )
        }
        out["total"] = sum(out.values())
        return out
