"""Load and validate config.yaml into typed settings; every problem is reported with its path."""

from __future__ import annotations

import hashlib
import logging
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.addresses import header_text, mail_address
from pipeline.cron import cron_trigger
from pipeline.errors import ConfigError
from pipeline.outcomes import NoDataPolicy
from pipeline.targets import Target, parse_duration, parse_target
from pipeline.yamlload import load_yaml

Aggregate = Literal[
    "last", "min", "max", "mean", "median", "p50", "p90", "p95", "p99", "compliance"
]
_ID_PATTERN = r"^[a-z0-9_-]+$"
MAX_TIMEOUT_S = 86400  # a day: beyond this a timer or socket timeout overflows, or never ends
MAX_WEEK_DAYS = 366
MAX_GOAL_WEIGHT = 1e6  # weights are relative; a bound keeps their sums finite
CRON_HORIZON_YEARS = 5
log = logging.getLogger("pipeline")


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

    @property
    def step_s(self) -> float:
        """The range-query resolution in seconds."""
        return parse_duration(self.step)

    @property
    def zone(self) -> ZoneInfo:
        """The sprint's time zone."""
        return ZoneInfo(self.timezone)


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
    formats: list[Literal["md", "pdf", "html"]] = Field(["md", "pdf"], min_length=1)


class EmailSettings(_Strict):
    smtp_host: str
    smtp_port: int = Field(587, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    from_: str = Field(alias="from")
    timeout_s: float = Field(60, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)

    _from = field_validator("from_")(_one_address)
    _header = field_validator("username")(header_text)

    @property
    def from_address(self) -> str:
        """The bare address of `from` (the envelope sender)."""
        return mail_address(self.from_)


class ScheduleSettings(_Strict):
    cron: str = "0 2 * * *"
    email: bool = True
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
RULE_LABELS = ("sprint", "goal", "category", "severity", "agent")  # set by the rules themselves


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
    prometheus: PrometheusSettings = PrometheusSettings()
    sprint: SprintSettings
    scoring: ScoringSettings
    goals: list[GoalSettings] = Field(min_length=1)
    agents: list[AgentSettings] = Field(min_length=1)
    report: ReportSettings = ReportSettings()
    email: EmailSettings | None = None
    schedule: ScheduleSettings | None = None
    rules: RulesSettings = RulesSettings()
    metrics: MetricsSettings = MetricsSettings()


@dataclass(frozen=True)
class GoalSpec:
    """A goal as the scoring stage sees it: targets parsed, nothing left as text to interpret."""

    id: str
    name: str
    category: str
    query: str
    unit: str
    aggregate: str
    target: Target
    warning: Target | None
    sample_target: Target | None
    weight: float
    key: bool
    rules_for: str | None = None  # None: rules.for
    alert: bool = True


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config, where it came from, and a short hash of its bytes for the footer."""

    path: Path
    config: Config
    digest: str
    notes: tuple[str, ...] = ()  # harmless oddities, e.g. a recipient listed twice

    @property
    def output_dir(self) -> Path:
        """report.output_dir, relative to the config file's folder."""
        return self.path.parent / self.config.report.output_dir

    def goal_specs(self) -> tuple[GoalSpec, ...]:
        """The goals with their targets parsed, in file order."""
        return tuple(_goal_spec(g) for g in self.config.goals)


def _goal_spec(goal: GoalSettings) -> GoalSpec:
    return GoalSpec(
        id=goal.id,
        name=goal.name,
        category=goal.category,
        query=goal.query,
        unit=goal.unit,
        aggregate=goal.aggregate,
        target=parse_target(goal.target),
        warning=parse_target(goal.warning) if goal.warning else None,
        sample_target=parse_target(goal.sample_target) if goal.sample_target else None,
        weight=goal.weight,
        key=goal.key,
        rules_for=goal.rules_for,
        alert=goal.alert,
    )


def load_config(path: str | Path, env: dict[str, str] | None = None) -> LoadedConfig:
    """Read, parse and validate `path`; raise ConfigError listing every problem."""
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    try:
        raw, duplicates = load_yaml(raw_bytes)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(str(path), [f"{where}not valid YAML: {problem}"]) from None
    if duplicates:
        raise ConfigError(str(path), list(duplicates))
    loaded = validate_config(raw, path, raw_bytes, os.environ if env is None else env)
    for note in loaded.notes:
        log.warning("%s: %s", path, note)
    return loaded


def validate_config(raw: Any, path: Path, raw_bytes: bytes = b"", env: Any = None) -> LoadedConfig:
    """Validate an already-parsed YAML document."""
    if raw is None:
        raise ConfigError(str(path), ["the file is empty"])
    if not isinstance(raw, dict):
        raise ConfigError(str(path), ["expected a mapping of sections at the top level"])
    problems: list[str] = []
    config: Config | None = None
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_describe(err) for err in exc.errors())
    problems.extend(_cross_checks(raw, os.environ if env is None else env))
    if problems or config is None:
        raise ConfigError(str(path), problems)
    digest = hashlib.sha256(raw_bytes).hexdigest()[:12]
    return LoadedConfig(path=path, config=config, digest=digest, notes=_notes(raw))


def _where(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _describe(err: Any) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{_where(loc)}: unknown key"
    if kind == "missing":
        return f"{_where(loc)}: required key is missing"
    message = str(err["msg"])
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    else:
        message = message[0].lower() + message[1:]
        if "input" in err and not isinstance(err["input"], dict | list):
            message += f" (got {err['input']!r})"
    return f"{_where(loc)}: {message}"


def _items(raw: Any, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    value = raw.get(key) if isinstance(raw, dict) else None
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


def _notes(raw: dict[str, Any]) -> tuple[str, ...]:
    """Recipients listed twice for one agent: each is mailed once."""
    notes = []
    for i, agent in _items(raw, "agents"):
        seen: dict[str, int] = {}
        emails = agent.get("email")
        for j, value in enumerate(emails if isinstance(emails, list) else []):
            try:
                address = mail_address(value).lower()
            except (TypeError, ValueError):
                continue
            if address in seen:
                notes.append(
                    f"agents[{i}].email[{j}]: '{value}' is already agents[{i}].email"
                    f"[{seen[address]}]; it is mailed once"
                )
            else:
                seen[address] = j
    return tuple(notes)


def _cross_checks(raw: dict[str, Any], env: Any) -> list[str]:
    """Checks that span sections; run on the raw document so they are reported with the rest."""
    problems: list[str] = []
    for section in ("goals", "agents"):
        seen: dict[str, int] = {}
        for i, item in _items(raw, section):
            ident = item.get("id")
            if isinstance(ident, str):
                if ident in seen:
                    problems.append(
                        f"{section}[{i}].id: duplicate id '{ident}' (also {section}[{seen[ident]}])"
                    )
                else:
                    seen[ident] = i
    goal_ids = {
        item.get("id") for _, item in _items(raw, "goals") if isinstance(item.get("id"), str)
    }
    for i, agent in _items(raw, "agents"):
        goals = agent.get("goals")
        if isinstance(goals, list):
            for j, gid in enumerate(goals):
                if isinstance(gid, str) and gid not in goal_ids:
                    problems.append(f"agents[{i}].goals[{j}]: unknown goal id '{gid}'")
    scoring = raw.get("scoring")
    categories = scoring.get("categories") if isinstance(scoring, dict) else None
    if isinstance(categories, dict) and categories:
        weights = [c.get("weight") for c in categories.values() if isinstance(c, dict)]
        numbers = [w for w in weights if isinstance(w, int | float) and not isinstance(w, bool)]
        if len(numbers) == len(categories) and not math.isclose(sum(numbers), 1.0, abs_tol=1e-9):
            problems.append(
                f"scoring.categories: weights sum to {sum(numbers):g}, they must sum to 1"
            )
        names = ", ".join(sorted(str(k) for k in categories))
        for i, goal in _items(raw, "goals"):
            cat = goal.get("category")
            if isinstance(cat, str) and cat not in categories:
                problems.append(
                    f"goals[{i}].category: unknown category '{cat}' "
                    f"(scoring.categories has: {names})"
                )
    prom = raw.get("prometheus")
    if isinstance(prom, dict):
        secrets = [("prometheus.bearer_token_env", prom.get("bearer_token_env"))]
        auth = prom.get("basic_auth")
        if isinstance(auth, dict):
            secrets.append(("prometheus.basic_auth.password_env", auth.get("password_env")))
        for where, name in secrets:
            if isinstance(name, str) and not env.get(name):
                problems.append(f"{where}: environment variable '{name}' is not set")
    problems.extend(_metrics_secrets(raw.get("metrics"), env))
    return problems


def _metrics_secrets(metrics: Any, env: Any) -> list[str]:
    """The Pushgateway's credentials must be in the environment when it is used."""
    if not isinstance(metrics, dict) or not metrics.get("pushgateway_url"):
        return []
    names = [("metrics.bearer_token_env", metrics.get("bearer_token_env"))]
    auth = metrics.get("basic_auth")
    if isinstance(auth, dict):
        names.append(("metrics.basic_auth.password_env", auth.get("password_env")))
    return [
        f"{where}: environment variable '{name}' is not set"
        for where, name in names
        if isinstance(name, str) and not env.get(name)
    ]
