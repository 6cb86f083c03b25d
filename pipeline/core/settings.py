"""The settings every stage after loading sees: frozen values that config.mapping.to_model()
makes from the user's validated config (config/spec.py), so no stage depends on the YAML's shape.

Secrets stay out: a setting names the environment variable, and the stage that needs the value
reads it there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pipeline.core.formats import Format
from pipeline.core.outcomes import NoDataPolicy
from pipeline.core.relative import Relative
from pipeline.core.targets import Target


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
    rules_for: str | None = None  # its alerts' `for:` (a Prometheus duration); None: rules.for
    alert: bool = True  # False: `python -m pipeline rules` makes no alert for it
    owner: str | None = None  # who answers for it, as written (`Dana <dana@example.com>`)
    # a relative target and its baseline: `target`/`warning` are then resolved each run
    # (scoring/baseline.py); in the config's settings they are stand-ins that nothing meets
    relative: Relative | None = None


@dataclass(frozen=True)
class Exclusion:
    """Time left out of scoring (`exclusions:`): a one-off window [start, end), or windows of
    `duration_s` at each occurrence of an RFC 5545 `rrule` in the sprint's time zone
    (pipeline/core/exclusions.py expands them)."""

    id: str
    reason: str
    author: str | None = None
    goals: tuple[str, ...] = ()  # the goals it covers; empty: every goal
    start: datetime | None = None  # a one-off window ...
    end: datetime | None = None
    rrule: str | None = None  # ... or a recurrence (its RRULE value, `FREQ=DAILY;BYHOUR=1`)
    duration: str | None = None  # each occurrence's length, as written (`30m`)
    duration_s: float = 0.0

    def covers(self, goal_id: str) -> bool:
        """Whether it applies to the goal `goal_id`."""
        return not self.goals or goal_id in self.goals


@dataclass(frozen=True)
class AgentSpec:
    """An agent (audience): the goals its report shows and who receives it."""

    id: str
    name: str
    goals: tuple[str, ...]
    email: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sprint:
    """The sprint's calendar: week 1 starts at local midnight of `start`."""

    name: str
    start: date
    week_days: int
    timezone: str
    step_s: float  # the range-query resolution
    weeks: int | None = None  # the sprint's length in weeks; None: no sprint-end forecast

    @property
    def zone(self) -> ZoneInfo:
        """The sprint's time zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class SourceSettings:
    """How to reach Prometheus and how much to accept from it."""

    url: str
    timeout_s: float
    retries: int
    headers: tuple[tuple[str, str], ...]
    bearer_token_env: str | None
    basic_auth: tuple[str, str] | None  # (username, name of the password's variable)
    verify_tls: bool
    max_points_per_request: int
    max_response_bytes: int
    max_series_per_goal: int
    graph_url: str | None  # the UI's address for links in reports; None if it has credentials
    min_points_per_request: int = 60  # ranges refused for too many samples are halved to this
    compress: bool = True  # ask for gzip (Accept-Encoding); prometheus.compression resolved
    ca_file: Path | None = None  # the CA bundle to verify the server with (verify_tls is true)

    @property
    def verify(self) -> bool | str:
        """requests' `verify=` for every request: False, the CA file, or True (then requests
        takes REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE when set, else its own bundle)."""
        if not self.verify_tls:
            return False
        return str(self.ca_file) if self.ca_file else True


@dataclass(frozen=True)
class ScoringRules:
    """Category weights, verdict thresholds and what an unmeasured goal counts as."""

    categories: Mapping[str, float]  # name -> weight, in file order
    pass_score: float
    warning_score: float
    no_data: NoDataPolicy


@dataclass(frozen=True)
class Reports:
    """Where reports go and in which formats by default."""

    output_dir: Path  # resolved against the config file's folder
    formats: tuple[Format, ...]
    base_url: str | None = None  # where output_dir is served, ending in "/"
    checkins_file: Path | None = None  # the team's check-ins (resolved); None: none are read


@dataclass(frozen=True)
class MailSettings:
    """The SMTP server and sender."""

    smtp_host: str
    smtp_port: int
    security: Literal["none", "starttls", "ssl"]
    username: str | None
    password_env: str | None
    sender: str  # `from` as written, maybe with a display name
    sender_address: str  # its bare address (the envelope sender)
    timeout_s: float
    attach: Literal["pdf", "link"] = "pdf"
    max_attachment_mb: float = 10
    attach_csv: bool = False


@dataclass(frozen=True)
class Schedule:
    """The nightly run."""

    cron: str
    email: bool
    notify: bool
    misfire_grace_s: int
    jobstore: Path | None  # resolved against the config file's folder; None: the default


@dataclass(frozen=True)
class ChatChannel:
    """A chat channel: its name (in messages and errors), the variable holding its Apprise URL
    (a secret), the agents whose results it carries (empty: all), and how long it may take."""

    name: str
    url_env: str
    agents: tuple[str, ...] = ()
    timeout_s: float = 30.0


# set by the rules, not rules.labels (nor any `agent_*`: one routing label per agent)
RULE_LABELS = ("sprint", "goal", "category", "severity", "agent")


@dataclass(frozen=True)
class Rules:
    """What every generated alert carries (`python -m pipeline rules`)."""

    for_: str  # a Prometheus duration, as written
    labels: Mapping[str, str]  # added to every alert, in file order
    runbook_url: str | None
    record: bool  # recording rules for the goals whose query is not a bare selector
    stale_after: str  # the stale-run alert fires when no run succeeded for this long
    stale_after_s: float
    realtime: bool = False  # also guard alerts on each query's current value
    keep_firing_for: str = "30m"  # Missed / AtRisk alerts (weekly and guards) keep firing so long
    extra_files: tuple[Path, ...] = ()  # the team's own rule files (resolved), merged in


@dataclass(frozen=True)
class PushSettings:
    """Where each run pushes the week's results; `url` None: nowhere."""

    url: str | None
    job: str
    timeout_s: float
    bearer_token_env: str | None
    basic_auth: tuple[str, str] | None  # (username, name of the password's variable)


@dataclass(frozen=True)
class Settings:
    """A loaded config as the run sees it, with where it came from and a short hash of its bytes
    for the footer."""

    path: Path
    digest: str
    sprint: Sprint
    source: SourceSettings
    scoring: ScoringRules
    goals: tuple[GoalSpec, ...]
    agents: tuple[AgentSpec, ...]
    report: Reports
    schedule: Schedule
    rules: Rules
    metrics: PushSettings
    mail: MailSettings | None = None
    notify: tuple[ChatChannel, ...] = ()
    notes: tuple[str, ...] = ()  # harmless oddities, e.g. a recipient listed twice
    exclusions: tuple[Exclusion, ...] = ()  # time left out of scoring, in file order

    @property
    def output_dir(self) -> Path:
        """report.output_dir, relative to the config file's folder."""
        return self.report.output_dir
