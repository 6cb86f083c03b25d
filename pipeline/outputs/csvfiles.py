"""goals.csv and series.csv: summary.json's goals and series as flat tables for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from pipeline.core.text import strip_controls
from pipeline.outputs.summary_model import (
    BaselineSummary,
    CheckinSummary,
    GoalOddsSummary,
    PreviousWeek,
    RawResult,
    Summary,
)

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): text
# cells that start so get a leading apostrophe, which spreadsheets show as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NON_FINITE = ("NaN", "+Inf", "-Inf")  # how summary.json writes numbers JSON cannot carry
# Goal fields that are objects or null: their columns are there even where they are null.
_Shape = Mapping[str, "_Shape | None"]
_ODDS: _Shape = dict.fromkeys(GoalOddsSummary.model_fields)
_NESTED: _Shape = {
    "previous": dict.fromkeys(PreviousWeek.model_fields),
    "forecast": {"week_end": _ODDS, "sprint_end": _ODDS},
    "checkin": dict.fromkeys(CheckinSummary.model_fields),
    "raw": dict.fromkeys(RawResult.model_fields),
    "baseline": dict.fromkeys(BaselineSummary.model_fields),
}


def goals_csv(summary: Summary) -> str:
    """One row per goal: every summary.json goal field but `series`, nested fields flattened
    with `_` (`previous_week`, `forecast_week_end_p_met`), lists joined with `; `."""
    rows = []
    for goal in summary.goals:
        row = _flat(goal.model_dump(mode="json", exclude={"series"}))  # as summary.json has it
        row["series_count"] = len(goal.series)
        rows.append(row)
    return _table(_columns(rows), rows)


def series_csv(summary: Summary) -> str:
    """One row per goal and series: the goal's id, the series' fields, and each label as a
    `label_<name>` column (empty where a series lacks that label)."""
    rows = []
    for goal in summary.goals:
        for series in goal.series:
            row: dict[str, Any] = {"goal_id": goal.id}
            row.update(_flat(series.model_dump(mode="json", exclude={"labels"})))
            row.update({f"label_{k}": v for k, v in series.labels.items()})
            rows.append(row)
    fixed = ["goal_id", "value", "status", "score", "coverage"]
    labels = sorted({k for r in rows for k in r if k.startswith("label_")})
    extra = [k for k in _columns(rows) if k not in fixed and k not in labels]
    return _table(fixed + extra + labels, rows)


def _flat(record: Mapping[str, Any], prefix: str = "", shape: _Shape = _NESTED) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        inner_shape = shape.get(key)
        if inner_shape is not None:  # every column, the object's or null's
            inner = value if isinstance(value, Mapping) else {}
            known = {k: inner.get(k) for k in inner_shape}
            out.update(_flat(known, f"{name}_", inner_shape))
        elif isinstance(value, Mapping):
            out.update(_flat(value, f"{name}_", {}))
        elif isinstance(value, list):
            out[name] = "; ".join(str(v) for v in value)
        else:
            out[name] = value
    return out


def _columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for r in rows for k in r))


def _table(columns: list[str], rows: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_cell(c) for c in columns])  # label names come from the server too
    for row in rows:
        writer.writerow([_cell(row.get(k)) for k in columns])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    """None as empty, booleans as true/false, numbers as Python writes them (full precision),
    text without control characters (`cat goals.csv` would run an escape sequence in a name,
    unit, label or message) and guarded against formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = strip_controls(str(value))
    if text in _NON_FINITE or not text.startswith(_FORMULA_START):
        return text
    return f"'{text}"
