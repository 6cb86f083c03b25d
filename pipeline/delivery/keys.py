"""Which deliveries are the same: a key from what the week's reports say and who receives them.

Two runs that say the same thing to the same recipient (or channel) make the same key, and the
second sends nothing. What a run's settings change without changing what the reports say
(time-outs, retries, the SMTP or Prometheus host, the job store, the cron line, the sender,
attaching or linking, where the reports are served) is not in the key; what the reports say
(goals, targets, names, agents, scores, values, thresholds, the trend) is.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pipeline.core.model import WeekResult
from pipeline.outputs.summary_model import Summary


def _fingerprints(summary: Summary, result: WeekResult) -> tuple[str, str]:
    """What the week's reports say, hashed: summary.json without the run's fields (when it ran;
    the instant it saw, as a complete week reads the same at any later instant and a week in
    progress ends there, which its window says; the whole config's digest), with what the
    reports show that summary.json does not hold (thresholds, time zone, step); and the
    fingerprint recorded before issue 20 (with the config digest), still accepted as "already
    sent" so that the first run after an upgrade does not mail every report again. Both from the
    run's summary document, without the files this run wrote for each agent (which agents a run
    renders is not what the reports say), serialised as summary.json is."""
    unwritten = [a.model_copy(update={"files": {}}) for a in summary.agents]
    document = summary.model_copy(update={"agents": unwritten}).model_dump(
        mode="json", by_alias=True, exclude={"generated_at", "as_of"}
    )
    earlier = _sha256(document)
    document.pop("config_digest")
    _without_unused_fields(document)
    document["shown"] = {
        "pass_score": result.pass_score,
        "warning_score": result.warning_score,
        "timezone": result.window.timezone,
        "step_s": result.window.step_s,
    }
    return _sha256(document), earlier


# Fields added to summary.json since the key's form was settled, with the value they have when
# unused: left out of the key then, so that the first run after an upgrade, which says what the
# last one said, does not mail and post it again.
_ADDED_GOAL_FIELDS: dict[str, object] = {
    "baseline": None,
    "owner": None,
    "checkin": None,
    "exclusions": [],
    "raw": None,
}
_ADDED_FIELDS: dict[str, object] = {"invalidated": []}


def _without_unused_fields(document: dict[str, Any]) -> None:
    for key, unused in _ADDED_FIELDS.items():
        if document.get(key) == unused:
            document.pop(key, None)
    for goal in document.get("goals", []):
        for key, unused in _ADDED_GOAL_FIELDS.items():
            if goal.get(key, unused) == unused:
                goal.pop(key, None)


def _sha256(document: object) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Key:
    """One delivery's key, and the key an earlier version recorded for the same delivery."""

    current: str
    earlier: str

    @property
    def accepted(self) -> tuple[str, ...]:
        """The keys that mean "already sent"."""
        return self.current, self.earlier


@dataclass(frozen=True)
class WeekKeys:
    """The fingerprints of one week's reports, from which each delivery's key is made."""

    content: str
    earlier: str

    @classmethod
    def of(cls, summary: Summary, result: WeekResult) -> WeekKeys:
        """The keys of the week in `summary`, the run's document of `result`."""
        return cls(*_fingerprints(summary, result))

    def mail(self, agent_id: str) -> Key:
        """One agent's e-mail (its recipients are recorded one by one under this key)."""
        return Key(self._hash(self.content, agent_id), self._hash(self.earlier, agent_id))

    def chat(self, channel_key: str, said: str, posted: str) -> Key:
        """One channel's post: `said` is its text without the report's link (where the report
        is served is not what it says), `posted` the text as posted (earlier keys hashed it)."""
        return Key(
            self._hash(self.content, channel_key, said),
            self._hash(self.earlier, channel_key, posted),
        )

    @staticmethod
    def _hash(fingerprint: str, *parts: str) -> str:
        return hashlib.sha256(":".join((fingerprint, *parts)).encode()).hexdigest()
