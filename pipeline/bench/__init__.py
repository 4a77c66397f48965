"""Benchmarks that print numbers (`newswire bench …`); never run as tests."""

__all__: list[str] = []
