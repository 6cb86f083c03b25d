"""Check-ins as a report shows them: the confidence and its flags in the goal tables, the whole
check-in (author, date, note) in a goal's details, and a data-quality note when the file could
not be read. A note is text: it goes into sentences as a plain span, escaped by each output."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from pipeline.core.checkins import MAX_NOTE_CHARS, GoalCheckin
from pipeline.core.model import WeekResult
from pipeline.core.people import display_name
from pipeline.core.text import cap, one_line
from pipeline.report import formatting as fmt
from pipeline.report.spans import Sentence, Span, join, message, sentence, strong
from pipeline.scoring.checkins import STALE_AFTER

STALE = "stale"
DISAGREES = "disagrees"
# the goal tables' key to the column
LEGEND = (
    "Check-in: the latest confidence (1 to 10) someone gave the goal this week; stale: "
    f"written over {STALE_AFTER.days} days before the report's end; disagrees: 8 or more while "
    "the forecast gives it under 30 %, or 3 or less while it gives it over 70 %."
)


@dataclass(frozen=True)
class CheckinCell:
    """A check-in in a goal table: `7/10`, and its flags (`stale, disagrees`) if any."""

    confidence: str
    flags: str | None


def confidence(checkin: GoalCheckin) -> str:
    """`7/10`."""
    return f"{checkin.confidence}/10"


def flags(checkin: GoalCheckin) -> tuple[str, ...]:
    """`stale`, `disagrees`: the flags a check-in carries."""
    return tuple(
        name for name, on in ((STALE, checkin.stale), (DISAGREES, checkin.disagrees)) if on
    )


def checkin_cell(checkin: GoalCheckin | None) -> CheckinCell | None:
    """The goal table's check-in cell; None without a check-in."""
    if checkin is None:
        return None
    return CheckinCell(confidence(checkin), ", ".join(flags(checkin)) or None)


def author_name(checkin: GoalCheckin) -> str | None:
    """Who wrote it, as shown (`Dana <dana@example.com>` -> `Dana`); None when not said."""
    return display_name(one_line(checkin.author)) if checkin.author else None


def note_text(checkin: GoalCheckin) -> str:
    """The note as one line of text, cut to MAX_NOTE_CHARS."""
    return cap(one_line(checkin.note).strip(), MAX_NOTE_CHARS)


def written(checkin: GoalCheckin, timezone: str) -> str:
    """When it was written, in the sprint's time zone: `2026-11-18 09:30`."""
    return checkin.at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def _age(age: timedelta) -> str:
    """`9 days old`; just past STALE_AFTER, `over 7 days old`."""
    days = age // timedelta(days=1)
    if days <= STALE_AFTER.days:
        return f"over {STALE_AFTER.days} days old"
    return f"{fmt.count(days)} days old"


def _flag_spans(checkin: GoalCheckin) -> list[str | Span | Sentence]:
    """`(stale, 9 days old; disagrees with the forecast, 12 % likely met)`, bold flags."""
    found: list[Sentence] = []
    if checkin.stale:
        found.append(sentence(strong(STALE), f", {_age(checkin.age)}"))
    if checkin.disagrees and checkin.p_met is not None:
        found.append(
            sentence(
                strong(DISAGREES),
                f" with the forecast, {fmt.chance(checkin.p_met)} likely met",
            )
        )
    return [" (", join(found, "; "), ")"] if found else []


def checkin_sentence(checkin: GoalCheckin, timezone: str) -> Sentence:
    """`**7/10** by Dana, 2026-11-18 09:30 (**stale**, 9 days old): “The rollout is late.”`"""
    author = author_name(checkin)
    return sentence(
        strong(confidence(checkin)),
        f" by {author}" if author else None,
        f", {written(checkin, timezone)}",
        *_flag_spans(checkin),
        ": “",
        Span(note_text(checkin)),
        "”",
    )


def checkin_brief(checkin: GoalCheckin) -> Sentence:
    """For what to watch: `Check-in: 8/10 by Dana, disagrees with the forecast.`"""
    author = author_name(checkin)
    words = {STALE: STALE, DISAGREES: f"{DISAGREES} with the forecast"}
    shown = ", ".join(words[f] for f in flags(checkin))
    return sentence(
        "Check-in: ",
        confidence(checkin),
        f" by {author}" if author else None,
        f", {shown}" if shown else None,
        ".",
    )


def checkin_notes(result: WeekResult) -> tuple[Sentence, ...]:
    """The data-quality note when the check-ins file could not be read."""
    problem = result.checkins.problem
    if problem is None:
        return ()
    return (sentence("Check-ins are not shown: ", message(problem), "."),)
