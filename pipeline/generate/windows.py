"""A goal's weekly aggregate in PromQL: its samples over a rolling window of the sprint's week.

The report scores each week's samples by the goal's `aggregate`; the same reduction over the
last `sprint.week_days` is the matching `*_over_time` function (a quantile for `pNN` and
`median`, the share of samples meeting `sample_target` for `compliance`). At the end of a sprint
week the window is that week; mid-week it still holds the end of the week before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.core.settings import GoalSpec
from pipeline.generate import promql

OVER_TIME = {
    "mean": "avg_over_time",
    "min": "min_over_time",
    "max": "max_over_time",
    "last": "last_over_time",
}
_PERCENTILE = re.compile(r"^p(\d{1,2})$")


@dataclass(frozen=True)
class Samples:
    """Where rules read a series of samples: a selector (a bare query, or a recorded series) a
    range is put on, else the query itself as a subquery at the sprint's step."""

    selector: str | None
    query: str  # grouped, so that it takes `[range:step]` as one operand
    step: str

    def over(self, window: str, offset: str = "") -> str:
        """The range vector of the last `window`, `offset` back."""
        shift = f" offset {offset}" if offset else ""
        if self.selector is not None:
            return f"{self.selector}[{window}]{shift}"
        return f"{self.query}[{window}:{self.step}]{shift}"


def quantile(aggregate: str) -> float | None:
    """The quantile `aggregate` names (`p95` 0.95, `median` 0.5), or None."""
    if aggregate == "median":
        return 0.5
    found = _PERCENTILE.match(aggregate)
    return int(found.group(1)) / 100 if found else None


def weekly(spec: GoalSpec, values: Samples, met: Samples, window: str, offset: str = "") -> str:
    """The goal's aggregate over the last `window` (`met`: its samples as 1 met / 0 not)."""
    if spec.aggregate == "compliance":
        return f"100 * avg_over_time({met.over(window, offset)})"
    share = quantile(spec.aggregate)
    if share is not None:
        return f"quantile_over_time({promql.number(share)}, {values.over(window, offset)})"
    return f"{OVER_TIME[spec.aggregate]}({values.over(window, offset)})"


def described(spec: GoalSpec, window: str) -> str:
    """What the weekly alerts judge, in words."""
    if spec.aggregate == "compliance":
        what = f"share of samples meeting {spec.sample_target}"
    elif spec.aggregate == "last":
        what = "last value"
    else:
        what = spec.aggregate
    return (
        f"the {what} of {spec.query} over the last {window} (a rolling window: at the end of "
        "each sprint week it is the week the report scores; mid-week it still holds the end "
        "of the week before)"
    )
