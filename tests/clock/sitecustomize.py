"""Moves this Python process's wall clock ahead when PIPELINE_CLOCK_SHIFT_DAYS is set.

`make test-shifted` puts this folder on PYTHONPATH, so every Python process the tests start
(the CLI, the scheduler, pool workers) imports it at start-up and runs a year ahead. The wall
clock ticks on from there (time.time, datetime.now, date.today); the monotonic clock and
time.sleep are left alone, and the Go servers (Prometheus, the Pushgateway) keep real time.
"""

from __future__ import annotations

import os
import time

_days = os.environ.get("PIPELINE_CLOCK_SHIFT_DAYS")
if _days:
    import time_machine

    time_machine.travel(time.time() + float(_days) * 86400, tick=True).start()
