"""The report's sentences as spans of text, and how each output escapes them.

A sentence is built from plain values (`sentence(strong(name), " costs 4.0 points.")`) with no
markup in it; each renderer escapes it for its output: `to_markdown` (inert one-line Markdown),
`to_html` (escaped HTML with <strong> and <code>) and `to_plain` (the text a reader sees).
The templates print sentences through the filters of the same names (`md`, `html`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby
from operator import attrgetter

from markupsafe import Markup, escape

from pipeline.core.text import cap, one_line


class Style(StrEnum):
    """How a span is shown: as text, in bold, or as code."""

    TEXT = "text"
    STRONG = "strong"
    CODE = "code"


@dataclass(frozen=True)
class Span:
    """A piece of a sentence: text as it reads (no escapes, no markup) and its style."""

    text: str
    style: Style = Style.TEXT


@dataclass(frozen=True)
class Sentence:
    """One sentence of a report: its spans in order."""

    spans: tuple[Span, ...]

    def __bool__(self) -> bool:
        """A sentence without text is false: `join` leaves it out."""
        return any(s.text for s in self.spans)


def strong(text: str) -> Span:
    """A span shown in bold: a goal's or an agent's name, a verdict."""
    return Span(text, Style.STRONG)


def code(text: str) -> Span:
    """A span shown as code."""
    return Span(text, Style.CODE)


def message(text: object) -> Span:
    """A server's message: one line, cut to about 2,000 characters."""
    return Span(cap(one_line(str(text))))


def sentence(*parts: str | Span | Sentence | None) -> Sentence:
    """A sentence of `parts`: a string is plain text, a sentence is spliced in, None is left out."""
    spans: list[Span] = []
    for part in parts:
        if isinstance(part, Sentence):
            spans.extend(part.spans)
        elif isinstance(part, Span):
            spans.append(part)
        elif part:
            spans.append(Span(part))
    return Sentence(tuple(spans))


def join(parts: Iterable[str | Span | Sentence | None], separator: str = " ") -> Sentence:
    """The parts that are there, one after the other with `separator` between them."""
    joined: list[str | Span | Sentence] = []
    for part in parts:
        if part:
            joined += [separator, part] if joined else [part]
    return sentence(*joined)


def _runs(value: Sentence) -> list[tuple[Style, str]]:
    """Adjacent spans of one style as one piece (escaped together), each made one line."""
    shown = [s for s in value.spans if one_line(s.text)]
    runs = groupby(shown, key=attrgetter("style"))
    return [(style, one_line("".join(s.text for s in group))) for style, group in runs]


def to_markdown(value: object) -> str:
    """A sentence as one line of inert Markdown; any other value as escaped text (`md_escape`)."""
    if not isinstance(value, Sentence):
        return md_escape(value)
    pieces = []
    for style, text in _runs(value):
        if style == Style.CODE:
            pieces.append(md_code(text))
        elif style == Style.STRONG and text.strip():
            # `**` next to a space would not open or close bold: the spaces go outside
            lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
            pieces.append(f"{lead}**{md_escape(text.strip())}**{trail}")
        else:
            pieces.append(md_escape(text))
    return "".join(pieces)


def to_html(value: Sentence) -> Markup:
    """A sentence as safe HTML: its text escaped, bold in <strong>, code in <code>."""
    pieces = []
    for style, text in _runs(value):
        tag = "" if style == Style.TEXT else style.value
        pieces.append(Markup(f"<{tag}>{{}}</{tag}>").format(text) if tag else escape(text))
    return Markup("").join(pieces)


def to_plain(value: Sentence) -> str:
    """The text a reader sees of a sentence, without styles: for the e-mail's text body."""
    return "".join(text for _, text in _runs(value))


# Backslash escapes that CommonMark, GFM and Python-Markdown (with `tables`) all understand.
_MD_BACKSLASHED = re.compile(r"([\\`*_\[\]|#])")
# Characters no escape reaches in every renderer, written as HTML entities instead: `~` has no
# backslash escape in Python-Markdown, and `<`, `>`, `&` are HTML (a backslash before `<` is
# swallowed by an autolinked URL just before it in GFM).
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "~": "&#126;"}
_MD_ENTITY_CHARS = re.compile("[&<>~]")
# What autolinkers (cmark-gfm's extension, markdown-it's linkify) take for a link: the `//` of
# a URL, the dots of a host name (`www.`, `api.example.com`: a dot before a letter), the `@` of
# an e-mail address. A data value must not become a link either, so these are broken up without
# changing the text shown: `/` and `.` as entities, and before `@` a WORD JOINER (invisible),
# since cmark-gfm finds e-mail addresses after decoding entities.
_URL_SLASHES = re.compile(r"/(?=/)")
_HOST_DOT = re.compile(r"\.(?=[^\W\d_])|(?<=[wW]{3})\.")
_EMAIL_AT = re.compile(r"(?<=\S)@")


def md_escape(text: object) -> str:
    """Any text (a label value, a goal name, a server message) as inert one-line Markdown.

    Control characters go, newlines become spaces; Markdown specials are backslash-escaped,
    HTML specials written as entities, and nothing in it can become a link or an element in
    cmark-gfm, markdown-it (with linkify) or Python-Markdown.
    """
    value = _MD_BACKSLASHED.sub(r"\\\1", one_line(str(text)))
    value = _MD_ENTITY_CHARS.sub(lambda m: _MD_ENTITIES[m.group()], value)
    value = _EMAIL_AT.sub("&#8288;@", value)  # before the dots of the address become entities
    value = _URL_SLASHES.sub("&#47;", value)
    return _HOST_DOT.sub("&#46;", value)


def md_code(text: object) -> str:
    """Inline code that survives backticks, newlines and control characters in the text."""
    value = one_line(str(text))
    longest = max((len(m) for m in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"
