"""How many range requests a query takes, counted by a proxy in front of the real Prometheus
(or by the source, `QueryResult.requests`): one when its range fits one request, more only
when the server refuses a range or an answer passes the cap; the answer is the same either way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests
import yaml

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.core.model import QueryResult
from pipeline.demo.promserver import PrometheusServer
from pipeline.query.source import PrometheusSource
from tests.support.command import cli_args
from tests.support.configs import ABSOLUTE_P95, shipped_config, write_config
from tests.support.faultproxy import Faults, fault_proxy
from tests.support.handmade import DAY_START, HANDMADE, MINUTES

pytestmark = pytest.mark.prometheus
NOW = datetime(2026, 11, 26, tzinfo=UTC)
DAY_END = DAY_START + (MINUTES - 1) * 60


@pytest.fixture
def counted(prometheus: PrometheusServer) -> Iterator[tuple[str, Faults]]:
    """A proxy that only counts: the URL to ask, and what it saw."""
    faults = Faults()
    with fault_proxy(prometheus.url, faults) as url:
        yield url, faults


def _source(tmp_path: Path, url: str, **settings: object) -> PrometheusSource:
    given = ", ".join(f"{k}: {v}" for k, v in {"retries": 0, **settings}.items())
    text = HANDMADE.replace("retries: 1}", given + "}")
    loaded = load_config(write_config(tmp_path / "c.yaml", text, url), env={})
    return PrometheusSource(loaded.source, {})


def _same(one: QueryResult, other: QueryResult) -> None:
    assert one.error is None and other.error is None
    assert [s.labels for s in one.series] == [s.labels for s in other.series]
    for a, b in zip(one.series, other.series, strict=True):
        np.testing.assert_array_equal(a.timestamps, b.timestamps)
        np.testing.assert_array_equal(a.values, b.values)


def test_the_demo_week_asks_each_distinct_query_once(
    tmp_path: Path, counted: tuple[str, Faults]
) -> None:
    """The issue counted 25 range requests for the demo's 10 queries (a probe before each)."""
    url, faults = counted
    config = shipped_config(tmp_path / "config", url, ABSOLUTE_P95)
    code = main(cli_args(1, config, tmp_path / "out", "--format", "md", "-q"), now=NOW)
    assert code == 0
    queries = [g["query"] for g in yaml.safe_load(config.read_text())["goals"]]
    assert len(set(queries)) == 10
    assert Counter(faults.queries) == dict.fromkeys(queries, 1)


def test_a_range_past_max_points_is_max_points_then_the_rest(
    tmp_path: Path, counted: tuple[str, Faults]
) -> None:
    url, faults = counted
    whole = _source(tmp_path, url).query_range("tst_ramp", DAY_START, DAY_END, 60)
    cut = _source(tmp_path, url, max_points_per_request=1000).query_range(
        "tst_ramp", DAY_START, DAY_END, 60
    )
    assert (whole.requests, cut.requests) == (1, 2)  # 1,440 points: 1,000 + 440
    assert faults.queries == ["tst_ramp"] * 3
    _same(whole, cut)


@pytest.mark.parametrize("via", ["direct", "proxy"])
def test_an_answer_past_the_cap_is_asked_again_in_shorter_ranges(
    tmp_path: Path, prometheus: PrometheusServer, counted: tuple[str, Faults], via: str
) -> None:
    """Prometheus streams the answer (no Content-Length); the proxy sends one: both are stopped
    past a quarter of the cap (where the answer would need the run's lane), and both began as
    a query result, so shorter ranges are asked instead, until each fits."""
    url = prometheus.url if via == "direct" else counted[0]
    whole = _source(tmp_path, url).query_range("tst_ramp", DAY_START, DAY_END, 60)
    size = len(_body(prometheus, DAY_START, DAY_END))
    capped = _source(tmp_path, url, max_response_bytes=size // 2)
    split = capped.query_range("tst_ramp", DAY_START, DAY_END, 60)
    # the day (past an eighth of itself), then ranges of a quarter of the day at most (sized as
    # if the day had taken the whole cap), those past a quarter of the cap cut again
    assert split.requests >= 1 + 4, split.requests
    _same(whole, split)


def test_a_range_past_prometheus_resolution_is_halved(
    tmp_path: Path, counted: tuple[str, Faults]
) -> None:
    """Prometheus refuses more than 11,000 points a series (a 400 bad_data): a config that
    allows more per request gets its range halved, and the same answer as one that does not."""
    url, faults = counted
    step = 5.0  # 17,280 points in the day
    last = DAY_START + 86_400 - step
    allowed = _source(tmp_path, url, max_points_per_request=20_000)
    halved = allowed.query_range("tst_ramp", DAY_START, last, step)
    assert halved.requests == 3  # refused, then two halves of 8,640
    default = _source(tmp_path, url).query_range("tst_ramp", DAY_START, last, step)
    assert default.requests == 2  # 11,000 + 6,280
    _same(halved, default)
    assert len(faults.queries) == 5


def _body(prometheus: PrometheusServer, first: float, last: float) -> bytes:
    params: dict[str, Any] = {"query": "tst_ramp", "start": first, "end": last, "step": 60}
    return requests.get(f"{prometheus.url}/api/v1/query_range", params=params, timeout=30).content
