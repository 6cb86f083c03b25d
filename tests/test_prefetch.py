"""The next chunk is asked for while this one is read: a query that ends early (its own error)
stops the request in flight, and that request, never read, does not make the source unusable.

The fault proxy in front of the real Prometheus answers the first chunk of `tst_ramp` with an
answer that ends the query (a sample that is not a number, or more series than allowed) and
stalls every chunk after it; `tst_const` goes through untouched.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.demo.promserver import PrometheusServer
from pipeline.query.source import PrometheusSource
from tests.support.configs import write_config
from tests.support.faultproxy import Answer, Faults, fault_proxy
from tests.support.handmade import DAY_START, HANDMADE, MINUTES
from tests.support.hostile import matrix, stall

pytestmark = pytest.mark.prometheus
DAY_END = DAY_START + (MINUTES - 1) * 60
SIZES = "timeout_s: 2, max_points_per_request: 100, min_points_per_request: 10"

FIRST: dict[str, Answer] = {
    "malformed": matrix([({}, [[DAY_START, "x"]])]),
    "too many series": matrix([({"i": str(i)}, [[DAY_START, "1"]]) for i in range(5)]),
}


@pytest.mark.parametrize("kind", sorted(FIRST))
def test_a_query_that_ends_early_leaves_the_source_usable(
    kind: str, tmp_path: Path, prometheus: PrometheusServer
) -> None:
    faults = Faults(match="tst_ramp", answer_first=[FIRST[kind], stall(), stall()])
    with fault_proxy(prometheus.url, faults) as url:
        text = HANDMADE.replace("retries: 1}", f"retries: 1, {SIZES}, max_series_per_goal: 3}}")
        loaded = load_config(write_config(tmp_path / "c.yaml", text, url), env={})
        source = PrometheusSource(loaded.source, {}, backoff_s=0.1)
        bad = source.query_range("tst_ramp", DAY_START, DAY_END, 60)
        assert bad.error is not None and bad.requests == 1
        # the next chunk was asked for; it is stopped, sent or not, and its failure not kept:
        # without that, its stall made the source unusable and this raised SourceUnavailable
        good = source.query_range("tst_const", DAY_START, DAY_END, 60)
        assert good.error is None and good.series
