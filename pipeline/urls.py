"""Canonical URLs and article ids: one spelling per page, so the same story is one key.

`canonical_url` applies RFC 3986 syntax normalisation (lower-case scheme and host,
default ports dropped, percent-encoding with upper-case hex and unreserved characters
decoded) plus web-specific rules: no userinfo, no fragment, no tracking parameters,
query parameters sorted by key. Parsing is `urllib.parse`'s; only the rules live here.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import SplitResult, quote, unquote_plus, urlsplit

from pipeline.errors import BadUrl

__all__ = [
    "ARTICLE_ID_HEX_CHARS",
    "TRACKING_PARAMS",
    "article_id_for_text",
    "article_id_for_url",
    "canonical_url",
]

ARTICLE_ID_HEX_CHARS = 16
"""Length of an article id: the first 64 bits of a SHA-256, in hex."""

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_ga",
        "_gl",
        "ocid",
        "cmpid",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "smid",
        "ref_src",
        "cmp",
        "at_medium",
        "at_campaign",
        "spm",
        "share",
    }
)
"""Query keys (compared lower-cased) that only say how a reader arrived; `utm_*` too."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are when re-quoting (RFC 3986 reserved + "%" for escapes that
# are already there); anything else (spaces, non-ASCII as UTF-8) gets percent-encoded.
_PATH_SAFE = "/:@!$&'()*+,;=%"
_QUERY_SAFE = "/?:@!$&'()*+,;=%"
_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")  # dot-separated, no empty labels


def _normalise_percent(component: str, safe: str) -> str:
    """Percent-encode what must be, then upper-case escapes and decode unreserved ones."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _PERCENT_ESCAPE.sub(fix, quote(component, safe=safe))


def _is_tracking(key: str) -> bool:
    key = unquote_plus(key).lower()
    return key.startswith("utm_") or key in TRACKING_PARAMS


def _canonical_query(query: str) -> str:
    pairs = []
    for part in query.split("&"):
        key = part.split("=", 1)[0]
        if part and not _is_tracking(key):
            pairs.append((_normalise_percent(key, _QUERY_SAFE), part))
    # sorted() is stable, so repeated keys keep their relative order.
    pairs.sort(key=lambda pair: pair[0])
    return "&".join(_normalise_percent(part, _QUERY_SAFE) for _, part in pairs)


def _canonical_host(parts: SplitResult, url: str) -> str:
    host = parts.hostname
    if not host:
        raise BadUrl(f"URL has no host: {url!r}")
    if ":" in host:  # an IPv6 literal; urlsplit has already checked it
        return f"[{host}]"
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise BadUrl(f"host {host!r} cannot be IDNA-encoded ({exc}): {url!r}") from exc
    host = host.removesuffix(".")  # the root label: "example.com." is "example.com"
    if not _HOST.fullmatch(host):
        raise BadUrl(f"host {host!r} is not a valid host name: {url!r}")
    return host


def canonical_url(url: str) -> str:
    """Return the canonical spelling of an absolute http(s) URL.

    Raises `BadUrl` (naming the problem) for a relative URL, another scheme, a missing
    or invalid host, or an invalid port. Surrounding whitespace is ignored.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:  # bad port, unbalanced brackets, invalid IPv6
        raise BadUrl(f"URL cannot be parsed ({exc}): {url!r}") from exc
    if not parts.scheme:
        raise BadUrl(f"URL is not absolute (no scheme): {url!r}")
    if parts.scheme not in _DEFAULT_PORTS:
        raise BadUrl(f"URL scheme must be http or https, not {parts.scheme!r}: {url!r}")
    netloc = _canonical_host(parts, url)
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        netloc = f"{netloc}:{port}"
    path = _normalise_percent(parts.path, _PATH_SAFE) or "/"
    query = _canonical_query(parts.query)
    return f"{parts.scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def _short_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ARTICLE_ID_HEX_CHARS]


def article_id_for_url(url: str) -> str:
    """Id of the article at `url`: a short SHA-256 of its canonical URL (raises `BadUrl`)."""
    return _short_sha256(canonical_url(url))


def article_id_for_text(title: str, body: str) -> str:
    """Id of an article without a URL: a short SHA-256 of `title + "\\n\\n" + body`.

    The caller passes the cleaned title and body (`pipeline.text`), so that the same
    text always gets the same id whatever its original whitespace.
    """
    return _short_sha256(f"{title}\n\n{body}")
