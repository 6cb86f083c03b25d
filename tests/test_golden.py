"""Golden files: the demo's week 1, week 3 after weeks 1 and 2 ran into the same folder, and
week 2 in progress (as of its Wednesday noon, after week 1), which the README quotes.

Each week's Markdown reports and summary.json are compared with tests/golden/week-NN/ after
blanking what changes from run to run. A mismatch saves what the run wrote beside the golden
file as `<name>.actual` (git-ignored) and names it. Refresh after an intended change with
`make golden` (UPDATE_GOLDEN=1), then review the diff.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import load_config
from pipeline.demo.promserver import PrometheusServer
from pipeline.run import RunRequest, run_week
from tests.support.configs import shipped_config

pytestmark = pytest.mark.prometheus
GOLDEN = Path(__file__).parent / "golden"
AGENTS = ["product-manager", "devops", "testing", "go-code"]
WEEKS = [1, 3]  # week 3 has two recorded weeks behind it: trend, last week, change
NOW = datetime(2026, 11, 26, tzinfo=UTC)
MID_WEEK = datetime(2026, 11, 11, 12, tzinfo=UTC)  # week 2's Wednesday noon
README = Path(__file__).parent.parent / "README.md"


def scrub_markdown(text: str) -> str:
    """Blank what changes from run to run: generation time, the config's hash, the port."""
    text = re.sub(r"Generated \S+", "Generated <TIME>", text)
    text = re.sub(r"//127\.0\.0\.1:\d+/", "//127.0.0.1:<PORT>/", text)
    return re.sub(r"config [0-9a-f]{12}", "config <DIGEST>", text)


def scrub_summary(text: str) -> str:
    """summary.json with its generation time and the config's hash blanked, keys in order."""
    document: dict[str, Any] = json.loads(text)
    assert set(document) >= {"generated_at", "config_digest"}
    document["generated_at"] = "<TIME>"
    document["config_digest"] = "<DIGEST>"
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def compare(actual: str, golden: Path) -> None:
    """Assert `actual` is the golden file's text; on a mismatch save it as `<golden>.actual`."""
    saved = golden.with_name(golden.name + ".actual")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual)
    if golden.exists() and actual == golden.read_text():
        saved.unlink(missing_ok=True)
        return
    saved.write_text(actual)
    pytest.fail(
        f"{golden} differs from this run's output, saved as {saved}: "
        f"`diff {golden} {saved}`; refresh with `make golden` if the change is intended"
    )


@pytest.fixture(scope="module")
def weeks(tmp_path_factory: pytest.TempPathFactory, prometheus: PrometheusServer) -> Path:
    """Weeks 1, 2 and 3 of the demo, run in order into one output folder."""
    tmp = tmp_path_factory.mktemp("golden")
    loaded = load_config(shipped_config(tmp, prometheus.url), env={})
    for week in (1, 2, 3):
        request = RunRequest(week=week, output_dir=tmp / "out", formats=("md",))
        outcome = run_week(loaded, request, now=NOW)
        assert outcome.folder == tmp / "out" / f"week-{week:02d}"
    return tmp / "out"


@pytest.mark.parametrize("week", WEEKS)
@pytest.mark.parametrize("agent", AGENTS)
def test_markdown_matches_golden(weeks: Path, week: int, agent: str) -> None:
    name = f"week-{week:02d}/{agent}.md"
    compare(scrub_markdown((weeks / name).read_text()), GOLDEN / name)


@pytest.mark.parametrize("week", WEEKS)
def test_summary_matches_golden(weeks: Path, week: int) -> None:
    name = f"week-{week:02d}/summary.json"
    compare(scrub_summary((weeks / name).read_text()), GOLDEN / name)


@pytest.fixture(scope="module")
def mid_week(tmp_path_factory: pytest.TempPathFactory, prometheus: PrometheusServer) -> Path:
    """Week 1 of the demo, then week 2 as of its Wednesday noon, into one output folder: the
    nightly run a reader sees mid-sprint, with the forecast (and week 1 in its history)."""
    tmp = tmp_path_factory.mktemp("mid-week")
    loaded = load_config(shipped_config(tmp, prometheus.url), env={})
    run_week(loaded, RunRequest(week=1, output_dir=tmp / "out", formats=("md",)), now=NOW)
    request = RunRequest(week=2, output_dir=tmp / "out", formats=("md",), as_of=MID_WEEK)
    return run_week(loaded, request, now=NOW).folder or tmp


@pytest.mark.parametrize("name", ["product-manager.md", "summary.json"])
def test_mid_week_matches_golden(mid_week: Path, name: str) -> None:
    scrub = scrub_summary if name.endswith(".json") else scrub_markdown
    compare(scrub((mid_week / name).read_text()), GOLDEN / "week-02-mid-week" / name)


def test_the_readme_quotes_the_mid_week_report() -> None:
    """Every line of the README's mid-week excerpt is a line of the golden mid-week report, so
    the README shows what the code writes."""
    section = README.read_text().split("## Will we make it?", 1)[1]
    excerpt = section.split("```markdown\n", 1)[1].split("```", 1)[0].splitlines()
    report = set((GOLDEN / "week-02-mid-week" / "product-manager.md").read_text().splitlines())
    quoted = [line for line in excerpt if line != "..."]
    assert len(quoted) > 20
    assert [line for line in quoted if line not in report] == []


def test_a_mismatch_saves_the_actual_output_beside_the_golden_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UPDATE_GOLDEN", raising=False)
    golden = tmp_path / "report.md"
    golden.write_text("golden\n")
    with pytest.raises(pytest.fail.Exception, match=r"report\.md\.actual"):
        compare("changed\n", golden)
    assert (tmp_path / "report.md.actual").read_text() == "changed\n"
    compare("golden\n", golden)
    assert not (tmp_path / "report.md.actual").exists()


def test_a_complete_week_forecasts_only_the_sprints_end(weeks: Path, mid_week: Path) -> None:
    """Week 1 is complete: no week's-end odds, the sprint's end (week 3) for each goal but the
    one relative to last week (its bound moves with weeks not yet known); week 3 ends the
    sprint: nothing left to forecast; week 2 in progress: both horizons."""
    one, three, two = (
        json.loads((folder / "summary.json").read_text())
        for folder in (weeks / "week-01", weeks / "week-03", mid_week)
    )
    for summary in (one, two):
        ends = {g["id"]: g["forecast"]["sprint_end"] for g in summary["goals"]}
        assert ends.pop("p95_latency") is None
        assert all(end["at"].startswith("2026-11-23") for end in ends.values())
    assert all(g["forecast"]["week_end"] is None for g in one["goals"])
    assert all(g["forecast"]["week_end"]["at"].startswith("2026-11-16") for g in two["goals"])
    assert all(g["forecast"] == {"week_end": None, "sprint_end": None} for g in three["goals"])
    assert three["overall"]["forecast"] == {"week_end": None, "sprint_end": None}
    assert one["overall"]["forecast"]["week_end"] is None
    assert two["overall"]["forecast"]["week_end"]["p_achieved"] >= 0


def test_the_sprints_end_says_when_no_earlier_week_informs_it(weeks: Path, mid_week: Path) -> None:
    """Week 1 has no earlier week to learn week-to-week moves from, and says so; week 2, with
    week 1 in its history, does not."""
    first = (weeks / "week-01" / "devops.md").read_text().splitlines()[2]
    second = (mid_week / "devops.md").read_text().splitlines()[2]
    assert "at the sprint's end (week 3, from this week alone)" in first
    assert "at the sprint's end (week 3):" in second
