"""Benchmarks: rerun with `make bench`; prints one table of wall time and peak memory.

Every case of bench/cases.py runs as a whole `python -m pipeline` process `--repeat` times (5)
per code tree (`--before REV` adds REV's code, interleaved run by run), against a real
Prometheus started with default query limits: the demo's TSDB, or a data set of bench/data.py
(generated and backfilled once, then cached under .demo/cache/bench-<name>-<key>/). The table
has the median wall time, the largest peak RSS (of one process), the largest peak of the RSS
summed over the run's processes (the run, the pool's fork server and workers) and the first
failure per case, and for the `week` cases the sequential floor (measured once a round, between
the trees' runs: medians of its parts) and each tree's ratio to it. Long cases run fewer times
(`--long`, `--long-repeat`; the table's `runs` column says how many), and a run over
`--max-rss-mb` is killed (shared machine). Then, unless `--quick` or `--cases`, the older
measures of bench/extra.py and the forecast's (`--only-forecast`: that alone, no server).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from pathlib import Path

from cases import (  # bench/, next to this file
    CASES,
    CPU,
    Case,
    floor_pages,
    floor_parts,
    write_config,
    write_teams,
)
from data import blocks_of
from extra import bench_forecast, bench_many_series, bench_scoring
from runs import ROOT, Measure, compile_tree, peak, tree_of

from pipeline.demo.__main__ import build_demo_tsdb
from pipeline.demo.promserver import PrometheusServer

# median wall s, peak RSS MB, peak summed RSS MB, median CPU s, failure
Summary = tuple[float, float, float, float, str]
Row = tuple[str, int, dict[str, Summary], dict[str, float]]  # ..., the floor's parts if any
Floor = Callable[[], dict[str, float]]  # one measure of the floor's parts


class Servers:
    """One Prometheus per data set, started when a case first needs it, in a folder of its own
    that links the cached blocks (Prometheus writes into its storage folder). Default flags but the
    listen address, the storage path and a retention of 100y (the data is dated in the past)."""

    def __init__(self, stack: ExitStack, tmp: Path) -> None:
        self.stack, self.tmp = stack, tmp
        self.urls: dict[str, str] = {}

    def url(self, data: str) -> str:
        if data not in self.urls:
            cache = ROOT / ".demo" / "cache"
            blocks = build_demo_tsdb(cache) if data == "demo" else blocks_of(data, cache)
            tsdb = self.tmp / f"tsdb-{data}" / "data"
            shutil.copytree(blocks, tsdb, copy_function=_link)
            server = self.stack.enter_context(PrometheusServer(tsdb))
            self.urls[data] = server.url
        return self.urls[data]


def _link(source: str, target: str) -> None:
    """Hard-link a block file rather than copy 350 MB: Prometheus never writes a block file in
    place (it adds its WAL and head chunks beside them, and replaces files by renaming)."""
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copy2(source, target)


def bench_cases(names: list[str], trees: dict[str, Path], args: argparse.Namespace) -> None:
    """Each case as a whole process per code tree, interleaved; one table."""
    rows: list[Row] = []
    pages: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        servers = Servers(stack, Path(tmp))
        if any(c.data == "demo" for c in CASES if c.key in names):
            servers.url("demo")  # the demo data first: a new demo VERSION clears .demo/cache
        for case in (c for c in CASES if c.key in names):
            folder = Path(tmp) / f"case-{len(rows)}"
            for tree in trees:  # a folder per tree: its own output, history and chart cache
                (folder / tree).mkdir(parents=True)
                if case.config:
                    write_config(folder / tree, servers.url(case.data), case.config, trees[tree])
                if case.teams:
                    write_teams(folder / tree, case.teams)
            floor = None
            if case.floor:
                pages = pages or floor_pages(folder / "after")
                floor = partial(floor_parts, servers.url("demo"), pages)
            runs, parts = _runs(case, folder, trees, args, floor)
            summaries = {n: _summary(r) for n, r in runs.items()}
            rows.append((case.name, len(runs["after"]), summaries, parts))
            print(f"  {case.name}: {rows[-1][1]} runs: " + _cells(summaries), flush=True)
    _table(rows, list(trees))


def _runs(
    case: Case,
    folder: Path,
    trees: dict[str, Path],
    args: argparse.Namespace,
    floor: Floor | None = None,
) -> tuple[dict[str, list[Measure]], dict[str, float]]:
    """`args.repeat` rounds, each running the case once per tree (and measuring `floor`, if
    given, between them); `args.long_repeat` rounds if the first took longer than `args.long` s
    in some tree, one if the first was killed. The runs, and the median of each floor part."""
    runs: dict[str, list[Measure]] = {t: [] for t in trees}
    floors: list[dict[str, float]] = []
    rounds = args.repeat
    for done in range(args.repeat):
        if done >= rounds:
            break
        for i, (name, tree) in enumerate(trees.items()):
            if floor and i == len(trees) - 1:
                floors.append(floor())
            if case.fresh:
                shutil.rmtree(folder / name / "out", ignore_errors=True)
            measure = peak(case.command(folder / name), tree, args.max_rss_mb)
            outcome = _goal_errors(measure.outcome, folder / name)
            runs[name].append(measure._replace(outcome=outcome))
        if done == 0:
            first = [r[0] for r in runs.values()]
            if any(m.outcome.startswith("killed") for m in first):
                rounds = 1
            elif any(m.wall > args.long for m in first):
                rounds = min(rounds, args.long_repeat)
    parts = {k: _median([f[k] for f in floors]) for k in floors[0]} if floors else {}
    return runs, parts


def _goal_errors(outcome: str, folder: Path) -> str:
    """`outcome`, and if the run exited 0, the goals its summary.json marks as errors (a goal
    the server refused is a failure of the case even though the report was written)."""
    summary = folder / "out" / "week-01" / "summary.json"
    if outcome != "exit 0" or not summary.exists():
        return outcome
    goals = json.loads(summary.read_text()).get("goals", [])
    errors = [g for g in goals if g.get("status") == "error"]
    if not errors:
        return outcome
    return f"exit 0, {len(errors)} goal error(s): {str(errors[0].get('message'))[:120]}"


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _summary(runs: list[Measure]) -> Summary:
    """Median wall, the largest peak RSS, the largest summed RSS, the median CPU time, and the
    first failure if any."""
    failed = next((m.outcome for m in runs if m.outcome != "exit 0"), "")
    largest = max(m.rss for m in runs), max(m.summed for m in runs)
    return _median([m.wall for m in runs]), *largest, _median([m.cpu for m in runs]), failed


def _cells(result: dict[str, Summary]) -> str:
    return " | ".join(
        f"{w:.2f} s, {p:.0f} MB, {s:.0f} MB summed, {c:.1f} CPU s{' ' + failed if failed else ''}"
        for w, p, s, c, failed in result.values()
    )


def _outcome(failed: str) -> str:
    return (failed or "ok").replace("|", "/")


def _table(rows: list[Row], names: list[str]) -> None:
    pair = len(names) == 2
    head = " | ".join(
        f"{n} median | {n} peak RSS | {n} summed RSS | {n} CPU | {n} outcome" for n in names
    )
    print(f"\n| case | runs | {head} |" + (" after/before |" if pair else ""))
    print("|---" * (2 + 5 * len(names) + pair) + "|")
    for case, count, result, _ in rows:
        cells = " | ".join(
            f"{w:.2f} s | {p:.0f} MB | {s:.0f} MB | {c:.1f} s | {_outcome(failed)}"
            for w, p, s, c, failed in (result[n] for n in names)
        )
        ratio = f" {result['after'][0] / result['before'][0]:.2f} |" if pair else ""
        print(f"| {case} | {count} | {cells} |{ratio}")
    for case, _, result, floor in rows:
        if not floor:
            continue
        parts = {k: v for k, v in floor.items() if k != CPU}
        total = sum(parts.values())
        shown = ", ".join(f"{k} {v:.2f} s" for k, v in parts.items())
        ratios = ", ".join(f"{n} / floor = {result[n][0] / total:.2f}" for n in names)
        print(f"\n{case}: floor {total:.2f} s ({shown}, medians); {ratios}")
        cpu = ", ".join(f"{n} {result[n][3]:.1f} s" for n in names)
        print(f"  CPU: the floor's imports and layout {floor[CPU]:.1f} s; the runs' {cpu}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5, help="runs of each case per tree [5]")
    parser.add_argument("--long", type=float, default=40.0, help="a first run over this many s ...")
    parser.add_argument("--long-repeat", type=int, default=3, help="... means this many runs [3]")
    parser.add_argument("--max-rss-mb", type=float, default=8192, help="kill a run above [8192]")
    parser.add_argument("--quick", action="store_true", help="only the default case")
    parser.add_argument(
        "--cases", help="comma-separated case names, e.g. 'week,series 1000,range 90' [all]"
    )
    parser.add_argument("--only-many", action="store_true", help="only the many-series case")
    parser.add_argument(
        "--only-forecast", action="store_true", help="only the forecast of 1,000 series"
    )
    parser.add_argument("--before", help="also run every case on this git revision, interleaved")
    args = parser.parse_args()
    every = ",".join(c.key for c in CASES)
    names = ["default"] if args.quick else [n.strip() for n in (args.cases or every).split(",")]
    unknown = set(names) - {c.key for c in CASES}
    if unknown:
        sys.exit(
            f"unknown cases: {', '.join(sorted(unknown))}; known: {', '.join(c.key for c in CASES)}"
        )
    if args.only_forecast:
        bench_forecast(1000, 10080)
        return
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": tree_of(args.before, Path(tmp))} if args.before else {}
        trees["after"] = ROOT
        for tree in trees.values():
            compile_tree(tree)
        if args.only_many:
            bench_many_series(trees, 20_000, 168)
            return
        bench_cases(names, trees, args)
        if not (args.quick or args.cases):
            bench_scoring(5000, 10080)
            bench_forecast(1000, 10080)


if __name__ == "__main__":
    main()
