"""The one step from the user's config (config/spec.py, pydantic) to the settings the stages see
(settings.py, frozen dataclasses): nothing after loading imports config.py's classes."""

from __future__ import annotations

from ipaddress import ip_address
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.config import outputs, spec
from pipeline.config.base import BasicAuth
from pipeline.config.exclusions import ExclusionSettings
from pipeline.core.checkins import default_checkins_name
from pipeline.core.exclusions import rule_parts
from pipeline.core.formats import Format
from pipeline.core.relative import BaselineRule, Relative, parse_relative
from pipeline.core.settings import (
    AgentSpec,
    ChatChannel,
    Exclusion,
    GoalSpec,
    MailSettings,
    PushSettings,
    Reports,
    Rules,
    Schedule,
    ScoringRules,
    Settings,
    SourceSettings,
    Sprint,
)
from pipeline.core.targets import parse_duration, parse_target


def to_model(config: spec.Config, path: Path, digest: str, notes: tuple[str, ...]) -> Settings:
    """Map a validated config, read from `path`, to the run's settings."""
    folder = path.parent
    return Settings(
        path=path,
        digest=digest,
        sprint=sprint(config.sprint),
        source=source_settings(config.prometheus, folder),
        scoring=scoring_rules(config.scoring),
        goals=tuple(goal_spec(g) for g in config.goals),
        agents=tuple(agent_spec(a) for a in config.agents),
        report=report_settings(config.report, path),
        schedule=schedule_settings(config.schedule or outputs.ScheduleSettings(), folder),
        rules=rules(config.rules, folder),
        metrics=push_settings(config.metrics),
        mail=mail_settings(config.email) if config.email else None,
        notify=tuple(chat_channel(c) for c in config.notify),
        notes=notes,
        exclusions=tuple(exclusion(x) for x in config.exclusions),
    )


def sprint(settings: spec.SprintSettings) -> Sprint:
    """The sprint's calendar, its step in seconds."""
    return Sprint(
        name=settings.name,
        start=settings.start,
        week_days=settings.week_days,
        timezone=settings.timezone,
        weeks=settings.weeks,
        step_s=parse_duration(settings.step),
    )


def source_settings(settings: spec.PrometheusSettings, folder: Path) -> SourceSettings:
    """The Prometheus connection; credentials stay named by their variables, the CA file
    relative to the config's folder."""
    return SourceSettings(
        url=settings.url,
        timeout_s=settings.timeout_s,
        retries=settings.retries,
        headers=tuple(settings.headers.items()),
        bearer_token_env=settings.bearer_token_env,
        basic_auth=basic_auth(settings.basic_auth),
        verify_tls=settings.verify_tls,
        ca_file=folder / settings.ca_file if settings.ca_file else None,
        max_points_per_request=settings.max_points_per_request,
        min_points_per_request=settings.min_points_per_request,
        max_response_bytes=settings.max_response_bytes,
        max_series_per_goal=settings.max_series_per_goal,
        graph_url=settings.graph_url,
        compress=not _loopback(settings.url)
        if settings.compression == "auto"
        else settings.compression,
    )


def basic_auth(auth: BasicAuth | None) -> tuple[str, str] | None:
    """(username, name of the password's variable): the password stays in the environment."""
    return (auth.username, auth.password_env) if auth else None


def _loopback(url: str) -> bool:
    """Is `url`'s host this machine (localhost, 127.0.0.0/8, ::1)?"""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def scoring_rules(settings: spec.ScoringSettings) -> ScoringRules:
    """Category weights by name, thresholds and the no-data policy."""
    return ScoringRules(
        categories={name: c.weight for name, c in settings.categories.items()},
        pass_score=settings.pass_score,
        warning_score=settings.warning_score,
        no_data=settings.no_data,
    )


def goal_spec(goal: spec.GoalSettings) -> GoalSpec:
    """A goal with its targets parsed; a relative goal's target and warning are stand-ins until
    a run resolves them against its baseline (scoring/baseline.py)."""
    relative = None
    if goal.baseline is not None:
        relative = Relative(
            target=parse_relative(goal.target),
            warning=parse_relative(goal.warning) if goal.warning else None,
            baseline=BaselineRule(tuple(goal.baseline.weeks or ()), goal.baseline.aggregate),
        )
        target = relative.target.unresolved()
        warning = relative.warning.unresolved() if relative.warning else None
    else:
        target = parse_target(goal.target)
        warning = parse_target(goal.warning) if goal.warning else None
    return GoalSpec(
        id=goal.id,
        name=goal.name,
        category=goal.category,
        query=goal.query,
        unit=goal.unit,
        aggregate=goal.aggregate,
        target=target,
        warning=warning,
        sample_target=parse_target(goal.sample_target) if goal.sample_target else None,
        weight=goal.weight,
        key=goal.key,
        rules_for=goal.rules_for,
        alert=goal.alert,
        owner=goal.owner,
        relative=relative,
    )


def exclusion(settings: ExclusionSettings) -> Exclusion:
    """An exclusion: its one-off window, or its recurrence (written as `FREQ=DAILY;BYHOUR=1`,
    whatever the case and spaces it was given in) with each window's length in seconds."""
    rule = None
    if settings.rrule is not None:
        rule = ";".join(f"{k}={v}" for k, v in rule_parts(settings.rrule).items())
    return Exclusion(
        id=settings.id,
        reason=settings.reason,
        author=settings.author,
        goals=tuple(settings.goals or ()),
        start=settings.start,
        end=settings.end,
        rrule=rule,
        duration=settings.duration,
        duration_s=parse_duration(settings.duration) if settings.duration else 0.0,
    )


def agent_spec(agent: spec.AgentSettings) -> AgentSpec:
    """An agent, its goal ids and recipients in file order."""
    return AgentSpec(
        id=agent.id, name=agent.name, goals=tuple(agent.goals), email=tuple(agent.email)
    )


def report_settings(settings: spec.ReportSettings, path: Path) -> Reports:
    """The output folder and the check-ins file (relative to the config's folder, by default
    named after the config) and default formats."""
    folder = path.parent
    checkins = settings.checkins_file or default_checkins_name(path.name)
    return Reports(
        output_dir=folder / settings.output_dir,
        formats=tuple(Format(f) for f in settings.formats),
        base_url=settings.base_url,
        checkins_file=folder / checkins,
    )


def mail_settings(settings: outputs.EmailSettings) -> MailSettings:
    """The SMTP server and sender; the password stays named by its variable."""
    return MailSettings(
        smtp_host=settings.smtp_host,
        smtp_port=settings.smtp_port,
        security=settings.security,
        username=settings.username,
        password_env=settings.password_env,
        sender=settings.from_,
        sender_address=settings.from_address,
        timeout_s=settings.timeout_s,
        attach=settings.attach,
        max_attachment_mb=settings.max_attachment_mb,
        attach_csv=settings.attach_csv,
    )


def schedule_settings(settings: outputs.ScheduleSettings, folder: Path) -> Schedule:
    """The nightly run; its job store relative to the config's folder."""
    return Schedule(
        cron=settings.cron,
        email=settings.email,
        notify=settings.notify,
        misfire_grace_s=settings.misfire_grace_s,
        jobstore=folder / settings.jobstore if settings.jobstore else None,
    )


def chat_channel(settings: outputs.NotifySettings) -> ChatChannel:
    """A chat channel; its URL stays named by its variable."""
    return ChatChannel(
        name=settings.channel,
        url_env=settings.url_env,
        agents=tuple(settings.agents),
        timeout_s=settings.timeout_s,
    )


def rules(settings: outputs.RulesSettings, folder: Path) -> Rules:
    """What the generated alerts carry; the stale-run alert's delay also in seconds; the team's
    rule files resolved against the config's folder."""
    return Rules(
        for_=settings.for_,
        labels=dict(settings.labels),
        runbook_url=settings.runbook_url,
        record=settings.record,
        stale_after=settings.stale_after,
        stale_after_s=parse_duration(settings.stale_after),
        realtime=settings.realtime,
        keep_firing_for=settings.keep_firing_for,
        extra_files=tuple(folder / f for f in settings.extra_files),
    )


def push_settings(settings: outputs.MetricsSettings) -> PushSettings:
    """The Pushgateway; credentials stay named by their variables."""
    return PushSettings(
        url=settings.pushgateway_url,
        job=settings.job,
        timeout_s=settings.timeout_s,
        bearer_token_env=settings.bearer_token_env,
        basic_auth=basic_auth(settings.basic_auth),
    )
