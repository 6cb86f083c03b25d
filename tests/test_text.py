"""Control characters and over-long server messages."""

from __future__ import annotations

import pytest

from pipeline.text import cap, one_line, strip_controls


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
