"""pipeline/sources/files.py: article files in, ParsedArticle / ParseFailure values out."""

from pathlib import Path

import orjson

from pipeline.sources.files import (
    PARSE_FAILURE_REASONS,
    SAMPLE_NEWS_DIR,
    ParsedArticle,
    ParseFailure,
    read_articles,
)
from schemas.raw import RawArticle

SEEDS = Path(__file__).resolve().parents[2] / "data" / "seeds"
SEED_000 = SEEDS / "000_bc241506b953dc3f.txt"
SEED_002 = SEEDS / "002_ff8d21c301fe0d75.txt"


def read(*paths: Path, source: str | None = None) -> list[ParsedArticle | ParseFailure]:
    return list(read_articles(paths, source=source))


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def jsonl(*objects: object) -> str:
    return "".join(orjson.dumps(o).decode() + "\n" for o in objects)


def test_reason_codes_are_a_closed_set() -> None:
    assert PARSE_FAILURE_REASONS == (
        "unreadable",
        "unsupported_file",
        "empty_file",
        "not_utf8",
        "not_json",
        "not_an_object",
        "missing_body",
        "empty_body",
        "bad_field",
        "bad_header",
    )


def test_failure_str_is_location_reason_message() -> None:
    failure = ParseFailure("x.jsonl:3", "not_an_object", "expected a JSON object, got array")
    assert str(failure) == "x.jsonl:3: not_an_object: expected a JSON object, got array"


# --- .txt ---------------------------------------------------------------------------------


def test_seed_with_leading_space_before_date_line() -> None:
    [parsed] = read(SEED_000)
    assert isinstance(parsed, ParsedArticle)
    assert parsed.location == f"{SEED_000}:1"
    article = parsed.article
    assert article.title == "Azerbaijan Launches “Anti-Terrorist Campaign” in Nagorno-Karabakh"
    assert article.published == "2023-09-19"
    assert article.source == "file:000_bc241506b953dc3f.txt"
    assert (article.url, article.language, article.external_id) == (None, None, None)
    assert article.body.startswith("Azerbaijan\u2019s Defense Ministry has announced the launch")
    assert article.body.endswith("landmines into the region under Armenian control.")
    assert len(article.body) == 3087
    assert article.body.count("\n\n") == 10  # 11 paragraphs, separators kept as they are


def test_seed_directory_reads_both_seeds_in_name_order() -> None:
    results = read(SEEDS, source="seeds")
    assert [r.location for r in results] == [f"{SEED_000}:1", f"{SEED_002}:1"]
    second = results[1]
    assert isinstance(second, ParsedArticle)
    assert second.article.published == "2023-11-16"
    assert second.article.source == "seeds"
    assert str(second.article.title).startswith("Amid rising tensions with neighboring Armenia,")
    assert second.article.body.startswith("In a statement released by the Ministry of Defense,")
    assert second.article.body.endswith("consequences.\n\nFrequently Asked Questions")


def test_plain_text_without_date_line(tmp_path: Path) -> None:
    path = write(tmp_path / "storm.txt", "\n\n  Storm hits coast \nWinds of 100 km/h.\n\nMore.\n\n")
    assert read(path) == [
        ParsedArticle(
            f"{path}:1",
            RawArticle(
                body="Winds of 100 km/h.\n\nMore.",
                title="Storm hits coast",
                source="file:storm.txt",
            ),
        )
    ]


def test_txt_with_bom_crlf_and_upper_case_date(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", b"\xef\xbb\xbfDATE 2024-01-02  Title here\r\n\r\nBody\r\n")
    expected = RawArticle(body="Body", title="Title here", published="2024-01-02", source="x")
    assert read(path, source="x") == [ParsedArticle(f"{path}:1", expected)]


def test_txt_date_line_without_title(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "date 2024-01-02\n\nBody")
    expected = RawArticle(body="Body", published="2024-01-02", source="file:a.txt")
    assert read(path) == [ParsedArticle(f"{path}:1", expected)]


def test_txt_failures(tmp_path: Path) -> None:
    bad_date = write(tmp_path / "bad_date.txt", "date 19/09/2023 Title\n\nBody\n")
    no_body = write(tmp_path / "no_body.txt", "date 2024-01-02 Title\n\n  \n")
    empty = write(tmp_path / "empty.txt", " \n\n")
    assert read(bad_date, no_body, empty) == [
        ParseFailure(
            f"{bad_date}:1", "bad_header", 'expected "date YYYY-MM-DD Title", got date "19/09/2023"'
        ),
        ParseFailure(f"{no_body}:1", "empty_body", "no text after the title line"),
        ParseFailure(str(empty), "empty_file", "the file is empty"),
    ]


def test_txt_invalid_utf8_names_the_byte_offset(tmp_path: Path) -> None:
    plain = write(tmp_path / "a.txt", b"date 2024-01-02 T\n\nab\xffc")
    with_bom = write(tmp_path / "b.txt", b"\xef\xbb\xbfTitle\n\xc3(")
    assert read(plain, with_bom) == [
        ParseFailure(f"{plain}:1", "not_utf8", "invalid UTF-8 at byte offset 21"),
        ParseFailure(f"{with_bom}:1", "not_utf8", "invalid UTF-8 at byte offset 9"),
    ]


# --- .json --------------------------------------------------------------------------------


def test_json_object_with_every_field(tmp_path: Path) -> None:
    obj = {
        "body": "Text.",
        "title": "T",
        "url": "https://example.org/a",
        "published": "2024-01-02T03:04:05Z",
        "source": "example.org",
        "language": "en",
        "external_id": "a-1",
        "extraction": "trafilatura",
        "mentions": [{"kind": "PER"}],
    }
    path = write(tmp_path / "a.json", orjson.dumps(obj))
    expected = RawArticle(
        body="Text.",
        title="T",
        url="https://example.org/a",
        published="2024-01-02T03:04:05Z",
        source="example.org",
        language="en",
        external_id="a-1",
        extraction="trafilatura",
    )
    assert read(path, source="ignored: the record has its own") == [
        ParsedArticle(f"{path}:1", expected)
    ]


def test_json_array_locates_each_element(tmp_path: Path) -> None:
    path = write(tmp_path / "many.json", orjson.dumps([{"body": "One."}, "two", {"title": "T"}]))
    assert read(path) == [
        ParsedArticle(f"{path}:1#0", RawArticle(body="One.", source="file:many.json")),
        ParseFailure(f"{path}:1#1", "not_an_object", "expected a JSON object, got string"),
        ParseFailure(f"{path}:1#2", "missing_body", 'no "body", "text" or "content" field'),
    ]


def test_json_file_failures(tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.json", '{\n  "body": "x",\n')
    scalar = write(tmp_path / "scalar.json", "42")
    empty_array = write(tmp_path / "empty_array.json", "[]")
    empty = write(tmp_path / "empty.json", "")
    assert read(broken, scalar, empty_array, empty) == [
        ParseFailure(
            f"{broken}:1",
            "not_json",
            "not valid JSON: unexpected end of data at line 3, column 1",
        ),
        ParseFailure(
            f"{scalar}:1",
            "not_an_object",
            "expected a JSON object or an array of objects, got number",
        ),
        ParseFailure(str(empty_array), "empty_file", "the JSON array is empty"),
        ParseFailure(str(empty), "empty_file", "the file is empty"),
    ]


# --- .jsonl -------------------------------------------------------------------------------


def test_jsonl_bad_lines_fail_alone_and_good_lines_continue(tmp_path: Path) -> None:
    lines = [
        '{"body": "First.", "id": "1"}',
        '{"body": "unterminated"',
        "",
        "[1, 2]",
        '{"body": 42}',
        "   ",
        '{"body": "Last.", "id": "6"}',
    ]
    path = write(tmp_path / "x.jsonl", "\n".join(lines) + "\n")
    source = "file:x.jsonl"
    assert read(path) == [
        ParsedArticle(f"{path}:1", RawArticle(body="First.", external_id="1", source=source)),
        ParseFailure(
            f"{path}:2",
            "not_json",
            "not valid JSON: unexpected end of data at line 2, column 24",
        ),
        ParseFailure(f"{path}:4", "not_an_object", "expected a JSON object, got array"),
        ParseFailure(f"{path}:5", "bad_field", '"body" must be a string, got number'),
        ParsedArticle(f"{path}:7", RawArticle(body="Last.", external_id="6", source=source)),
    ]


def test_jsonl_invalid_utf8_offset_counts_from_file_start(tmp_path: Path) -> None:
    first = b'\xef\xbb\xbf{"body": "a"}\n'
    path = write(tmp_path / "x.ndjson", first + b'{"body": "b\xff"}\n{"body": "c"}\n')
    assert read(path, source="s") == [
        ParsedArticle(f"{path}:1", RawArticle(body="a", source="s")),
        ParseFailure(f"{path}:2", "not_utf8", f"invalid UTF-8 at byte offset {len(first) + 11}"),
        ParsedArticle(f"{path}:3", RawArticle(body="c", source="s")),
    ]


def test_jsonl_with_only_blank_lines_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path / "blank.jsonl", "\n  \n\r\n")
    assert read(path) == [ParseFailure(str(path), "empty_file", "the file has no JSON lines")]


# --- field mapping ------------------------------------------------------------------------


def test_field_aliases_and_epoch_dates(tmp_path: Path) -> None:
    path = write(
        tmp_path / "aliases.jsonl",
        jsonl(
            {
                "text": "Body via text.",
                "headline": "H",
                "link": "https://example.org/h",
                "date": 1577836800,
                "lang": "de",
                "id": "h-1",
            },
            {"content": "Body via content.", "title": None, "headline": "H2", "pubDate": 1.5e9},
            {"body": "B", "published_at": 1577836800.25, "published": None},
            {"body": None, "text": "Null body falls through to text."},
        ),
    )
    assert read(path, source="feed") == [
        ParsedArticle(
            f"{path}:1",
            RawArticle(
                body="Body via text.",
                title="H",
                url="https://example.org/h",
                published="1577836800",
                source="feed",
                language="de",
                external_id="h-1",
            ),
        ),
        ParsedArticle(
            f"{path}:2",
            RawArticle(body="Body via content.", title="H2", published="1500000000", source="feed"),
        ),
        ParsedArticle(f"{path}:3", RawArticle(body="B", published="1577836800.25", source="feed")),
        ParsedArticle(
            f"{path}:4", RawArticle(body="Null body falls through to text.", source="feed")
        ),
    ]


def test_field_type_errors_never_half_produce(tmp_path: Path) -> None:
    path = write(
        tmp_path / "types.jsonl",
        jsonl(
            {"body": "B", "id": 7.5},
            {"body": "B", "date": True},
            {"body": "B", "title": ["a"]},
            {"text": "  \n "},
            {"body": "B", "source": {"name": "x"}},
        ),
    )
    assert read(path) == [
        ParseFailure(
            f"{path}:1", "bad_field", '"id" must be a string, an integer or null, got number'
        ),
        ParseFailure(
            f"{path}:2", "bad_field", '"date" must be a string, a number or null, got boolean'
        ),
        ParseFailure(f"{path}:3", "bad_field", '"title" must be a string or null, got array'),
        ParseFailure(f"{path}:4", "empty_body", '"text" is empty'),
        ParseFailure(f"{path}:5", "bad_field", '"source" must be a string or null, got object'),
    ]


# --- paths --------------------------------------------------------------------------------


def test_directory_walk_is_recursive_sorted_and_skips_other_files(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "Title B\nBody B")
    write(tmp_path / "a.json", '{"body": "Body A"}')
    write(tmp_path / "sub" / "c.jsonl", '{"body": "Body C"}\n')
    write(tmp_path / "z.NDJSON", '{"body": "Body Z"}\n')
    write(tmp_path / "notes.md", "# not an article")
    write(tmp_path / "data.csv", "body\nx\n")
    write(tmp_path / ".hidden.txt", "Title\nBody")
    write(tmp_path / ".git" / "d.txt", "Title\nBody")
    results = read(tmp_path)
    assert [r.location for r in results] == [
        f"{tmp_path}/a.json:1",
        f"{tmp_path}/b.txt:1",
        f"{tmp_path}/sub/c.jsonl:1",
        f"{tmp_path}/z.NDJSON:1",
    ]
    assert [r.article.body for r in results if isinstance(r, ParsedArticle)] == [
        "Body A",
        "Body B",
        "Body C",
        "Body Z",
    ]


def test_paths_are_read_in_the_order_given(tmp_path: Path) -> None:
    first = write(tmp_path / "z.txt", "Z\nz")
    second = write(tmp_path / "a.txt", "A\na")
    assert [r.location for r in read(first, second)] == [f"{first}:1", f"{second}:1"]


def test_explicit_unsupported_file_and_missing_path(tmp_path: Path) -> None:
    csv = write(tmp_path / "data.csv", "body\nx\n")
    readme = write(tmp_path / "README", "hello")
    missing = tmp_path / "nope.txt"
    missing_csv = tmp_path / "nope.csv"
    assert read(csv, readme, missing, missing_csv) == [
        ParseFailure(
            str(csv), "unsupported_file", 'expected .txt, .json, .jsonl or .ndjson, got ".csv"'
        ),
        ParseFailure(
            str(readme),
            "unsupported_file",
            "expected .txt, .json, .jsonl or .ndjson, got no extension",
        ),
        ParseFailure(str(missing), "unreadable", "No such file or directory"),
        ParseFailure(str(missing_csv), "unreadable", "No such file or directory"),
    ]


# --- bundled sample -----------------------------------------------------------------------


def test_bundled_sample_is_40_wikinews_articles_with_licence() -> None:
    sample = SAMPLE_NEWS_DIR / "articles.jsonl"
    results = read(SAMPLE_NEWS_DIR)
    assert [r.location for r in results] == [f"{sample}:{n}" for n in range(1, 41)]
    articles = [r.article for r in results if isinstance(r, ParsedArticle)]
    assert len(articles) == 40
    assert {(a.source, a.language) for a in articles} == {("en.wikinews.org", "en")}
    assert all(str(a.url).startswith("https://en.wikinews.org/wiki/") for a in articles)
    assert all(str(a.external_id).startswith("wikinews-") for a in articles)
    dates = [str(a.published) for a in articles]
    assert (dates[0], dates[-1]) == ("2019-01-04", "2020-12-28")
    assert dates == sorted(dates)
    assert (SAMPLE_NEWS_DIR / "LICENSE.md").is_file()
    assert "CC BY 2.5" in (SAMPLE_NEWS_DIR / "SOURCE.md").read_text(encoding="utf-8")


def test_a_title_starting_with_the_word_date_is_not_a_header(tmp_path: Path) -> None:
    path = tmp_path / "palms.txt"
    path.write_text("Date palms thrive in the heat\n\nFarmers report a record harvest.\n")
    [parsed] = read_articles([path])
    assert isinstance(parsed, ParsedArticle)
    assert (parsed.article.title, parsed.article.published) == (
        "Date palms thrive in the heat",
        None,
    )


def test_numeric_ids_become_strings(tmp_path: Path) -> None:
    path = tmp_path / "n.jsonl"
    path.write_text('{"id": 42, "body": "Numbered by the CMS."}\n')
    [parsed] = read_articles([path])
    assert isinstance(parsed, ParsedArticle)
    assert parsed.article.external_id == "42"
