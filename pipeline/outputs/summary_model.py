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


class ProjectionSummary(_Part):
    """Where a goal that is not met is heading at its latest weekly rate of change."""

    rate_per_week: Number | None
    met_in_week: int | None = Field(description="null: not converging")


class SeriesSummary(_Part):
    labels: dict[str, str]
    value: Number | None
    status: Status
    score: float
    coverage: float


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
    projection: ProjectionSummary | None
    series: list[SeriesSummary]


class TrendWeek(_Part):
    week: int
    score: float | None
    verdict: Verdict
    complete: bool


class Card(_Part):
    score: float | None
    verdict: Verdict
    vetoed_by: list[str] = Field(description="ids of the missed key goals that set MISSED")


class AgentSummary(_Part):
    id: str
    name: str
    goals: list[str]
    score: float | None
    verdict: Verdict
    vetoed_by: list[str]
    categories: dict[str, CategorySummary]
    files: dict[str, str] = Field(description="format -> file name written by this run")


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


def schema_text() -> str:
    """docs/summary.schema.json's text."""
    schema = Summary.model_json_schema(by_alias=True, mode="serialization")
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
