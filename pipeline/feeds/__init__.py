"""Live feeds: RSS/Atom subscriptions polled into news.raw, article pages fetched and extracted.

One module per job:

- `guard`: which addresses a fetch may reach (the SSRF guard);
- `fetcher`: one bounded HTTP GET (size cap, timeouts, redirects followed by hand);
- `parse`: feed bytes to items (feedparser), pure;
- `extract`: article HTML to title, date and main text (trafilatura), pure;
- `schedule`: intervals, jitter and back-off, pure;
- `registry`: subscriptions and seen items in SQLAlchemy Core tables on the store URL;
- `health`: per-source figures for the dashboard and `/metrics`;
- `poller`: one poll of one feed, and the loop that polls the due ones;
- `service`: the poller inside the worker, or standalone (`newswire feeds run`).
- `whole`: work a stop must not cut in half (statements, a publish and its record).
"""
