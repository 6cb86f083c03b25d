"""summary.json's shape (schema 1, docs/configuration.md: summary.json) as pydantic models.

The models are the contract: pipeline/outputs/summary.py fills them, and `model_json_schema()` gives
docs/summary.schema.json (`make schema` writes it; a test fails when the shipped one is stale).
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.core.outcomes import NoDataPolicy, Status, Verdict
from pipeline.outputs.layout import SUMMARY_JSON

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# JSON has no NaN or infinities; they are written as Prometheus does in its own API.
Number = float | Literal["NaN", "+Inf", "-Inf"]


class _Part(BaseModel):
    # Every field is always written, defaults too: the schema lists them all as required.
    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_serialization_defaults_required=True
    )


class WindowSummary(_Part):
    """The week's time range, ISO 8601 with offsets; `end` is exclusive."""

    start: str
    end: str
    complete: bool


class CategorySummary(_Part):
    weight: float
    score: float | None = Field(description="null when none of the category's goals is scored")


class PreviousWeek(_Part):
    """The goal's outcome in the latest earlier week recorded."""

    week: int
    value: float | None
    status: Status
    score: float | None


class GoalOddsSummary(_Part):
    """A goal's chances at `at`: p_met + p_at_risk + p_missed = 1; pNN: its aggregate's
    quantiles."""

    at: str
    p_met: float
    p_at_risk: float
    p_missed: float
    p10: Number | None
    p50: Number | None
    p90: Number | None
    method: str


class GoalForecast(_Part):
    """Odds at the end of the week in progress and at the sprint's end; null: nothing to
    forecast (a complete week has no week_end; a sprint without `sprint.weeks`, no sprint_end)."""

    week_end: GoalOddsSummary | None = None
    sprint_end: GoalOddsSummary | None = None


class VerdictOddsSummary(_Part):
    """A scorecard's chances at `at`: p_achieved + p_at_risk + p_missed = 1."""

    at: str
    p_achieved: float
    p_at_risk: float
    p_missed: float
    score_p50: float | None


class CardForecast(_Part):
    """The sprint's or an agent's odds at the week's and the sprint's end (null: none)."""

    week_end: VerdictOddsSummary | None = None
    sprint_end: VerdictOddsSummary | None = None


class SeriesSummary(_Part):
    labels: dict[str, str]
    value: Number | None
    status: Status
    score: float
    coverage: float


class CheckinSummary(_Part):
    """The goal's latest check-in of the week (report.checkins_file): a person's confidence
    and note; `stale`: older than 7 days at the report's end; `disagrees`: confidence >= 8
    while the forecast's p_met < 0.3, or <= 3 while it is > 0.7."""

    author: str | None
    confidence: int
    note: str
    at: str
    stale: bool
    disagrees: bool


class RawResult(_Part):
    """A goal's outcome as if nothing were excluded."""

    value: Number | None
    status: Status
    score: float | None


class BaselineSummary(_Part):
    """What a relative target was compared with: the weeks whose values made the baseline, its
    value and the target's bound (both null when there is none: the goal is then no_data)."""

    relative: str = Field(description="the relative target as written, e.g. '<= +10%'")
    weeks: list[int]
    value: Number | None
    bound: Number | None


class InvalidatedWeek(_Part):
    """A week left out of every baseline (`history invalidate`)."""

    week: int
    reason: str
    at: str = Field(description="when it was invalidated, ISO 8601")


class GoalSummary(_Part):
    id: str
    name: str
    category: str
    query: str
    aggregate: str
    sample_target: str | None
    target: str
    warning: str | None
    weight: int | float
    key: bool
    unit: str
    value: Number | None
    status: Status
    score: float | None = Field(description="null for a goal left out by `no_data: skip`")
    coverage: float
    message: str | None
    partial: bool
    warnings: list[str]
    previous: PreviousWeek | None
    change: Number | None
    forecast: GoalForecast = Field(default_factory=GoalForecast)
    owner: str | None = Field(None, description="as configured (`Dana <dana@example.com>`)")
    checkin: CheckinSummary | None = Field(None, description="null: none this week")
    baseline: BaselineSummary | None = Field(
        None, description="a relative target's baseline; null for an absolute target"
    )
    series: list[SeriesSummary]
    exclusions: list[str] = Field(
        default_factory=list,
        description="ids of the exclusions that applied: their samples are left out of value, "
        "status, score and coverage",
    )
    raw: RawResult | None = Field(
        None, description="value, status and score as if nothing were excluded; null: none applied"
    )


class TrendWeek(_Part):
    week: int
    score: float | None
    verdict: Verdict
    complete: bool


class Card(_Part):
    score: float | None
    verdict: Verdict
    vetoed_by: list[str] = Field(description="ids of the missed key goals that set MISSED")
    forecast: CardForecast = Field(default_factory=CardForecast)


class AgentSummary(_Part):
    id: str
    name: str
    goals: list[str]
    score: float | None
    verdict: Verdict
    vetoed_by: list[str]
    categories: dict[str, CategorySummary]
    files: dict[str, str] = Field(description="format -> file name written by this run")
    forecast: CardForecast = Field(default_factory=CardForecast)


class Summary(_Part):
    """summary.json: the machine-readable result of one run."""

    model_config = ConfigDict(
        title=SUMMARY_JSON,
        json_schema_extra={"$schema": SCHEMA_DIALECT},
        populate_by_name=True,
    )

    schema_version: Literal[1] = Field(1, alias="schema")
    sprint: str
    week: int
    window: WindowSummary
    generated_at: str
    as_of: str = Field(description="the instant the run saw the world at (--as-of; else now)")
    config_digest: str
    files: list[str] = Field(
        description="the files written beside summary.json in the week folder (site page, CSV)"
    )
    no_data: NoDataPolicy
    overall: Card
    categories: dict[str, CategorySummary]
    trend: list[TrendWeek] = Field(description="every recorded week of the sprint, this one last")
    goals: list[GoalSummary]
    agents: list[AgentSummary]
    invalidated: list[InvalidatedWeek] = Field(
        default_factory=list, description="the weeks up to this one left out of baselines"
    )


def upgraded(document: object) -> object:
    """A summary.json document of an earlier build in this schema's shape, so that reading back
    a nightly user's past weeks never loses them: `as_of` was the run's own time, the two-point
    `projection` is gone, and the forecast fields default to null."""
    if not isinstance(document, dict):
        return document
    upgraded = dict(document)
    upgraded.setdefault("as_of", upgraded.get("generated_at"))
    goals = upgraded.get("goals")
    if isinstance(goals, list):
        upgraded["goals"] = [
            {k: v for k, v in g.items() if k != "projection"} if isinstance(g, dict) else g
            for g in goals
        ]
    return upgraded


def schema_text() -> str:
    """docs/summary.schema.json's text."""
    schema = Summary.model_json_schema(by_alias=True, mode="serialization")
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
