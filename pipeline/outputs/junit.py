"""The week's goals as JUnit XML, so CI systems show each goal as a test."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from pipeline.core.model import GoalResult, WeekResult
from pipeline.core.outcomes import NoDataPolicy, Status
from pipeline.core.text import cap, strip_controls
from pipeline.report import formatting as fmt


def junit_xml(result: WeekResult) -> str:
    """One <testsuite> for the week, one <testcase> per goal: missed goals (and unmeasured ones
    scored 0 under `no_data: fail`) are failures, query errors are errors, goals left out under
    `no_data: skip` are skipped; met and at-risk goals pass."""
    cases = [_case(goal, result) for goal in result.goals]
    counts = {
        "tests": len(cases),
        "failures": sum(c.find("failure") is not None for c in cases),
        "errors": sum(c.find("error") is not None for c in cases),
        "skipped": sum(c.find("skipped") is not None for c in cases),
    }
    name = f"{result.sprint} week {result.window.week}"
    suites = ET.Element("testsuites", {"name": _clean(result.sprint)})
    suite = ET.SubElement(
        suites,
        "testsuite",
        {
            "name": _clean(name),
            **{k: str(v) for k, v in counts.items()},
            "timestamp": result.generated_at.isoformat(timespec="seconds"),
        },
    )
    props = ET.SubElement(suite, "properties")
    card = result.scorecard
    for key, value in (
        ("verdict", card.verdict.value),
        ("score", fmt.score(card.score)),
        ("window", f"{result.window.start.isoformat()}/{result.window.end.isoformat()}"),
    ):
        ET.SubElement(props, "property", {"name": key, "value": value})
    suite.extend(cases)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _case(goal: GoalResult, result: WeekResult) -> ET.Element:
    spec = goal.spec
    case = ET.Element(
        "testcase", {"classname": f"sprint.{_clean(spec.category)}", "name": _clean(spec.name)}
    )
    summary = _summary(goal)
    if goal.status is Status.MISSED:
        _child(case, "failure", summary, "missed")
    elif goal.status is Status.ERROR:
        _child(case, "error", summary, "error")
    elif goal.status is Status.NO_DATA and result.no_data_policy is NoDataPolicy.SKIP:
        _child(case, "skipped", summary, None)
    elif goal.status is Status.NO_DATA:
        _child(case, "failure", summary, "no_data")
    out = ET.SubElement(case, "system-out")
    out.text = _clean(f"{spec.id}: {summary}\nquery: {spec.query}")
    return case


def _child(case: ET.Element, tag: str, message: str, kind: str | None) -> None:
    attrs = {"message": _clean(message)}
    if kind:
        attrs["type"] = kind
    ET.SubElement(case, tag, attrs)


def _summary(goal: GoalResult) -> str:
    spec = goal.spec
    target = fmt.target(spec.target, spec.unit)
    if goal.value is None:
        return f"{goal.status.text}: {goal.message or 'no value'} (target {target})"
    value = fmt.goal_quantity(goal.value, spec)
    return f"{goal.status.text}: {value} against {target}, score {fmt.score(goal.score)}"


def _clean(text: str) -> str:
    """Text XML 1.0 can carry: no control characters, cut to a sane length."""
    return cap(strip_controls(text))
