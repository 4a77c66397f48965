"""PostgreSQL for tests: one server per session, one fresh database per test."""

from __future__ import annotations

import uuid

import psycopg

__all__ = ["new_database"]


def new_database(server_url: str) -> str:
    """Create an empty database on the server at `server_url`; returns its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, _, _db = server_url.rpartition("/")
    return f"{base}/{name}"
