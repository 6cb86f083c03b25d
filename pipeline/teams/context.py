"""Every progress and error line logged while a team runs starts with its id (`alpha: ...`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_TEAM: ContextVar[str | None] = ContextVar("team", default=None)


class _TeamPrefix(logging.Filter):
    """Puts the id of the team being run (in this thread) before the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        team = _TEAM.get()
        if team and not getattr(record, "team", None):
            record.msg = f"{team}: {record.msg}"
            record.team = team
        return True


_PREFIX = _TeamPrefix()


@contextmanager
def team_context(team_id: str) -> Iterator[None]:
    """Lines logged to the `pipeline` logger in this thread (or context) name `team_id`."""
    logger = logging.getLogger("pipeline")
    if _PREFIX not in logger.filters:
        logger.addFilter(_PREFIX)
    token = _TEAM.set(team_id)
    try:
        yield
    finally:
        _TEAM.reset(token)
