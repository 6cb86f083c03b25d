"""Check-ins: `python -m pipeline checkin` appends to the team's checkins.yaml (two processes at
once both land; errors exit 2 and leave the file alone), and a run shows each goal's latest
check-in of the week beside its forecast, flagged stale or disagreeing, its note as text in
Markdown (three renderers), HTML and PDF. A fake source: this tests check-ins, not Prometheus.
"""

from __future__ import annotations

import fcntl
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from pypdf import PdfReader

from pipeline.cli import main
from pipeline.config import load_config
from pipeline.core.checkins import HEADER, CheckinEntry, parse_checkins, read_checkins
from pipeline.core.model import GoalOdds, Horizons
from pipeline.core.text import MAX_MESSAGE_CHARS, one_line
from pipeline.run import RunOutcome, RunRequest, run_week
from pipeline.scoring.checkins import judged, latest
from tests.support import ROOT
from tests.support.fakes import FakeSource
from tests.support.forecast import goal_odds
from tests.support.logs import pipeline_log
from tests.support.renderers import RENDERERS, parse, shown

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)  # Wednesday noon of week 3 (weeks start Mondays)
WEEK3 = datetime(2026, 11, 16, tzinfo=UTC)
CONFIG = """
sprint: {name: Confidence, start: 2026-11-02, step: 1h}
scoring: {categories: {technical: {weight: 1}}}
goals:
  - {id: up, name: Up, category: technical, query: q_up, aggregate: min, target: ">= 1",
     owner: Sam}
  - {id: lat, name: Latency, category: technical, query: q_lat, aggregate: max,
     target: "<= 100", warning: "<= 150", unit: ms, owner: "<b>Dana</b> *x* <dana@example.com>"}
  - {id: err, name: Errors, category: technical, query: q_err, aggregate: last, target: "< 5"}
agents:
  - {id: one, name: Agent One, goals: [up, lat, err]}
"""
# up is missed (job b), lat at risk (120 ms), err met: constant series, so the forecast says
# p_met 0 for up and lat, 1 for err
ANSWERS = {
    "q_up": [({"job": "a"}, 1.0), ({"job": "b"}, 0.0)],
    "q_lat": [({"c": "x"}, 120.0)],
    "q_err": [({}, 2.0)],
}
NOTE = (
    "<script>alert(1)</script> **bold** [x](javascript:alert(1)) <img src=x onerror=alert(1)> "
    "`code` | pipe ~~s~~ www.example.com ops@example.com # h &amp; esc\x1b[31m bel\x07 end"
)
LONG = "word " * 1200  # 6,000 characters: shown cut to MAX_NOTE_CHARS
AUTHOR = "<i>Rae</i> <rae@example.com>"
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SCHEMA = ROOT / "docs" / "summary.schema.json"


def _yaml_text(text: str) -> str:
    """`text` as a double-quoted YAML scalar (JSON's escapes are YAML's)."""
    return json.dumps(text)


# What a team's file might hold: a comment, hand-written entries in two styles, a check-in
# of another week, one written after the run's instant, and an older one of this week.
CHECKINS = f"""# our check-ins
- goal: lat
  week: 3
  confidence: 5
  note: older, replaced by the next one
  at: 2026-11-16T08:00:00+00:00
- {{goal: lat, week: 3, confidence: 9, note: {_yaml_text(NOTE)}, author: {_yaml_text(AUTHOR)},
   at: "2026-11-17T09:30:00+01:00"}}
- {{goal: lat, week: 3, confidence: 1, note: after the run's instant, at: "2026-11-18T12:00:01Z"}}
- {{goal: lat, week: 4, confidence: 2, note: next week's, at: "2026-11-17T10:00:00Z"}}
- {{goal: err, week: 3, confidence: 2, note: {_yaml_text(LONG)}, at: "2026-11-10T11:59:59Z"}}
"""


def _write_config(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(CONFIG + extra)
    return path


def _run(config: Path, out: Path, week: int = 3, formats: tuple[str, ...] = ("md",)) -> RunOutcome:
    loaded = load_config(config, env={})
    request = RunRequest(week, out, formats=formats)
    return run_week(loaded, request, now=NOW, source=FakeSource(ANSWERS))


@pytest.fixture(scope="module")
def week3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunOutcome]:
    """Week 3 as of its Wednesday noon, in md, html and pdf, with CHECKINS."""
    folder = tmp_path_factory.mktemp("checkins")
    config = _write_config(folder)
    (folder / "checkins.yaml").write_text(CHECKINS)
    yield _run(config, folder / "out", formats=("md", "html", "pdf"))


def _folder(outcome: RunOutcome) -> Path:
    assert outcome.folder is not None
    return outcome.folder


# --- which check-in, and its flags ---------------------------------------------------------


def _entry(at: datetime, goal: str = "lat", week: int = 3, note: str = "n") -> CheckinEntry:
    return CheckinEntry(goal=goal, week=week, confidence=5, note=note, author=None, at=at)


def test_the_latest_of_the_week_up_to_the_runs_instant_is_picked() -> None:
    day = timedelta(days=1)
    entries = [
        _entry(WEEK3 + day, note="tuesday"),
        _entry(WEEK3 + 2 * day, note="wednesday, at the run's instant"),
        _entry(WEEK3 + 2 * day + timedelta(seconds=1), note="after the run's instant"),
        _entry(WEEK3 + day, week=4, note="next week's"),
        _entry(WEEK3 + day, goal="err", note="another goal's"),
    ]
    as_of = WEEK3 + 2 * day
    found = latest(entries, "lat", 3, as_of)
    assert found is not None and found.note == "wednesday, at the run's instant"
    assert latest(entries, "lat", 3, WEEK3) is None  # none written yet
    assert latest(entries, "up", 3, as_of) is None
    twins = [_entry(WEEK3, note="first"), _entry(WEEK3, note="second")]
    assert latest(twins, "lat", 3, as_of) == twins[1]  # same instant: the later in the file


@pytest.mark.parametrize(
    ("age", "stale"),
    [(timedelta(days=7), False), (timedelta(days=7, seconds=1), True), (timedelta(0), False)],
)
def test_stale_means_older_than_seven_days_at_the_reports_end(age: timedelta, stale: bool) -> None:
    end = WEEK3 + timedelta(days=3)
    assert judged(_entry(end - age), end, Horizons()).stale is stale


def _odds(p_met: float) -> GoalOdds:
    return goal_odds(WEEK3, p_met, 1 - p_met, 0, 0, 0)


@pytest.mark.parametrize(
    ("confidence", "p_met", "disagrees"),
    [
        (8, 0.29, True),
        (8, 0.3, False),
        (10, 0.0, True),
        (7, 0.0, False),
        (3, 0.71, True),
        (3, 0.7, False),
        (1, 1.0, True),
        (4, 1.0, False),
        (5, 0.5, False),
    ],
)
def test_disagreement_at_its_boundaries(confidence: int, p_met: float, disagrees: bool) -> None:
    entry = CheckinEntry("lat", 3, confidence, "n", None, WEEK3)
    assert judged(entry, WEEK3, Horizons(week_end=_odds(p_met))).disagrees is disagrees


def test_the_week_ends_forecast_first_then_the_sprints_and_none_without() -> None:
    entry = CheckinEntry("lat", 3, 9, "n", None, WEEK3)
    both = Horizons(week_end=_odds(0.9), sprint_end=_odds(0.1))
    assert not judged(entry, WEEK3, both).disagrees  # 90 % at the week's end: agrees
    assert judged(entry, WEEK3, Horizons(sprint_end=_odds(0.1))).disagrees
    without = judged(entry, WEEK3, Horizons())
    assert not without.disagrees and without.p_met is None


# --- a run ---------------------------------------------------------------------------------


def test_each_goal_shows_its_latest_check_in_of_the_week(week3: RunOutcome) -> None:
    checkins = week3.result.checkins
    assert checkins.problem is None and set(checkins.goals) == {"lat", "err"}
    lat, err = checkins.goals["lat"], checkins.goals["err"]
    assert (lat.confidence, lat.note, lat.author) == (9, NOTE, AUTHOR)
    assert lat.at == datetime(2026, 11, 17, 8, 30, tzinfo=UTC)
    assert (lat.stale, lat.disagrees, lat.p_met) == (False, True, 0.0)  # 9/10 against 0 %
    # err: written 8 days and 1 s before the run's instant (as week 3's), and 2/10 against 100 %
    assert (err.confidence, err.stale, err.disagrees) == (2, True, True)


def test_summary_json_carries_each_check_in_and_fits_the_schema(week3: RunOutcome) -> None:
    document = json.loads((_folder(week3) / "summary.json").read_text())
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    validator.validate(document)
    goals = {g["id"]: g for g in document["goals"]}
    assert goals["lat"]["checkin"] == {
        "author": AUTHOR,
        "confidence": 9,
        "note": NOTE,
        "at": "2026-11-17T09:30:00+01:00",
        "stale": False,
        "disagrees": True,
    }
    assert goals["err"]["checkin"]["stale"] is True and goals["up"]["checkin"] is None
    assert goals["lat"]["owner"] == "<b>Dana</b> *x* <dana@example.com>"
    assert goals["err"]["owner"] is None


def test_the_markdown_report_shows_check_ins_beside_the_forecast(week3: RunOutcome) -> None:
    markdown = (_folder(week3) / "one.md").read_text()
    assert (
        "| Metric | Owner | Target | Actual | Status | Score | Coverage | Forecast | Check-in |"
        in (markdown)
    )
    rows = {line.split(" | ")[0]: line for line in markdown.splitlines() if line.startswith("| ★")}
    assert rows["| ★ Latency"].endswith(" | 0 % (120 ms) | 9/10, disagrees |")
    assert rows["| ★ Errors"].endswith(" | 100 % (2) | 2/10, stale, disagrees |")
    assert rows["| ★ Up"].endswith(" | 0 % (0) | — |")
    details = markdown.split("## Convergence Points")[1]
    assert (
        "- **Check-in:** **9/10** by &lt;i&gt;Rae&lt;/i&gt;, 2026-11-17 08:30 (**disagrees**"
        in (details)
    )
    assert "- **Check-in:** **2/10**, 2026-11-10 11:59 (**stale**, 8 days old; **disagrees** " in (
        details
    )
    watch = markdown.split("### What to watch")[1].split("---")[0]
    assert "Check-in: 9/10 by &lt;i&gt;Rae&lt;/i&gt;, disagrees with the forecast." in watch
    assert "Check-in: 2/10, stale, disagrees with the forecast." in watch


@pytest.mark.parametrize("renderer", RENDERERS)
def test_hostile_notes_and_names_render_as_text_in_markdown(
    week3: RunOutcome, renderer: str
) -> None:
    markdown = (_folder(week3) / "one.md").read_text()
    assert not CONTROL_CHARS.search(markdown)
    parsed = parse(RENDERERS[renderer](markdown))
    for tag, attrs in parsed.elements:
        assert tag not in ("script", "i", "b", "s", "del"), (tag, attrs)
        if tag == "img":
            assert str(attrs["src"]).startswith("charts/"), attrs
        if tag == "a":
            assert str(attrs["href"]).startswith("http://127.0.0.1:9090/graph?"), attrs
    text = shown(parsed.text)
    assert shown(one_line(NOTE)) in text  # the note as written, without its control characters
    assert "<i>Rae</i>" in text and "<b>Dana</b> *x*" in text  # author and owner, as written
    cut = shown(one_line(LONG).strip())[:MAX_MESSAGE_CHARS]
    assert f"“{cut}... (" in text and LONG.strip() not in text


def test_hostile_notes_and_names_render_as_text_in_html(week3: RunOutcome) -> None:
    html = (_folder(week3) / "one.html").read_text()
    assert not CONTROL_CHARS.search(html)
    parsed = parse(html)
    assert not [t for t, _ in parsed.elements if t in ("script", "i", "b")]
    assert all(str(a["src"]).startswith("charts/") for t, a in parsed.elements if t == "img")
    assert not [a for _, a in parsed.elements if any(k.startswith("on") for k in a)]
    text = shown(parsed.text)
    assert shown(one_line(NOTE)) in text and "<i>Rae</i>" in text and "<b>Dana</b> *x*" in text
    assert '<td class="checkin">9/10<br><small class="flags">disagrees</small></td>' in html


def test_hostile_notes_read_back_from_the_pdf_as_text(week3: RunOutcome) -> None:
    reader = PdfReader(_folder(week3) / "one.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert not CONTROL_CHARS.search(text)
    joined = "".join(text.split())  # cells and lines wrap
    for value in ("<script>alert(1)</script>", "<imgsrc=xonerror=alert(1)>", "**bold**"):
        assert value in joined
    assert "<i>Rae</i>" in joined and "<b>Dana</b>*x*" in joined
    assert "&lt;" not in joined and "&amp;amp;" not in joined and "\\*" not in joined


def test_a_complete_week_judges_staleness_at_its_end_not_at_the_rerun(tmp_path: Path) -> None:
    """Week 2 ended 2 days before NOW: a check-in written as it began is 7 days old at its end
    (not stale), as it was the night the week closed, though it is 9 days old at NOW."""
    config = _write_config(tmp_path)
    (tmp_path / "checkins.yaml").write_text(
        "- {goal: up, week: 2, confidence: 6, note: n, at: 2026-11-09T00:00:00Z}\n"
    )
    outcome = _run(config, tmp_path / "out", week=2)
    found = outcome.result.checkins.goals["up"]
    assert found.age == timedelta(days=7) and not found.stale


def test_a_rerun_of_a_complete_week_leaves_out_check_ins_written_after_it_closed(
    tmp_path: Path,
) -> None:
    """Rerun at NOW, week 2 (closed two days before) shows what was said by its end: not a
    check-in for week 2 written afterwards (its age would be negative: never stale)."""
    config = _write_config(tmp_path)
    (tmp_path / "checkins.yaml").write_text(
        "- {goal: up, week: 2, confidence: 6, note: during, at: 2026-11-13T09:00:00Z}\n"
        "- {goal: up, week: 2, confidence: 9, note: after, at: 2026-11-17T09:00:00Z}\n"
    )
    found = _run(config, tmp_path / "out", week=2).result.checkins.goals["up"]
    assert (found.note, found.confidence) == ("during", 6)


def test_no_check_in_on_a_week_past_the_sprints_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With `sprint.weeks: 2`, week 3 (the week holding NOW) is not the sprint's."""
    config = _write_config(tmp_path)
    config.write_text(CONFIG.replace("step: 1h}", "step: 1h, weeks: 2}"))
    for week in ([], ["--week", "3"]):
        assert _checkin(config, "--goal", "up", *week, "--confidence", "5", "--note", "x") == 2
        assert capsys.readouterr().err == (
            "error: --week: the sprint has 2 weeks (sprint.weeks), so there is no week 3 to "
            "check in on; give --week for one of them\n"
        )
    assert not (tmp_path / "checkins.yaml").exists()
    assert _checkin(config, "--goal", "up", "--week", "2", "--confidence", "5", "--note", "x") == 0


def test_an_unreadable_file_is_a_warning_and_a_note_and_is_left_alone(tmp_path: Path) -> None:
    config = _write_config(tmp_path)
    broken = "- {goal: lat, week: 3, confidence: 7, note: x, at: 2026-11-16T08:00:00Z}\n- [\n"
    path = tmp_path / "checkins.yaml"
    path.write_text(broken)
    with pipeline_log() as log:
        outcome = _run(config, tmp_path / "out")
    assert outcome.result.checkins.goals == {}
    said = f"check-ins not shown: {path}: line 3, column 1: not valid YAML: "
    assert any(m.startswith(said) for m in log.messages), log.messages
    quality = (_folder(outcome) / "one.md").read_text().split("## Data Quality")[1]
    assert "- Check-ins are not shown: " in quality and "not valid YAML" in quality
    assert path.read_text() == broken


def test_a_missing_file_means_no_check_ins(tmp_path: Path) -> None:
    outcome = _run(_write_config(tmp_path), tmp_path / "out")
    assert outcome.result.checkins.goals == {} and outcome.result.checkins.problem is None
    assert "Check-in" not in (_folder(outcome) / "one.md").read_text()
    assert not (tmp_path / "checkins.yaml").exists()  # a run never writes it


# --- the checkin command -------------------------------------------------------------------


def _checkin(config: Path, *args: str) -> int:
    return main(["checkin", "--config", str(config), *args], now=NOW)


def test_checkin_appends_keeping_the_file_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _write_config(tmp_path, "report: {checkins_file: team/checkins.yaml}\n")
    path = tmp_path / "team" / "checkins.yaml"
    path.parent.mkdir()
    before = (
        "# ours: keep this comment\n"
        "- {goal: up, week: 2, confidence: 4, note: old, at: 2026-11-12T10:00:00Z}\n"
    )
    path.write_text(before)
    monkeypatch.setenv("USER", "dana")
    assert (
        _checkin(config, "--goal", "lat", "--confidence", "7", "--note", " Cache <b>on</b> ") == 0
    )
    assert capsys.readouterr().out == f"{path}: added lat, week 3: 7/10 by dana\n"
    assert _checkin(config, "--goal", "up", "--week", "2", "--confidence", "10", "--note", "yes",
                    "--author", "Sam <sam@example.com>") == 0  # fmt: skip
    text = path.read_text()
    assert text.startswith(before)
    entries = read_checkins(path)
    assert entries[1:] == (
        CheckinEntry("lat", 3, 7, "Cache <b>on</b>", "dana", NOW),
        CheckinEntry("up", 2, 10, "yes", "Sam <sam@example.com>", NOW),
    )
    assert "note: 'yes'" in text  # quoted: it reads back as the text, not a boolean
    assert not list(path.parent.glob(".checkins.yaml.*.tmp"))


def test_a_new_file_starts_with_a_header_and_no_author_when_none_is_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("USER", raising=False)
    monkeypatch.delenv("LOGNAME", raising=False)
    config = _write_config(tmp_path)
    assert _checkin(config, "--goal", "err", "--week", "current", "--confidence", "3",
                    "--note", "flaky") == 0  # fmt: skip
    text = (tmp_path / "checkins.yaml").read_text()
    assert text == (
        HEADER + "- goal: err\n  week: 3\n  confidence: 3\n  note: flaky\n"
        "  at: '2026-11-18T12:00:00+00:00'\n"
    )
    assert capsys.readouterr().out.endswith(": added err, week 3: 3/10\n")


def test_a_flow_style_list_is_rewritten_whole_with_every_check_in(tmp_path: Path) -> None:
    config = _write_config(tmp_path)
    path = tmp_path / "checkins.yaml"
    path.write_text("[{goal: up, week: 3, confidence: 4, note: old, at: 2026-11-16T10:00:00Z}]\n")
    assert _checkin(config, "--goal", "up", "--confidence", "6", "--note", "new") == 0
    assert path.read_text().startswith(HEADER)
    assert [e.note for e in read_checkins(path)] == ["old", "new"]


USAGE = "(see --help)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--goal", "nope", "--confidence", "5", "--note", "x"],
         "--goal nope: no such goal in {config} (goals: up, lat, err)"),
        (["--goal", "up", "--confidence", "0", "--note", "x"],
         f"argument --confidence: expected a whole number from 1 to 10, not 0 {USAGE}"),
        (["--goal", "up", "--confidence", "11", "--note", "x"],
         f"argument --confidence: expected a whole number from 1 to 10, not 11 {USAGE}"),
        (["--goal", "up", "--confidence", "7.5", "--note", "x"],
         f"argument --confidence: expected a whole number from 1 to 10, not '7.5' {USAGE}"),
        (["--goal", "up", "--confidence", "seven", "--note", "x"],
         f"argument --confidence: expected a whole number from 1 to 10, not 'seven' {USAGE}"),
        (["--goal", "up", "--confidence", "1_0", "--note", "x"],  # int() would read 10
         f"argument --confidence: expected a whole number from 1 to 10, not '1_0' {USAGE}"),
        (["--goal", "up", "--confidence", "\u0667", "--note", "x"],  # an Arabic-Indic 7
         f"argument --confidence: expected a whole number from 1 to 10, not '\u0667' {USAGE}"),
        (["--goal", "up", "--confidence", "5", "--note", ""],
         "--note is empty: say in a few words why you are this confident"),
        (["--goal", "up", "--confidence", "5", "--note", " \x1b\x07 \n"],
         "--note is empty: say in a few words why you are this confident"),
        (["--goal", "up", "--confidence", "5", "--note", "x" * 2001],
         "--note is 2,001 characters long; keep it to 2,000 (link to the rest)"),
        (["--goal", "up", "--week", "0", "--confidence", "5", "--note", "x"],
         f"argument --week: expected a week number (1 or more) or 'current', not 0 {USAGE}"),
        (["--goal", "up", "--week", "5", "--confidence", "5", "--note", "x"],
         "week 5 starts on 2026-11-30, which is in the future"),
        (["--goal", "up", "--confidence", "5"],
         f"the following arguments are required: --note {USAGE}"),
    ],
)  # fmt: skip
def test_checkin_usage_errors_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    config = _write_config(tmp_path)
    assert _checkin(config, *args) == 2
    assert capsys.readouterr().err == f"error: {message.format(config=config)}\n"
    assert not (tmp_path / "checkins.yaml").exists()


AT = "at: '2026-11-16T10:00:00+00:00'"


LIST = "expected a list of check-ins (each starting `- goal: ...`), found"
ENTRIES = (
    f"- {{goal: up, week: 3, confidence: 12, note: x, {AT}}}\n"
    "- hello\n"
    f"- {{goal: up, week: 0, note: '', {AT}, mood: ok}}\n"
)


@pytest.mark.parametrize(
    ("content", "problems"),
    [
        ("- goal: [up\n",
         ["line 2, column 1: not valid YAML: expected ',' or ']', but got '<stream end>'"]),
        ("goal: up\n", [f"{LIST} a mapping"]),
        ("just words\n", [f"{LIST} a single value"]),
        (ENTRIES,
         ["check-in 1 (line 1): confidence: expected a whole number from 1 to 10, not 12",
          "check-in 2 (line 2): expected a mapping with goal, week, confidence, note, at",
          "check-in 3 (line 3): unknown key 'mood'",
          "check-in 3 (line 3): confidence: required key is missing",
          "check-in 3 (line 3): week: expected a week number, 1 or more, not 0",
          "check-in 3 (line 3): note: expected text, and not empty"]),
        ("- {goal: up, week: !!int three, confidence: 5, note: x}\n",
         ["line 1, column 20: not valid YAML: 'three' is not a valid integer (invalid literal "
          "for int() with base 10: 'three')"]),
        ("- {goal: up, week: 3, confidence: !!bool maybe, note: x}\n",
         ["line 1, column 35: not valid YAML: 'maybe' is not a valid boolean"]),
        ("- {goal: up, week: 3, confidence: 5, note: x, at: 2026-11-16T10:00:00}\n",
         ["check-in 1 (line 1): at: '2026-11-16T10:00:00' has no offset from UTC "
          "(add one, like +00:00)"]),
    ],
)  # fmt: skip
def test_a_file_that_is_not_check_ins_exits_2_and_is_never_written_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, problems: list[str]
) -> None:
    config = _write_config(tmp_path)
    path = tmp_path / "checkins.yaml"
    path.write_text(content)
    assert _checkin(config, "--goal", "up", "--confidence", "5", "--note", "x") == 2
    said = "".join(f"{path}: {p}\n" for p in problems)
    assert capsys.readouterr().err == f"error: {said}"
    assert path.read_text() == content


@dataclass
class _Held:
    """The check-ins file's lock, held by the test."""

    path: Path

    def __enter__(self) -> _Held:
        self.handle = open(self.path, "a+")
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def test_two_processes_checking_in_at_once_both_land(tmp_path: Path) -> None:
    """Both wait for the lock (held here until both say so), then each appends: nothing lost.
    The sprint starts in 2000, so `--week 1` has begun whatever the clock says."""
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG.replace("start: 2026-11-02", "start: 2000-01-03"))
    path = tmp_path / "checkins.yaml"
    path.write_text(
        "# kept\n- {goal: up, week: 1, confidence: 4, note: first, at: 2000-01-03T10:00:00Z}\n"
    )
    command = [sys.executable, "-m", "pipeline", "checkin", "--config", str(config), "--week", "1"]
    with _Held(tmp_path / ".checkins.yaml.lock"):
        procs = [
            subprocess.Popen(
                [*command, "--goal", goal, "--confidence", "7", "--note", f"from {goal}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for goal in ("lat", "err")
        ]
        for proc in procs:
            assert proc.stderr is not None
            waiting = proc.stderr.readline()  # blocks until the process has found the lock taken
            assert f"{path} is locked by " in waiting and "; waiting up to 60s" in waiting
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert path.read_text().startswith("# kept\n")
    assert sorted(e.note for e in read_checkins(path)) == ["first", "from err", "from lat"]


def test_notes_that_yaml_would_read_as_something_else_stay_text(tmp_path: Path) -> None:
    text = (
        "- {goal: up, week: 3, confidence: '7', note: yes, at: 2026-11-16T10:00:00Z}\n"
        "- {goal: up, week: 3, confidence: 7, note: 1.50, author: null, at: 2026-11-16T10:00:00Z}\n"
    )
    first, second = parse_checkins(text, tmp_path / "c.yaml")
    assert (first.note, first.confidence, second.note, second.author) == ("yes", 7, "1.50", None)
