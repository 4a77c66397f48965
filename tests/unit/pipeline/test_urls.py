"""pipeline/urls.py: canonical URLs and article ids."""

from __future__ import annotations

import pytest

from pipeline.errors import BadUrl
from pipeline.urls import (
    ARTICLE_ID_HEX_CHARS,
    TRACKING_PARAMS,
    article_id_for_text,
    article_id_for_url,
    canonical_url,
)


def test_canonical_url_lowercases_scheme_and_host_and_drops_default_port_and_fragment() -> None:
    assert canonical_url("HTTPS://Example.COM:443/a#frag") == "https://example.com/a"


def test_canonical_url_keeps_path_case() -> None:
    assert canonical_url("https://example.com/World/Story") == "https://example.com/World/Story"


def test_canonical_url_drops_only_default_ports() -> None:
    urls = [
        "http://example.com:80/a",
        "https://example.com:443/a",
        "http://example.com:443/a",
        "https://example.com:80/a",
        "https://example.com:8443/a",
    ]
    assert [canonical_url(u) for u in urls] == [
        "http://example.com/a",
        "https://example.com/a",
        "http://example.com:443/a",
        "https://example.com:80/a",
        "https://example.com:8443/a",
    ]


def test_canonical_url_drops_userinfo() -> None:
    urls = ["https://user:secret@example.com/x", "https://user@Example.com:443/x"]
    assert [canonical_url(u) for u in urls] == ["https://example.com/x"] * 2


def test_canonical_url_gives_an_empty_path_a_slash() -> None:
    urls = ["https://example.com", "https://example.com?b=1", "https://example.com/"]
    assert [canonical_url(u) for u in urls] == [
        "https://example.com/",
        "https://example.com/?b=1",
        "https://example.com/",
    ]


def test_canonical_url_drops_tracking_parameters_but_keeps_id() -> None:
    url = (
        "https://example.com/story?utm_source=tw&id=42&UTM_Medium=social&fbclid=abc"
        "&gclid=1&Utm_Campaign=x"
    )
    assert canonical_url(url) == "https://example.com/story?id=42"


def test_canonical_url_drops_every_listed_tracking_parameter() -> None:
    keys = sorted(TRACKING_PARAMS)
    urls = [f"https://example.com/a?{key}=1&id=7" for key in keys]
    assert [canonical_url(u) for u in urls] == ["https://example.com/a?id=7"] * len(keys)


def test_canonical_url_keeps_parameters_that_only_resemble_tracking_ones() -> None:
    url = "https://example.com/a?utmost=1&shared=2&ref=3&page=4&utm=5"
    assert canonical_url(url) == "https://example.com/a?page=4&ref=3&shared=2&utm=5&utmost=1"


def test_canonical_url_sorts_parameters_by_key_stably() -> None:
    urls = [
        "https://example.com/a?b=1&a=2",
        "https://example.com/a?a=2&b=1",
        "https://example.com/a?b=2&a=1&b=1",
        "https://example.com/a?tag=z&tag=a",
    ]
    assert [canonical_url(u) for u in urls] == [
        "https://example.com/a?a=2&b=1",
        "https://example.com/a?a=2&b=1",
        "https://example.com/a?a=1&b=2&b=1",
        "https://example.com/a?tag=z&tag=a",
    ]


def test_canonical_url_drops_empty_queries_and_empty_parameters() -> None:
    urls = [
        "https://example.com/a?",
        "https://example.com/a?utm_source=x",
        "https://example.com/a?a=1&&b=2&",
        "https://example.com/a?flag&a=",
    ]
    assert [canonical_url(u) for u in urls] == [
        "https://example.com/a",
        "https://example.com/a",
        "https://example.com/a?a=1&b=2",
        "https://example.com/a?a=&flag",
    ]


def test_canonical_url_normalises_percent_encoding() -> None:
    urls = [
        "https://example.com/%7euser/a%2fb?q=%e2%82%ac",
        "https://example.com/%41%2D%5F%2E",
        "https://example.com/café?q=naïve",
        "https://example.com/a b?q=a+b&r=a%20b",
        "https://example.com/a%3Fb?x=%3d",
    ]
    assert [canonical_url(u) for u in urls] == [
        "https://example.com/~user/a%2Fb?q=%E2%82%AC",
        "https://example.com/A-_.",
        "https://example.com/caf%C3%A9?q=na%C3%AFve",
        "https://example.com/a%20b?q=a+b&r=a%20b",
        "https://example.com/a%3Fb?x=%3D",
    ]


def test_canonical_url_idna_encodes_non_ascii_hosts() -> None:
    urls = ["https://Bücher.example/", "http://пример.рф/новости"]
    assert [canonical_url(u) for u in urls] == [
        "https://xn--bcher-kva.example/",
        "http://xn--e1afmkfd.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8",
    ]


def test_canonical_url_handles_ipv6_trailing_dots_and_whitespace() -> None:
    urls = ["http://[2001:DB8::1]:80/", "https://example.com./a", "  https://example.com/a \n"]
    assert [canonical_url(u) for u in urls] == [
        "http://[2001:db8::1]/",
        "https://example.com/a",
        "https://example.com/a",
    ]


def test_canonical_url_is_idempotent() -> None:
    url = canonical_url("HTTP://User@Bücher.Example:80/%7ea b?z=1&utm_x=2&a=%e2%82%ac#top")
    assert url == "http://xn--bcher-kva.example/~a%20b?a=%E2%82%AC&z=1"
    assert canonical_url(url) == url


def bad_url_message(url: str) -> tuple[str, str]:
    with pytest.raises(BadUrl) as caught:
        canonical_url(url)
    return caught.value.reason, caught.value.message


def test_canonical_url_rejects_what_is_not_an_absolute_http_url() -> None:
    long_label = "ü" * 70
    urls = [
        "ftp://x",
        "/relative",
        "http://",
        "example.com/a",
        "mailto:editor@example.com",
        "http://user@/a",
        "http://exa mple.com/",
        "http://a..b/",
        "http://example.com:99999/",
        "http://example.com:abc/",
        "http://[::1",
        f"https://{long_label}.com/",
        "",
    ]
    assert [bad_url_message(u) for u in urls] == [
        ("bad_url", "URL scheme must be http or https, not 'ftp': 'ftp://x'"),
        ("bad_url", "URL is not absolute (no scheme): '/relative'"),
        ("bad_url", "URL has no host: 'http://'"),
        ("bad_url", "URL is not absolute (no scheme): 'example.com/a'"),
        ("bad_url", "URL scheme must be http or https, not 'mailto': 'mailto:editor@example.com'"),
        ("bad_url", "URL has no host: 'http://user@/a'"),
        ("bad_url", "host 'exa mple.com' is not a valid host name: 'http://exa mple.com/'"),
        ("bad_url", "host 'a..b' is not a valid host name: 'http://a..b/'"),
        (
            "bad_url",
            "URL cannot be parsed (Port out of range 0-65535): 'http://example.com:99999/'",
        ),
        (
            "bad_url",
            "URL cannot be parsed (Port could not be cast to integer value as 'abc'): "
            "'http://example.com:abc/'",
        ),
        ("bad_url", "URL cannot be parsed (Invalid IPv6 URL): 'http://[::1'"),
        (
            "bad_url",
            f"host '{long_label}.com' cannot be IDNA-encoded (encoding with 'idna' codec failed "
            f"(UnicodeError: label empty or too long)): 'https://{long_label}.com/'",
        ),
        ("bad_url", "URL is not absolute (no scheme): ''"),
    ]


def test_article_id_for_url_hashes_the_canonical_url() -> None:
    urls = [
        "https://example.com/a",
        "HTTPS://Example.COM:443/a?utm_source=x#frag",
        "https://example.com/b",
    ]
    assert [article_id_for_url(u) for u in urls] == [
        "2dce0a4c50441bfc",
        "2dce0a4c50441bfc",
        "d7fe568b31ae0fb9",
    ]
    assert ARTICLE_ID_HEX_CHARS == 16


def test_article_id_for_url_rejects_bad_urls() -> None:
    with pytest.raises(BadUrl):
        article_id_for_url("ftp://example.com/a")


def test_article_id_for_text_hashes_title_blank_line_body() -> None:
    pairs = [("Title", "Body"), ("Title\n\nBody", ""), ("Title", "Body.")]
    assert [article_id_for_text(t, b) for t, b in pairs] == [
        "45777c14d90fa79d",
        "3a90b8da5cf9d2e5",
        "4e41b7f7f851b617",
    ]
