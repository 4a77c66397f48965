"""One module per agent; importing this package registers them all on the app."""

from agents import normalize, promote, store

__all__ = ["normalize", "promote", "store"]
