"""The adapter's waits: backoff and Retry-After, never more than timeout_s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from pipeline.bounded_http import BoundedAdapter, Limits, _retry_after


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert _retry_after("120") == 120
    assert _retry_after(None) is None
    assert _retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=100), usegmt=True)
    assert 90 < (_retry_after(later) or 0) <= 100
    earlier = format_datetime(datetime.now(UTC) - timedelta(seconds=100), usegmt=True)
    assert _retry_after(earlier) == 0


@pytest.mark.parametrize(
    ("tries", "retry_after", "wait"),
    [
        (1, None, 0.5),
        (2, None, 1.0),
        (3, None, 2.0),
        (4, None, 2.0),
        (1, 86400.0, 2.0),
        (1, 1.0, 1.0),
    ],
)
def test_each_wait_is_at_most_timeout_s(tries: int, retry_after: float | None, wait: float) -> None:
    adapter = BoundedAdapter(Limits(timeout_s=2, retries=5, max_bytes=1024))
    adapter.tries = tries
    assert adapter._wait(retry_after) == wait
