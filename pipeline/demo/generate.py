"""Realistic demo metrics for the seed report's goals over a three-week sprint.

The story: throughput ramps up week by week with a slowdown on day 3 of week 1; an ingest
instance has a 45-minute outage (and a counter reset) in week 1; one customer (initech) starts
unhappy and recovers; pilots are onboarded over the three weeks.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from pipeline.demo.openmetrics import SeriesData

SPRINT_START = datetime(2026, 11, 2, tzinfo=UTC)
WEEKS = 3
INTERVAL_S = 60.0
DAY = 86400.0
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, math.inf)
# customer -> (days after the sprint start it was onboarded, accuracy %, satisfaction by week,
#              cost savings %, days to launch)
CUSTOMERS = {
    "northwind": (0, 99.6, (93, 94, 95), 41.0, 9.0),
    "acme-retail": (0, 99.4, (91, 92, 94), 36.0, 11.0),
    "globex": (0, 98.6, (90, 92, 93), 27.0, 12.0),
    "initech": (3, 99.3, (84, 87.5, 91), 33.0, 15.0),
    "umbrella": (8, 99.5, (0, 92, 93), 44.0, 10.0),
    "hooli": (15, 99.7, (0, 0, 95), 38.0, 8.0),
}
VERSION = "1"  # bump when the data changes, so cached demo blocks are rebuilt


def _t(weeks: int = WEEKS) -> NDArray[np.float64]:
    start = SPRINT_START.timestamp()
    return start + np.arange(0, weeks * 7 * DAY, INTERVAL_S)


def _between(t: NDArray[np.float64], day_from: float, day_to: float) -> NDArray[np.bool_]:
    rel = (t - SPRINT_START.timestamp()) / DAY
    return (rel >= day_from) & (rel < day_to)


def _week_index(t: NDArray[np.float64]) -> NDArray[np.int64]:
    return ((t - SPRINT_START.timestamp()) // (7 * DAY)).astype(np.int64)


def demo_series(weeks: int = WEEKS, seed: int = 7) -> list[SeriesData]:
    """Every demo series, sampled each minute over `weeks` weeks from the sprint start."""
    rng = np.random.default_rng(seed)
    t = _t(weeks)
    week = _week_index(t)
    diurnal = 1 + 0.06 * np.sin(2 * np.pi * ((t / DAY) % 1 - 0.3))
    slowdown = _between(t, 2 + 14 / 24, 2 + 17 / 24)  # day 3, 14:00-17:00
    outage = _between(t, 3 + 3 / 24, 3 + 3.75 / 24)  # day 4, 03:00-03:45, ingest-2
    return [  # in this order: the first and last draw from the same random stream
        *_ingest(rng, t, week, diurnal, slowdown, outage),
        *_up(t, outage),
        *_latency(t, week, diurnal, slowdown),
        *_customers(rng, t, week),
    ]


def _ingest(
    rng: np.random.Generator,
    t: NDArray[np.float64],
    week: NDArray[np.int64],
    diurnal: NDArray[np.float64],
    slowdown: NDArray[np.bool_],
    outage: NDArray[np.bool_],
) -> list[SeriesData]:
    """Processed and failed event counters of the two ingest instances (one restarts)."""
    out = []
    base = np.array([1.0e6, 1.06e6, 1.12e6])[week]
    for instance in ("ingest-1", "ingest-2"):
        rate = base / 2 * diurnal * (1 + rng.normal(0, 0.01, t.size))
        rate[slowdown] *= 0.55
        if instance == "ingest-2":
            rate[outage] = 0.0
        counter = np.cumsum(rate * INTERVAL_S)
        if instance == "ingest-2":  # the restart after the outage resets its counter
            after = np.argmax(t > t[outage][-1])
            counter[after:] -= counter[after - 1]
        labels = {"job": "unmogrowp-ingest", "instance": instance}
        out.append(SeriesData("attribution_events_processed_total", labels, t, counter))
        error_share = np.where(slowdown, 0.004, 0.0004) * (1 + rng.normal(0, 0.1, t.size)).clip(0)
        failed = np.cumsum(rate * INTERVAL_S * error_share)
        if instance == "ingest-2":
            failed[after:] -= failed[after - 1]
        out.append(SeriesData("attribution_events_failed_total", labels, t, failed))
    return out


def _up(t: NDArray[np.float64], outage: NDArray[np.bool_]) -> list[SeriesData]:
    out = []
    for job, instance in (
        ("unmogrowp-ingest", "ingest-1"),
        ("unmogrowp-ingest", "ingest-2"),
        ("unmogrowp-api", "api-1"),
        ("unmogrowp-attribution", "attribution-1"),
    ):
        up = np.ones(t.size)
        if instance == "ingest-2":
            up[outage] = 0.0
        out.append(SeriesData("up", {"job": job, "instance": instance}, t, up))
    return out


def _latency(
    t: NDArray[np.float64],
    week: NDArray[np.int64],
    diurnal: NDArray[np.float64],
    slowdown: NDArray[np.bool_],
) -> list[SeriesData]:
    """The processing-time histogram: log-normal around a median that improves each week."""
    median_ms = np.array([46.0, 42.0, 38.0])[week] * (1 + 0.05 * (diurnal - 1) / 0.06)
    median_ms[slowdown] *= 1.9
    observed = 20000 * diurnal  # observations per minute in the histogram
    z = (np.log(np.array(BUCKETS[:-1]) * 1000)[:, None] - np.log(median_ms)[None, :]) / (
        0.42 * math.sqrt(2)
    )
    cdf = np.vstack([0.5 * (1 + _erf(z)), np.ones((1, t.size))])
    out = []
    for le, share in zip(BUCKETS, cdf, strict=True):
        le_text = "+Inf" if math.isinf(le) else f"{le:g}"
        counts = np.cumsum(np.round(observed * share))
        labels = {"job": "unmogrowp-ingest", "le": le_text}
        name = "attribution_event_processing_duration_seconds_bucket"
        out.append(SeriesData(name, labels, t, counts))
    return out


def _customers(
    rng: np.random.Generator, t: NDArray[np.float64], week: NDArray[np.int64]
) -> list[SeriesData]:
    """Each pilot customer's gauges from its onboarding day, and the pilot count."""
    out = []
    pilots = np.zeros(t.size)
    for name, (onboard_day, accuracy, satisfaction, savings, launch_days) in CUSTOMERS.items():
        active = _between(t, onboard_day, 1e9)
        pilots += active
        labels = {"customer": name}
        acc = (
            accuracy
            + np.array([0.0, 0.5, 0.7])[week] * (accuracy < 99)
            + rng.normal(0, 0.05, t.size)
        )
        out.append(_gauge("attribution_accuracy_percent", labels, t, acc.clip(max=100), active))
        sat = np.array(satisfaction, dtype=float)[week] + rng.normal(0, 0.3, t.size)
        out.append(_gauge("customer_satisfaction_score", labels, t, sat, active))
        save = savings + np.array([0.0, 2.5, 4.0])[week] + rng.normal(0, 0.2, t.size)
        out.append(_gauge("customer_cost_savings_percent", labels, t, save, active))
        launch = np.full(t.size, launch_days)
        out.append(_gauge("customer_time_to_launch_days", labels, t, launch, active))
        for kind in ("technical", "business"):
            days_active = (t - SPRINT_START.timestamp()) / DAY - onboard_day
            needed = 6 if kind == "technical" else 11
            flag = (days_active >= needed).astype(float)
            out.append(_gauge("customer_success_flag", {**labels, "kind": kind}, t, flag, active))
    out.append(SeriesData("total_pilot_customers", {}, t, pilots))
    return out


def _gauge(
    name: str,
    labels: dict[str, str],
    t: NDArray[np.float64],
    values: NDArray[np.float64],
    active: NDArray[np.bool_],
) -> SeriesData:
    return SeriesData(name, labels, t, np.where(active, np.round(values, 3), np.nan))


def _erf(z: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.vectorize(math.erf, otypes=[float])(z)  # type: ignore[no-any-return]
