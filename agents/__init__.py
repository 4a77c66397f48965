"""One module per agent; importing this package registers them all on the app."""

from agents import enrich, normalize, promote, store

__all__ = ["enrich", "normalize", "promote", "store"]
