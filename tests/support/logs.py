"""Collect what the pipeline logger says, whatever earlier tests did to its handlers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []
        self.levels: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        self.levels.append(record.levelno)


@contextmanager
def pipeline_log(level: int = logging.INFO) -> Iterator[_Collect]:
    """The messages the 'pipeline' logger emits at `level` or above inside the block."""
    logger = logging.getLogger("pipeline")
    handler, previous = _Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
