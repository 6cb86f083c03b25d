"""How numbers, statuses and labels are shown to people; shared by every renderer.

Every number a reader sees (Markdown, HTML, PDF, e-mail, chat, the site, the terminal, the
charts' axes) is written by a function here; CSV files and summary.json keep the raw numbers.
The rules: thousands separated by commas (1,000,000); at most 2 decimals from 1 to 1,000, none
from 1,000 up, 3 significant digits below 1, trailing zeros dropped; a unit after a space
(`99.95 %`, `1,050,000 events/s`) and only after a number; scores with one decimal (`94.0`).
No float noise: those rules leave it no digit to show in, and the extra digits that tell a value
from its target's bound are those of the value read at 12 significant digits (`denoised`), so
94.00000000000001 against `> 94` reads 94, never 94.00000000000001.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pipeline.core.model import GoalResult, Labels
from pipeline.core.settings import GoalSpec
from pipeline.core.targets import Target


def number(value: float | None, near: Sequence[float] = ()) -> str:
    """1,050,000 / 99.95 / 0.0832: enough digits to compare with a target, no more.

    A value that would read the same as one of the bounds `near` it (99.904 against > 99.9)
    gets the few more decimals that tell them apart.
    """
    text = _number(value)  # at most 2 decimals or 3 significant digits: no room for noise
    if value is None or not math.isfinite(value):
        return text
    clean = denoised(value)  # the digits that tell it from a bound are real ones, never noise
    for bound in near:
        if clean != bound and text == _number(bound):
            return _apart(clean, bound)
    return text


def denoised(value: float) -> float:
    """`value` read at 12 significant digits: 94.00000000000001 is 94, 0.1 + 0.2 is 0.3.

    A float carries about 16; the last few are the noise of the arithmetic that made it, and
    no metric is measured to more than 12.
    """
    if not math.isfinite(value):
        return value
    return float(f"{value:.12g}") + 0.0  # + 0.0: never -0


def _apart(value: float, bound: float) -> str:
    for places in range(decimals(value) + 1, 17):
        text = f"{value:,.{places}f}"
        if text != f"{bound:,.{places}f}":
            return text.rstrip("0").rstrip(".")
    return repr(value)


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if value == 0:
        return "0"
    return f"{value:.3g}"


def quantity(value: float | None, unit: str, near: Sequence[float] = ()) -> str:
    """A number with its unit: `1,050,000 events/s`, `99.95 %`; no unit after `n/a`, `NaN`,
    `+Inf` or `-Inf`."""
    text = number(value, near)
    return f"{text} {unit}" if unit and value is not None and math.isfinite(value) else text


def goal_bounds(spec: GoalSpec) -> tuple[float, ...]:
    """The bounds of a goal's target and warning: what its values are compared with."""
    targets = [t for t in (spec.target, spec.warning) if t is not None and t.resolved]
    return tuple(dict.fromkeys(b for t in targets for b in (t.low, t.high)))


def goal_quantity(value: float | None, spec: GoalSpec) -> str:
    """A goal's value with its unit, precise enough to compare with its target and warning."""
    return quantity(value, spec.unit, goal_bounds(spec))


def goal_change(delta: float | None, value: float | None, spec: GoalSpec) -> str:
    """A change of a goal's value, as precise as that value is shown."""
    return change(delta, value, goal_bounds(spec))


def decimals(value: float) -> int:
    """How many decimals `number` shows for `value` (at most; it strips trailing zeros)."""
    size = abs(value)
    if size >= 1000 or not math.isfinite(size):
        return 0
    if size >= 1:
        return 2
    if size == 0:
        return 3
    return 2 - math.floor(math.log10(size))  # three significant digits


def change(delta: float | None, like: float | None = None, near: Sequence[float] = ()) -> str:
    """`▲ 70,602`, `▼ 1.2`, `= 0`, or an em dash when unknown.

    With `like` (the value the change is of, shown with `near` as `number` does), the change
    shows no more decimals than that value does, and a change too small to show is `= 0`.
    """
    if delta is None:
        return "—"
    if like is not None and math.isfinite(like) and math.isfinite(delta):
        shown = number(like, near)
        places = max(decimals(like), len(shown.partition(".")[2]) if "e" not in shown else 0)
        delta = round(delta, places)
        if delta == 0:
            return "= 0"
        text = f"{abs(delta):,.{places}f}"
        text = text.rstrip("0").rstrip(".") if places else text
        return f"{'▲' if delta > 0 else '▼'} {text}"
    if delta == 0:
        return "= 0"
    return f"{'▲' if delta > 0 else '▼'} {number(abs(delta))}"


def score(value: float | None) -> str:
    """A 0-100 score with one decimal, or an em dash when not scored; points of a score too."""
    return fixed(value, 1)


def fixed(value: float | None, places: int) -> str:
    """`value` with exactly `places` decimals and thousands separated (`0.077`, `1,234.5`),
    an em dash when unknown: for numbers shown at a fixed precision (scores, Brier scores)."""
    if value is None:
        return "—"
    if not math.isfinite(value):
        return _number(value)
    text = f"{value:,.{places}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text  # never `-0.0`


def count(n: int) -> str:
    """A count of things: `1,225`."""
    return f"{n:,}"


def share(fraction: float) -> str:
    """A share in whole percent: 0.6 -> `60%`."""
    return f"{fraction:.0%}"


def weight(fraction: float) -> str:
    """A weight as a percentage: 0.4 -> `40%`, 1/3 -> `33.33%`."""
    return f"{number(100 * fraction)}%"


def chance(p: float) -> str:
    """0.72 -> `72 %`; a chance that is not quite 0 or 1 never reads as `0 %` or `100 %`."""
    shown = round(100 * p)
    if shown == 0 and p > 0:
        return "<1 %"
    if shown == 100 and p < 1:
        return ">99 %"
    return f"{shown} %"


def percent(fraction: float) -> str:
    """0.973 -> `97.3%`; never shows 100.0% for a fraction that is not quite 1."""
    text = f"{100 * fraction:.1f}%"
    if text == "100.0%" and fraction < 1:
        return f"{100 * fraction:.2f}%" if fraction < 0.9999 else ">99.99%"
    return text


def target(condition: Target, unit: str = "") -> str:
    """`>= 1,000,000 events/s`, `30..50 %`; a relative target without a baseline as written
    (`<= +10%`)."""
    if not condition.resolved:
        return condition.text
    if condition.op == "..":
        text = f"{number(condition.low)}..{number(condition.high)}"
    else:
        text = f"{condition.op} {number(condition.low)}"
    return f"{text} {unit}" if unit else text


def labels_text(labels: Labels, keep: frozenset[str] | None = None) -> str:
    """`customer="acme", job="ingest"`, or `(no labels)`."""
    shown = [(k, v) for k, v in labels if keep is None or k in keep]
    return ", ".join(f'{k}="{v}"' for k, v in shown) or "(no labels)"


def series_name(goal: GoalResult, labels: Labels) -> str | None:
    """`customer="initech"`: which of a goal's several series a value came from; None for one."""
    if len(goal.series) < 2:
        return None
    return labels_text(labels, varying_labels([s.labels for s in goal.series]))


def varying_labels(all_labels: list[Labels]) -> frozenset[str] | None:
    """The label names whose values differ between series (None: show every label)."""
    if len(all_labels) < 2:
        return None
    names = {k for labels in all_labels for k, _ in labels}
    varying = {n for n in names if len({dict(labels).get(n) for labels in all_labels}) > 1}
    return frozenset(varying) or None
