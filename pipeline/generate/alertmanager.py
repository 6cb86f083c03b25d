"""`python -m pipeline rules --alertmanager`: an Alertmanager configuration that routes the
generated alerts to each agent (Alertmanager 0.25 and later).

The generated rules mark every goal alert with one label per agent that owns the goal
(`agent_<id>="true"`, pipeline.core.routing), so a route on one agent matches the goals that
agent shares with others. The tree, built as data first (frozen values), then dumped as YAML:

    route (receiver: sprint-convergence; only alerts of other sprints stop here)
    └── sprint="<sprint>"  receiver sprint-convergence: unowned goals, the stale-run alert
        ├── agent_<id>="true"  receiver <id>, continue: true
        └── ...                (one per agent, in the config's order)

`route.routes[0]` is the sprint's subtree: the part to merge into an existing configuration,
with the receivers and the inhibit rule (docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from pipeline.core.routing import ROUTE_VALUE, agent_label
from pipeline.core.settings import MailSettings, Settings
from pipeline.errors import ConfigError

DEFAULT_RECEIVER = "sprint-convergence"
# One notification per goal (all its alerts and series together), so a goal that moves from
# AtRisk to Missed updates its notification rather than starting a second one; the stale-run
# alert has no `goal` and is a group of its own.
GROUP_BY = ("sprint", "goal")
GROUP_WAIT = "1m"  # the series of a goal fire in one evaluation: wait for all of them
GROUP_INTERVAL = "10m"  # a change within a goal's group (AtRisk -> Missed, a new customer)
REPEAT_INTERVAL = "12h"  # a goal still off target: twice a day; the weekly report says the rest
PASSWORD_FILE = "/etc/alertmanager/smtp_password"  # the example in the comment, never a value
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n"})


def matcher(name: str, value: str, op: str = "=") -> str:
    """One matcher in Alertmanager's syntax, its value quoted (`sprint="A \\"B\\""`)."""
    return f'{name}{op}"{value.translate(_ESCAPES)}"'


@dataclass(frozen=True)
class Route:
    receiver: str
    matchers: tuple[str, ...] = ()
    group_by: tuple[str, ...] = ()
    timings: Mapping[str, str] | None = None  # group_wait, group_interval, repeat_interval
    continue_: bool = False
    routes: tuple[Route, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        route: dict[str, Any] = {"receiver": self.receiver}
        if self.matchers:
            route["matchers"] = list(self.matchers)
        if self.group_by:
            route["group_by"] = list(self.group_by)
        route |= dict(self.timings or {})
        if self.continue_:
            route["continue"] = True
        if self.routes:
            route["routes"] = [r.as_dict() for r in self.routes]
        return route


@dataclass(frozen=True)
class Receiver:
    """A receiver: an e-mail to `email_to` (comma-joined addresses), or empty (delivers nothing:
    valid, for the team to fill in)."""

    name: str
    email_to: str | None = None

    def as_dict(self) -> dict[str, Any]:
        receiver: dict[str, Any] = {"name": self.name}
        if self.email_to:
            receiver["email_configs"] = [{"to": self.email_to}]
        return receiver


@dataclass(frozen=True)
class InhibitRule:
    source_matchers: tuple[str, ...]
    target_matchers: tuple[str, ...]
    equal: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_matchers": list(self.source_matchers),
            "target_matchers": list(self.target_matchers),
            "equal": list(self.equal),
        }


@dataclass(frozen=True)
class Smtp:
    """Alertmanager's `global:` SMTP settings: never a password (see PASSWORD_FILE)."""

    smarthost: str
    sender: str
    require_tls: bool
    auth_username: str | None

    def as_dict(self) -> dict[str, Any]:
        smtp: dict[str, Any] = {
            "smtp_smarthost": self.smarthost,
            "smtp_from": self.sender,
            "smtp_require_tls": self.require_tls,
        }
        if self.auth_username:
            smtp["smtp_auth_username"] = self.auth_username
        return smtp


@dataclass(frozen=True)
class AlertmanagerConfig:
    route: Route
    receivers: tuple[Receiver, ...]
    inhibit_rules: tuple[InhibitRule, ...]
    smtp: Smtp | None = None

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {}
        if self.smtp:
            document["global"] = self.smtp.as_dict()
        return document | {
            "route": self.route.as_dict(),
            "receivers": [r.as_dict() for r in self.receivers],
            "inhibit_rules": [r.as_dict() for r in self.inhibit_rules],
        }


def smtp_settings(mail: MailSettings) -> Smtp:
    """The config's `email:` as Alertmanager's global SMTP settings. Alertmanager speaks
    implicit TLS on port 465 only, and then must not require STARTTLS."""
    host = f"[{mail.smtp_host}]" if ":" in mail.smtp_host else mail.smtp_host  # IPv6
    return Smtp(
        smarthost=f"{host}:{mail.smtp_port}",
        sender=mail.sender,
        require_tls=mail.security == "starttls",
        auth_username=mail.username,
    )


def build_config(loaded: Settings) -> AlertmanagerConfig:
    """The route tree, receivers and inhibit rule of this sprint's alerts."""
    taken = [a.id for a in loaded.agents if a.id == DEFAULT_RECEIVER]
    if taken:
        raise ConfigError(
            str(loaded.path),
            [f"agents: '{taken[0]}' is the default receiver's name in --alertmanager; rename it"],
        )
    mail = loaded.mail
    agent_routes = tuple(
        Route(a.id, (matcher(agent_label(a.id), ROUTE_VALUE),), continue_=True)
        for a in loaded.agents
    )
    sprint = matcher("sprint", loaded.sprint.name)
    timings = {
        "group_wait": GROUP_WAIT,
        "group_interval": GROUP_INTERVAL,
        "repeat_interval": REPEAT_INTERVAL,
    }
    subtree = Route(DEFAULT_RECEIVER, (sprint,), GROUP_BY, timings, routes=agent_routes)
    receivers = (
        Receiver(DEFAULT_RECEIVER),
        *(Receiver(a.id, ", ".join(a.email) if mail else None) for a in loaded.agents),
    )
    # A goal's Missed (critical) silences the same goal's warnings and infos (other series
    # included): one goal does not page twice.
    inhibit = InhibitRule(
        source_matchers=(sprint, matcher("alertname", ".+Missed", "=~"), 'severity="critical"'),
        target_matchers=(sprint, matcher("severity", "warning|info", "=~")),
        equal=("sprint", "goal"),
    )
    smtp = smtp_settings(mail) if mail and any(r.email_to for r in receivers) else None
    return AlertmanagerConfig(
        Route(DEFAULT_RECEIVER, routes=(subtree,)), receivers, (inhibit,), smtp
    )


def _dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1_000_000)


def alertmanager_yaml(loaded: Settings) -> str:
    """The configuration as YAML, with a header naming its source and how to merge it."""
    config = build_config(loaded)
    header = (
        f"# Generated by `python -m pipeline rules --alertmanager` from {loaded.path.name} "
        f"(digest {loaded.digest}): regenerate it when the goals or agents change.\n"
        "# Merge route.routes[0] (this sprint's subtree), the receivers and the inhibit rule "
        "into your Alertmanager config, and fill in the empty receivers there "
        "(docs/operations.md).\n"
    )
    document = config.as_dict()
    smtp = document.pop("global", None)
    if smtp is None or loaded.mail is None:
        return header + _dump(document)
    notes = []
    if loaded.mail.username:
        variable = loaded.mail.password_env or "the SMTP password's variable"
        notes.append(
            f"  # The password: smtp_auth_password_file: {PASSWORD_FILE} (a file holding "
            f"${variable}'s value), never the password itself.\n"
        )
    if loaded.mail.security == "ssl" and loaded.mail.smtp_port != 465:
        notes.append(
            "  # security: ssl: Alertmanager speaks implicit TLS on port 465 only; this port "
            "needs STARTTLS (smtp_require_tls: true) or a port of 465.\n"
        )
    return header + _dump({"global": smtp}) + "".join(notes) + _dump(document)
