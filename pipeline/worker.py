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
    faust.Worker(app, loglevel=settings.log_level.upper()).execute_from_commandline()
