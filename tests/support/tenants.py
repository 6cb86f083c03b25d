"""Two tenants' series in one store, told apart by a `tenant` label, and a team config that
names its tenant in `prometheus.headers` (tests/test_tenants.py).

One day of samples a minute, 2026-11-02 (the handmade day): a one-day week, so week 1 is whole.
Each tenant's numbers differ, so a series or an average that mixes them shows.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.configs import write_config
from tests.support.handmade import DAY_START, MINUTES

# The tenant ids (header values) look like secrets: they must appear in no output.
TENANT_IDS = {"a": "team-a-4f9c2e71b8", "b": "team-b-91d3a6c05e", "c": "team-c-0d5e8a3f17"}
# Which tenant label value each id may see (c is known but has no series, as a new Mimir tenant).
TENANTS = {tenant_id: label for label, tenant_id in TENANT_IDS.items()}
UNKNOWN_ID = "team-z-7a0c66d2e9"  # a tenant id the proxy does not know

# series: (metric, labels, value)
SERIES = (
    ("team_uptime_ratio", {"service": "api", "tenant": "a"}, 0.999),
    ("team_uptime_ratio", {"service": "web", "tenant": "a"}, 0.997),
    ("team_uptime_ratio", {"service": "api", "tenant": "b"}, 0.5),
    ("team_latency_ms", {"tenant": "a"}, 80.0),
    ("team_latency_ms", {"tenant": "b"}, 400.0),
    ("team_customers", {"tenant": "b"}, 9.0),
)


def tenants_text() -> str:
    """The series as OpenMetrics text with second timestamps (promtool reads it as it is,
    VictoriaMetrics's import once made milliseconds), ending in `# EOF`."""
    lines: list[str] = []
    for metric, labels, value in SERIES:
        shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        lines.extend(f"{metric}{{{shown}}} {value} {DAY_START + 60 * i}" for i in range(MINUTES))
    return "\n".join([*lines, "# EOF"]) + "\n"


TEAM = """
prometheus:
  url: "http://127.0.0.1:9090"
  retries: 0
{headers}
sprint: {{name: "Team {team}", start: 2026-11-02, week_days: 1, step: 1m}}
scoring:
  categories: {{technical: {{weight: 0.5}}, customer: {{weight: 0.5}}}}
goals:
  - {{id: uptime, name: Uptime, category: technical, query: "avg(team_uptime_ratio) * 100",
     aggregate: mean, unit: "%", target: ">= 99", warning: ">= 90"}}
  - {{id: uptime_by_service, name: Uptime by service, category: technical,
     query: "team_uptime_ratio * 100", aggregate: min, unit: "%", target: ">= 99"}}
  - {{id: latency, name: Latency, category: customer, query: team_latency_ms, aggregate: p95,
     unit: ms, target: "< 100", warning: "< 200"}}
  - {{id: other_tenant, name: "Another tenant's latency", category: customer,
     query: 'team_latency_ms{{tenant="{other}"}}', aggregate: max, unit: ms, target: "< 1000"}}
  - {{id: customers, name: Customers, category: customer, query: team_customers,
     aggregate: last, target: ">= 5"}}
agents:
  - {{id: team, name: Team, goals: [uptime, uptime_by_service, latency, other_tenant,
     customers]}}
report: {{formats: [md, html]}}
"""


def team_config(path: Path, url: str, team: str, tenant_id: str | None) -> Path:
    """Team `team`'s config at `path`, asking `url` with `X-Scope-OrgID: tenant_id` (None: no
    header); its `other_tenant` goal asks for the other tenant's series by label."""
    headers = f"  headers: {{X-Scope-OrgID: {tenant_id}}}" if tenant_id else ""
    other = "b" if team == "a" else "a"
    return write_config(path, TEAM.format(headers=headers, team=team, other=other), url)
