"""Where raw articles come from before they reach news.raw (files for now: see `files`)."""

__all__: list[str] = []
