"""A goal's target as PromQL: filters that keep the series inside, or outside, a target."""

from __future__ import annotations

import math
import re

from pipeline.core.targets import Target
from pipeline.core.targets import contains as contains  # goal_alerts: promql.contains

_NEGATION = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!="}
_SELECTOR = re.compile(r"^\s*[a-zA-Z_:][a-zA-Z0-9_:]*\s*(\{[^{}]*\})?\s*$")


def number(value: float) -> str:
    """A PromQL float literal that reads back as exactly `value`."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def string(text: str) -> str:
    """A PromQL string literal (double-quoted, backslash escapes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def group(query: str) -> str:
    """`query` in parentheses, so that it can be compared or combined as one operand.

    A `#` may start a comment that runs to the end of the line: the closing parenthesis then
    goes on a line of its own, or the comment would swallow it. (A `#` inside a string gets
    the newline too; it is harmless whitespace there.)
    """
    return f"({query}\n)" if "#" in query else f"({query})"


def is_selector(query: str) -> bool:
    """A bare metric selector (cheap to evaluate): `up`, `foo{job="x"}`."""
    return bool(_SELECTOR.match(query))


def inside(expr: str, target: Target) -> str:
    """`expr` filtered to the series whose value meets `target` (`expr` must be atomic)."""
    if target.op == "..":
        return f"{expr} >= {number(target.low)} <= {number(target.high)}"
    return f"{expr} {target.op} {number(target.low)}"


def outside(expr: str, target: Target) -> str:
    """`expr` filtered to the series whose value does not meet `target`.

    A comparison with NaN is false, so a NaN value is neither inside nor outside: it raises no
    alert, as the weekly report ignores NaN samples.
    """
    if target.op == "..":
        return f"({expr} < {number(target.low)} or {expr} > {number(target.high)})"
    return f"{expr} {_NEGATION[target.op]} {number(target.low)}"


def outside_bound(expr: str, op: str, bound: str) -> str:
    """`expr` filtered to the series that do not meet `op bound`, `bound` an expression (a
    scalar: NaN meets nothing and misses nothing, so it raises no alert)."""
    return f"{expr} {_NEGATION[op]} {bound}"


def met_bool(expr: str, target: Target) -> str:
    """1 for each series of `expr` whose value meets `target`, else 0 (`expr` atomic)."""
    if target.op == "..":
        return f"({expr} >= bool {number(target.low)}) * ({expr} <= bool {number(target.high)})"
    return f"{expr} {target.op} bool {number(target.low)}"


def duration(seconds: float) -> str:
    """A Prometheus duration for `seconds` (whole milliseconds)."""
    ms = round(seconds * 1000)
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"
