"""Benchmarks: rerun with `make bench`; prints wall time and peak memory.

1. The demo report run (`python -m pipeline --week N` against the demo Prometheus), per week.
2. Scoring alone for one goal with many series over a week at 1 m (no server).
3. One goal of 20,000 series x 168 samples over a week at 1 m (issue 9): scored and charted in
   one process (bench/many_series.py), and a whole `python -m pipeline` run against a server
   that answers with those series; peak RSS of each. `--before REV` runs both against the code
   of REV as well, in the same run, for a before/after pair.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from pipeline.demo.__main__ import build_demo_tsdb
from pipeline.demo.promserver import PrometheusServer
from pipeline.model import QueryResult, Series
from pipeline.scoring import score_goal
from pipeline.settings import GoalSpec
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


def _peak(command: list[str], tree: Path) -> tuple[str, float, float]:
    """Outcome, wall seconds and peak RSS (MB) of `command` run with `tree` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            command, env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        err.seek(0)
        message = err.read().decode(errors="replace").strip().splitlines()
    code = os.waitstatus_to_exitcode(status)
    outcome = f"exit {code}" + (f" ({message[-1][:120]})" if code and message else "")
    return outcome, elapsed, usage.ru_maxrss / 1024


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
                outcome, elapsed, peak = _peak([*case, "--series", str(series)], tree)
                print(f"  {name}: score + chart: {outcome}, {elapsed:.1f}s, peak RSS {peak:.0f} MB")
                specs = [tree / "pipeline" / "config.py", tree / "pipeline" / "config" / "spec.py"]
                knows_limit = any(
                    "max_series_per_goal" in p.read_text() for p in specs if p.exists()
                )
                extra = f", max_series_per_goal: {series}" if knows_limit else ""
                config = Path(tmp) / "c.yaml"
                config.write_text(MANY_CONFIG.replace("URL", url).replace("EXTRA", extra))
                out = Path(tmp) / f"out-{name}"
                run = [sys.executable, "-m", "pipeline", "--week", "1", "--config", str(config)]
                outcome, elapsed, peak = _peak([*run, "--output", str(out), "-q"], tree)
                print(f"  {name}: whole run:     {outcome}, {elapsed:.1f}s, peak RSS {peak:.0f} MB")
        finally:
            server.terminate()
            server.wait()


def _tree_of(rev: str, folder: Path) -> Path:
    """The pipeline package and report templates of git revision `rev`, unpacked in `folder`."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "pipeline", "report_templates"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weeks", default="1", help="comma-separated demo weeks [1]")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only-many", action="store_true", help="only the many-series case")
    parser.add_argument("--before", help="also run the many-series case on this git revision")
    args = parser.parse_args()
    if not args.only_many:
        bench_demo_run(args.weeks.split(","), args.repeat)
        bench_scoring(5000, 10080)
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": _tree_of(args.before, Path(tmp))} if args.before else {}
        bench_many_series({**trees, "after": ROOT}, 20_000, 168)


if __name__ == "__main__":
    main()
