"""Registers the web UI on the app: importing this module adds every view and the lag timer."""

from pipeline.web import api, dashboard, health, stream

__all__ = ["api", "dashboard", "health", "stream"]
