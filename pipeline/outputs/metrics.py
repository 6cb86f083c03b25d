"""The week's results as Prometheus metrics: pushed to a Pushgateway, or written as a textfile.

The metrics are built once into a `CollectorRegistry` of the official client; the push and the
textfile (node_exporter's textfile collector) both serialise that same registry.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

import requests
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import push_to_gateway, write_to_textfile
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from pipeline.core.model import GoalOdds, Horizons, Scorecard, VerdictOdds, WeekResult
from pipeline.core.outcomes import Status, Verdict
from pipeline.core.settings import PushSettings
from pipeline.core.targets import Target
from pipeline.core.text import cap, mask_url, one_line
from pipeline.query.api_errors import status_text
from pipeline.query.auth import NoAuth, credentials
from pipeline.query.bounded_http import BoundedAdapter, Limits
from pipeline.query.failures import failure_reason, tls_reason

PREFIX = "sprint_convergence_"
log = logging.getLogger("pipeline")
Handler = Callable[..., Callable[[], None]]
T = TypeVar("T", GoalOdds, VerdictOdds)
MAX_REPLY_BYTES = 64 * 1024  # a Pushgateway's reply is a line or two


class _Families(Collector):
    """Hands the registry metric families built beforehand."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = tuple(families)

    def collect(self) -> Iterator[Metric]:
        yield from self._families


def _gauge(name: str, doc: str, labels: Iterable[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, doc, labels=["sprint", "week", *labels])


def _card(
    card: Scorecard, key: tuple[str, ...], score: GaugeMetricFamily, verdict: GaugeMetricFamily
) -> None:
    if card.score is not None:
        score.add_metric(list(key), card.score)
    for v in Verdict:
        verdict.add_metric([*key, v.value], 1.0 if card.verdict is v else 0.0)


def week_families(result: WeekResult, duration_s: float, finished_at: float) -> list[Metric]:
    """Every metric of the week, labelled with `sprint` and `week`."""
    base = (result.sprint, str(result.window.week))
    score = _gauge("score", "Score 0-100 of the sprint (scope=overall) or a category", ["scope"])
    verdict = _gauge(
        "verdict", "1 for the sprint's verdict this week, else 0", ["scope", "verdict"]
    )
    _card(result.scorecard, (*base, "overall"), score, verdict)
    for category in result.scorecard.categories:
        if category.score is not None:
            score.add_metric([*base, category.name], category.score)
    agent_score = _gauge("agent_score", "Score 0-100 of an agent's own goals", ["agent"])
    agent_verdict = _gauge(
        "agent_verdict", "1 for the agent's verdict, else 0", ["agent", "verdict"]
    )
    for agent in result.agents:
        _card(agent.scorecard, (*base, agent.id), agent_score, agent_verdict)
    goal_labels = ["goal", "category"]
    goal_score = _gauge("goal_score", "Goal score: met 100, at risk 50, missed 0", goal_labels)
    value = _gauge("goal_value", "The goal's weekly value (its worst series)", goal_labels)
    coverage = _gauge("goal_coverage", "Samples present / samples expected, 0-1", goal_labels)
    status = _gauge("goal_status", "1 for the goal's status, else 0", [*goal_labels, "status"])
    for goal in result.goals:
        key = [*base, goal.spec.id, goal.spec.category]
        if goal.score is not None:
            goal_score.add_metric(key, goal.score)
        if goal.value is not None:
            value.add_metric(key, goal.value)
        coverage.add_metric(key, goal.coverage)
        for s in Status:
            status.add_metric([*key, s.value], 1.0 if goal.status is s else 0.0)
    target = _gauge(
        "goal_target", "A finite bound of the goal's target or warning (bound)", ["goal", "bound"]
    )
    for goal in result.goals:
        for bound, at in target_bounds(goal.spec.target, goal.spec.warning):
            target.add_metric([*base, goal.spec.id, bound], at)
    forecast = _forecast_families(result, base)
    duration = _gauge("run_duration_seconds", "How long the run took", [])
    duration.add_metric(list(base), duration_s)
    success = _gauge("last_success_timestamp_seconds", "When a run last scored and wrote", [])
    success.add_metric(list(base), finished_at)
    families = [score, verdict, agent_score, agent_verdict, goal_score, value, coverage, status]
    families.append(target)
    return [*families, *forecast, duration, success]


def _bounds(target: Target) -> Iterator[tuple[str, float]]:
    """The finite ends of the values that meet `target`: ("min", x), ("max", y) or both."""
    low = target.low if target.op in (">=", ">", "==", "..") else -math.inf
    high = target.high if target.op in ("<=", "<", "==", "..") else math.inf
    for end, at in (("min", low), ("max", high)):
        if math.isfinite(at):
            yield end, at


def target_bounds(target: Target, warning: Target | None) -> list[tuple[str, float]]:
    """The `bound` label values and values of goal_target: `>= X` has target_min X only, `< X`
    target_max X only, `A..B` and `== X` both; the same for the warning (warning_min/max).
    Whether a bound is strict is not carried: the goal's status says if a value met it."""
    pairs = [("target", target), ("warning", warning)]
    return [(f"{kind}_{end}", at) for kind, t in pairs if t for end, at in _bounds(t)]


def _horizons(odds: Horizons[T]) -> Iterator[tuple[str, T]]:
    """Each horizon that has odds, by its label value: `week_end`, `sprint_end`."""
    for horizon, at in (("week_end", odds.week_end), ("sprint_end", odds.sprint_end)):
        if at is not None:
            yield horizon, at


def _forecast_families(result: WeekResult, base: tuple[str, str]) -> list[Metric]:
    """The forecast (`horizon` = week_end, sprint_end; only the horizons with odds): each goal's
    chance of being met and its value's p10, p50 and p90, the sprint's and each agent's chance
    of ACHIEVED and median score."""
    outlook = result.outlook
    doc = "Chance (0-1) that the {} is ACHIEVED at the horizon's end (forecast)"
    p_achieved = _gauge("p_achieved", doc.format("sprint"), ["scope", "horizon"])
    score_p50 = _gauge(
        "score_p50", "The sprint's median forecast score 0-100 at the horizon", ["scope", "horizon"]
    )
    for horizon, card in _horizons(outlook.overall):
        p_achieved.add_metric([*base, "overall", horizon], card.p_achieved)
        if card.score_p50 is not None:
            score_p50.add_metric([*base, "overall", horizon], card.score_p50)
    agent_p = _gauge("agent_p_achieved", doc.format("agent"), ["agent", "horizon"])
    doc_p50 = "An agent's median forecast score 0-100 at the horizon"
    agent_p50 = _gauge("agent_score_p50", doc_p50, ["agent", "horizon"])
    for agent in result.agents:
        for horizon, card in _horizons(outlook.agent(agent.id)):
            agent_p.add_metric([*base, agent.id, horizon], card.p_achieved)
            if card.score_p50 is not None:
                agent_p50.add_metric([*base, agent.id, horizon], card.score_p50)
    goal_p_met = _gauge(
        "goal_p_met", "Chance (0-1) that the goal is met at the horizon's end", ["goal", "horizon"]
    )
    doc_q = "The goal's forecast value at the horizon: its quantile 0.1, 0.5 or 0.9 over the draws"
    goal_q = _gauge("goal_forecast", doc_q, ["goal", "horizon", "quantile"])
    for goal in result.goals:
        for horizon, odds in _horizons(outlook.goal(goal.spec.id)):
            goal_p_met.add_metric([*base, goal.spec.id, horizon], odds.p_met)
            for quantile, at in (("0.1", odds.p10), ("0.5", odds.p50), ("0.9", odds.p90)):
                goal_q.add_metric([*base, goal.spec.id, horizon, quantile], at)
    families = [p_achieved, score_p50, agent_p, agent_p50, goal_p_met, goal_q]
    return [f for f in families if f.samples]  # none at all without a forecast


def week_registry(result: WeekResult, duration_s: float, finished_at: float) -> CollectorRegistry:
    """A registry holding exactly the week's metrics (nothing of this process)."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(_Families(week_families(result, duration_s, finished_at)))
    return registry


class PushRejected(Exception):
    """The Pushgateway answered, but not with a success."""

    def __init__(self, response: requests.Response) -> None:
        reply = status_text(response)
        if 300 <= response.status_code < 400:  # the credentials stay with the configured origin
            hint = "redirects are not followed: set metrics.pushgateway_url to the final address"
            super().__init__(f"{reply} ({hint})")
            return
        body = response.content.decode("utf-8", "replace").strip()
        super().__init__(reply + (f": {one_line(cap(body))}" if body else ""))


def bounded_handler(settings: PushSettings, env: Mapping[str, str]) -> Handler:
    """A handler for push_to_gateway that sends with the configured credentials and ends on
    time: one deadline of timeout_s for the whole exchange, a capped reply (bounded_http), no
    redirects. Raises PushRejected for an answer that is not a success."""
    auth = credentials(settings.url or "", settings, env).headers
    limits = Limits(timeout_s=settings.timeout_s, retries=0, max_bytes=MAX_REPLY_BYTES)

    def handler(
        url: str, method: str, timeout: float | None, headers: list[tuple[str, str]], data: bytes
    ) -> Callable[[], None]:
        def send() -> None:
            with requests.Session() as session:
                session.mount("http://", BoundedAdapter(limits))
                session.mount("https://", BoundedAdapter(limits))
                response = session.request(
                    method,
                    url,
                    data=data,
                    headers={**dict(headers), **auth},
                    auth=NoAuth(),  # never ~/.netrc's
                    allow_redirects=False,
                )
            if not 200 <= response.status_code < 300:
                raise PushRejected(response)

        return send

    return handler


def grouping_key(result: WeekResult) -> dict[str, str]:
    """One group per sprint and week: a rerun replaces the week's metrics."""
    return {"sprint": result.sprint, "week": str(result.window.week)}


def push(
    registry: CollectorRegistry,
    result: WeekResult,
    settings: PushSettings,
    env: Mapping[str, str],
) -> str | None:
    """PUT the registry to the Pushgateway; None, or what went wrong (naming the gateway)."""
    url = settings.url or ""
    where = f"Pushgateway at {mask_url(url)}"
    try:
        push_to_gateway(
            url,
            job=settings.job,
            registry=registry,
            grouping_key=grouping_key(result),
            timeout=settings.timeout_s,
            handler=bounded_handler(settings, env),
        )
    except PushRejected as exc:
        return f"{where}: {exc}"
    except requests.exceptions.SSLError as exc:
        return f"{where}: {tls_reason(exc)}"
    except requests.exceptions.RequestException as exc:
        return f"{where}: {failure_reason(exc, settings.timeout_s)}"
    except (OSError, ValueError) as exc:
        return f"{where}: {one_line(cap(str(exc) or type(exc).__name__))}"
    log.info("pushed the week's metrics to %s", mask_url(url))
    return None


def write_textfile(registry: CollectorRegistry, path: Path) -> str | None:
    """Write the registry in the text format, atomically (a temporary file, then a rename)."""
    try:
        write_to_textfile(str(path), registry)
    except OSError as exc:
        return f"metrics file {path}: {exc.strerror or exc}"
    log.info("wrote the week's metrics to %s", path)
    return None


def publish_week(
    result: WeekResult,
    settings: PushSettings,
    metrics_file: Path | None,
    env: Mapping[str, str],
    started: float,
) -> list[str]:
    """Push and/or write the week's metrics; return what failed (empty when all went well).

    `started` is the run's `time.monotonic()` at its start.
    """
    if not settings.url and metrics_file is None:
        return []
    registry = week_registry(result, time.monotonic() - started, time.time())
    problems = []
    if settings.url:
        problems.append(push(registry, result, settings, env))
    if metrics_file is not None:
        problems.append(write_textfile(registry, metrics_file))
    return [p for p in problems if p]
