"""The config's delivery and output sections: e-mail, chat channels, the scheduler, the
generated alert rules and the pushed metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from pipeline.config.base import (
    CRON_HORIZON_YEARS,
    ID_PATTERN,
    MAX_TIMEOUT_S,
    MAX_WEEK_DAYS,
    BasicAuth,
    Strict,
    check_duration,
    one_address,
)
from pipeline.core.addresses import header_text, mail_address
from pipeline.core.cron import cron_trigger
from pipeline.core.settings import RULE_LABELS
from pipeline.core.targets import parse_duration


class EmailSettings(Strict):
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

    _from = field_validator("from_")(one_address)
    _header = field_validator("username")(header_text)

    @property
    def from_address(self) -> str:
        """The bare address of `from` (the envelope sender)."""
        return mail_address(self.from_)


class NotifySettings(Strict):
    """A chat channel: an Apprise URL read from the environment (webhook URLs are secrets)."""

    url_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    name: str | None = Field(None, pattern=ID_PATTERN)  # default: url_env in lower case
    agents: list[str] = []  # only these agents' results; empty: all
    timeout_s: float = Field(30, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)

    @property
    def channel(self) -> str:
        """The channel's name in messages and errors (never its URL)."""
        return self.name or self.url_env.lower().replace("_", "-")


class ScheduleSettings(Strict):
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


class RulesSettings(Strict):
    """`python -m pipeline rules`: what every generated alert carries."""

    for_: str = Field("5m", alias="for")
    labels: dict[Annotated[str, Field(pattern=_LABEL_NAME)], str] = {}
    runbook_url: str | None = None
    record: bool = True
    stale_after: str = "26h"  # the stale-run alert: no successful run pushed for this long
    realtime: bool = False  # also the guard alerts on each query's current value
    keep_firing_for: str = "30m"  # Missed / AtRisk alerts keep firing this long after clearing
    extra_files: list[Annotated[str, Field(min_length=1)]] = []  # the team's own rule files

    _durations = field_validator("for_", "stale_after", "keep_firing_for")(check_duration)

    @field_validator("labels")
    @classmethod
    def _not_ours(cls, labels: dict[str, str]) -> dict[str, str]:
        taken = [k for k in labels if k in RULE_LABELS or k.startswith(("__", "agent_"))]
        if taken:
            raise ValueError(
                f"'{taken[0]}' is set by the generated rules; choose another label name"
            )
        return labels


class MetricsSettings(Strict):
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
