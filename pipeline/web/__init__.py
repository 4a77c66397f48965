"""The worker's web UI: dashboard, JSON API, live streams, metrics and probes.

Importing `pipeline.web.routes` registers the views on the Faust app's web server (and the
consumer-lag timer); `pipeline.worker` imports it before the worker starts. The other
modules (queries, reader, stats, http) do not touch the app, so tests import them freely.

    GET /                       dashboard (static page, live over SSE)
    GET /api/articles           ?entity=&story=&source=&since=&limit=&body=
    GET /api/articles/{id}      one article
    GET /api/stories/{id}       the articles of one story
    GET /api/stats              the dashboard's figures
    GET /api/stream             SSE of stored articles (same filters; Last-Event-ID resumes)
    GET /api/stats/stream       SSE of /api/stats every second
    GET /metrics                Prometheus text
    GET /healthz, /readyz       liveness, readiness

Everything here only reads: the store through its own read-only connections
(`pipeline.web.reader`), the figures from `pipeline.metrics`.
"""

__all__: list[str] = []
