"""The Markdown renderers people read reports with, and what their HTML holds.

- markdown-it-py, `gfm-like` with linkify on (many editors and static sites),
- Python-Markdown with `tables` (MkDocs),
- cmark-gfm with raw HTML let through (GitHub's renderer, before GitHub's own sanitising).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import cmarkgfm
import markdown
from cmarkgfm.cmark import Options
from markdown_it import MarkdownIt

_MARKDOWN_IT = MarkdownIt("gfm-like", {"linkify": True})


def _markdown_it(text: str) -> str:
    return _MARKDOWN_IT.render(text)


def _python_markdown(text: str) -> str:
    return markdown.markdown(text, extensions=["tables"])


def _cmark_gfm(text: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)


RENDERERS: dict[str, Callable[[str], str]] = {
    "markdown-it-py": _markdown_it,
    "Python-Markdown": _python_markdown,
    "cmark-gfm": _cmark_gfm,
}


@dataclass
class Parsed:
    """The elements (tag, attributes) and the text of an HTML fragment."""

    elements: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    chunks: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parsed = Parsed()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parsed.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parsed.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.parsed.chunks.append(data)

    def handle_comment(self, data: str) -> None:
        self.parsed.comments.append(data)


def parse(html: str) -> Parsed:
    """Every element, comment and piece of text in `html`."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.parsed


def shown(text: str) -> str:
    """Text as a reader sees it: whitespace runs as one space, no invisible word joiners."""
    return " ".join(text.replace("\u2060", "").split())
