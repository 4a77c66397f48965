"""Decoding a pipeline topic's bytes into its record model, refusing what does not fit."""

from __future__ import annotations

from typing import Any, TypeVar

import faust
import orjson

from pipeline.errors import NotJson, SchemaViolation

__all__ = ["decode_record"]

R = TypeVar("R", bound=faust.Record)


def decode_record(data: bytes, model: type[R]) -> R:
    """`model` from JSON bytes; `NotJson` / `SchemaViolation` say what is wrong."""
    try:
        obj: Any = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise NotJson(f"not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise NotJson(f"expected a JSON object, got {type(obj).__name__}")
    fields = model._options.fields
    missing = [f for f in fields if f not in obj and f not in model._options.defaults]
    if missing:
        raise SchemaViolation(f"not a {model.__name__}: missing {', '.join(missing)}")
    try:
        return model(**{k: v for k, v in obj.items() if k in fields})
    except (TypeError, ValueError) as exc:
        raise SchemaViolation(f"not a {model.__name__}: {exc}") from None
