"""The week's results as metrics: pushed to a real Pushgateway, scraped by a real Prometheus,
read back through its API and compared with summary.json; the textfile; failures (exit 4)."""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from pipeline.cli import main
from pipeline.core.model import Outlook, WeekResult
from pipeline.core.settings import PushSettings
from pipeline.core.targets import parse_target
from pipeline.demo.promserver import PrometheusServer, free_port
from pipeline.outputs.metrics import (
    PREFIX,
    PushRejected,
    push,
    target_bounds,
    week_registry,
    write_textfile,
)
from tests.support.chartweek import scored_week
from tests.support.command import cli_args
from tests.support.configs import shipped_config
from tests.support.forecast import charts_outlook, mid_week
from tests.support.pushgateway import (  # noqa: F401 (fixtures)
    Gateways,
    RecordingGateway,
    gateways_fixture,
    recording_gateway_fixture,
)

SPRINT_LINE = "name: UnMoGrowP Attribution Platform"
Key = tuple[str, tuple[tuple[str, str], ...]]


def _config(folder: Path, url: str, sprint: str, metrics: str) -> Path:
    path = shipped_config(folder, url, {SPRINT_LINE: f"name: {sprint}"})
    path.write_text(path.read_text() + "\nmetrics:\n" + metrics)
    return path


def _run(config: Path, out: Path, week: int, *extra: str) -> int:
    return main(cli_args(week, config, out, "--format", "md", "-q", *extra))


def _key(name: str, labels: dict[str, str]) -> Key:
    dropped = ("__name__", "job", "instance")
    return name, tuple(sorted((k, v) for k, v in labels.items() if k not in dropped))


def _scraped(gateways: Gateways, sprint: str, want: int) -> dict[Key, float]:
    """The sprint's series as Prometheus returns them, once all `want` have been scraped."""
    query = f'{{__name__=~"sprint_convergence_.+",sprint="{sprint}"}}'
    deadline = time.monotonic() + 30
    while True:
        result = gateways.query(query)
        if len(result) >= want or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return {_key(r["metric"]["__name__"], r["metric"]): float(r["value"][1]) for r in result}


def _textfile(path: Path) -> dict[Key, float]:
    return {
        _key(s.name, s.labels): s.value
        for family in text_string_to_metric_families(path.read_text())
        for s in family.samples
    }


def _number(value: Any) -> float:
    return float(value.replace("Inf", "inf")) if isinstance(value, str) else float(value)


def _expected(summary: dict[str, Any]) -> dict[Key, float]:
    """What summary.json says, as the metrics that must carry it (time-bound ones left out)."""
    base = {"sprint": summary["sprint"], "week": str(summary["week"])}
    want: dict[Key, float] = {}

    def put(name: str, value: Any, **labels: str) -> None:
        if value is not None:
            want[_key("sprint_convergence_" + name, {**base, **labels})] = _number(value)

    put("score", summary["overall"]["score"], scope="overall")
    for name, category in summary["categories"].items():
        put("score", category["score"], scope=name)
    for verdict in ("ACHIEVED", "AT_RISK", "MISSED", "NO_DATA"):
        put("verdict", summary["overall"]["verdict"] == verdict, scope="overall", verdict=verdict)
        for agent in summary["agents"]:
            put("agent_verdict", agent["verdict"] == verdict, agent=agent["id"], verdict=verdict)
    for agent in summary["agents"]:
        put("agent_score", agent["score"], agent=agent["id"])
    for goal in summary["goals"]:
        labels = {"goal": goal["id"], "category": goal["category"]}
        put("goal_score", goal["score"], **labels)
        put("goal_value", goal["value"], **labels)
        put("goal_coverage", goal["coverage"], **labels)
        for status in ("met", "at_risk", "missed", "no_data", "error"):
            put("goal_status", goal["status"] == status, **labels, status=status)
        if goal["baseline"] and goal["baseline"]["bound"] is None:
            continue  # a relative target without a baseline yet has no bound to push
        warning = parse_target(goal["warning"]) if goal["warning"] else None
        for bound, at in target_bounds(parse_target(goal["target"]), warning):
            put("goal_target", at, goal=goal["id"], bound=bound)
    return want


def _same(got: dict[Key, float], want: dict[Key, float]) -> None:
    assert set(want) <= set(got)
    for key, value in want.items():
        assert got[key] == value or (math.isnan(got[key]) and math.isnan(value)), key


@pytest.mark.prometheus
@pytest.mark.pushgateway
def test_pushed_series_read_back_from_prometheus_match_summary_json(
    tmp_path: Path, prometheus: PrometheusServer, gateways: Gateways
) -> None:
    sprint = "Pushed Sprint"
    config = _config(
        tmp_path, prometheus.url, sprint, f"  pushgateway_url: {gateways.pushgateway.url}\n"
    )
    before = time.time()
    textfile = tmp_path / "metrics" / "sprint.prom"
    textfile.parent.mkdir()
    assert _run(config, tmp_path / "out", 3, "--metrics-file", str(textfile)) == 0
    after = time.time()
    summary = json.loads((tmp_path / "out" / "week-03" / "summary.json").read_text())
    written = _textfile(textfile)
    scraped = _scraped(gateways, sprint, want=len(written))
    want = _expected(summary)
    _same(scraped, want)
    _same(written, want)
    assert scraped == written  # the push and the file carry the same registry
    base = (("sprint", sprint), ("week", "3"))
    last = scraped[("sprint_convergence_last_success_timestamp_seconds", base)]
    assert before <= last <= after
    assert 0 < scraped[("sprint_convergence_run_duration_seconds", base)] < after - before
    jobs = {
        r["metric"]["job"] for r in gateways.query(f'sprint_convergence_score{{sprint="{sprint}"}}')
    }
    assert jobs == {"sprint_convergence"}
    # summary.json of the demo's week 3 (README): ACHIEVED 94, DevOps MISSED 70
    assert scraped[("sprint_convergence_agent_score", (("agent", "devops"), *base))] == 70.0


@pytest.mark.prometheus
@pytest.mark.pushgateway
def test_a_rerun_replaces_the_weeks_metrics_and_never_duplicates_them(
    tmp_path: Path, prometheus: PrometheusServer, gateways: Gateways
) -> None:
    sprint = "Rerun Sprint"
    config = _config(
        tmp_path, prometheus.url, sprint, f"  pushgateway_url: {gateways.pushgateway.url}\n"
    )

    def groups() -> list[dict[str, str]]:
        every = [g["labels"] for g in gateways.pushgateway.groups()]
        return sorted((g for g in every if g.get("sprint") == sprint), key=lambda g: g["week"])

    assert _run(config, tmp_path / "out", 2) == 0
    first = groups()
    assert _run(config, tmp_path / "out", 2) == 0
    assert groups() == first == [{"job": "sprint_convergence", "sprint": sprint, "week": "2"}]
    assert _run(config, tmp_path / "out", 3) == 0
    assert [g["week"] for g in groups()] == ["2", "3"]


@pytest.mark.prometheus
def test_an_unreachable_gateway_exits_4_and_keeps_the_reports(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    config = _config(tmp_path, prometheus.url, "Lost Sprint", f"  pushgateway_url: {url}\n")
    assert _run(config, tmp_path / "out", 1) == 4
    err = capsys.readouterr().err
    assert f"error: Pushgateway at {url}: " in err and "refused" in err
    assert f"(the reports are in {tmp_path / 'out' / 'week-01'})" in err
    assert (tmp_path / "out" / "week-01" / "summary.json").exists()


@pytest.mark.prometheus
def test_a_gateway_that_drips_its_reply_ends_at_timeout_s(
    tmp_path: Path,
    prometheus: PrometheusServer,
    recording_gateway: RecordingGateway,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # a header line every 0.3 s: socket time-outs alone (urllib's) would wait the full minute
    recording_gateway.drip_s = 0.3
    metrics = f"  pushgateway_url: {recording_gateway.url}\n  timeout_s: 2\n"
    config = _config(tmp_path, prometheus.url, "Drip", metrics)
    started = time.monotonic()
    assert _run(config, tmp_path / "out", 1) == 4
    assert time.monotonic() - started < 30
    err = capsys.readouterr().err
    assert f"error: Pushgateway at {recording_gateway.url}: no complete answer within 2s" in err
    assert (tmp_path / "out" / "week-01" / "summary.json").exists()


@pytest.mark.prometheus
def test_a_refused_push_names_the_gateway_and_its_reply_and_never_the_token(
    tmp_path: Path,
    prometheus: PrometheusServer,
    recording_gateway: RecordingGateway,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PUSH_TOKEN", "s3cret-push-token")
    metrics = f"  pushgateway_url: {recording_gateway.url}/\n  bearer_token_env: PUSH_TOKEN\n"
    config = _config(tmp_path, prometheus.url, "Refused/Sprint", metrics)
    recording_gateway.status = 400
    recording_gateway.reply = b"pushed metrics are invalid or inconsistent with existing metrics"
    assert _run(config, tmp_path / "out", 1) == 4
    captured = capsys.readouterr()
    assert (
        f"error: Pushgateway at {recording_gateway.url}: 400 Bad Request: pushed metrics are "
        "invalid or inconsistent with existing metrics" in captured.err
    )
    assert "s3cret" not in captured.err + captured.out
    [push] = recording_gateway.pushes
    assert push.headers["Authorization"] == "Bearer s3cret-push-token"
    # PUT (replace the group), one group per sprint and week; '/' in a value is base64-encoded
    sprint = base64.urlsafe_b64encode(b"Refused/Sprint").decode()
    assert push.path == f"/metrics/job/sprint_convergence/sprint@base64/{sprint}/week/1"
    assert (
        b'sprint_convergence_score{scope="overall",sprint="Refused/Sprint",week="1"}' in push.body
    )


@pytest.mark.prometheus
def test_basic_auth_comes_from_the_environment(
    tmp_path: Path,
    prometheus: PrometheusServer,
    recording_gateway: RecordingGateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PUSH_PASSWORD", "pa:ss")
    metrics = (
        f"  pushgateway_url: {recording_gateway.url}\n"
        "  basic_auth: {username: reports, password_env: PUSH_PASSWORD}\n"
    )
    config = _config(tmp_path, prometheus.url, "Auth Sprint", metrics)
    assert _run(config, tmp_path / "out", 1) == 0
    [push] = recording_gateway.pushes
    assert push.headers["Authorization"] == "Basic " + base64.b64encode(b"reports:pa:ss").decode()


def test_a_missing_secret_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_SUCH_PUSH_TOKEN", raising=False)
    metrics = "  pushgateway_url: http://127.0.0.1:9091\n  bearer_token_env: NO_SUCH_PUSH_TOKEN\n"
    config = _config(tmp_path, "http://127.0.0.1:9", "S", metrics)
    assert _run(config, tmp_path / "out", 1) == 2
    assert (
        f"{config}: metrics.bearer_token_env: environment variable 'NO_SUCH_PUSH_TOKEN' is not set"
        in capsys.readouterr().err
    )


def test_metrics_file_with_dry_run_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path)
    args = ["--metrics-file", str(tmp_path / "m.prom"), "--dry-run"]
    assert _run(config, tmp_path / "out", 1, *args) == 2
    assert "--metrics-file writes a file: not with --dry-run" in capsys.readouterr().err
    assert not (tmp_path / "m.prom").exists()


@pytest.mark.prometheus
def test_an_unwritable_metrics_file_exits_4_and_keeps_the_reports(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = shipped_config(tmp_path, prometheus.url)
    target = tmp_path / "no-such-folder" / "sprint.prom"
    assert _run(config, tmp_path / "out", 1, "--metrics-file", str(target)) == 4
    assert f"error: metrics file {target}: No such file or directory" in capsys.readouterr().err
    assert (tmp_path / "out" / "week-01" / "summary.json").exists()
    assert not target.parent.exists()


def test_a_rejected_push_names_its_status_as_a_rejected_query_does() -> None:
    """The standard phrase (api_errors.status_text), not the server's own reason line, which
    could carry escape sequences into the terminal."""
    response = requests.Response()
    response.status_code, response.reason = 503, "Busy \x1b[2J now"
    response._content = b"try later\n"
    assert str(PushRejected(response)) == "503 Service Unavailable: try later"


def _forecast_week(tmp_path: Path, sprint: str) -> WeekResult:
    result, _, _ = scored_week(tmp_path)
    return dataclasses.replace(mid_week(result, charts_outlook(result)), sprint=sprint)


def _forecast_want(sprint: str) -> dict[Key, float]:
    """The forecast metrics of charts_outlook: every horizon that has odds, and no other."""
    base = {"sprint": sprint, "week": "1"}
    want: dict[Key, float] = {}
    for horizon, met in (("week_end", (0.30, 0.72, 0.95)), ("sprint_end", (0.5, 0.81, 0.9))):
        for goal, p in zip(("up", "lat", "err"), met, strict=True):
            want[_key(PREFIX + "goal_p_met", {**base, "goal": goal, "horizon": horizon})] = p
    for goal, horizon, values in (  # charts_outlook's p10, p50, p90
        ("up", "week_end", (0, 0, 1)),
        ("up", "sprint_end", (0, 1, 1)),
        ("lat", "week_end", (91.2, 95, 98.1)),
        ("lat", "sprint_end", (80, 90, 99)),
        ("err", "week_end", (1, 2, 3.5)),
        ("err", "sprint_end", (1, 2, 4)),
    ):
        for quantile, value in zip(("0.1", "0.5", "0.9"), values, strict=True):
            labels = {**base, "goal": goal, "horizon": horizon, "quantile": quantile}
            want[_key(PREFIX + "goal_forecast", labels)] = value
    sprint_end = {"horizon": "sprint_end"}
    week_end = {"horizon": "week_end"}
    for name, labels, value in (
        ("p_achieved", {"scope": "overall", **week_end}, 0.72),
        ("p_achieved", {"scope": "overall", **sprint_end}, 0.3),
        ("score_p50", {"scope": "overall", **week_end}, 88.0),
        ("score_p50", {"scope": "overall", **sprint_end}, 80.0),
        ("agent_p_achieved", {"agent": "one", **week_end}, 0.1),
        ("agent_p_achieved", {"agent": "one", **sprint_end}, 0.2),
        ("agent_p_achieved", {"agent": "two", **week_end}, 0.5),  # no sprint-end odds
        ("agent_score_p50", {"agent": "one", **week_end}, 40.0),
        ("agent_score_p50", {"agent": "one", **sprint_end}, 60.0),
        ("agent_score_p50", {"agent": "two", **week_end}, 75.0),
    ):
        want[_key(PREFIX + name, {**base, **labels})] = value
    return want


def _forecast_only(metrics: dict[Key, float]) -> dict[Key, float]:
    names = (
        "goal_p_met",
        "goal_forecast",
        "p_achieved",
        "score_p50",
        "agent_p_achieved",
        "agent_score_p50",
    )
    return {k: v for k, v in metrics.items() if k[0] in {PREFIX + n for n in names}}


def test_the_forecast_is_written_for_each_horizon_with_odds(tmp_path: Path) -> None:
    result = _forecast_week(tmp_path, "Forecast")
    path = tmp_path / "sprint.prom"
    assert write_textfile(week_registry(result, 1.0, 2.0), path) is None
    written = _textfile(path)
    assert _forecast_only(written) == _forecast_want("Forecast")
    # without a forecast, none of these metrics at all (not even their HELP lines)
    plain = dataclasses.replace(result, outlook=Outlook())
    assert write_textfile(week_registry(plain, 1.0, 2.0), path) is None
    text = path.read_text()
    assert "p_met" not in text and "p_achieved" not in text and "goal_forecast" not in text
    assert _forecast_only(_textfile(path)) == {}


@pytest.mark.prometheus
@pytest.mark.pushgateway
def test_the_forecast_reads_back_from_prometheus(tmp_path: Path, gateways: Gateways) -> None:
    sprint = "Forecast Sprint"
    result = _forecast_week(tmp_path, sprint)
    registry = week_registry(result, 1.0, 2.0)
    settings = PushSettings(gateways.pushgateway.url, "sprint_convergence", 10, None, None)
    assert push(registry, result, settings, env={}) is None
    path = tmp_path / "sprint.prom"
    assert write_textfile(registry, path) is None
    scraped = _scraped(gateways, sprint, want=len(_textfile(path)))
    assert _forecast_only(scraped) == _forecast_want(sprint)


@pytest.mark.parametrize(
    ("target", "warning", "bounds"),
    [
        (">= 1000000", ">= 900000", [("target_min", 1e6), ("warning_min", 9e5)]),
        ("> 99.9", None, [("target_min", 99.9)]),
        ("< 100", "< 120", [("target_max", 100.0), ("warning_max", 120.0)]),
        ("<= 0.5", "<= 1", [("target_max", 0.5), ("warning_max", 1.0)]),
        (
            "30..50",
            "25..55",
            [("target_min", 30), ("target_max", 50), ("warning_min", 25), ("warning_max", 55)],
        ),
        ("== 1", ">= 0", [("target_min", 1), ("target_max", 1), ("warning_min", 0)]),
        ("-1e999..5", "-1e999..10", [("target_max", 5), ("warning_max", 10)]),  # the finite ones
    ],
)
def test_a_targets_finite_bounds_are_its_metric(
    target: str, warning: str | None, bounds: list[tuple[str, float]]
) -> None:
    parsed = parse_target(warning) if warning else None
    assert target_bounds(parse_target(target), parsed) == bounds


def test_every_goals_target_is_written(tmp_path: Path) -> None:
    result, _, _ = scored_week(tmp_path)
    path = tmp_path / "sprint.prom"
    assert write_textfile(week_registry(result, 1.0, 2.0), path) is None
    targets = {k: v for k, v in _textfile(path).items() if k[0] == PREFIX + "goal_target"}
    base = {"sprint": "Charts", "week": "1"}
    assert targets == {
        _key(PREFIX + "goal_target", {**base, "goal": goal, "bound": bound}): value
        for goal, bound, value in (
            ("up", "target_min", 1.0),
            ("lat", "target_max", 100.0),
            ("lat", "warning_max", 150.0),
            ("err", "target_max", 5.0),
        )
    }
