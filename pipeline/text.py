"""Text cleaning for the normalize stage: pure functions over `str`, no I/O.

`clean_text` gives every later stage (signatures, entities, ids) one canonical form:
NFC, `\\n` line ends, no invisible characters, single spaces, stripped lines, and
paragraphs separated by exactly one blank line. Single newlines inside a paragraph
are kept, because ECB+ data has one sentence per line.

`strip_boilerplate_tail` drops trailing furniture ("Related articles", "Advertisement").
`title_and_lead` repairs titles that are really lead paragraphs. Sentence splitting
here is a heuristic (see `_SENTENCE_END`), good enough to pick a headline.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "MAX_BOILERPLATE_LINE_CHARS",
    "MAX_DERIVED_TITLE_CHARS",
    "clean_text",
    "clean_title",
    "strip_boilerplate_tail",
    "title_and_lead",
    "word_count",
]

MAX_BOILERPLATE_LINE_CHARS = 120
"""Longer lines are prose, whatever they start with, and are never stripped."""

MAX_DERIVED_TITLE_CHARS = 150
"""A title taken from a sentence is cut to this many characters (including the "…")."""

# Format characters that are visible, meaningful parts of a script (Arabic and Syriac
# number signs, Kaithi, Egyptian hieroglyph controls); every other Cf is invisible noise.
_SCRIPT_FORMAT_RANGES = (
    (0x0600, 0x0605),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
)
_ZWJ = "\u200d"
_TAG_RANGE = range(0xE0020, 0xE0080)
# Characters that break a line (str.splitlines agrees); U+2029 separates paragraphs.
_LINE_BREAKS = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2028")


class _CleanTable(dict[int, str | None]):
    """A `str.translate` table filled lazily, so each code point is classified once."""

    def __missing__(self, code: int) -> str | None:
        self[code] = result = _classify(code)
        return result


def _classify(code: int) -> str | None:
    char = chr(code)
    if char in "\n\t":
        return char
    if char in _LINE_BREAKS:
        return "\n"
    if char == "\u2029":
        return "\n\n"
    category = unicodedata.category(char)
    if category == "Zs":
        return " "
    # ZWJ and tag characters are settled by context in `_drop_stray_joiners` (emoji).
    if char == _ZWJ or code in _TAG_RANGE:
        return char
    if category == "Cf":
        keep = any(lo <= code <= hi for lo, hi in _SCRIPT_FORMAT_RANGES)
        return char if keep else None
    # Cs: lone surrogates (from surrogateescape decoding) would make UTF-8 encoding fail.
    if category in ("Cc", "Cs"):
        return None
    return char


_CLEAN_TABLE = _CleanTable()

# Emoji blocks, for deciding whether a ZWJ glues an emoji sequence (👩‍💻, 🐈‍⬛, ❤️‍🔥).
_EMOJI = "\u2190-\u21ff\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff"
_STRAY_ZWJ = re.compile(f"(?<![{_EMOJI}\ufe0f]){_ZWJ}|{_ZWJ}(?![{_EMOJI}])")
# Tag characters only mean something after 🏴 (subdivision flags such as Scotland's).
_STRAY_TAGS = re.compile("(?<![\U0001f3f4\U000e0020-\U000e007f])[\U000e0020-\U000e007f]+")
_ANY_TAG = re.compile("[\U000e0020-\U000e007f]")
_BLANK_LINES = re.compile(r"\n{3,}")
# The only ASCII characters the table changes (controls other than \n and \t): ASCII text
# without them comes out of `translate` unchanged, so the per-character pass is skipped.
_ASCII_CHANGED = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
# After the table, the only whitespace left is " ", "\t" and "\n": text with no tab, no
# double space and no space at a line edge is already tidy line by line.
_UNTIDY_SPACE = re.compile(r"\t|  | \n|\n ")


def clean_text(text: str) -> str:
    """Return `text` in canonical form: NFC, invisible characters gone, whitespace tidy.

    Control and format characters are removed (zero-width spaces and joiners, BOM,
    soft hyphen, bidi marks), except a ZWJ inside an emoji sequence; Unicode spaces
    become plain spaces; runs of spaces and tabs become one space; each line is stripped;
    paragraphs are separated by exactly one blank line.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii() or _ASCII_CHANGED.search(text):
        text = text.translate(_CLEAN_TABLE)
    # The context rules are regexes that scan every character: run them only when needed.
    if _ZWJ in text:
        text = _STRAY_ZWJ.sub("", text)
    if _ANY_TAG.search(text):
        text = _STRAY_TAGS.sub("", text)
    # NFC after removal, so a mark once separated from its base by a ZWSP composes too.
    text = unicodedata.normalize("NFC", text)
    # Spaces and tabs collapse and line edges are stripped by str.split, at C speed:
    # every other whitespace character is already a space or a line break here.
    if _UNTIDY_SPACE.search(text):
        text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def clean_title(text: str) -> str:
    """Return `clean_text(text)` on one line: line breaks become single spaces."""
    return re.sub(r"\n+", " ", clean_text(text))


_BOILERPLATE_PATTERNS = (
    r"frequently asked questions",
    r"faqs?",
    r"related (?:articles?|stor(?:y|ies)|content|coverage|topics?)",
    r"read more\b.*",
    r"more on this story",
    r"share (?:this(?: article| story)?|on .+)",
    r"advertisement",
    r"sponsored(?: content)?",
    r"sign up (?:for|to) .*newsletters?\b.*",
    r"subscribe\b.*",
    r"follow us on .+",
    r"click here\b.*",
    r"all rights reserved\b.*",
    r"(?:(?:copyright|©|\(c\))\s*)+\d{4}\b.*",
    r"recommended(?: for you)?",
    r"most (?:read|popular|viewed)",
    r"you may also like",
    r"comments",
    r"leave a (?:comment|reply)",
    r"skip to (?:main )?content",
    r"back to top",
    r"print this (?:page|article)",
    r"tags?\s*:.*",
    r"topics?\s*:.*",
)
# One alternation, anchored on the whole line; trailing punctuation, colons and arrows
# ("Read more »", "Related articles:") are allowed.
_BOILERPLATE_LINE = re.compile(
    r"(?:" + "|".join(_BOILERPLATE_PATTERNS) + r")[\s.:;!?…»›>|–—-]*",
    re.IGNORECASE,
)


def _is_boilerplate(line: str) -> bool:
    line = line.strip()
    return len(line) <= MAX_BOILERPLATE_LINE_CHARS and bool(_BOILERPLATE_LINE.fullmatch(line))


def strip_boilerplate_tail(body: str) -> tuple[str, bool]:
    """Drop boilerplate lines ("Related articles", "Advertisement", ...) from the end.

    Returns (body, whether anything was removed). Only trailing lines go: an
    "Advertisement" between paragraphs stays, because telling furniture from prose in
    mid-body needs more context than one line (a possible later improvement). A body
    made only of boilerplate is returned unchanged rather than emptied.
    """
    lines = body.rstrip().split("\n")
    end = len(lines)
    removed = False
    while end > 0 and (not lines[end - 1].strip() or _is_boilerplate(lines[end - 1])):
        removed = removed or bool(lines[end - 1].strip())
        end -= 1
    kept = "\n".join(lines[:end]).rstrip()
    if not removed or not kept:
        return body, False
    return kept, True


# A sentence ends at . ! or ?, maybe closed by a quote or bracket, before whitespace and
# a character that can start a sentence. Heuristic: abbreviations are filtered afterwards.
_SENTENCE_END = re.compile(r"([.!?][\"”’)]?)\s+(?=[\"“‘(]|\w)")
# Compared case-sensitively: "Dr." abbreviates, but "...the answer was no. Then" ends.
_ABBREVIATION_LIST = (
    "Mr Mrs Ms Dr St Prof Gen Sen Rep Gov Lt Col Capt Sgt Jr Sr Mt Ft No vs Inc Corp Co "
    "Ltd Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_LIST.split())
_INITIALS = re.compile(r"(?:[A-Z]\.)+")  # J. / U.S. / U.N.


def _sentence_ends(text: str) -> list[int]:
    """Offsets just past each sentence-ending punctuation mark in `text`."""
    ends = []
    for match in _SENTENCE_END.finditer(text):
        following = text[match.end()]
        if following.islower() or following == "_":
            continue
        if match.group(1) == ".":
            word = text[: match.start(1) + 1].rsplit(None, 1)[-1].lstrip('"“‘(')
            if word[:-1] in _ABBREVIATIONS or _INITIALS.fullmatch(word):
                continue
        ends.append(match.end(1))
    return ends


def _shorten(sentence: str) -> str:
    """Cut `sentence` at a word boundary to at most MAX_DERIVED_TITLE_CHARS, adding "…"."""
    if len(sentence) <= MAX_DERIVED_TITLE_CHARS:
        return sentence
    head = sentence[: MAX_DERIVED_TITLE_CHARS - 1]
    if not sentence[MAX_DERIVED_TITLE_CHARS - 1].isspace() and " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:–—-") + "…"


def _first_sentence(text: str) -> str:
    ends = _sentence_ends(text)
    return _shorten(text[: ends[0]] if ends else text)


def title_and_lead(title: str, body: str, max_title_chars: int) -> tuple[str, str, bool]:
    """Repair a title that is really a lead paragraph; returns (title, body, changed).

    A title longer than `max_title_chars`, or longer than MAX_DERIVED_TITLE_CHARS with
    more text after its first sentence, becomes the body's first paragraph, and the title
    becomes that first sentence (cut to MAX_DERIVED_TITLE_CHARS with "…" if needed).
    An empty title is taken from the body's first sentence the same way. Both inputs are
    expected to be cleaned already.
    """
    if not title:
        first_paragraph = body.split("\n\n", 1)[0].replace("\n", " ")
        if not first_paragraph:
            return title, body, False
        return _first_sentence(first_paragraph), body, True
    too_long = len(title) > max_title_chars
    if not too_long and not (len(title) > MAX_DERIVED_TITLE_CHARS and _sentence_ends(title)):
        return title, body, False
    new_body = f"{title}\n\n{body}" if body else title
    return _first_sentence(title), new_body, True


_SYMBOL_TOKEN = re.compile(r"\s(?:[^\w\s]|_)+(?=\s)")


def word_count(text: str) -> int:
    """Count whitespace-separated tokens holding at least one letter or digit."""
    # All tokens, less those made only of punctuation and symbols (one C-speed scan each).
    return len(text.split()) - len(_SYMBOL_TOKEN.findall(f" {text} "))
