"""The source and the scoring against a real Prometheus, on handmade series worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.config import load_config
from pipeline.config.mapping import source_settings
from pipeline.config.spec import PrometheusSettings
from pipeline.core.model import Window
from pipeline.demo.promserver import PrometheusServer
from pipeline.outputs.summary import summary
from pipeline.query.source import PrometheusSource
from pipeline.run import RunRequest, run_week
from pipeline.scoring.window import week_window
from tests.support import ROOT
from tests.support.configs import shipped_config, write_config
from tests.support.handmade import DAY_START, HANDMADE, MINUTES

pytestmark = pytest.mark.prometheus
NOW = datetime(2026, 11, 26, tzinfo=UTC)


def _source(**settings: Any) -> PrometheusSource:
    """A source with these prometheus settings, the rest as config.yaml's defaults."""
    return PrometheusSource(source_settings(PrometheusSettings(**settings), Path(".")), env={})


def _window() -> Window:
    cfg = load_config(ROOT / "config.yaml", env={})
    return week_window(cfg.sprint, 1, NOW)


def _day() -> tuple[float, float, float]:
    return float(DAY_START), float(DAY_START + 60 * (MINUTES - 1)), 60.0


def test_handmade_week_is_scored_as_worked_by_hand(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    loaded = load_config(write_config(tmp_path / "c.yaml", HANDMADE, prometheus.url), env={})
    request = RunRequest(week=1, output_dir=tmp_path / "out", dry_run=True)
    result = run_week(loaded, request, now=NOW).result
    goals = {g.spec.id: g for g in result.goals}
    assert result.window.expected == MINUTES

    # mean of 0..1439 = 719.5 >= 700: met
    assert (goals["ramp_mean"].value, goals["ramp_mean"].status) == (719.5, "met")
    # p90 = 0.9 * 1439 = 1295.1: not < 1000 but < 1300: at risk
    assert goals["ramp_p90"].value == pytest.approx(1295.1)
    assert goals["ramp_p90"].status == "at_risk"
    # 720 of 1440 samples are < 720: 50 %, missed (no warning)
    assert (goals["ramp_compliance"].value, goals["ramp_compliance"].status) == (50.0, "missed")
    # job a = 10 is the worst series: not >= 15 but >= 5: at risk, value 10
    const = goals["const_min"]
    assert (const.value, const.status, const.score) == (10.0, "at_risk", 50.0)
    assert [dict(s.labels)["job"] for s in const.series] == ["a", "b"]
    assert [s.status for s in const.series] == ["at_risk", "met"]
    # 720 samples in the first 12 h; Prometheus's 5 m look-back (closed at both ends in 2.x)
    # shows the last one at 5 more steps: 725 / 1440
    assert goals["gap"].coverage == pytest.approx(725 / 1440)
    assert goals["gap"].status == "met"
    # NaN on odd minutes: ignored, counted against coverage
    assert goals["nan"].value == 3.0 and goals["nan"].coverage == 0.5
    assert goals["absent"].status == "no_data" and goals["absent"].score == 0.0
    broken = goals["broken"]
    assert broken.status == "error" and broken.score == 0.0
    assert broken.message is not None and broken.message.startswith("bad_data: ")
    assert "unclosed left parenthesis" in broken.message

    # technical: (100 + 50 + 0) / 3 = 50; customer: (50 + 100 + 100 + 0 + 0) / 5 = 50
    cats = {c.name: c.score for c in result.scorecard.categories}
    assert cats == {"technical": pytest.approx(50.0), "customer": pytest.approx(50.0)}
    assert result.scorecard.score == pytest.approx(50.0)
    assert result.scorecard.verdict == "MISSED"
    one, two = result.agents
    # agent one: technical 100, customer 50 -> 0.4*100 + 0.6*50 = 70
    assert one.scorecard.score == pytest.approx(70.0)
    # agent two: customer only, (100 + 100 + 0 + 0) / 4 = 50, technical left out
    assert two.scorecard.score == pytest.approx(50.0)


def test_chunked_range_equals_one_coarser_request(prometheus: PrometheusServer) -> None:
    first, last, step = _day()
    chunked = _source(url=prometheus.url, max_points_per_request=500)
    result = chunked.query_range("tst_ramp", first, last, step)
    # 1,440 points, 500 at a time: 500 + 500 + 440
    assert result.requests == 3
    (series,) = result.series
    # every minute exactly once, in order: nothing lost or repeated at the chunk edges
    assert np.array_equal(series.timestamps, first + step * np.arange(MINUTES))
    assert np.array_equal(series.values, np.arange(MINUTES, dtype=float))
    # at a 5-minute step (all 288 points in one request) every fifth sample is predicted
    single = _source(url=prometheus.url)
    coarse = single.query_range("tst_ramp", first, last - 4 * step, 5 * step)
    assert coarse.requests == 1
    (coarse_series,) = coarse.series
    assert np.array_equal(coarse_series.timestamps, series.timestamps[::5])
    assert np.array_equal(coarse_series.values, series.values[::5])


def test_chunked_demo_week_equals_one_request(prometheus: PrometheusServer) -> None:
    window = _window()
    query = "customer_satisfaction_score"
    big = _source(url=prometheus.url)
    small = _source(url=prometheus.url, max_points_per_request=3000)
    one = big.query_range(query, window.first_ts, window.last_ts, window.step_s)
    many = small.query_range(query, window.first_ts, window.last_ts, window.step_s)
    # 10,080 points: the whole week in one request, or 3,000 at a time
    assert (one.requests, many.requests) == (1, 4)
    assert [s.labels for s in one.series] == [s.labels for s in many.series]
    for a, b in zip(one.series, many.series, strict=True):
        assert np.array_equal(a.timestamps, b.timestamps)
        assert np.array_equal(a.values, b.values)


def test_server_error_message_is_kept(prometheus: PrometheusServer) -> None:
    first, last, step = _day()
    source = _source(url=prometheus.url)
    result = source.query_range('rate(tst_ramp{job="x"})', first, last, step)
    assert result.error is not None and result.error.startswith("bad_data: ")
    assert result.series == ()


def test_a_run_as_of_an_instant_reads_no_sample_after_it(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    # the handmade "week" is 2026-11-02 (UTC); seen at 06:00 it is in progress, and tst_ramp
    # (the minute index) is 0, 1, ..., 359 at the steps before it
    as_of = datetime(2026, 11, 2, 6, tzinfo=UTC)
    loaded = load_config(write_config(tmp_path / "c.yaml", HANDMADE, prometheus.url), env={})
    request = RunRequest(week=None, output_dir=tmp_path / "out", dry_run=True, as_of=as_of)
    result = run_week(loaded, request, now=NOW).result
    goals = {g.spec.id: g for g in result.goals}
    assert (result.window.week, result.window.complete) == (1, False)
    assert (result.window.end, result.as_of, result.generated_at) == (as_of, as_of, NOW)
    assert result.window.expected == 360
    assert goals["ramp_mean"].value == pytest.approx(179.5)  # the mean of 0..359
    assert goals["ramp_p90"].value == pytest.approx(0.9 * 359)


def test_a_complete_week_reads_the_same_at_any_later_instant(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    loaded = load_config(shipped_config(tmp_path, prometheus.url), env={})

    def week_2(as_of: datetime | None) -> dict[str, Any]:
        request = RunRequest(2, tmp_path / "out", dry_run=True, as_of=as_of)
        outcome = run_week(loaded, request, now=NOW)
        document = summary(outcome.result, outcome.trend, files={})
        return document.model_dump(mode="json", by_alias=True)

    mid_week_3, now = week_2(datetime(2026, 11, 18, 12, tzinfo=UTC)), week_2(None)
    assert (mid_week_3.pop("as_of"), now.pop("as_of")) == (
        "2026-11-18T12:00:00+00:00",
        NOW.isoformat(),
    )
    assert mid_week_3 == now and now["window"]["complete"] is True
