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
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from cases import CASES, floor_parts, write_config  # bench/cases.py, next to this file

from pipeline.demo.__main__ import build_demo_tsdb
from pipeline.demo.promserver import PrometheusServer
from pipeline.model import QueryResult, Series
from pipeline.scoring import score_goal
from pipeline.settings import GoalSpec
from pipeline.targets import parse_target

ROOT = Path(__file__).resolve().parent.parent


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
    """The pipeline package of git revision `rev` with its report templates, in `folder`."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "pipeline", "report_templates"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    # where the installed package has them (the editable install maps them from this tree)
    (folder / "report_templates").rename(folder / "pipeline" / "report_templates")
    return folder


def _median(values: list[float]) -> float:
    return statistics.median(values)


def bench_cases(names: list[str], trees: dict[str, Path], repeat: int, floor: bool) -> None:
    """Each case as a whole process `repeat` times per code tree, interleaved; one table."""
    blocks = build_demo_tsdb(ROOT / ".demo" / "cache")
    rows: list[tuple[str, dict[str, tuple[float, float, str]]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tsdb = Path(tmp) / "data"
        shutil.copytree(blocks, tsdb)
        with PrometheusServer(tsdb) as prom:
            for case in (c for c in CASES if c.name.split(" (")[0] in names):
                folder = Path(tmp) / f"case-{len(rows)}"
                folder.mkdir()
                if case.config:
                    write_config(folder, prom.url, case.config)
                runs: dict[str, list[tuple[str, float, float]]] = {t: [] for t in trees}
                for _ in range(repeat):
                    for name, tree in trees.items():
                        runs[name].append(_peak(case.command(folder), tree))
                rows.append((case.name, {n: _summary(r) for n, r in runs.items()}))
                print(f"  {case.name}: " + _cells(rows[-1][1], trees), flush=True)
            parts = floor_parts(prom.url, Path(tmp) / "case-0") if floor else {}
    _table(rows, trees, parts)


def _summary(runs: list[tuple[str, float, float]]) -> tuple[float, float, str]:
    """Median wall, the largest peak RSS, and the first failure if any."""
    failed = next((o for o, _, _ in runs if o != "exit 0"), "")
    return _median([w for _, w, _ in runs]), max(p for _, _, p in runs), failed


def _cells(result: dict[str, tuple[float, float, str]], trees: dict[str, Path]) -> str:
    return " | ".join(
        f"{result[t][0]:.2f} s, {result[t][1]:.0f} MB{' ' + result[t][2] if result[t][2] else ''}"
        for t in trees
    )


def _table(
    rows: list[tuple[str, dict[str, tuple[float, float, str]]]],
    trees: dict[str, Path],
    floor: dict[str, float],
) -> None:
    names = list(trees)
    head = " | ".join(f"{n} median | {n} peak RSS" for n in names)
    print(f"\n| case | {head} |" + (" after/before |" if len(names) == 2 else ""))
    print("|---" * (1 + 2 * len(names) + (len(names) == 2)) + "|")
    for case, result in rows:
        cells = " | ".join(f"{result[n][0]:.2f} s | {result[n][1]:.0f} MB" for n in names)
        ratio = f" {result['after'][0] / result['before'][0]:.2f} |" if len(names) == 2 else ""
        print(f"| {case} | {cells} |{ratio}")
    if floor and rows:
        total = sum(floor.values())
        default = rows[0][1]["after"][0]
        shown = ", ".join(f"{k} {v:.2f} s" for k, v in floor.items())
        print(
            f"\nfloor of the default case: {total:.2f} s ({shown}); "
            f"default run / floor = {default / total:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5, help="runs of each case per tree [5]")
    parser.add_argument("--quick", action="store_true", help="only the default case")
    parser.add_argument(
        "--cases",
        default=",".join(c.name.split(" (")[0] for c in CASES),
        help="comma-separated case names [all]",
    )
    parser.add_argument("--only-many", action="store_true", help="only the many-series case")
    parser.add_argument("--before", help="also run every case on this git revision, interleaved")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": _tree_of(args.before, Path(tmp))} if args.before else {}
        trees["after"] = ROOT
        if args.only_many:
            bench_many_series(trees, 20_000, 168)
            return
        names = ["default"] if args.quick else args.cases.split(",")
        bench_cases(names, trees, args.repeat, floor="default" in names)
        if not args.quick:
            bench_scoring(5000, 10080)


if __name__ == "__main__":
    main()
