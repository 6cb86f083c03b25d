"""Fault injection against the real parts: what a user sees when something is wrong."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer
from tests.support.command import cli_args, pipeline_command
from tests.support.configs import shipped_config, write_config
from tests.support.faultproxy import Faults, fault_proxy
from tests.support.handmade import HANDMADE

pytestmark = pytest.mark.prometheus
NOW = datetime(2026, 11, 26, tzinfo=UTC)


def _handmade(tmp_path: Path, url: str, **settings: object) -> Path:
    text = HANDMADE.replace(
        "retries: 1}", ", ".join(f"{k}: {v}" for k, v in {"retries": 1, **settings}.items()) + "}"
    )
    return write_config(tmp_path / "c.yaml", text, url)


def _run(config: Path, out: Path, *extra: str) -> int:
    """Week 1 as the CLI runs it; Markdown only unless `extra` says otherwise."""
    return main(cli_args(1, config, out, "--format", "md", "-q", *extra))


def _summary(out: Path) -> dict[str, dict[str, object]]:
    document = json.loads((out / "week-01" / "summary.json").read_text())
    return {g["id"]: g for g in document["goals"]}


def test_503_twice_then_200_succeeds(tmp_path: Path, prometheus: PrometheusServer) -> None:
    faults = Faults(match="tst_const", status_first=[503, 503])
    with fault_proxy(prometheus.url, faults) as url:
        config = _handmade(tmp_path, url, retries=3)
        assert _run(config, tmp_path / "out", "--format", "md") == 0
    # two 503s, then the whole day in one request
    assert faults.queries.count("tst_const") == 3
    assert _summary(tmp_path / "out")["const_min"]["status"] == "at_risk"


def test_persistent_503_exits_3(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    faults = Faults(status_first=[503] * 50)
    with fault_proxy(prometheus.url, faults) as url:
        assert _run(_handmade(tmp_path, url, retries=1), tmp_path / "out") == 3
    assert capsys.readouterr().err == (
        f"error: Prometheus at {url}: 503 Service Unavailable (2 tries)\n"
    )
    assert not (tmp_path / "out" / "week-01").exists()


def test_a_slow_server_times_out_and_the_run_ends(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = tmp_path / "out" / "week-01"
    previous.mkdir(parents=True)
    (previous / "one.md").write_text("yesterday")
    faults = Faults(delay_s=3)
    started = time.monotonic()
    with fault_proxy(prometheus.url, faults) as url:
        assert _run(_handmade(tmp_path, url, timeout_s=0.5, retries=1), tmp_path / "out") == 3
    assert time.monotonic() - started < 20
    assert capsys.readouterr().err == (
        f"error: Prometheus at {url}: no complete answer within 0.5s (2 tries)\n"
    )
    assert (previous / "one.md").read_text() == "yesterday"


def test_a_garbled_answer_makes_that_goal_an_error(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    with fault_proxy(prometheus.url, Faults(match="tst_const", body="wrong_shape")) as url:
        assert _run(_handmade(tmp_path, url), tmp_path / "out", "--format", "md") == 0
    goals = _summary(tmp_path / "out")
    assert goals["const_min"]["status"] == "error"
    assert goals["const_min"]["message"] == "data.result is not a list of series: {'oops': 1}"
    assert goals["ramp_mean"]["status"] == "met"  # the others are scored
    md = (tmp_path / "out" / "week-01" / "one.md").read_text()
    assert "**Const**: query failed: " in md


@pytest.mark.parametrize("body", ["not_json", "truncated"])
def test_an_answer_that_is_not_json_means_the_source_is_unusable(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str], body: str
) -> None:
    with fault_proxy(prometheus.url, Faults(match="tst_const", body=body)) as url:
        assert _run(_handmade(tmp_path, url), tmp_path / "out", "--format", "md") == 3
    assert capsys.readouterr().err.startswith(
        f"error: Prometheus at {url}: 200 OK, but not a Prometheus API answer (application/json: "
    )
    assert not (tmp_path / "out" / "week-01").exists()


def test_garbage_for_every_query_exits_3(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with fault_proxy(prometheus.url, Faults(body="wrong_shape")) as url:
        config = write_config(tmp_path / "c.yaml", SPECIAL, url)
        assert _run(config, tmp_path / "out") == 3
    assert capsys.readouterr().err == (
        f"error: Prometheus at {url} answered, but no query got a usable response: "
        "data.result is not a list of series: {'oops': 1}\n"
    )


def test_a_rejected_query_keeps_the_servers_message(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    reason = "query processing would load too many samples into memory in query execution"
    faults = Faults(match="tst_gap", reject=reason)
    with fault_proxy(prometheus.url, faults) as url:
        assert _run(_handmade(tmp_path, url), tmp_path / "out", "--format", "md") == 0
    goals = _summary(tmp_path / "out")
    assert goals["gap"]["status"] == "error"
    assert goals["gap"]["message"] == (
        f"execution: {reason} (split down to 60 points a request; lower "
        "prometheus.min_points_per_request, or raise the server's --query.max-samples)"
    )
    # the whole day (1,440 points), then a half of 720, 360, 180 and 90 (45 would be under the
    # floor of 60)
    assert sum(q == "tst_gap" for q in faults.queries) == 5
    assert goals["broken"]["message"].startswith("bad_data: ")  # a real PromQL syntax error
    assert goals["ramp_mean"]["status"] == "met"


def test_warnings_flag_a_partial_response(tmp_path: Path, prometheus: PrometheusServer) -> None:
    warning = "No StoreAPIs matched for this query (partial response)"
    with fault_proxy(prometheus.url, Faults(match="tst_const", warnings=[warning])) as url:
        assert _run(_handmade(tmp_path, url), tmp_path / "out", "--format", "md") == 0
    goals = _summary(tmp_path / "out")
    assert goals["const_min"]["partial"] is True and goals["const_min"]["warnings"] == [warning]
    assert goals["ramp_mean"]["partial"] is False
    md = (tmp_path / "out" / "week-01" / "one.md").read_text()
    assert f"**Const**: partial response, the server warned: {warning}" in md


SPECIAL = """
prometheus: {url: "http://127.0.0.1:9090", retries: 0}
sprint: {name: Special, start: 2026-11-02, week_days: 1, step: 1m}
scoring: {categories: {technical: {weight: 1}}}
goals:
  - {id: inf_max, name: Inf max, category: technical, query: tst_inf, aggregate: max,
     target: "< 10"}
  - {id: inf_min, name: Inf min, category: technical, query: tst_inf, aggregate: min,
     target: "> -10"}
  - {id: inf_mean, name: Inf mean, category: technical, query: tst_inf, aggregate: mean,
     target: ">= 0"}
  - {id: reset_min, name: Reset min, category: technical,
     query: "rate(tst_counter[5m])", aggregate: min, target: "> 0"}
  - {id: reset_max, name: Reset max, category: technical,
     query: "rate(tst_counter[5m])", aggregate: max, target: "<= 1.000001"}
agents: [{id: one, name: One, goals: [inf_max, inf_min, inf_mean, reset_min, reset_max]}]
report: {formats: [md]}
"""


def test_infinities_and_a_counter_reset(tmp_path: Path, prometheus: PrometheusServer) -> None:
    config = write_config(tmp_path / "c.yaml", SPECIAL, prometheus.url)
    assert _run(config, tmp_path / "out", "--format", "md,pdf") == 0
    goals = _summary(tmp_path / "out")
    assert (goals["inf_max"]["value"], goals["inf_max"]["status"]) == ("+Inf", "missed")
    assert (goals["inf_min"]["value"], goals["inf_min"]["status"]) == ("-Inf", "missed")
    # +Inf and -Inf in one mean is NaN, which meets no target
    assert (goals["inf_mean"]["value"], goals["inf_mean"]["status"]) == ("NaN", "missed")
    # rate() sees through the reset: 60 a minute is 1 a second, no negative dip and no spike
    # (the minute of the restart and the first minutes of the day are under 1, never below 0)
    assert goals["reset_max"]["value"] == pytest.approx(1.0)
    assert goals["reset_min"]["status"] == "met" and 0 < goals["reset_min"]["value"] < 1
    md = (tmp_path / "out" / "week-01" / "one.md").read_text()
    assert "| ★ Inf max | &lt; 10 | +Inf | ✖ Missed |" in md


def _special(tmp_path: Path, url: str, query: str, aggregate: str, sprint: str) -> Path:
    """SPECIAL with its first goal (inf_max) on another query, and one sprint setting changed."""
    key = sprint.split(":")[0]
    text = re.sub(rf"{key}: [^,}}]+", sprint, SPECIAL, count=1)
    text = text.replace("query: tst_inf, aggregate: max", f"query: {query}, aggregate: {aggregate}")
    return write_config(tmp_path / "c.yaml", text, url)


def test_a_two_day_gap_counts_against_coverage(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    config = _special(tmp_path, prometheus.url, "tst_week_gap", "last", "week_days: 7")
    assert _run(config, tmp_path / "out", "--format", "md") == 0
    gap = _summary(tmp_path / "out")["inf_max"]
    # 7,200 of 10,080 minutes have samples, plus 5 look-back steps after the gap starts
    assert gap["coverage"] == pytest.approx((7200 + 5) / 10080)
    md = (tmp_path / "out" / "week-01" / "one.md").read_text()
    assert "- **Inf max**: gaps (2,875 of 10,080 samples missing).\n" in md


def test_five_thousand_series(tmp_path: Path, prometheus: PrometheusServer) -> None:
    config = _special(tmp_path, prometheus.url, "tst_many", "max", "step: 1h")
    assert _run(config, tmp_path / "out", "--format", "md,pdf") == 0
    goal = _summary(tmp_path / "out")["inf_max"]
    assert len(goal["series"]) == 5000 and goal["value"] == 199 and goal["status"] == "missed"
    md = (tmp_path / "out" / "week-01" / "one.md").read_text()
    assert md.count('| n="') == 10
    assert "4,990 more series not listed: 250 met, 4,740 missed." in md
    assert (tmp_path / "out" / "week-01" / "one.pdf").stat().st_size < 2_000_000


@contextmanager
def _tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small tmpfs at `path` (needs root, which CI has); skipped elsewhere."""
    path.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but tmpfs cannot be mounted: {done.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False)


def test_disk_full_keeps_the_previous_week_and_no_litter(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    with _tmpfs(tmp_path / "small", "300k") as out:
        previous = out / "week-01"
        previous.mkdir()
        (previous / "go-code.md").write_text("last night's report")
        assert _run(config, out) == 1
        err = capsys.readouterr().err
        assert re.fullmatch(
            rf"error: cannot write {re.escape(str(out))}/(week-01|\.week-01\.tmp-\w+/\S+): "
            r"No space left on device; the previous week-01 is unchanged\n",
            err,
        ), err
        assert (previous / "go-code.md").read_text() == "last night's report"
        assert sorted(p.name for p in out.iterdir()) == [".week-01.lock", "week-01"]


def test_a_read_only_output_folder_is_a_clear_error(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    with _tmpfs(tmp_path / "ro", "1m") as out:
        (out / "week-01").mkdir()
        subprocess.run(["mount", "-o", "remount,ro", str(out)], check=True)
        assert _run(config, out) == 1
        assert capsys.readouterr().err == (f"error: cannot write to {out}: Read-only file system\n")
        assert sorted(p.name for p in out.iterdir()) == ["week-01"]


def test_killed_mid_write_leaves_the_previous_week_and_the_next_run_succeeds(
    tmp_path: Path, prometheus: PrometheusServer
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    out = tmp_path / "out"
    previous = out / "week-01"
    previous.mkdir(parents=True)
    (previous / "go-code.md").write_text("last night's report")
    cmd = pipeline_command(1, config, out, "-q", "--format", "md,pdf,html")
    process = subprocess.Popen(cmd)
    deadline = time.monotonic() + 60
    while not list(out.glob(".week-01.tmp-*/charts/goals/*.png")):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert (previous / "go-code.md").read_text() == "last night's report"
    assert list(out.glob(".week-01.tmp-*"))  # the killed run's litter...
    assert subprocess.run(cmd, check=False).returncode == 0
    assert not list(out.glob(".week-01.*-*"))  # ...is cleared by the next run
    assert "last night's report" not in (previous / "go-code.md").read_text()
    assert len(list(previous.glob("*.pdf"))) == 4
