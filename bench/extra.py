"""The older benchmarks, kept: scoring alone for one goal of many series (no server), and one
goal of 20,000 series x 168 samples (issue 9) served by a fake server (`--only-many`); and the
forecast alone for one goal of many series mid-week (`--only-forecast`, no server)."""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from runs import ROOT, peak  # bench/runs.py, next to this file

from pipeline.core.model import QueryResult, Series
from pipeline.core.settings import GoalSpec
from pipeline.core.targets import parse_target
from pipeline.scoring.forecast import forecast_samples
from pipeline.scoring.score import score_goal


def bench_scoring(series_count: int, samples: int) -> None:
    """Time score_goal over many series."""
    rng = np.random.default_rng(1)
    ts = np.arange(samples, dtype=float) * 60
    result = QueryResult(
        "q",
        tuple(
            Series((("customer", f"c{i}"),), ts, rng.normal(100, 10, samples))
            for i in range(series_count)
        ),
    )
    spec = GoalSpec(
        "g",
        "G",
        "technical",
        "q",
        "",
        "p95",
        parse_target("< 120"),
        parse_target("< 130"),
        None,
        1.0,
        False,
    )
    start = time.perf_counter()
    goal = score_goal(spec, result, samples, "fail")
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"scoring {series_count} series x {samples} samples (p95): {elapsed:.2f}s, "
        f"status {goal.status}; peak RSS of this process {peak_mb:.0f} MB"
    )


def bench_forecast(series_count: int, week: int, repeat: int = 5) -> None:
    """Median time of the forecast of one goal of `series_count` random walks, each `week`
    samples at 1 m cut mid-week (the daily profile looked for), per aggregate; and the import
    of the forecast's modules."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import pipeline.scoring.forecast"], check=True)
    imports = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import pipeline.scoring.score"], check=True)
    base = time.perf_counter() - started
    print(f"forecast: import {imports:.2f}s (scoring alone {base:.2f}s, a fresh process each)")
    rng = np.random.default_rng(1)
    seen = week // 2
    values = 100 + np.cumsum(rng.normal(0, 0.1, (series_count, seen)), axis=1)
    labels = [(("customer", f"c{i:05d}"),) for i in range(series_count)]
    at = datetime(2026, 11, 9, tzinfo=UTC)
    for aggregate in ("last", "mean", "p95"):
        spec = GoalSpec(
            "g", "G", "technical", "q", "ms", aggregate, parse_target("< 120"),
            parse_target("< 130"), None, 1.0, False,
        )  # fmt: skip
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = forecast_samples(spec, labels, values, week - seen, at, period=1440)
            times.append(time.perf_counter() - start)
        assert result is not None
        print(
            f"forecast {series_count} series x {seen} samples seen, {week - seen} to go "
            f"({aggregate}): median {statistics.median(times):.2f}s of {repeat}; "
            f"p_met {result.p_met:.2f}, {result.method}"
        )


MANY_CONFIG = """
prometheus: {url: "URL", timeout_s: 120, retries: 0EXTRA}
sprint: {name: Bench, start: 2026-11-02, week_days: 7, step: 1m}
scoring: {categories: {technical: {weight: 1}}}
goals:
  - {id: many, name: Many, category: technical, query: many_series, unit: ms, aggregate: p95,
     target: "< 120", warning: "< 130"}
agents: [{id: one, name: One, goals: [many]}]
report: {formats: [md]}
"""


def _write_many_body(path: Path, series: int, samples: int) -> int:
    """A range answer in `path`, written a series at a time (this process stays small, so the
    children forked from it start small): `series` series, one sample an hour over the week of
    2026-11-02. Returns its size in bytes."""
    rng = np.random.default_rng(1)
    start = 1793577600  # 2026-11-02T00:00:00Z
    with open(path, "w") as out:
        out.write('{"status":"success","data":{"resultType":"matrix","result":[')
        for i in range(series):
            values = [
                [start + 3600 * h, f"{v:.3f}"] for h, v in enumerate(rng.normal(100, 10, samples))
            ]
            item = {"metric": {"customer": f"c{i:05d}"}, "values": values}
            out.write(("," if i else "") + json.dumps(item))
        out.write("]}}")
    return path.stat().st_size


def bench_many_series(trees: dict[str, Path], series: int, samples: int) -> None:
    """Peak RSS of scoring and charting one goal of many series, per code tree."""
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "answer.json"
        size = _write_many_body(body, series, samples)
        print(
            f"many series: {series:,} x {samples} samples at step 1m, answer {size / 2**20:.0f} MiB"
        )
        case = [sys.executable, str(ROOT / "bench" / "many_series.py")]
        server = subprocess.Popen([*case, "--serve", str(body)], stdout=subprocess.PIPE, text=True)
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        try:
            for name, tree in trees.items():
                outcome, elapsed, rss, *_ = peak([*case, "--series", str(series)], tree)
                print(f"  {name}: score + chart: {outcome}, {elapsed:.1f}s, peak RSS {rss:.0f} MB")
                specs = [tree / "pipeline" / "config.py", tree / "pipeline" / "config" / "spec.py"]
                knows_limit = any(
                    "max_series_per_goal" in p.read_text() for p in specs if p.exists()
                )
                extra = f", max_series_per_goal: {series}" if knows_limit else ""
                config = Path(tmp) / "c.yaml"
                config.write_text(MANY_CONFIG.replace("URL", url).replace("EXTRA", extra))
                out = Path(tmp) / f"out-{name}"
                run = [sys.executable, "-m", "pipeline", "--week", "1", "--config", str(config)]
                outcome, elapsed, rss, *_ = peak([*run, "--output", str(out), "-q"], tree)
                print(f"  {name}: whole run:     {outcome}, {elapsed:.1f}s, peak RSS {rss:.0f} MB")
        finally:
            server.terminate()
            server.wait()
