"""Article files into `RawArticle` records: what `newswire publish PATH…` reads.

Every record comes out as a value, never as an exception: a `ParsedArticle`, or a
`ParseFailure` with a stable `reason` code. One bad record never stops the others.

Formats, chosen by extension (case-insensitive):

- ``.txt``: one article. The first non-empty line is ``date YYYY-MM-DD Title`` (leading
  whitespace allowed, ``date`` in any case), the rest is the body. A file whose first line
  does not start with ``date `` is plain text: that line is the title, no date. Blank lines
  between title and body and trailing whitespace are dropped; nothing else is cleaned.
- ``.json``: one object, or an array of objects (element N is located at ``path:1#N``).
  The file is read whole: use JSON Lines for large inputs.
- ``.jsonl`` / ``.ndjson``: one object per line, read line by line; blank lines skipped.

Fields of a JSON object: `schemas.raw.FIELD_NAMES`, the vocabulary news.raw and
`POST /api/articles` take too (the first name with a non-null value wins; other keys are
ignored; a number in `published` is epoch seconds, kept as its decimal string).
`source` defaults to the `source` argument, else ``file:<name>``.

Locations: ``path:line`` (1-based line where the record starts) for records;
the bare ``path`` for failures about the whole file (unreadable, unsupported_file, empty_file).
"""

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, get_args

import orjson

from schemas.raw import MISSING_BODY, RawArticle, pick_fields

__all__ = [
    "ARTICLE_SUFFIXES",
    "PARSE_FAILURE_REASONS",
    "SAMPLE_NEWS_DIR",
    "ParseFailure",
    "ParseFailureReason",
    "ParsedArticle",
    "read_articles",
]

SAMPLE_NEWS_DIR = Path(__file__).resolve().parents[1] / "sample_news"
"""The bundled Wikinews sample (CC BY 2.5, see its SOURCE.md), for demos and smoke tests."""

ParseFailureReason = Literal[
    "unreadable",  # the OS refused: missing path, permission, I/O error
    "unsupported_file",  # a file named explicitly whose extension is not read
    "empty_file",  # nothing but whitespace (or an empty JSON array)
    "not_utf8",  # bytes that are not UTF-8
    "not_json",  # .json/.jsonl text that orjson cannot parse
    "not_an_object",  # JSON, but not an object
    "missing_body",  # no body, text or content
    "empty_body",  # a body that is empty or whitespace
    "bad_field",  # a field of the wrong JSON type
    "bad_header",  # a .txt `date …` line without a YYYY-MM-DD date
]
PARSE_FAILURE_REASONS: tuple[ParseFailureReason, ...] = get_args(ParseFailureReason)

_TXT, _JSON, _JSONL = frozenset({".txt"}), frozenset({".json"}), frozenset({".jsonl", ".ndjson"})
ARTICLE_SUFFIXES = _TXT | _JSON | _JSONL
"""Extensions read from directories; other files there are skipped silently."""

_BOM = b"\xef\xbb\xbf"
# "date" then a digit: a first line such as "Date palms thrive…" is a title, not a header.
_HEADER = re.compile(r"date[ \t]+[0-9]", re.IGNORECASE)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[^\S\n]*\n)+")
_JSON_TYPES = {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}
# What a field's value must be once `pick_fields` has turned numbers into strings.
_TYPES: dict[str, type | tuple[type, ...]] = {"received_at": (int, float), "schema_version": int}
_EXPECTED = {
    "published": "a string, a number or null",
    "external_id": "a string, an integer or null",
    "received_at": "a number or null",
    "schema_version": "an integer",
}


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """A complete record, and where it starts (`path:line`, or `path:1#N` in a JSON array)."""

    location: str
    article: RawArticle


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """A record (or file) that could not be read: `reason` is stable, `message` says why."""

    location: str
    reason: ParseFailureReason
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}: {self.message}"


def read_articles(
    paths: Iterable[Path], *, source: str | None = None
) -> Iterator[ParsedArticle | ParseFailure]:
    """Yield every record of `paths` in order; directories are walked recursively, sorted.

    Hidden files and directories (names starting with ".") are skipped in a walk, and
    symlinked directories are not followed. `source` is the default `source` field.
    """
    for path in paths:
        path = Path(path)
        if path.is_dir():
            yield from _walk(path, source)
        else:
            yield from _read_file(path, source)


def _walk(root: Path, source: str | None) -> Iterator[ParsedArticle | ParseFailure]:
    errors: list[OSError] = []
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append):
        dirnames[:] = [name for name in dirnames if not name.startswith(".")]
        found.extend(
            Path(dirpath, name)
            for name in filenames
            if not name.startswith(".") and Path(name).suffix.lower() in ARTICLE_SUFFIXES
        )
    for error in errors:
        yield _unreadable(str(error.filename), error)
    for path in sorted(found):
        yield from _read_file(path, source)


def _read_file(path: Path, source: str | None) -> Iterator[ParsedArticle | ParseFailure]:
    name, suffix = str(path), path.suffix.lower()
    default_source = source if source is not None else f"file:{path.name}"
    try:
        path.stat()  # a missing path is "unreadable" whatever its extension
        if suffix not in ARTICLE_SUFFIXES:
            got = f'"{path.suffix}"' if path.suffix else "no extension"
            message = f"expected .txt, .json, .jsonl or .ndjson, got {got}"
            yield ParseFailure(name, "unsupported_file", message)
            return
        if suffix in _JSONL:
            with path.open("rb") as lines:
                yield from _read_jsonl(lines, name, default_source)
        elif suffix in _JSON:
            yield from _read_json(path.read_bytes(), name, default_source)
        else:
            yield _read_txt(path.read_bytes(), name, default_source)
    except OSError as error:
        yield _unreadable(name, error)


def _read_txt(data: bytes, name: str, source: str) -> ParsedArticle | ParseFailure:
    location = f"{name}:1"
    data, offset = _strip_bom(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return _not_utf8(location, offset + error.start)
    head = text.lstrip()
    if not head:
        return ParseFailure(name, "empty_file", "the file is empty")
    first, _, rest = head.partition("\n")
    title: str | None = first.strip()
    published = None
    if _HEADER.match(first):
        parts = first[5:].split(None, 1)
        if not parts or not _DATE.fullmatch(parts[0]):
            got = f'"{parts[0]}"' if parts else "nothing"
            return ParseFailure(
                location, "bad_header", f'expected "date YYYY-MM-DD Title", got date {got}'
            )
        published, title = parts[0], (parts[1].strip() if len(parts) > 1 else None)
    body = _LEADING_BLANK_LINES.sub("", rest, count=1).rstrip()
    if not body:
        return ParseFailure(location, "empty_body", "no text after the title line")
    article = RawArticle(body=body, title=title or None, published=published, source=source)
    return ParsedArticle(location, article)


def _read_json(data: bytes, name: str, source: str) -> Iterator[ParsedArticle | ParseFailure]:
    location = f"{name}:1"
    data, offset = _strip_bom(data)
    if not data.strip():
        yield ParseFailure(name, "empty_file", "the file is empty")
        return
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        yield _json_error(location, data, offset, error, 1)
        return
    if isinstance(value, list):
        if not value:
            yield ParseFailure(name, "empty_file", "the JSON array is empty")
        for index, item in enumerate(value):
            yield _to_article(item, f"{location}#{index}", source)
    else:
        yield _to_article(value, location, source, "a JSON object or an array of objects")


def _read_jsonl(lines: IO[bytes], name: str, source: str) -> Iterator[ParsedArticle | ParseFailure]:
    offset = 0
    seen = False
    for number, line in enumerate(lines, 1):
        start, offset = offset, offset + len(line)
        if number == 1:
            line, skipped = _strip_bom(line)
            start += skipped
        if not line.strip():
            continue
        seen = True
        location = f"{name}:{number}"
        try:
            value = orjson.loads(line.rstrip(b"\r\n"))  # errors at the end stay on this line
        except orjson.JSONDecodeError as error:
            yield _json_error(location, line, start, error, number)
            continue
        yield _to_article(value, location, source)
    if not seen:
        yield ParseFailure(name, "empty_file", "the file has no JSON lines")


def _to_article(
    obj: Any, location: str, source: str, expected: str = "a JSON object"
) -> ParsedArticle | ParseFailure:
    """Map one decoded JSON value to a complete RawArticle, or say why it cannot be one."""
    if not isinstance(obj, dict):
        return ParseFailure(
            location, "not_an_object", f"expected {expected}, got {_json_type(obj)}"
        )
    picked = pick_fields(obj)
    if "body" not in picked:
        return ParseFailure(location, "missing_body", MISSING_BODY)
    key, body = picked.pop("body")
    if not isinstance(body, str):
        return _bad_field(location, key, "a string", body)
    if not body.strip():
        return ParseFailure(location, "empty_body", f'"{key}" is empty')
    fields: dict[str, Any] = {}  # Any: faust's Record.__init__ types its keywords loosely
    for field, (key, value) in picked.items():
        expected = _EXPECTED.get(field, "a string or null")
        if not isinstance(value, _TYPES.get(field, str)) or isinstance(value, bool):
            return _bad_field(location, key, expected, value)
        fields[field] = value
    fields.setdefault("source", source)
    return ParsedArticle(location, RawArticle(body=body, **fields))


def _strip_bom(data: bytes) -> tuple[bytes, int]:
    """The bytes without a leading UTF-8 BOM, and how many bytes were dropped."""
    return (data[len(_BOM) :], len(_BOM)) if data.startswith(_BOM) else (data, 0)


def _json_type(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), "object")


def _bad_field(location: str, key: str, expected: str, value: Any) -> ParseFailure:
    message = f'"{key}" must be {expected}, got {_json_type(value)}'
    return ParseFailure(location, "bad_field", message)


def _json_error(
    location: str, raw: bytes, offset: int, error: orjson.JSONDecodeError, first_line: int
) -> ParseFailure:
    """not_utf8 (with the file's byte offset) if that is why orjson failed, else not_json."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return _not_utf8(location, offset + bad.start)
    line = first_line + error.lineno - 1  # orjson counts from the start of what it was given
    where = f"line {line}, column {error.colno}"
    return ParseFailure(location, "not_json", f"not valid JSON: {error.msg} at {where}")


def _not_utf8(location: str, byte_offset: int) -> ParseFailure:
    return ParseFailure(location, "not_utf8", f"invalid UTF-8 at byte offset {byte_offset}")


def _unreadable(name: str, error: OSError) -> ParseFailure:
    return ParseFailure(name, "unreadable", error.strerror or str(error))
