"""Tenants: each team's config names its tenant in `prometheus.headers` (`X-Scope-OrgID`),
asked through a tenant-enforcing proxy (tests/support/tenantproxy.py: prom-label-proxy's
rewrite, Mimir's and Cortex's answers) in front of a real Prometheus, and of a real
VictoriaMetrics, both holding two tenants' series told apart by a `tenant` label.

A team sees only its tenant's series, in summary.json, series.csv and the reports, whatever its
queries ask; a missing or unknown tenant is exit 3 with what to set; a tenant id never appears
in any output. VictoriaMetrics single-node ignores the header: asked directly, a team sees both
tenants (the difference docs/operations.md names)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli import main
from pipeline.demo.promserver import PrometheusServer, backfill
from tests.support.binaries import require_binary
from tests.support.promql_labels import QueryError, with_label
from tests.support.tenantproxy import Tenancy, tenant_proxy
from tests.support.tenants import TENANT_IDS, TENANTS, UNKNOWN_ID, team_config, tenants_text
from tests.support.victoria import VictoriaServer, victoria_server

NOW = datetime(2026, 11, 4, tzinfo=UTC)  # week 1 (2026-11-02, one day) is over
DURING = datetime(2026, 11, 2, 12, tzinfo=UTC)  # validate's current week: the tenants' day


@pytest.mark.parametrize(
    ("query", "enforced"),
    [
        ("up", 'up{tenant="a"}'),
        ('up{job="x",}', 'up{job="x",tenant="a"}'),
        ("x{}", 'x{tenant="a"}'),
        ('{__name__=~"x.*"}', '{__name__=~"x.*",tenant="a"}'),
        ('x{tenant="b"}', 'x{tenant="b",tenant="a"}'),  # both must hold: nothing is found
        ("rate(x[5m] offset -1h @ 1700000000)", 'rate(x{tenant="a"}[5m] offset -1h @ 1700000000)'),
        ("max_over_time(x[1w:5m]) > bool 1e3", 'max_over_time(x{tenant="a"}[1w:5m]) > bool 1e3'),
        ("max_over_time(x[5m:])", 'max_over_time(x{tenant="a"}[5m:])'),
        (
            "histogram_quantile(0.95, sum(rate(h_bucket[5m])) by (le))",
            'histogram_quantile(0.95, sum(rate(h_bucket{tenant="a"}[5m])) by (le))',
        ),
        (
            "sum without (a) (x) / on() group_left y unless ignoring(b) group_right(c) z",
            'sum without (a) (x{tenant="a"}) / on() group_left y{tenant="a"} '
            'unless ignoring(b) group_right(c) z{tenant="a"}',
        ),
        (
            'label_replace(up, "dst", "$1", "src", "(.*)") + count_values("v", x)',
            'label_replace(up{tenant="a"}, "dst", "$1", "src", "(.*)") '
            '+ count_values("v", x{tenant="a"})',
        ),
        (
            'x{a="q\\"}", b=~`\\d`} # y{z}\n+ a:b:c',
            'x{a="q\\"}", b=~`\\d`,tenant="a"} # y{z}\n+ a:b:c{tenant="a"}',
        ),
        ("vector(1) * NaN + Inf - time() + 0x1F", "vector(1) * NaN + Inf - time() + 0x1F"),
        ("x @ start()", 'x{tenant="a"} @ start()'),
    ],
)
def test_the_proxy_adds_the_tenant_to_every_selector(query: str, enforced: str) -> None:
    assert with_label(query, "tenant", "a") == enforced


@pytest.mark.parametrize("query", ['x{a="b"', "sum(x[5m)", '"open', "x $ y"])
def test_a_query_the_proxy_cannot_read_is_refused(query: str) -> None:
    with pytest.raises(QueryError):
        with_label(query, "tenant", "a")


@pytest.fixture(scope="module")
def tenant_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A real Prometheus holding both tenants' series, backfilled with promtool."""
    require_binary("prometheus")
    require_binary("promtool", package="prometheus")
    root = tmp_path_factory.mktemp("tenants-prometheus")
    (root / "tenants.om").write_text(tenants_text())
    backfill(root / "tenants.om", root / "tsdb")
    with PrometheusServer(root / "tsdb", log_path=root / "prometheus.log") as server:
        yield server


@pytest.fixture(scope="module")
def tenant_victoria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaServer]:
    """A real VictoriaMetrics holding the same series."""
    yield from victoria_server(tmp_path_factory.mktemp("tenants-victoria"), tenants_text())


def _backend(request: pytest.FixtureRequest, name: str) -> str:
    fixture = {"prometheus": "tenant_prometheus", "victoria": "tenant_victoria"}[name]
    server: PrometheusServer | VictoriaServer = request.getfixturevalue(fixture)
    return server.url


def _run(
    config: Path, out: Path, capsys: pytest.CaptureFixture[str], *command: str
) -> tuple[int, str, str]:
    """`python -m pipeline ...` in process: the exit code, stdout and stderr."""
    args = [*command, "--config", str(config)]
    if not command:
        args = ["--week", "1", *args, "--output", str(out)]
    code = main(args, now=DURING if command else NOW)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _no_tenant_id(out: Path, *texts: str) -> None:
    """No tenant id in any file under `out` (history.sqlite too) or in `texts`."""
    files = [p.read_bytes().decode("latin-1") for p in out.rglob("*") if p.is_file()]
    everything = "\n".join([*files, *texts])
    for tenant_id in [*TENANT_IDS.values(), UNKNOWN_ID]:
        assert tenant_id not in everything


def _other_tenants_lines(folder: Path, other: str) -> list[str]:
    """The lines of the team's Markdown report that show a series of tenant `other` (its query
    text, which names that tenant, aside)."""
    report = (folder / "team.md").read_text()
    return [
        line
        for line in report.splitlines()
        if f'tenant="{other}"' in line and "team_latency_ms{tenant=" not in line
    ]


def _goals(folder: Path) -> dict[str, dict[str, Any]]:
    document = json.loads((folder / "summary.json").read_text())
    return {goal["id"]: goal for goal in document["goals"]}


EXPECTED = {  # goal: (status, value, the tenant labels of its series)
    "a": {
        "uptime": ("met", 99.8, [None]),
        "uptime_by_service": ("met", 99.7, ["a", "a"]),
        "latency": ("met", 80.0, ["a"]),
        "other_tenant": ("no_data", None, []),
        "customers": ("no_data", None, []),
    },
    "b": {
        "uptime": ("missed", 50.0, [None]),
        "uptime_by_service": ("missed", 50.0, ["b"]),
        "latency": ("missed", 400.0, ["b"]),
        "other_tenant": ("no_data", None, []),
        "customers": ("met", 9.0, ["b"]),
    },
}


@pytest.mark.prometheus
@pytest.mark.victoria
@pytest.mark.parametrize("backend", ["prometheus", "victoria"])
def test_a_team_sees_only_its_tenants_series(
    tmp_path: Path,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
    backend: str,
) -> None:
    tenancy = Tenancy(TENANTS)
    with tenant_proxy(_backend(request, backend), tenancy) as url:
        for team, expected in EXPECTED.items():
            out = tmp_path / team
            config = team_config(tmp_path / f"{team}.yaml", url, team, TENANT_IDS[team])
            code, stdout, stderr = _run(config, out, capsys)
            assert code == 0, stderr
            goals = _goals(out / "week-01")
            for goal_id, (status, value, tenants) in expected.items():
                goal = goals[goal_id]
                assert (goal["status"], goal["value"]) == (status, pytest.approx(value)), goal_id
                assert [s["labels"].get("tenant") for s in goal["series"]] == tenants, goal_id
            with open(out / "week-01" / "series.csv", newline="") as rows:
                assert {row["label_tenant"] for row in csv.DictReader(rows)} == {"", team}
            assert _other_tenants_lines(out / "week-01", "b" if team == "a" else "a") == []
            _no_tenant_id(out, stdout, stderr)
    asked = [seen for seen in tenancy.seen if seen[2] is not None]
    assert {tenant for _, tenant, _ in asked} == {TENANT_IDS["a"], TENANT_IDS["b"]}
    for _, tenant, query in asked:  # every query sent on names the asking tenant
        assert f'tenant="{TENANTS[str(tenant)]}"' in str(query)


@pytest.mark.prometheus
@pytest.mark.parametrize("command", [(), ("validate",)])
def test_a_missing_tenant_header_is_exit_3_saying_what_to_set(
    tmp_path: Path,
    tenant_prometheus: PrometheusServer,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
) -> None:
    with tenant_proxy(tenant_prometheus.url, Tenancy(TENANTS)) as url:
        config = team_config(tmp_path / "a.yaml", url, "a", None)
        code, _, stderr = _run(config, tmp_path / "out", capsys, *command)
    assert code == 3
    assert f"error: Prometheus at {url}: 401 Unauthorized (the server wants credentials or a " in (
        stderr
    )
    assert "or the tenant's header in prometheus.headers (X-Scope-OrgID for Mimir and Cortex)" in (
        stderr
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.prometheus
def test_an_unknown_tenant_is_exit_3_and_its_id_is_never_shown(
    tmp_path: Path, tenant_prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with tenant_proxy(tenant_prometheus.url, Tenancy(TENANTS)) as url:
        config = team_config(tmp_path / "z.yaml", url, "a", UNKNOWN_ID)
        code, stdout, stderr = _run(config, tmp_path / "out", capsys)
        validated = _run(config, tmp_path / "out", capsys, "validate")
    assert code == validated[0] == 3
    message = (
        f"error: Prometheus at {url}: 403 Forbidden (the credentials or the tenant "
        "(prometheus.headers.X-Scope-OrgID) are not allowed to query this server)\n"
    )
    assert stderr.endswith(message)  # after the log line naming the week
    assert validated[2].endswith(message)
    _no_tenant_id(tmp_path / "out", stdout, stderr, *validated[1:])


@pytest.mark.prometheus
def test_a_tenant_without_series_is_exit_3_naming_the_headers(
    tmp_path: Path, tenant_prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Mimir and Cortex take any tenant id: one with no data (a typo, a new tenant) finds
    nothing, which the pipeline says, naming prometheus.headers."""
    with tenant_proxy(tenant_prometheus.url, Tenancy(TENANTS)) as url:
        config = team_config(tmp_path / "c.yaml", url, "a", TENANT_IDS["c"])
        code, stdout, stderr = _run(config, tmp_path / "out", capsys)
    assert code == 3
    assert stderr.endswith(
        f"error: Prometheus at {url} answered, but every query returned no series in the "
        "window: check prometheus.url, prometheus.headers (a tenant) and the server's retention; "
        "nothing was replaced\n"
    )
    _no_tenant_id(tmp_path / "out", stdout, stderr)


@pytest.mark.victoria
def test_victoria_metrics_single_node_ignores_the_tenant_header(
    tmp_path: Path, tenant_victoria: VictoriaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Asked directly, VictoriaMetrics answers every series whatever X-Scope-OrgID says: its
    tenants are in the cluster's URL (/select/<accountID>/prometheus), not in a header."""
    config = team_config(tmp_path / "a.yaml", tenant_victoria.url, "a", TENANT_IDS["a"])
    code, stdout, stderr = _run(config, tmp_path / "out", capsys)
    assert code == 0, stderr
    goals = _goals(tmp_path / "out" / "week-01")
    assert goals["uptime"]["value"] == pytest.approx((99.9 + 99.7 + 50) / 3)
    by_service = goals["uptime_by_service"]["series"]
    assert sorted(s["labels"]["tenant"] for s in by_service) == ["a", "a", "b"]
    assert (goals["other_tenant"]["status"], goals["other_tenant"]["value"]) == ("met", 400)
    assert goals["customers"]["value"] == 9
    assert _other_tenants_lines(tmp_path / "out" / "week-01", "b")  # its series rows
    _no_tenant_id(tmp_path / "out", stdout, stderr)
