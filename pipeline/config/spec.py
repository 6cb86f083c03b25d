"""The user's config as written in config.yaml: pydantic models that validate each section.

Stages never see these: config.mapping.to_model() turns a validated Config into the frozen
values of pipeline.settings.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from pipeline.addresses import header_text, mail_address
from pipeline.cron import cron_trigger
from pipeline.formats import Format
from pipeline.outcomes import NoDataPolicy
from pipeline.rules import RULE_LABELS
from pipeline.targets import parse_duration, parse_target

Aggregate = Literal[
    "last", "min", "max", "mean", "median", "p50", "p90", "p95", "p99", "compliance"
]
_ID_PATTERN = r"^[a-z0-9_-]+$"
MAX_TIMEOUT_S = 86400  # a day: beyond this a timer or socket timeout overflows, or never ends
MAX_WEEK_DAYS = 366
MAX_GOAL_WEIGHT = 1e6  # weights are relative; a bound keeps their sums finite
CRON_HORIZON_YEARS = 5


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BasicAuth(_Strict):
    username: str
    password_env: str


class PrometheusSettings(_Strict):
    url: str = "http://127.0.0.1:9090"
    timeout_s: float = Field(30, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    retries: int = Field(3, ge=0, le=10)
    headers: dict[str, str] = {}
    bearer_token_env: str | None = None
    basic_auth: BasicAuth | None = None
    verify_tls: bool = True
    max_points_per_request: int = Field(11000, ge=2)
    ui_url: str | None = None  # where people open the Prometheus UI; default: url
    max_response_bytes: int = Field(256 * 2**20, ge=1024)
    max_series_per_goal: int = Field(10_000, ge=1)

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
        return self


class SprintSettings(_Strict):
    name: str
    start: date
    week_days: int = Field(7, ge=1, le=MAX_WEEK_DAYS)
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


class Category(_Strict):
    weight: float = Field(ge=0, le=1)


class ScoringSettings(_Strict):
    categories: dict[str, Category]
    pass_score: float = Field(90, ge=0, le=100)
    warning_score: float = Field(75, ge=0, le=100)
    no_data: NoDataPolicy = NoDataPolicy.FAIL

    @model_validator(mode="after")
    def _ordered(self) -> ScoringSettings:
        if self.warning_score > self.pass_score:
            raise ValueError("warning_score must not be above pass_score")
        return self


def _one_address(value: str) -> str:
    mail_address(value)
    return value


def _check_target(text: str | None) -> str | None:
    if text is not None:
        parse_target(text)
    return text


def _check_duration(text: str | None) -> str | None:
    if text is not None:
        parse_duration(text)
    return text


class GoalSettings(_Strict):
    id: str = Field(pattern=_ID_PATTERN)
    name: str
    category: str
    query: str = Field(min_length=1)
    unit: str = ""
    aggregate: Aggregate
    sample_target: str | None = None
    target: str
    warning: str | None = None
    weight: float = Field(1, gt=0, le=MAX_GOAL_WEIGHT, allow_inf_nan=False)
    key: bool = False
    # `python -m pipeline rules`: this goal's `for:` [rules.for], or no alerts at all
    rules_for: str | None = None
    alert: bool = True

    _targets = field_validator("sample_target", "target", "warning")(_check_target)
    _rules_for = field_validator("rules_for")(_check_duration)

    @model_validator(mode="after")
    def _compliance_needs_sample_target(self) -> GoalSettings:
        if self.aggregate == "compliance" and self.sample_target is None:
            raise ValueError("aggregate 'compliance' needs a sample_target")
        if self.aggregate != "compliance" and self.sample_target is not None:
            raise ValueError("sample_target is only used with aggregate 'compliance'")
        return self


class AgentSettings(_Strict):
    id: str = Field(pattern=_ID_PATTERN)
    name: str
    goals: list[str] = Field(min_length=1)
    email: list[Annotated[str, AfterValidator(_one_address)]] = []

    _header = field_validator("name")(header_text)

    @field_validator("email")
    @classmethod
    def _once_each(cls, values: list[str]) -> list[str]:
        """The same address twice is kept once (load_config notes it)."""
        kept: dict[str, str] = {}
        for value in values:
            kept.setdefault(mail_address(value).lower(), value)
        return list(kept.values())


class ReportSettings(_Strict):
    output_dir: str = "reports"
    formats: list[Format] = Field([Format.MD, Format.HTML, Format.PDF], min_length=1)
    base_url: str | None = None  # where the output folder is served: links in e-mail and chat

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


class EmailSettings(_Strict):
    smtp_host: str
    smtp_port: int = Field(587, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    from_: str = Field(alias="from")
    timeout_s: float = Field(60, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    attach: Literal["pdf", "link"] = "pdf"  # link: the report's address instead of files
    max_attachment_mb: float = Field(10, gt=0, le=1024, allow_inf_nan=False)
    attach_csv: bool = False

    _from = field_validator("from_")(_one_address)
    _header = field_validator("username")(header_text)

    @property
    def from_address(self) -> str:
        """The bare address of `from` (the envelope sender)."""
        return mail_address(self.from_)


class NotifySettings(_Strict):
    """A chat channel: an Apprise URL read from the environment (webhook URLs are secrets)."""

    url_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    name: str | None = Field(None, pattern=_ID_PATTERN)  # default: url_env in lower case
    agents: list[str] = []  # only these agents' results; empty: all
    timeout_s: float = Field(30, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)

    @property
    def channel(self) -> str:
        """The channel's name in messages and errors (never its URL)."""
        return self.name or self.url_env.lower().replace("_", "-")


class ScheduleSettings(_Strict):
    cron: str = "0 2 * * *"
    email: bool = True
    notify: bool = True
    misfire_grace: str = "1h"
    jobstore: str | None = None

    @field_validator("cron")
    @classmethod
    def _crontab(cls, text: str) -> str:
        try:
            trigger = cron_trigger(text, ZoneInfo("UTC"))
        except ValueError as exc:
            raise ValueError(f"cannot parse cron '{text}': {exc}") from None
        now = datetime.now(UTC)
        fire = trigger.get_next_fire_time(None, now)
        if fire is None or fire > now + timedelta(days=365 * CRON_HORIZON_YEARS + 2):
            raise ValueError(
                f"cron '{text}' does not fire in the next {CRON_HORIZON_YEARS} years "
                "(a date that does not exist, such as February 31?)"
            )
        return text

    @field_validator("misfire_grace")
    @classmethod
    def _grace(cls, text: str) -> str:
        if parse_duration(text) > MAX_WEEK_DAYS * 86400:
            raise ValueError(f"misfire_grace '{text}' is longer than {MAX_WEEK_DAYS} days")
        return text

    @property
    def misfire_grace_s(self) -> int:
        """How late a missed run may still start, in seconds."""
        return int(parse_duration(self.misfire_grace))


_LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*$"


class RulesSettings(_Strict):
    """`python -m pipeline rules`: what every generated alert carries."""

    for_: str = Field("5m", alias="for")
    labels: dict[Annotated[str, Field(pattern=_LABEL_NAME)], str] = {}
    runbook_url: str | None = None
    record: bool = False
    stale_after: str = "26h"  # the stale-run alert: no successful run pushed for this long

    _durations = field_validator("for_", "stale_after")(_check_duration)

    @field_validator("labels")
    @classmethod
    def _not_ours(cls, labels: dict[str, str]) -> dict[str, str]:
        taken = [k for k in labels if k in RULE_LABELS or k.startswith("__")]
        if taken:
            raise ValueError(
                f"'{taken[0]}' is set by the generated rules; choose another label name"
            )
        return labels


class MetricsSettings(_Strict):
    """Where each run pushes the week's results (a Prometheus Pushgateway)."""

    pushgateway_url: str | None = None
    job: str = Field("sprint_convergence", min_length=1)
    timeout_s: float = Field(30, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    bearer_token_env: str | None = None
    basic_auth: BasicAuth | None = None

    @field_validator("pushgateway_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"'{url}' is not an http:// or https:// URL")
        return url.rstrip("/") if url else url

    @model_validator(mode="after")
    def _one_auth(self) -> MetricsSettings:
        if self.bearer_token_env and self.basic_auth:
            raise ValueError("set bearer_token_env or basic_auth, not both")
        return self


class Config(_Strict):
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
