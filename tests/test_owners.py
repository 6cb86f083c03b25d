"""Owners: `owner:` per goal, shown in the goal rows, the next steps grouped by owner (owners in
the order of their most pressing step, goals without one last), chat ("Dana: Beta missed"),
summary.json, and `validate`'s list of the goals without one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.core.people import display_name
from pipeline.delivery.chat import chat_message
from pipeline.demo.promserver import PrometheusServer
from pipeline.errors import ConfigError
from pipeline.report.render import render_html
from pipeline.report.view import build_report
from pipeline.run import RunOutcome, RunRequest, run_week
from tests.support import ROOT
from tests.support.configs import shipped_config
from tests.support.fakes import FakeSource
from tests.support.renderers import parse, shown

NOW = datetime(2026, 11, 26, tzinfo=UTC)  # week 1 (from 2026-11-02) is complete: no forecast
DANA = "Dana <dana@example.com>"


def _goal(gid: str, name: str, weight: int, owner: str | None) -> str:
    owned = f", owner: {json.dumps(owner)}" if owner else ""
    return (
        f"  - {{id: {gid}, name: {name}, category: technical, query: q_{gid}, aggregate: last, "
        f'target: ">= 10", weight: {weight}{owned}}}\n'
    )


# Every goal but Epsilon is missed; a goal's weight sets the points it costs, so the steps run
# Alpha (Sam), Beta (Dana), Gamma (no owner), Delta (Dana). Lee owns only a met goal.
GOALS = [
    ("alpha", "Alpha", 4, "Sam"),
    ("beta", "Beta", 3, DANA),
    ("gamma", "Gamma", 2, None),
    ("delta", "Delta", 1, DANA),
    ("epsilon", "Epsilon", 1, "Lee"),
]
CONFIG = (
    "sprint: {name: Responsibility, start: 2026-11-02, step: 1h}\n"
    "scoring: {categories: {technical: {weight: 1}}}\n"
    "goals:\n" + "".join(_goal(*g) for g in GOALS) + "agents:\n"
    "  - {id: all, name: Everyone, goals: [alpha, beta, gamma, delta, epsilon]}\n"
    "  - {id: free, name: Unowned, goals: [gamma, epsilon]}\n"
)
ANSWERS = {f"q_{gid}": [({}, 0.0)] for gid, *_ in GOALS} | {"q_epsilon": [({}, 10.0)]}


def _run(tmp_path: Path, config: str = CONFIG) -> RunOutcome:
    path = tmp_path / "c.yaml"
    path.write_text(config)
    request = RunRequest(1, tmp_path / "out", formats=("md",))
    return run_week(load_config(path, env={}), request, now=NOW, source=FakeSource(ANSWERS))


@pytest.fixture(scope="module")
def week1(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    return _run(tmp_path_factory.mktemp("owners"))


def _markdown(outcome: RunOutcome, agent: str) -> str:
    assert outcome.folder is not None
    return (outcome.folder / f"{agent}.md").read_text()


@pytest.mark.parametrize(
    ("written", "shown_as"),
    [
        (DANA, "Dana"),
        ('"Smith, Dana" <dana@example.com>', "Smith, Dana"),
        ("<dana@example.com>", "dana@example.com"),
        ("dana@example.com", "dana@example.com"),
        ("Dana Smith", "Dana Smith"),  # parseaddr would say `DanaSmith`
        ("Platform team (SRE)", "Platform team (SRE)"),
        ("  Dana   Smith  <d@x> ", "Dana Smith"),
    ],
)
def test_an_owner_is_shown_by_name(written: str, shown_as: str) -> None:
    assert display_name(written) == shown_as


def test_next_steps_are_grouped_by_owner_in_the_order_of_their_first_step(
    week1: RunOutcome,
) -> None:
    steps = _markdown(week1, "all").split("## Next Steps\n")[1].split("\n---")[0]
    assert steps == (
        "\n### Sam\n\n1. Raise **Alpha** from 0 to &gt;= 10.\n\n"
        "### Dana\n\n1. Raise **Beta** from 0 to &gt;= 10.\n"
        "2. Raise **Delta** from 0 to &gt;= 10.\n\n"
        "### No owner\n\n1. Raise **Gamma** from 0 to &gt;= 10.\n"
    )


def test_steps_without_any_owner_stay_one_list(week1: RunOutcome) -> None:
    """Agent `free`'s only step is Gamma's, which has no owner: no `No owner` heading alone."""
    steps = _markdown(week1, "free").split("## Next Steps\n")[1].split("\n---")[0]
    assert steps == "\n1. Raise **Gamma** from 0 to &gt;= 10.\n"


def test_goal_rows_and_details_name_the_owner(week1: RunOutcome) -> None:
    markdown = _markdown(week1, "all")
    assert "| Metric | Owner | Target | Actual | Status | Score | Coverage |\n" in markdown
    assert "| ★ Beta | Dana | &gt;= 10 | 0 | ✖ Missed | 0.0 | 100.0% |\n" in markdown
    assert "| ★ Gamma | — | &gt;= 10 | 0 | ✖ Missed | 0.0 | 100.0% |\n" in markdown
    assert "### ✖ Beta\n\n- **Owner:** Dana\n- **Target:** &gt;= 10\n" in markdown
    assert "### ✖ Gamma\n\n- **Target:**" in markdown
    view = build_report(week1.result, week1.result.agents[0], {}, week1.trend)
    html = render_html(view)
    assert 'Beta<br><small class="owner">Dana</small></td>' in html
    assert "<tr><th>Owner</th><td>Dana</td></tr>" in html
    text = shown(parse(html).text)
    assert "Next steps Sam Raise Alpha from 0 to >= 10. Dana Raise Beta" in text


def test_without_owners_the_report_has_no_owner_column(tmp_path: Path) -> None:
    config = "".join(line.split(", owner:")[0] + ("}" if ", owner:" in line else "") + "\n"
                     for line in CONFIG.splitlines())  # fmt: skip
    assert "owner" not in config
    markdown = _markdown(_run(tmp_path, config), "all")
    assert "| Metric | Target |" in markdown and "Owner" not in markdown
    assert "## Next Steps\n\n1. Raise **Alpha** from 0 to &gt;= 10.\n2. Raise **Beta**" in (
        markdown
    )


def test_chat_names_each_open_goals_owner(week1: RunOutcome) -> None:
    body = chat_message(week1.result, week1.trend, week1.result.agents[:1], None).body
    assert (
        "Goals not met:\n"
        "- Sam: Alpha missed, 0 against >= 10\n"
        "- Dana: Beta missed, 0 against >= 10\n"
        "- No owner: Gamma missed, 0 against >= 10\n"
        "- Dana: Delta missed, 0 against >= 10"
    ) in body
    assert "dana@example.com" not in body


def test_summary_json_has_each_owner_as_written_and_fits_the_schema(week1: RunOutcome) -> None:
    assert week1.folder is not None
    document = json.loads((week1.folder / "summary.json").read_text())
    schema = json.loads((ROOT / "docs" / "summary.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)
    owners = {g["id"]: g["owner"] for g in document["goals"]}
    assert owners == {"alpha": "Sam", "beta": DANA, "gamma": None, "delta": DANA, "epsilon": "Lee"}
    assert all(g["checkin"] is None for g in document["goals"])


@pytest.mark.parametrize(
    ("owner", "problem"),
    [
        ('""', "goals[0].owner: must not be empty (leave the key out for none)"),
        ('"  "', "goals[0].owner: must not be empty (leave the key out for none)"),
        ('"Dana\\nSmith"', "goals[0].owner: 'Dana\\nSmith' contains a line break"),
        ('"Dana\\u001b[31m"', "goals[0].owner: 'Dana\\x1b[31m' contains a control character"),
        ("[Dana]", "goals[0].owner: input should be a valid string"),
    ],
)
def test_a_bad_owner_is_a_config_error(tmp_path: Path, owner: str, problem: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG.replace('owner: "Sam"', f"owner: {owner}"))
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert info.value.problems == [problem]


@pytest.mark.prometheus
def test_validate_lists_the_goals_without_an_owner(
    tmp_path: Path, prometheus: PrometheusServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line, not a problem: the exit code stays 0. The check-ins file is reported too."""
    config = shipped_config(tmp_path, prometheus.url)  # owners on 6 of its 10 goals
    wednesday = datetime(2026, 11, 18, 12, tzinfo=UTC)  # in the demo's week 3
    assert main(["validate", "--config", str(config)], now=wednesday) == 0
    out = capsys.readouterr().out
    assert (
        "goals without an owner (4 of 10): attribution_accuracy, pilot_customers, "
        "cost_savings, success_rate\n"
    ) in out
    (tmp_path / "checkins.yaml").unlink()
    assert main(["validate", "--config", str(config)], now=wednesday) == 0
    out = capsys.readouterr().out
    assert f"check-ins: none yet ({tmp_path / 'checkins.yaml'} does not exist)\n" in out
    (tmp_path / "checkins.yaml").write_text(
        "- {goal: p95_latency, week: 3, confidence: 6, note: x, at: 2026-11-17T10:00:00Z}\n"
        "- {goal: gone, week: 3, confidence: 6, note: x, at: 2026-11-17T10:00:00Z}\n"
    )
    assert main(["validate", "--config", str(config)], now=wednesday) == 0
    assert (
        f"check-ins: 2 in {tmp_path / 'checkins.yaml'}; for goals the config does not have "
        "(not shown): gone\n"
    ) in capsys.readouterr().out
