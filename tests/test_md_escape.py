"""md_escape, md_code and rich_html: data stays text in every Markdown renderer and in HTML."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.report.formatting import md_code, md_escape, md_message, md_plain, rich_html
from pipeline.text import one_line
from tests.renderers import RENDERERS, parse, shown

HOSTILE = [
    "http://h/a<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "x](javascript:alert(1))",
    "[click](javascript:x)",
    "![i](http://h/i.png)",
    "*_~|` **b** __u__ ~~s~~",
    "&amp; &lt;b&gt; &#60;i&#62;",
    "back\\slash \\<b> \\\\*x*",
    "$x^2$ and $$y$$",
    "bell\x07 esc\x1b[31mred\x1b[0m nul\x00 del\x7f c1\x9b",
    "www.example.com api.example.com:9100 file.py",
    "mailto:a@b.com ops@example.com xmpp:x@y.org //localhost/x",
    "пример.рф https://пример.рф/путь",
    "line\nbreak\r\ncr\ttab",
    "# heading #",
    "<!-- comment --> <?php x ?> <![CDATA[x]]>",
    "req_s",
]
# The tags a sentence or a table of data may render to: the container, never data.
CONTAINER = {"p", "table", "thead", "tbody", "tr", "th", "td"}


def _paragraph(text: str) -> str:
    return f"Value: {md_escape(text)} end"


def _table(text: str) -> str:
    return f"| a | b |\n|---|---|\n| {md_escape(text)} | x |\n"


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_renders_as_text(renderer: str, text: str) -> None:
    for markdown, expected in (
        (_paragraph(text), f"Value: {one_line(text)} end"),
        (_table(text), f"a b {one_line(text)} x"),
    ):
        parsed = parse(RENDERERS[renderer](markdown))
        assert {tag for tag, _ in parsed.elements} <= CONTAINER, markdown
        assert not parsed.comments
        assert shown(parsed.text) == shown(expected)


_WORDS = ["http", "://", "www.", ".com", "mailto:", "@x.org", "&amp;", "&#60;", "<img src=x>", "**"]
_PIECES = st.sampled_from([*"<>&*_~|`[]()!#:/.@\\$ \n\t\x1b\x07\"'=;a1é", *_WORDS])


@settings(max_examples=150, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_any_text_renders_as_itself(text: str) -> None:
    expected = shown(f"Value: {one_line(text)} end")
    for render in RENDERERS.values():
        parsed = parse(render(_paragraph(text)))
        assert [tag for tag, _ in parsed.elements] == ["p"]
        assert shown(parsed.text) == expected
    assert shown(md_plain(_paragraph(text))) == expected


def test_md_escape_uses_entities_for_html_and_backslashes_for_markdown() -> None:
    assert md_escape("a<b>&c") == "a&lt;b&gt;&amp;c"
    assert md_escape("*_`[]|#\\") == "\\*\\_\\`\\[\\]\\|\\#\\\\"
    assert md_escape("~~") == "&#126;&#126;"
    assert md_escape("req_s") == "req\\_s"
    assert md_escape("a\nb\x1b[0m\x07") == "a b\\[0m"


def test_md_escape_breaks_up_what_autolinkers_take_for_links() -> None:
    assert md_escape("http://h/a") == "http:&#47;/h/a"
    assert md_escape("www.example.com") == "www&#46;example&#46;com"
    assert md_escape("ops@example.com") == "ops&#8288;@example&#46;com"
    assert md_escape("99.95 %") == "99.95 %"  # numbers are left alone


def test_md_message_caps_a_long_server_message() -> None:
    text = md_message("bad_data: " + "x" * 3000)
    assert text.endswith("... (1,010 more)")
    assert len(text) < 2100


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize(
    "query",
    ["rate(x[5m])", "a`b``c", "`edge`", 'x{job="<b>"} | y', "two\nlines\x1b[0m", "x\\", "**y**"],
)
def test_md_code_is_one_literal_code_span(renderer: str, query: str) -> None:
    parsed = parse(RENDERERS[renderer](f"Query: {md_code(query)}"))
    assert [tag for tag, _ in parsed.elements] == ["p", "code"]
    assert shown(parsed.text) == shown(f"Query: {one_line(query)}")


@pytest.mark.parametrize("text", HOSTILE)
def test_rich_html_shows_escaped_text_as_text(text: str) -> None:
    html = rich_html(f"**{md_escape(text)}** costs {md_escape(text)}.")
    parsed = parse(str(html))
    assert [tag for tag, _ in parsed.elements] == ["strong"]
    assert shown(parsed.text) == shown(f"{one_line(text)} costs {one_line(text)}.")


def test_rich_html_decodes_entities_once() -> None:
    assert str(rich_html(md_escape("&lt; <"))) == "&amp;lt; &lt;"
    assert str(rich_html("`a<b` and **x**")) == "<code>a&lt;b</code> and <strong>x</strong>"
    assert str(rich_html("**open")) == "<strong>open</strong>"
