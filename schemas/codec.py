"""The orjson codec every newswire record is serialised with (registered as "orjson")."""

from typing import Any

import orjson
from faust.serializers import codecs

__all__ = ["CODEC", "RECORD_OPTIONS", "OrjsonCodec"]

CODEC = "orjson"


def _default(obj: Any) -> Any:
    # Nested faust Records stay objects in to_representation(); __json__ gives their dict.
    if hasattr(obj, "__json__"):
        return obj.__json__()
    raise TypeError(f"cannot serialise {type(obj).__name__}")


class OrjsonCodec(codecs.Codec):
    """JSON via orjson: several times faster than the stdlib codec Faust defaults to."""

    def _dumps(self, obj: Any) -> bytes:
        return orjson.dumps(obj, default=_default)

    def _loads(self, s: bytes) -> Any:
        return orjson.loads(s)


codecs.register(CODEC, OrjsonCodec())

# No "__faust" namespace blobs on the wire: the JSON Schema is the contract, not Python class names.
RECORD_OPTIONS: dict[str, Any] = {"serializer": CODEC, "include_metadata": False, "coerce": True}
