"""A range the server refuses for loading too many samples is halved and retried, down to
prometheus.min_points_per_request; then that goal fails with the server's message and the key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import load_config
from pipeline.demo.promserver import PrometheusServer, backfill
from pipeline.query.source import PrometheusSource
from tests.support.configs import write_config
from tests.support.handmade import DAY_START, HANDMADE, MINUTES, handmade_openmetrics

pytestmark = pytest.mark.prometheus
DAY_END = DAY_START + (MINUTES - 1) * 60


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A Prometheus that refuses to load more than 1,000 samples for one query."""
    root = tmp_path_factory.mktemp("strict")
    (root / "data.om").write_text(handmade_openmetrics() + "# EOF\n")
    backfill(root / "data.om", root / "tsdb")
    with PrometheusServer(root / "tsdb", flags=("--query.max-samples=1000",)) as server:
        yield server


def _source(tmp_path: Path, url: str, floor: int | None = None) -> PrometheusSource:
    text = HANDMADE.replace(
        "retries: 1}", "retries: 0" + (f", min_points_per_request: {floor}}}" if floor else "}")
    )
    loaded = load_config(write_config(tmp_path / "c.yaml", text, url), env={})
    return PrometheusSource(loaded.source, {})


def test_a_refused_range_is_halved_and_gives_the_same_answer(
    tmp_path: Path, strict_server: PrometheusServer, prometheus: PrometheusServer
) -> None:
    split = _source(tmp_path, strict_server.url).query_range("tst_ramp", DAY_START, DAY_END, 60)
    whole = _source(tmp_path, prometheus.url).query_range("tst_ramp", DAY_START, DAY_END, 60)
    assert split.error is None and whole.error is None
    assert split.requests == 3  # the whole day refused, then its two halves of 720
    assert len(split.series) == len(whole.series) == 1
    np.testing.assert_array_equal(split.series[0].timestamps, whole.series[0].timestamps)
    np.testing.assert_array_equal(split.series[0].values, whole.series[0].values)


def test_at_the_floor_the_goal_fails_with_the_message_and_the_key(
    tmp_path: Path, strict_server: PrometheusServer
) -> None:
    # 4 series x 720 points is still more than 1,000 samples, and 720 is the floor
    query = " or ".join(f"label_replace(tst_ramp, 'k', '{k}', '', '')" for k in range(4))
    result = _source(tmp_path, strict_server.url, floor=720).query_range(
        query, DAY_START, DAY_END, 60
    )
    assert result.rejected
    assert result.error == (
        "execution: query processing would load too many samples into memory in query "
        "execution (split down to 720 points a request; lower "
        "prometheus.min_points_per_request, or raise the server's --query.max-samples)"
    )
