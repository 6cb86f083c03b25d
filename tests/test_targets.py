"""Targets and durations: the grammar users write in config.yaml."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.core.targets import contains, parse_duration, parse_target


@pytest.mark.parametrize(
    ("text", "value", "met"),
    [
        (">= 5", 5, True),
        (">= 5", 4.999, False),
        ("> 5", 5, False),
        ("> 5", 5.01, True),
        ("<= 100", 100, True),
        ("< 100", 100, False),
        ("== 3", 3, True),
        ("== 3", 3.1, False),
        ("30..50", 30, True),
        ("30..50", 50, True),
        ("30..50", 50.5, False),
        ("30..50", 29, False),
        (">= 1_000_000", 1e6, True),
        ("< 1e-3", 0.0005, True),
        ("-5..-1", -3, True),
        (">= 0", math.nan, False),
        ("< 100", math.inf, False),
        ("> 100", math.inf, True),
    ],
)
def test_target_met(text: str, value: float, met: bool) -> None:
    assert parse_target(text).met(value) is met
    assert bool(parse_target(text).mask(np.array([value]))[0]) is met


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("=> 5", "cannot parse '=> 5'"),
        (">= abc", "cannot parse '>= abc'"),
        ("5", "cannot parse '5'"),
        ("", "cannot parse ''"),
        ("50..30", "range '50..30' has its low end above its high end"),
    ],
)
def test_target_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_target(text)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("target", "value", "margin"),
    [
        (">= 100", 120, 20),  # met: room above the bound
        (">= 100", 90, -10),  # short by 10
        ("> 5", 5, 0),  # on a strict bound: no room, and not met
        ("<= 100", 80, 20),
        ("< 100", 130, -30),
        ("30..50", 45, 5),  # nearer end: 50
        ("30..50", 31, 1),  # nearer end: 30
        ("30..50", 55, -5),  # past the high end
        ("30..50", 20, -10),  # past the low end
        ("== 7", 7, 0),
        ("== 7", 9, -2),
        ("== 7", 4, -3),
        (">= 100", math.inf, math.inf),
        ("< 100", math.nan, -math.inf),
    ],
)
def test_margin_is_signed_room_to_the_target(target: str, value: float, margin: float) -> None:
    assert parse_target(target).margin(value) == margin


@pytest.mark.parametrize(
    ("outer", "inner", "held"),
    [
        (">= 90", ">= 100", True),
        (">= 100", ">= 100", True),
        ("> 100", ">= 100", False),  # 100 meets the inner one only
        (">= 110", ">= 100", False),
        ("<= 5", ">= 10", False),
        ("<= 20", "< 10", True),
        ("< 10", "<= 10", False),
        ("25..55", "30..50", True),
        ("35..55", "30..50", False),
        (">= 0", "== 1", True),
        ("== 1", ">= 1", False),
        ("-1e999..5", "< 5", True),  # an infinite end is open either way
    ],
)
def test_contains_says_whether_every_value_inside_one_is_inside_the_other(
    outer: str, inner: str, held: bool
) -> None:
    assert contains(parse_target(outer), parse_target(inner)) is held


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1m", 60), ("30s", 30), ("1h30m", 5400), ("2d", 172800), ("1w", 604800), ("1500ms", 1.5)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "1x", "1m1h", "-1m", "0s", "1.5m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
