"""Feed subscriptions and the items already seen, in SQLAlchemy Core tables of their own.

The tables live in the table store's database (`settings.resolved_store_url`), so they
work on SQLite now and PostgreSQL later, but belong to this module, not to the store:

- `feeds`: one row per subscription (url unique), with its poll state (validators for
  conditional GET, consecutive failures, next due time, last error);
- `feed_items`: (feed_id, item_key) of every item published, so a restart re-publishes
  nothing. A key is marked seen only after Kafka acknowledged the item.

Every method runs to its end even when its caller is cancelled (`whole`): a stop never
leaves a statement half-run in the driver's thread.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from pipeline.feeds.whole import whole
from pipeline.store.migrations import lock_schema

__all__ = ["FeedRegistry", "Subscription", "async_store_url"]

metadata = sa.MetaData()

feeds_table = sa.Table(
    "feeds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("url", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("interval_seconds", sa.Float, nullable=False),
    sa.Column("added_at", sa.Float, nullable=False),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_poll_at", sa.Float, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
)

feed_items_table = sa.Table(
    "feed_items",
    metadata,
    sa.Column(
        "feed_id", sa.Integer, sa.ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("item_key", sa.Text, primary_key=True),
    sa.Column("seen_at", sa.Float, nullable=False),
)


def async_store_url(url: str) -> str:
    """The async driver's spelling of a store URL (`sqlite:///` → `sqlite+aiosqlite:///`)."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@dataclass(frozen=True)
class Subscription:
    """One subscribed feed and its poll state."""

    id: int
    url: str
    name: str
    interval_seconds: float
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    next_poll_at: float = 0.0
    last_error: str | None = None


def _subscription(row: sa.Row[tuple[object, ...]]) -> Subscription:
    m = row._mapping
    return Subscription(
        id=int(m["id"]),
        url=str(m["url"]),
        name=str(m["name"]),
        interval_seconds=float(m["interval_seconds"]),
        etag=m["etag"],
        last_modified=m["last_modified"],
        failures=int(m["failures"]),
        next_poll_at=float(m["next_poll_at"]),
        last_error=m["last_error"],
    )


class FeedRegistry:
    """Subscriptions and seen items on one database; `open()` creates the tables."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    async def open(cls, store_url: str) -> FeedRegistry:
        """Connect to the store database and create this module's tables if missing."""
        if store_url.startswith("sqlite:///"):
            Path(store_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(async_store_url(store_url))
        async with engine.begin() as conn:
            await conn.run_sync(lock_schema)  # workers starting together take turns
            await conn.run_sync(metadata.create_all)
        return cls(engine)

    async def close(self) -> None:
        await self.engine.dispose()

    @whole
    async def add(
        self, url: str, name: str, interval_seconds: float, *, keep_interval: bool = False
    ) -> tuple[Subscription, bool]:
        """Subscribe to `url`; an existing subscription gets the new name and interval.

        With `keep_interval`, an existing subscription keeps its interval (`interval_seconds`
        is then only the new one's). Returns the subscription and whether it is new.
        """
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(sa.select(feeds_table).where(feeds_table.c.url == url))
            ).first()
            if row is None:
                await conn.execute(
                    feeds_table.insert().values(
                        url=url, name=name, interval_seconds=interval_seconds, added_at=time.time()
                    )
                )
                created = True
            else:
                values: dict[str, object] = {"name": name}
                if not keep_interval:
                    values["interval_seconds"] = interval_seconds
                await conn.execute(
                    feeds_table.update().where(feeds_table.c.url == url).values(**values)
                )
                created = False
            row = (await conn.execute(sa.select(feeds_table).where(feeds_table.c.url == url))).one()
        return _subscription(row), created

    @whole
    async def remove(self, url_or_name: str) -> int:
        """Unsubscribe the feed with this URL or name (and forget its items); returns rows gone."""
        match = sa.or_(feeds_table.c.url == url_or_name, feeds_table.c.name == url_or_name)
        async with self.engine.begin() as conn:
            ids = [r[0] for r in await conn.execute(sa.select(feeds_table.c.id).where(match))]
            if not ids:
                return 0
            await conn.execute(feed_items_table.delete().where(feed_items_table.c.feed_id.in_(ids)))
            await conn.execute(feeds_table.delete().where(feeds_table.c.id.in_(ids)))
        return len(ids)

    @whole
    async def subscriptions(self) -> list[Subscription]:
        """Every subscription, in the order they were added."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(sa.select(feeds_table).order_by(feeds_table.c.id))
            return [_subscription(r) for r in rows]

    @whole
    async def due(self, now: float) -> list[Subscription]:
        """Subscriptions whose next poll time has come, most overdue first."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(feeds_table)
                .where(feeds_table.c.next_poll_at <= now)
                .order_by(feeds_table.c.next_poll_at)
            )
            return [_subscription(r) for r in rows]

    @whole
    async def claim(self, feed_id: int, now: float, lease_until: float) -> bool:
        """Take the due feed for one poll; False if another poller took it first.

        The claim moves `next_poll_at` to `lease_until` in one conditional UPDATE, so
        workers sharing a database never poll the same feed at once; a poller that dies
        mid-poll leaves the feed due again when the lease runs out.
        """
        async with self.engine.begin() as conn:
            result = await conn.execute(
                feeds_table.update()
                .where(feeds_table.c.id == feed_id, feeds_table.c.next_poll_at <= now)
                .values(next_poll_at=lease_until)
            )
        return bool(result.rowcount)

    @whole
    async def release(self, feed_id: int, lease_until: float, next_poll_at: float) -> None:
        """Give back a claim whose poll was stopped: the feed is due at `next_poll_at` again.

        Only the claim itself is undone: a poll that got as far as recording its outcome has
        moved `next_poll_at` off `lease_until` already, and keeps what it recorded.
        """
        async with self.engine.begin() as conn:
            await conn.execute(
                feeds_table.update()
                .where(feeds_table.c.id == feed_id, feeds_table.c.next_poll_at == lease_until)
                .values(next_poll_at=next_poll_at)
            )

    @whole
    async def next_due_at(self) -> float | None:
        """The earliest next poll time of any subscription (None without subscriptions)."""
        async with self.engine.connect() as conn:
            value = await conn.scalar(sa.select(sa.func.min(feeds_table.c.next_poll_at)))
        return None if value is None else float(value)

    @whole
    async def record_poll(
        self,
        feed_id: int,
        *,
        next_poll_at: float,
        failures: int,
        etag: str | None = None,
        last_modified: str | None = None,
        error: str | None = None,
        keep_validators: bool = False,
    ) -> None:
        """Store the outcome of one poll: the validators, the failure count and the next time."""
        values: dict[str, object] = {
            "next_poll_at": next_poll_at,
            "failures": failures,
            "last_error": error,
        }
        if not keep_validators:
            values["etag"] = etag
            values["last_modified"] = last_modified
        async with self.engine.begin() as conn:
            await conn.execute(
                feeds_table.update().where(feeds_table.c.id == feed_id).values(**values)
            )

    @whole
    async def unseen(self, feed_id: int, keys: Sequence[str]) -> set[str]:
        """The keys of `keys` this feed has not published yet."""
        if not keys:
            return set()
        seen: set[str] = set()
        async with self.engine.connect() as conn:
            for start in range(0, len(keys), 500):  # stay under SQL parameter limits
                chunk = list(keys[start : start + 500])
                rows = await conn.execute(
                    sa.select(feed_items_table.c.item_key).where(
                        feed_items_table.c.feed_id == feed_id,
                        feed_items_table.c.item_key.in_(chunk),
                    )
                )
                seen.update(r[0] for r in rows)
        return set(keys) - seen

    @whole
    async def mark_seen(self, feed_id: int, keys: Iterable[str]) -> None:
        """Remember that these items of this feed were published (idempotent)."""
        now = time.time()
        rows = [{"feed_id": feed_id, "item_key": k, "seen_at": now} for k in set(keys)]
        if not rows:
            return
        async with self.engine.begin() as conn:
            existing = await conn.execute(
                sa.select(feed_items_table.c.item_key).where(
                    feed_items_table.c.feed_id == feed_id,
                    feed_items_table.c.item_key.in_([r["item_key"] for r in rows]),
                )
            )
            known = {r[0] for r in existing}
            fresh = [r for r in rows if r["item_key"] not in known]
            if fresh:
                await conn.execute(feed_items_table.insert(), fresh)
