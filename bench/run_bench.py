"""Benchmarks: rerun with `make bench`; prints wall time and peak memory.

1. The demo report run (`python -m pipeline --week N` against the demo Prometheus), per week.
2. Scoring alone for one goal with many series over a week at 1 m (no server).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from pipeline.config import GoalSpec
from pipeline.demo.__main__ import build_demo_tsdb
from pipeline.demo.promserver import PrometheusServer
from pipeline.model import QueryResult, Series
from pipeline.scoring import score_goal
from pipeline.targets import parse_target

ROOT = Path(__file__).resolve().parent.parent


def bench_demo_run(weeks: list[str], repeat: int) -> None:
    """Time the CLI against the demo Prometheus, Markdown only and with PDFs; peak RSS."""
    blocks = build_demo_tsdb(ROOT / ".demo" / "cache")
    with tempfile.TemporaryDirectory() as tmp:
        tsdb = Path(tmp) / "data"
        shutil.copytree(blocks, tsdb)
        with PrometheusServer(tsdb) as prom:
            config = Path(tmp) / "config.yaml"
            text = (ROOT / "config.yaml").read_text()
            config.write_text(text.replace("http://127.0.0.1:9090", prom.url))
            for week in weeks:
                for formats in ("md", "md,pdf"):
                    out = Path(tmp) / f"out-{formats}"
                    times = []
                    for _ in range(repeat):
                        start = time.perf_counter()
                        subprocess.run(
                            [
                                sys.executable,
                                "-m",
                                "pipeline",
                                "--week",
                                week,
                                "--config",
                                str(config),
                                "--output",
                                str(out),
                                "-q",
                                "--format",
                                formats,
                            ],
                            check=True,
                            stdout=subprocess.DEVNULL,
                        )
                        times.append(time.perf_counter() - start)
                    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                    print(
                        f"demo week {week} --format {formats}: wall {min(times):.2f}s best / "
                        f"{sum(times) / len(times):.2f}s mean of {repeat}; "
                        f"peak RSS of a run so far {peak_mb:.0f} MB"
                    )
                folder = Path(tmp) / "out-md,pdf" / f"week-{int(week):02d}"
                sizes = ", ".join(
                    f"{p.stem} {p.stat().st_size / 1024:.0f} KiB"
                    for p in sorted(folder.glob("*.pdf"))
                )
                print(f"demo week {week} PDFs: {sizes}")


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weeks", default="1", help="comma-separated demo weeks [1]")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bench_demo_run(args.weeks.split(","), args.repeat)
    bench_scoring(5000, 10080)


if __name__ == "__main__":
    main()
