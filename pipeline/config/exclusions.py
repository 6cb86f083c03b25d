"""The config's `exclusions:` section: time left out of scoring, each with its reason.

Which goal ids it may name is checked with the other cross-section checks (checks.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator, model_validator

from pipeline.config.base import ID_PATTERN, MAX_WEEK_DAYS, Strict
from pipeline.core.exclusions import parse_rule
from pipeline.core.targets import parse_duration

MAX_DURATION_S = MAX_WEEK_DAYS * 86400  # a recurrence's window: at most a year
_ANY_START = datetime(2026, 1, 1, tzinfo=UTC)  # a rule's shape does not depend on its start


def _text(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("must not be empty")
    return value


class ExclusionSettings(Strict):
    id: str = Field(pattern=ID_PATTERN)
    start: AwareDatetime | None = None  # a one-off window [start, end) ...
    end: AwareDatetime | None = None
    rrule: str | None = None  # ... or a recurrence in sprint.timezone, each `duration` long
    duration: str | None = None
    reason: str
    author: str | None = None
    goals: list[str] | None = Field(None, min_length=1)  # [every goal]

    _texts = field_validator("reason", "author")(_text)

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("start")
        if end is not None and start is not None and end <= start:
            raise ValueError(f"{end.isoformat()} is not after start ({start.isoformat()})")
        return end

    @field_validator("rrule")
    @classmethod
    def _rule(cls, text: str | None) -> str | None:
        if text is not None:
            rule = parse_rule(text, _ANY_START)
            try:  # some combinations dateutil refuses only once iterated
                rule.between(_ANY_START, _ANY_START + timedelta(days=1))
            except ValueError as exc:
                raise ValueError(f"'{text}': {exc}") from None
        return text

    @field_validator("duration")
    @classmethod
    def _duration(cls, text: str | None) -> str | None:
        if text is not None and parse_duration(text) > MAX_DURATION_S:
            raise ValueError(f"'{text}' is longer than {MAX_WEEK_DAYS} days")
        return text

    @model_validator(mode="after")
    def _one_form(self) -> ExclusionSettings:
        once = self.start is not None or self.end is not None
        recurs = self.rrule is not None or self.duration is not None
        if once and recurs:
            raise ValueError(
                "give start and end (a one-off window) or rrule and duration (a recurrence), "
                "not both"
            )
        if not once and not recurs:
            raise ValueError(
                "give start and end (a one-off window) or rrule and duration (a recurrence)"
            )
        if once and (self.start is None or self.end is None):
            raise ValueError("a one-off window needs both start and end")
        if recurs and (self.rrule is None or self.duration is None):
            raise ValueError("a recurrence needs both rrule and duration (how long each lasts)")
        return self
