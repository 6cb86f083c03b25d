"""Control characters and over-long server messages."""

from __future__ import annotations

import pytest

from pipeline.core.text import cap, mask_url, one_line, strip_controls


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain", "plain"),
        ("a\x1b[2Jb", "a[2Jb"),
        ("bell\x07", "bell"),
        ("tab\tnew\nline", "tab\tnew\nline"),
        ("cr\r\nlf", "cr\nlf"),
        ("del\x7f c1\x9b", "del c1"),
        ("ünïcode ✅", "ünïcode ✅"),
    ],
)
def test_strip_controls(raw: str, clean: str) -> None:
    assert strip_controls(raw) == clean


def test_one_line_joins_lines() -> None:
    assert one_line("a\nb\tc\x1b") == "a b c"


def test_cap_says_how_much_was_left_out() -> None:
    assert cap("x" * 10, limit=10) == "x" * 10
    assert cap("x" * 2500, limit=2000) == "x" * 2000 + "... (500 more)"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:9090", "http://127.0.0.1:9090"),
        ("https://u:s3cret@prom.example:443/p", "https://u:***@prom.example:443/p"),
        ("http://u:p%40ss@h", "http://u:***@h"),
        ("http://only-user@h", "http://only-user@h"),
    ],
)
def test_mask_url_hides_the_password(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_line_separators_and_bidi_overrides_are_stripped() -> None:
    assert strip_controls("a\u2028b\u2029c \u202eevil\u202c \u2066x\u2069") == "abc evil x"


def test_a_capped_message_is_not_capped_again() -> None:
    once = cap("x" * 5000, limit=2000)
    assert cap(once, limit=2000) == once == "x" * 2000 + "... (3,000 more)"
