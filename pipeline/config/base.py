"""What every section of the config shares: strict models, limits and small validators."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from pipeline.core.addresses import mail_address
from pipeline.core.headers import control_problem, header_value_problem
from pipeline.core.targets import parse_duration, parse_target

ID_PATTERN = r"^[a-z0-9_-]+$"
MAX_TIMEOUT_S = 86400  # a day: beyond this a timer or socket timeout overflows, or never ends
MAX_WEEK_DAYS = 366
MAX_SPRINT_WEEKS = 104  # two years of weeks: a forecast past that says nothing
MAX_GOAL_WEIGHT = 1e6  # weights are relative; a bound keeps their sums finite
CRON_HORIZON_YEARS = 5


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BasicAuth(Strict):
    username: str
    password_env: str

    @field_validator("username")
    @classmethod
    def _one_line(cls, username: str) -> str:
        problem = header_value_problem(username)
        if problem:
            raise ValueError(
                f"the username contains {problem}, which cannot go into an HTTP header"
            )
        return username


def one_address(value: str) -> str:
    mail_address(value)
    return value


def one_line_name(value: str | None) -> str | None:
    """A name shown in reports and chat (a goal's owner): one line, not empty."""
    if value is None:
        return None
    if not value.strip():
        raise ValueError("must not be empty (leave the key out for none)")
    problem = control_problem(value)
    if problem:
        raise ValueError(f"{value!r} contains {problem}")
    return value


def check_target(text: str | None) -> str | None:
    if text is not None:
        parse_target(text)
    return text


def check_duration(text: str | None) -> str | None:
    if text is not None:
        parse_duration(text)
    return text
