"""The query path against a real VictoriaMetrics, loaded with the handmade series through its
import API: the right series, labels and values at the right times, in one request or many,
read by the fast path (its answers have Prometheus's shape), and a whole week's run.

VictoriaMetrics answers differently from Prometheus where the data has holes (checked below):
it drops NaN samples (the value before is carried over them), carries a series one step past
its last sample (Prometheus: the 5 minutes of its lookback) and fills sparse series at every
step (its lookback follows the series' own interval)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import requests

import pipeline.query.decode
from pipeline.cli import main
from pipeline.config import load_config
from pipeline.core.model import Labels, QueryResult
from pipeline.demo.promserver import PrometheusServer
from pipeline.query.decode import Answer, read_answer
from pipeline.query.source import PrometheusSource
from tests.support.configs import write_config
from tests.support.handmade import DAY_START, HANDMADE, MINUTES, handmade_openmetrics
from tests.support.victoria import VictoriaServer, victoria_server

pytestmark = pytest.mark.victoria
DAY_END = DAY_START + (MINUTES - 1) * 60
MINUTE_TIMES = DAY_START + 60.0 * np.arange(MINUTES)


@pytest.fixture(scope="module")
def victoria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaServer]:
    """VictoriaMetrics holding the handmade series."""
    yield from victoria_server(tmp_path_factory.mktemp("victoria"), handmade_openmetrics())


@pytest.fixture
def no_slow_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if an answer is read the slow way (json, an object a sample)."""

    def slow(content: bytes) -> Answer:
        pytest.fail(f"the fast path fell back to json for {content[:200]!r}")

    monkeypatch.setattr(pipeline.query.decode, "_slow", slow)


def _source(tmp_path: Path, url: str, max_points: int, max_series: int) -> PrometheusSource:
    points = f"max_points_per_request: {max_points}, min_points_per_request: 10"
    points += f", max_series_per_goal: {max_series}"
    text = HANDMADE.replace("retries: 1}", f"retries: 0, {points}}}")
    loaded = load_config(write_config(tmp_path / "c.yaml", text, url), env={})
    return PrometheusSource(loaded.source, {})


def _day(
    tmp_path: Path, url: str, query: str, max_points: int = 11000, max_series: int = 10000
) -> QueryResult:
    """A day of `query` at step 1m: in one request when it fits max_points (query.Chunks),
    else max_points first, the others sized by what the answers took."""
    source = _source(tmp_path, url, max_points, max_series)
    result = source.query_range(query, DAY_START, DAY_END, 60)
    assert result.error is None
    return result


def _same(one: QueryResult, other: QueryResult) -> None:
    assert [s.labels for s in one.series] == [s.labels for s in other.series]
    for a, b in zip(one.series, other.series, strict=True):
        np.testing.assert_array_equal(a.timestamps, b.timestamps)
        np.testing.assert_array_equal(a.values, b.values)


@pytest.mark.usefixtures("no_slow_path")
def test_the_ramp_has_every_minute_in_one_request_or_fifteen(
    tmp_path: Path, victoria: VictoriaServer
) -> None:
    whole = _day(tmp_path, victoria.url, "tst_ramp", max_series=10)
    chunked = _day(tmp_path, victoria.url, "tst_ramp", max_points=100)
    assert (whole.requests, chunked.requests) == (1, 15)  # 1,440 points, 100 a request
    assert [s.labels for s in whole.series] == [(("__name__", "tst_ramp"),)]
    np.testing.assert_array_equal(whole.series[0].timestamps, MINUTE_TIMES)
    np.testing.assert_array_equal(whole.series[0].values, np.arange(MINUTES, dtype=np.float64))
    _same(chunked, whole)


@pytest.mark.usefixtures("no_slow_path")
def test_series_keep_their_labels_and_values(tmp_path: Path, victoria: VictoriaServer) -> None:
    result = _day(tmp_path, victoria.url, '{__name__=~"tst_const|tst_label"}', max_points=500)
    assert result.requests == 3  # 500 points a request
    expected: dict[Labels, int] = {
        (("__name__", "tst_const"), ("job", "a")): 10,
        (("__name__", "tst_const"), ("job", "b")): 20,
        (("__name__", "tst_label"), ("customer", '<img src="http://127.0.0.1:9/x"> | *bold*')): 5,
        (("__name__", "tst_label"), ("customer", "http://h/a<img src=x onerror=alert(1)>")): 50,
    }
    assert [s.labels for s in result.series] == sorted(expected)
    for series in result.series:
        np.testing.assert_array_equal(series.timestamps, MINUTE_TIMES)
        assert set(series.values.tolist()) == {expected[series.labels]}


@pytest.mark.usefixtures("no_slow_path")
def test_infinities_and_a_counter_reset_come_back_as_loaded(
    tmp_path: Path, victoria: VictoriaServer
) -> None:
    inf = _day(tmp_path, victoria.url, "tst_inf", max_points=150).series[0]
    assert inf.values[100] == np.inf and inf.values[200] == -np.inf
    assert np.count_nonzero(inf.values == 1) == MINUTES - 2
    counter = _day(tmp_path, victoria.url, "tst_counter", max_points=150).series[0]
    minutes = np.arange(MINUTES)
    np.testing.assert_array_equal(
        counter.values, 60.0 * np.where(minutes < 720, minutes, minutes - 720)
    )


@pytest.mark.usefixtures("no_slow_path")
def test_nan_samples_are_dropped_and_a_gap_is_carried_one_step(
    tmp_path: Path, victoria: VictoriaServer
) -> None:
    # Loaded: NaN on odd minutes, 3 on even ones. VictoriaMetrics skips NaN samples, so every
    # minute answers the 3 before it; no NaN reaches the pipeline.
    nan = _day(tmp_path, victoria.url, "tst_nan", max_points=100).series[0]
    np.testing.assert_array_equal(nan.timestamps, MINUTE_TIMES)
    assert set(nan.values.tolist()) == {3.0}
    # Loaded: 1 for minutes 0..719. The answer holds one more step (minute 720), then nothing.
    gap = _day(tmp_path, victoria.url, "tst_gap", max_points=100).series[0]
    np.testing.assert_array_equal(gap.timestamps, MINUTE_TIMES[:721])
    assert set(gap.values.tolist()) == {1.0}


@pytest.mark.usefixtures("no_slow_path")
def test_many_sparse_series_in_chunks_read_the_fast_way(
    tmp_path: Path, victoria: VictoriaServer
) -> None:
    # 5,000 series with a sample an hour
    result = _day(tmp_path, victoria.url, "tst_many", max_points=400)
    assert result.requests > 1
    assert len(result.series) == 5000
    hours = DAY_START + 3600.0 * np.arange(24)
    for n in (0, 1, 199, 200, 4999):
        series = result.series[n]
        assert series.labels == (("__name__", "tst_many"), ("n", f"{n:04d}"))
        assert np.isin(hours, series.timestamps).all()
        assert set(series.values.tolist()) == {n % 200}


def _victoria_sparse(first: int, last: int) -> list[int]:
    """The minutes VictoriaMetrics answers in [first, last] for a series with a sample every
    hour on the hour (as seen): it guesses the interval from the samples inside the range; with
    two or more it carries each sample to the next and the last to the range's end, with one
    it carries it one step, with none the series is not in the answer."""
    samples = [m for m in range(first, last + 1) if m % 60 == 0]
    if len(samples) >= 2:
        return list(range(samples[0], last + 1))
    return [samples[0], samples[0] + 1] if samples else []


@pytest.mark.usefixtures("no_slow_path")
def test_a_sparse_series_depends_on_where_the_chunks_start(
    tmp_path: Path, victoria: VictoriaServer
) -> None:
    """Asked for the whole day at step 1m, an hourly series has a value every minute; asked in
    ranges of 100 minutes, each range answers what its own samples say (_victoria_sparse), so
    chunks change the answer. Prometheus answers the same either way (5 minutes a sample)."""
    query = 'tst_many{n="0000"}'
    whole = _day(tmp_path, victoria.url, query, max_series=10)
    chunked = _day(tmp_path, victoria.url, query, max_points=100, max_series=10)
    assert (whole.requests, chunked.requests) == (1, 15)
    np.testing.assert_array_equal(whole.series[0].timestamps, MINUTE_TIMES)
    ranges = [(first, min(first + 99, MINUTES - 1)) for first in range(0, MINUTES, 100)]
    minutes = [m for first, last in ranges for m in _victoria_sparse(first, last)]
    assert len(minutes) == 908
    np.testing.assert_array_equal(chunked.series[0].timestamps, MINUTE_TIMES[minutes])
    assert set(chunked.series[0].values.tolist()) == {0.0}


def test_the_raw_answer_has_prometheus_shape(victoria: VictoriaServer) -> None:
    body = requests.get(
        f"{victoria.url}/api/v1/query_range",
        params={
            "query": "tst_ramp",
            "start": str(DAY_START),
            "end": str(DAY_START + 120),
            "step": "60",
        },
        timeout=10,
    ).content
    assert body == (
        b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":'
        b'{"__name__":"tst_ramp"},"values":[[1793577600,"0"],[1793577660,"1"],[1793577720,"2"]]}]}}'
    )
    fast = pipeline.query.decode._fast(body)
    assert fast is not None
    slow = pipeline.query.decode._slow(body)
    assert fast.series[0][0] == slow.series[0][0] == read_answer(body).series[0][0]
    np.testing.assert_array_equal(fast.series[0][2], slow.series[0][2])


@pytest.mark.prometheus
@pytest.mark.parametrize("query", ["tst_ramp", "tst_const", "tst_label", "tst_inf", "tst_counter"])
def test_where_the_data_has_no_holes_both_backends_agree(
    tmp_path: Path, victoria: VictoriaServer, prometheus: PrometheusServer, query: str
) -> None:
    _same(
        _day(tmp_path, victoria.url, query, max_points=100),
        _day(tmp_path, prometheus.url, query),
    )


@pytest.mark.prometheus
def test_where_the_data_has_holes_the_backends_differ(
    tmp_path: Path, victoria: VictoriaServer, prometheus: PrometheusServer
) -> None:
    def answers(query: str) -> tuple[QueryResult, QueryResult]:
        return (
            _day(tmp_path, victoria.url, query, max_series=10),
            _day(tmp_path, prometheus.url, query, max_series=10),
        )

    vm_nan, prom_nan = answers("tst_nan")
    assert np.isnan(prom_nan.series[0].values[1::2]).all()
    assert not np.isnan(vm_nan.series[0].values).any()
    vm_gap, prom_gap = answers("tst_gap")
    assert (vm_gap.series[0].values.size, prom_gap.series[0].values.size) == (721, 725)
    vm_many, prom_many = answers('tst_many{n="0000"}')
    assert (vm_many.series[0].values.size, prom_many.series[0].values.size) == (1440, 144)


ONE_GOAL = """
prometheus: {url: "http://127.0.0.1:9090", retries: 0, max_points_per_request: 100}
sprint: {name: Victoria, start: 2026-11-02, week_days: 1, step: 1m}
scoring:
  categories: {technical: {weight: 1.0}}
goals:
  - {id: ramp_mean, name: Ramp mean, category: technical, query: tst_ramp, aggregate: mean,
     target: ">= 700"}
agents:
  - {id: one, name: Agent One, goals: [ramp_mean]}
report: {formats: [md]}
"""


@pytest.mark.usefixtures("no_slow_path")
def test_a_week_against_victoria_metrics(
    tmp_path: Path, victoria: VictoriaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "config.yaml", ONE_GOAL, victoria.url)
    out = tmp_path / "out"
    now = datetime(2026, 11, 4, tzinfo=UTC)
    assert main(["--week", "1", "--config", str(config), "--output", str(out)], now=now) == 0
    folder = out / "week-01"
    assert capsys.readouterr().out == f"week 1: ACHIEVED (100.0/100); reports in {folder}\n"
    goal = json.loads((folder / "summary.json").read_text())["goals"][0]
    assert (goal["id"], goal["status"], goal["value"]) == ("ramp_mean", "met", 719.5)
    assert goal["coverage"] == 1


@pytest.mark.usefixtures("no_slow_path")
def test_with_default_sizes_a_sparse_series_is_one_request(
    tmp_path: Path, victoria: VictoriaServer
) -> None:
    """The day fits one request, so it is asked whole, whatever max_series_per_goal allows: a
    smaller first range would change what VictoriaMetrics answers for an hourly series."""
    query = 'tst_many{n="0000"}'
    default = _day(tmp_path, victoria.url, query)
    whole = _day(tmp_path, victoria.url, query, max_series=10)
    assert (default.requests, whole.requests) == (1, 1)
    _same(default, whole)
