"""One module per agent; importing this package registers them all on the app."""

from agents import dedupe, enrich, normalize, store

__all__ = ["dedupe", "enrich", "normalize", "store"]
