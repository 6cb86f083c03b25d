"""The small frozen values handed from one stage of the run to the next."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from pipeline.core.checkins import WeekCheckins
from pipeline.core.outcomes import NoDataPolicy, Status, Verdict
from pipeline.core.relative import Baseline, Invalidation
from pipeline.core.settings import Exclusion, GoalSpec

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Window:
    """Week N of the sprint: [start, end), sampled every `step_s` from `first_ts`."""

    week: int
    start: datetime
    end: datetime
    complete: bool
    timezone: str
    step_s: float
    first_ts: float
    expected: int

    @property
    def last_ts(self) -> float:
        """Timestamp of the last expected sample (the window end itself is excluded)."""
        return self.first_ts + (self.expected - 1) * self.step_s


@dataclass(frozen=True, eq=False)
class Series:
    """One series of a range query: its labels and its samples, oldest first."""

    labels: Labels
    timestamps: NDArray[np.float64]
    values: NDArray[np.float64]


@dataclass(frozen=True)
class QueryResult:
    """What the source returned for one query over one window."""

    query: str
    series: tuple[Series, ...] = ()
    error: str | None = None
    rejected: bool = False  # the server refused the query (an API error), not a bad answer
    warnings: tuple[str, ...] = ()
    requests: int = 0


@dataclass(frozen=True)
class SeriesScore:
    """One series reduced to a value and judged against the goal's target."""

    labels: Labels
    value: float | None
    status: Status
    score: float
    coverage: float
    present: int = 0  # samples present
    first_ts: float | None = None  # the first and last sample present
    last_ts: float | None = None


@dataclass(frozen=True)
class AppliedExclusion:
    """An exclusion that applies to a goal in a window: its occurrences that overlap the window
    (whole, [start, end), in the sprint's time zone)."""

    exclusion: Exclusion
    spans: tuple[tuple[datetime, datetime], ...]


@dataclass(frozen=True)
class RawOutcome:
    """A goal's outcome as if nothing were excluded."""

    value: float | None
    status: Status
    score: float | None


@dataclass(frozen=True)
class GoalResult:
    """A goal's outcome for the week: its worst series decides status and score."""

    spec: GoalSpec
    status: Status
    score: float | None
    value: float | None
    coverage: float
    message: str | None = None
    warnings: tuple[str, ...] = ()
    series: tuple[SeriesScore, ...] = ()
    exclusions: tuple[AppliedExclusion, ...] = ()  # those that applied, in file order
    raw: RawOutcome | None = None  # the outcome without them; None when none applied
    baseline: Baseline | None = None  # a relative target's: what it was compared with

    @property
    def wholly_excluded(self) -> bool:
        """Every sample it had this week fell in its exclusions: left out of the scores (and of
        any veto) whatever `scoring.no_data` says, as the team asked."""
        return self.status is Status.NO_DATA and self.raw is not None and self.raw.status.measured


@dataclass(frozen=True)
class CategoryScore:
    """A category's weighted mean score, None when none of its goals is scored."""

    name: str
    weight: float
    score: float | None


@dataclass(frozen=True)
class Scorecard:
    """Scores and verdict over a set of goals (the sprint's, or one agent's)."""

    score: float | None
    verdict: Verdict
    categories: tuple[CategoryScore, ...]
    vetoed_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgentResult:
    """An agent (audience) with its own convergence points scored."""

    id: str
    name: str
    goal_ids: tuple[str, ...]
    scorecard: Scorecard
    email: tuple[str, ...] = ()


@dataclass(frozen=True)
class GoalOdds:
    """A goal's chances at `at` (a week's or the sprint's end): p_met + p_at_risk + p_missed = 1;
    p10, p50, p90: its aggregate's quantiles; `method`: how they were forecast."""

    at: datetime
    p_met: float
    p_at_risk: float
    p_missed: float
    p10: float
    p50: float
    p90: float
    method: str


@dataclass(frozen=True)
class VerdictOdds:
    """A scorecard's chances at `at` (the sprint's, or an agent's): p_achieved + p_at_risk +
    p_missed = 1; `score_p50`: the median score."""

    at: datetime
    p_achieved: float
    p_at_risk: float
    p_missed: float
    score_p50: float | None


T = TypeVar("T", GoalOdds, VerdictOdds)


@dataclass(frozen=True)
class Horizons(Generic[T]):
    """Odds at the end of the week in progress (None once it is complete) and at the end of the
    sprint (None without `sprint.weeks`, or once it is over)."""

    week_end: T | None = None
    sprint_end: T | None = None


@dataclass(frozen=True, eq=False)
class ForecastBand:
    """Where a goal's deciding series is heading to the week's end: the p10 and p90 of its
    simulated level at `timestamps` (unix seconds), for the charts."""

    labels: Labels
    timestamps: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]


@dataclass(frozen=True)
class Outlook:
    """The forecast of a week: each goal's odds by id, the sprint's and each agent's by id."""

    goals: Mapping[str, Horizons[GoalOdds]] = field(default_factory=dict)
    overall: Horizons[VerdictOdds] = field(default_factory=Horizons)
    agents: Mapping[str, Horizons[VerdictOdds]] = field(default_factory=dict)
    bands: Mapping[str, ForecastBand] = field(default_factory=dict)  # by goal id, week's end
    blind: bool = False  # the sprint's end lies past this week, and no earlier week is known

    def goal(self, goal_id: str) -> Horizons[GoalOdds]:
        """A goal's odds (none when it has no forecast)."""
        return self.goals.get(goal_id, Horizons())

    def agent(self, agent_id: str) -> Horizons[VerdictOdds]:
        """An agent's odds (none when it has no forecast)."""
        return self.agents.get(agent_id, Horizons())


@dataclass(frozen=True)
class WeekResult:
    """Everything a run knows after scoring: the input to every renderer."""

    sprint: str
    window: Window
    generated_at: datetime  # when the run ran
    as_of: datetime  # the instant the run saw the world at (--as-of; the run's clock otherwise)
    config_digest: str
    no_data_policy: NoDataPolicy
    pass_score: float
    warning_score: float
    scorecard: Scorecard
    goals: tuple[GoalResult, ...]
    agents: tuple[AgentResult, ...]
    ui_url: str | None = None  # the Prometheus UI, for links to each query
    sprint_weeks: int | None = None  # sprint.weeks: the week the sprint-end forecast is for
    outlook: Outlook = field(default_factory=Outlook)  # the forecast (scoring/outlook.py)
    checkins: WeekCheckins = field(default_factory=WeekCheckins)  # scoring/checkins.py
    invalidated: tuple[Invalidation, ...] = ()  # weeks up to this one left out of baselines

    def goal(self, goal_id: str) -> GoalResult:
        """The result of the goal with this id."""
        return next(g for g in self.goals if g.spec.id == goal_id)
