"""The report's sentences as spans, and md_escape and md_code: data stays text in every Markdown
renderer, in HTML and in the e-mail's plain text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.text import one_line
from pipeline.report.spans import (
    code,
    md_code,
    md_escape,
    message,
    sentence,
    strong,
    to_html,
    to_markdown,
    to_plain,
)
from tests.support.renderers import RENDERERS, parse, shown

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
    " padded\t",
]
# The tags a sentence or a table of data may render to: the container, never data.
CONTAINER = {"p", "table", "thead", "tbody", "tr", "th", "td"}


def _paragraph(text: str) -> str:
    return to_markdown(sentence("Value: ", text, " end"))


def _table(text: str) -> str:
    return f"| a | b |\n|---|---|\n| {to_markdown(text)} | x |\n"  # a value, as the `md` filter


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
    assert shown(to_plain(sentence("Value: ", text, " end"))) == expected
    parsed = parse(to_html(sentence("Value: ", text, " end")))
    assert not parsed.elements and shown(parsed.text) == expected


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("text", HOSTILE)
def test_bold_and_code_spans_hold_only_text(renderer: str, text: str) -> None:
    markdown = to_markdown(sentence(strong(text), " costs ", text, ": ", code(text)))
    parsed = parse(RENDERERS[renderer](markdown))
    assert [tag for tag, _ in parsed.elements] == ["p", "strong", "code"], markdown
    assert shown(parsed.text) == shown(f"{one_line(text)} costs {one_line(text)}: {one_line(text)}")


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


def test_a_message_span_caps_a_long_server_message() -> None:
    text = to_markdown(sentence("query failed: ", message("bad_data: " + "x" * 3000)))
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
def test_html_shows_text_as_text(text: str) -> None:
    html = to_html(sentence(strong(text), " costs ", text, "."))
    parsed = parse(str(html))
    assert [tag for tag, _ in parsed.elements] == ["strong"]
    assert shown(parsed.text) == shown(f"{one_line(text)} costs {one_line(text)}.")


def test_html_escapes_each_span_once() -> None:
    assert str(to_html(sentence("&lt; <"))) == "&amp;lt; &lt;"
    assert str(to_html(sentence(code("a<b"), " and ", strong("x")))) == (
        "<code>a&lt;b</code> and <strong>x</strong>"
    )


def test_spans_of_one_style_are_escaped_together() -> None:
    """A link split over two spans is still broken up; two bold spans make one bold run."""
    assert to_markdown(sentence("see www", ".example.com")) == "see www&#46;example&#46;com"
    assert to_markdown(sentence("mail ops", "@example.com")) == "mail ops&#8288;@example&#46;com"
    assert to_markdown(sentence(strong("a"), strong("_b"))) == "**a\\_b**"
    assert to_markdown(sentence(strong(""), "x", strong("\x1b"), strong("\n"))) == "x "
    assert to_markdown(sentence("x", strong(" b\t"), ".")) == "x **b** ."


def test_plain_text_is_what_a_reader_sees() -> None:
    line = sentence(strong("a*b"), " <c> &amp; ", code("`x`"), "\x07\nend")
    assert to_plain(line) == "a*b <c> &amp; `x` end"
    assert to_markdown(sentence(code("`x`"))) == "`` `x` ``"
