"""The user's config as written in config.yaml: pydantic models that validate each section.

Stages never see these: config.mapping.to_model() turns a validated Config into the frozen
values of pipeline.core.settings.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pipeline.config.base import (
    ID_PATTERN,
    MAX_GOAL_WEIGHT,
    MAX_SPRINT_WEEKS,
    MAX_TIMEOUT_S,
    MAX_WEEK_DAYS,
    BasicAuth,
    Strict,
    check_duration,
    check_target,
    one_address,
    one_line_name,
)
from pipeline.config.exclusions import ExclusionSettings
from pipeline.config.outputs import (
    EmailSettings,
    MetricsSettings,
    NotifySettings,
    RulesSettings,
    ScheduleSettings,
)
from pipeline.core.addresses import header_text, mail_address
from pipeline.core.formats import Format
from pipeline.core.headers import header_name, header_value
from pipeline.core.outcomes import NoDataPolicy
from pipeline.core.relative import Aggregate as BaselineAggregate
from pipeline.core.relative import is_relative_syntax, parse_relative, warning_problem
from pipeline.core.targets import contains, parse_duration, parse_target

Aggregate = Literal[
    "last", "min", "max", "mean", "median", "p50", "p90", "p95", "p99", "compliance"
]


class PrometheusSettings(Strict):
    url: str = "http://127.0.0.1:9090"
    timeout_s: float = Field(30, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    retries: int = Field(3, ge=0, le=10)
    headers: dict[
        Annotated[str, AfterValidator(header_name)], Annotated[str, AfterValidator(header_value)]
    ] = {}
    bearer_token_env: str | None = None
    basic_auth: BasicAuth | None = None
    verify_tls: bool = True
    # the CA bundle that signs the server's certificate, relative to the config's folder; it
    # wins over REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE, which apply only when this is not set
    ca_file: Path | None = None
    max_points_per_request: int = Field(11000, ge=2)
    min_points_per_request: int = Field(60, ge=1)  # "too many samples": halve down to this
    ui_url: str | None = None  # where people open the Prometheus UI; default: url
    max_response_bytes: int = Field(256 * 2**20, ge=1024)
    max_series_per_goal: int = Field(10_000, ge=1)
    # ask for gzip answers? auto: not from a loopback address, where it only costs time
    compression: Literal["auto"] | bool = "auto"

    @field_validator("url", "ui_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"'{url}' is not an http:// or https:// URL")
        parts = urlsplit(url)
        if parts.query or parts.fragment:  # /api/v1/... and /graph?... are added to its path
            raise ValueError(f"'{url}' has a query string or fragment; give the base address")
        return url.rstrip("/")

    @property
    def graph_url(self) -> str | None:
        """The UI's address for links in reports; None when it carries credentials."""
        url = self.ui_url or self.url
        parts = urlsplit(url)
        return None if parts.username or parts.password else url

    @model_validator(mode="after")
    def _one_auth(self) -> PrometheusSettings:
        if self.bearer_token_env and self.basic_auth:
            raise ValueError("set bearer_token_env or basic_auth, not both")
        if self.ca_file and not self.verify_tls:
            raise ValueError("set verify_tls: false or ca_file, not both")
        return self


class SprintSettings(Strict):
    name: str
    start: date
    week_days: int = Field(7, ge=1, le=MAX_WEEK_DAYS)
    weeks: int | None = Field(None, ge=1, le=MAX_SPRINT_WEEKS)  # the sprint's length; None: open
    timezone: str = "UTC"
    step: str = "1m"

    _header = field_validator("name")(header_text)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(  # noqa: B904 (pydantic shows only this message)
                f"unknown time zone '{name}' (use an IANA name such as 'Europe/Paris')"
            )
        return name

    @field_validator("step")
    @classmethod
    def _duration(cls, text: str) -> str:
        if parse_duration(text) < 1 or parse_duration(text) % 1:
            raise ValueError(f"step '{text}' must be a whole number of seconds, at least 1s")
        return text


class Category(Strict):
    weight: float = Field(ge=0, le=1)


class ScoringSettings(Strict):
    categories: dict[str, Category]
    pass_score: float = Field(90, ge=0, le=100)
    warning_score: float = Field(75, ge=0, le=100)
    no_data: NoDataPolicy = NoDataPolicy.FAIL

    @model_validator(mode="after")
    def _ordered(self) -> ScoringSettings:
        if self.warning_score > self.pass_score:
            raise ValueError("warning_score must not be above pass_score")
        return self


class BaselineSettings(Strict):
    """`baseline: last_week`, or `{weeks: [1, 2], aggregate: median}` (weeks None: last_week,
    which only the string gives)."""

    weeks: list[Annotated[int, Field(ge=1)]] | None = Field(None, min_length=1)
    aggregate: BaselineAggregate = BaselineAggregate.MEDIAN

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, value: object) -> object:
        if value == "last_week":
            return {"weeks": None}
        if isinstance(value, dict):
            if value.get("weeks") is None:
                raise ValueError("give the weeks, like {weeks: [1, 2], aggregate: median}")
            return value
        raise ValueError(
            f"expected 'last_week' or {{weeks: [1, 2], aggregate: median}}, not {value!r}"
        )

    @field_validator("weeks")
    @classmethod
    def _once_each(cls, weeks: list[int] | None) -> list[int] | None:
        for i, week in enumerate(weeks or []):
            if week in (weeks or [])[:i]:
                raise ValueError(f"week {week} is listed twice")
        return weeks


class GoalSettings(Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str
    category: str
    query: str = Field(min_length=1)
    unit: str = ""
    aggregate: Aggregate
    sample_target: str | None = None
    # before `target`, whose validator reads it: a relative target needs a baseline
    baseline: BaselineSettings | None = None
    target: str
    warning: str | None = None
    weight: float = Field(1, gt=0, le=MAX_GOAL_WEIGHT, allow_inf_nan=False)
    key: bool = False
    # `python -m pipeline rules`: this goal's `for:` [rules.for], or no alerts at all
    rules_for: str | None = None
    alert: bool = True
    owner: str | None = None  # free text; `Name <address>` is shown as Name

    _targets = field_validator("sample_target")(check_target)
    _rules_for = field_validator("rules_for")(check_duration)
    _owner = field_validator("owner")(one_line_name)

    @field_validator("target")
    @classmethod
    def _target_and_baseline(cls, target: str, info: ValidationInfo) -> str:
        """With `baseline:` the target is relative (`<= +10%`, `>= -5`); without, absolute (a
        signed number too, as before relative targets: `>= -5`), and a percent needs one."""
        if "baseline" not in info.data:  # the baseline itself is invalid: said there
            return target
        if info.data["baseline"] is None:
            if "%" in target:
                raise ValueError(
                    f"'{target}' is relative: it needs baseline: (last_week, or "
                    "{weeks: [1, 2], aggregate: median})"
                )
            parse_target(target)
        elif is_relative_syntax(target):
            parse_relative(target)
        else:
            parse_target(target)
            raise ValueError(
                f"'{target}' is absolute, but the goal has a baseline: give a relative target "
                "('<= +10%', '>= -5'), or remove baseline"
            )
        return target

    @field_validator("warning")
    @classmethod
    def _holds_the_target(cls, warning: str | None, info: ValidationInfo) -> str | None:
        """The warning widens the target into an at-risk margin: one that leaves part of the
        target out never applies (`>= 100`, warning `>= 110`) or judges a value far from the
        target at risk and a nearer one missed (`>= 10`, warning `<= 5`). A relative target's
        warning is relative too, against the same baseline."""
        target = info.data.get("target")  # absent when the target itself is invalid
        if warning is None:
            return warning
        if info.data.get("baseline") is not None:
            return cls._relative_warning(warning, target)
        if "%" in warning:
            raise ValueError(f"'{warning}' is relative: it needs baseline: and a relative target")
        parse_target(warning)
        if target is None:
            return warning
        if not contains(parse_target(warning), parse_target(target)):
            raise ValueError(
                f"'{warning}' does not contain the target '{target}' (the warning must hold "
                "every value that meets the target)"
            )
        return warning

    @staticmethod
    def _relative_warning(warning: str, target: str | None) -> str:
        if not is_relative_syntax(warning):
            parse_target(warning)
            raise ValueError(
                f"'{warning}' is absolute, but the target is relative: give a relative warning "
                "against the same baseline ('<= +20%')"
            )
        relative = parse_relative(warning)
        if target is not None:
            problem = warning_problem(relative, parse_relative(target))
            if problem:
                raise ValueError(problem)
        return warning

    @model_validator(mode="after")
    def _compliance_needs_sample_target(self) -> GoalSettings:
        if self.aggregate == "compliance" and self.sample_target is None:
            raise ValueError("aggregate 'compliance' needs a sample_target")
        if self.aggregate != "compliance" and self.sample_target is not None:
            raise ValueError("sample_target is only used with aggregate 'compliance'")
        return self


class AgentSettings(Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str
    goals: list[str] = Field(min_length=1)
    email: list[Annotated[str, AfterValidator(one_address)]] = []

    _header = field_validator("name")(header_text)

    @field_validator("email")
    @classmethod
    def _once_each(cls, values: list[str]) -> list[str]:
        """The same address twice is kept once (load_config notes it)."""
        kept: dict[str, str] = {}
        for value in values:
            kept.setdefault(mail_address(value).lower(), value)
        return list(kept.values())


class ReportSettings(Strict):
    output_dir: str = "reports"
    formats: list[Format] = Field([Format.MD, Format.HTML, Format.PDF], min_length=1)
    base_url: str | None = None  # where the output folder is served: links in e-mail and chat
    # relative to the config's folder; None: core.checkins.default_checkins_name of the config's
    checkins_file: str | None = Field(None, min_length=1)

    @field_validator("base_url")
    @classmethod
    def _site_url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"'{url}' is not an http:// or https:// URL")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError(f"'{url}': give the folder's address, without credentials or query")
        return url if url.endswith("/") else f"{url}/"


class Config(Strict):
    """The whole file: one field per top-level section."""

    prometheus: PrometheusSettings = PrometheusSettings()
    sprint: SprintSettings
    scoring: ScoringSettings
    goals: list[GoalSettings] = Field(min_length=1)
    agents: list[AgentSettings] = Field(min_length=1)
    report: ReportSettings = ReportSettings()
    email: EmailSettings | None = None
    schedule: ScheduleSettings | None = None
    notify: list[NotifySettings] = []
    rules: RulesSettings = RulesSettings()
    metrics: MetricsSettings = MetricsSettings()
    exclusions: list[ExclusionSettings] = []
