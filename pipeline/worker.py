"""Starting the Faust worker with every agent registered."""

from __future__ import annotations

import faust

__all__ = ["run_worker"]


def run_worker() -> None:
    """Run the worker until it is signalled to stop (SIGINT/SIGTERM stop it cleanly)."""
    import agents  # noqa: F401 - registers the agents on the app
    import pipeline.web.routes  # noqa: F401 - registers the web UI: views and the lag timer
    from pipeline.app import app, settings

    settings.data_dir.mkdir(parents=True, exist_ok=True)  # Faust creates only the last level
    worker = faust.Worker(app, loglevel=settings.log_level.upper())
    # Faust's terminal spinner, at log levels above INFO, sets the root logger to DEBUG so it
    # can spin on every record: each debug call in Faust and aiokafka then builds a log record
    # (measured: about 6% of a worker's time). No spinner: the level is the one asked for.
    worker.spinner = None
    worker.execute_from_commandline()
