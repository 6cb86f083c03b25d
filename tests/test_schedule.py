"""The scheduler: crontab weekdays, a real run in a subprocess, restarts and signals."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from pipeline.core.cron import cron_trigger, crontab_weekdays, latest_fire_time
from pipeline.demo.promserver import PrometheusServer, free_port
from pipeline.schedule.scheduler import JOB_ID
from tests.support.configs import shipped_config
from tests.support.faultproxy import Faults, fault_proxy
from tests.support.hostile import drip
from tests.support.live import LiveSprint
from tests.support.scheduler import Scheduler
from tests.support.setups import schedule_config
from tests.support.smtp import Inbox, SmtpServer

pytestmark = pytest.mark.clock
PARIS = ZoneInfo("Europe/Paris")
EVERY_2_S = "*/2 * * * * *"  # six fields: seconds first


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("5-7", "sun,fri,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("0,6", "sun,sat"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("*", "*"),
    ],
)
def test_crontab_weekdays_count_from_sunday(field: str, names: str) -> None:
    assert crontab_weekdays(field) == names


def test_a_sunday_cron_fires_on_sunday_in_the_sprint_zone() -> None:
    trigger = cron_trigger("0 2 * * 0", PARIS)
    monday = datetime(2026, 11, 23, 12, tzinfo=PARIS)
    fire = trigger.get_next_fire_time(None, monday)
    assert fire == datetime(2026, 11, 29, 2, tzinfo=PARIS)
    assert fire.strftime("%A") == "Sunday"
    following = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    assert following == datetime(2026, 12, 6, 2, tzinfo=PARIS)
    # the start of summer time: 02:00 does not exist in Paris that night, so it fires when the
    # clocks jump, 03:00 local, 01:00 UTC
    march = trigger.get_next_fire_time(None, datetime(2027, 3, 22, tzinfo=PARIS))
    assert march is not None
    assert march.astimezone(UTC) == datetime(2027, 3, 28, 1, tzinfo=UTC)


def test_latest_fire_time() -> None:
    now = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    day = timedelta(days=1)
    assert latest_fire_time("0 2 * * *", UTC, now, day) == datetime(2026, 11, 26, 2, tzinfo=UTC)
    early = datetime(2026, 11, 26, 1, tzinfo=UTC)
    assert latest_fire_time("0 2 * * *", UTC, early, day) == datetime(2026, 11, 25, 2, tzinfo=UTC)
    on_the_slot = datetime(2026, 11, 26, 2, tzinfo=UTC)
    assert latest_fire_time("0 2 * * *", UTC, on_the_slot, day) == on_the_slot
    assert latest_fire_time("0 2 * * 0", UTC, now, day) is None  # last Sunday is 4 days back


def test_latest_fire_time_after_the_clocks_go_back() -> None:
    # 02:00 happens twice in Paris on 2027-10-31; the later one is the slot. The hand-written
    # forward walk this replaced never left 02:00+01:00 and hung the scheduled run.
    now = datetime(2027, 10, 31, 9, tzinfo=PARIS)
    slot = latest_fire_time("0 2 * * *", PARIS, now, timedelta(days=1))
    assert slot is not None
    assert slot.astimezone(UTC) == datetime(2027, 10, 31, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "expression",
    [
        "0 2 * * *",
        "0 2 * * 0",
        "0 2 * * 7",
        "30 3 * * 1-5",
        "15 */6 * * 5-7",
        "0 1-3 * * sun",
        "0 2 1-7 * 3",
        "*/20 4 * * *",
        "*/2 * * * * *",
        "30 0 2 * * *",
    ],
)
def test_latest_fire_time_is_the_triggers_last_fire(expression: str) -> None:
    # croniter (backwards) and the APScheduler trigger (forwards) read the line alike: the slot
    # is one of the trigger's fires (same instant) and its next fire is after `now`. Equality in
    # UTC: two datetimes in one zone compare their wall clocks, and 02:00 may not exist.
    for zone in (UTC, PARIS, ZoneInfo("America/New_York")):
        trigger = cron_trigger(expression, zone)
        for days in range(0, 400, 37):
            now = datetime(2027, 1, 1, 11, 7, 13, tzinfo=UTC).astimezone(zone) + timedelta(
                days=days
            )
            slot = latest_fire_time(expression, zone, now, timedelta(days=60))
            assert slot is not None and slot <= now
            second, instant = timedelta(seconds=1), slot.astimezone(UTC)
            fire = trigger.get_next_fire_time(None, instant - second)
            assert fire is not None and fire.astimezone(UTC) == instant, (now, slot)
            after = trigger.get_next_fire_time(None, instant + second)
            assert after is not None and after > now, (now, slot)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    with SmtpServer(box) as server:
        yield box, server.port


@contextmanager
def _job_store(path: Path) -> Iterator[SQLAlchemyJobStore]:
    """The scheduler's job store, opened without a running scheduler (which would run jobs)."""
    store = SQLAlchemyJobStore(url=f"sqlite:///{path}")
    store.start(BackgroundScheduler(), "default")
    try:
        yield store
    finally:
        store.shutdown()


def _runs(out: Path) -> int:
    with sqlite3.connect(out / "history.sqlite") as db:
        return int(db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])


@pytest.mark.prometheus
def test_a_scheduled_run_writes_reports_and_mails_them(
    tmp_path: Path, live_prometheus: LiveSprint, inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    # every 2 seconds: the first run comes a moment after start, however slow the start
    live = live_prometheus
    config = schedule_config(tmp_path, live.url, EVERY_2_S, port, start=live.start)
    scheduler = Scheduler(config, tmp_path / "scheduler.log")
    try:
        scheduler.wait_for("scheduler started")
        scheduler.wait_for("scheduled run for")
    finally:
        assert scheduler.stop() == 0
    out = tmp_path / "reports"
    # the week that holds now, in progress, as of the slot it ran for
    assert sorted(p.name for p in out.glob("week-*")) == ["week-02"]
    assert len(list((out / "week-02").glob("*.pdf"))) == 4
    summary = json.loads((out / "week-02" / "summary.json").read_text())
    assert summary["window"]["complete"] is False
    assert summary["window"]["end"] == summary["as_of"]
    assert summary["overall"]["score"] is not None
    # a second run may have begun before the stop; it finishes too (4 messages a run)
    assert len(box.messages) in (4, 8)
    assert {r[0] for r, _ in box.messages} == {
        "product@example.com",
        "devops@example.com",
        "testing@example.com",
        "go-team@example.com",
    }
    assert "scheduler stopped" in scheduler.output()


@pytest.mark.prometheus
def test_sigterm_during_a_run_lets_it_finish(
    tmp_path: Path, live_prometheus: LiveSprint, inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    live = live_prometheus
    config = schedule_config(tmp_path, live.url, EVERY_2_S, port, start=live.start, formats="md")
    scheduler = Scheduler(config, tmp_path / "s.log")
    scheduler.wait_for("scheduler started")
    scheduler.wait_for("samples per series")  # the run has started querying
    assert scheduler.stop(signal.SIGTERM) == 0
    output = scheduler.output()
    assert output.index("SIGTERM received") < output.index("scheduled run for")
    assert output.index("scheduled run for") < output.index("scheduler stopped")
    assert len(box.messages) == 4  # the run went all the way to delivery


@pytest.mark.prometheus
def test_a_restart_after_two_missed_nights_runs_once(
    tmp_path: Path, live_prometheus: LiveSprint, inbox: tuple[Inbox, int]
) -> None:
    _, port = inbox
    live = live_prometheus
    config = schedule_config(
        tmp_path, live.url, "0 2 * * *", port, grace="3d", start=live.start, formats="md"
    )
    store = tmp_path / "reports" / "scheduler.sqlite"
    first = Scheduler(config, tmp_path / "first.log")
    first.wait_for("scheduler started")
    first.stop(signal.SIGKILL)  # killed: no clean shutdown
    # The scheduler was down for two nights: its stored next run is two days ago.
    two_nights_ago = (datetime.now(UTC) - timedelta(days=2)).replace(hour=2, minute=0, second=0)
    with _job_store(store) as jobs:
        job = jobs.lookup_job(JOB_ID)
        job._modify(next_run_time=two_nights_ago)
        jobs.update_job(job)

    slots = {latest_fire_time("0 2 * * *", UTC, datetime.now(UTC), timedelta(days=1))}
    second = Scheduler(config, tmp_path / "second.log")
    try:
        second.wait_for("scheduled run for")
        time.sleep(3)  # room for a second catch-up run, which must not come
    finally:
        assert second.stop() == 0
    slots.add(latest_fire_time("0 2 * * *", UTC, datetime.now(UTC), timedelta(days=1)))
    assert _runs(tmp_path / "reports") == 1
    # it reported as of the latest slot (not the missed ones), in the live sprint's week 2
    summary = json.loads((tmp_path / "reports" / "week-02" / "summary.json").read_text())
    assert summary["as_of"] in {s.isoformat() for s in slots if s}
    assert second.output().count("scheduled run for") == 1
    with _job_store(store) as jobs:
        next_run = jobs.lookup_job(JOB_ID).next_run_time
    assert next_run > datetime.now(UTC) and next_run.hour == 2


def test_a_failed_run_is_logged_and_the_scheduler_goes_on(
    tmp_path: Path, inbox: tuple[Inbox, int]
) -> None:
    _, port = inbox
    dead = f"http://127.0.0.1:{free_port()}"
    text_config = schedule_config(tmp_path, dead, "*/2 * * * * *", port)
    text_config.write_text(text_config.read_text().replace("retries: 3", "retries: 0"))
    scheduler = Scheduler(text_config, tmp_path / "scheduler.log")
    try:
        deadline = time.monotonic() + 30
        while scheduler.output().count("scheduled run failed (exit code 3)") < 2:
            assert scheduler.process.poll() is None, scheduler.output()
            assert time.monotonic() < deadline, scheduler.output()
            time.sleep(0.2)
    finally:
        assert scheduler.stop(signal.SIGINT) == 0
    assert f"Prometheus at {dead}: connection refused (1 tries)" in scheduler.output()
    assert "Traceback" not in scheduler.output()


def test_the_scheduler_refuses_a_config_without_smtp_password(
    tmp_path: Path, inbox: tuple[Inbox, int]
) -> None:
    config = shipped_config(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "SMTP_PASSWORD"}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "schedule", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"error: {config}: email.password_env: environment variable 'SMTP_PASSWORD' is not set\n"
    )


@pytest.mark.prometheus
def test_a_stalled_source_ends_each_run_in_time_the_next_slot_runs_and_sigterm_stops_it(
    tmp_path: Path, prometheus: PrometheusServer, inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    timeout_s, retries = 1, 0
    bound = (2 * retries + 1) * timeout_s + 15  # README's worst case, plus start-up and slack
    with fault_proxy(prometheus.url, Faults(answer=drip(0.2))) as url:
        config = schedule_config(tmp_path, url, EVERY_2_S, port)
        text = config.read_text().replace("timeout_s: 30", f"timeout_s: {timeout_s}")
        config.write_text(text.replace("retries: 3", f"retries: {retries}"))
        scheduler = Scheduler(config, tmp_path / "s.log")
        try:
            scheduler.wait_for("scheduler started")
            durations = []
            for run in range(1, 3):  # two slots, one after the other
                scheduler.wait_for_count("samples per series", run)
                started = time.monotonic()
                scheduler.wait_for_count("scheduled run failed (exit code 3)", run, bound)
                durations.append(time.monotonic() - started)
            assert all(d < bound for d in durations), durations
            scheduler.wait_for_count("samples per series", 3)  # a third run is under way
            stopping = time.monotonic()
            assert scheduler.stop(signal.SIGTERM) == 0
            assert time.monotonic() - stopping < bound
        finally:
            scheduler.stop(signal.SIGKILL)
    output = scheduler.output()
    assert f"Prometheus at {url}: no complete answer within 1s (1 tries)" in output
    assert "scheduler stopped" in output
    assert not list((tmp_path / "reports").glob("week-*")) and not box.messages


def test_sigterm_delivered_to_another_thread_still_stops_the_scheduler(tmp_path: Path) -> None:
    """The kernel may hand SIGTERM to any thread (a run's HTTP or watchdog threads); Python then
    only flags it, and the main thread must wake up to run the handler."""
    config = schedule_config(tmp_path, "http://127.0.0.1:9", "0 2 * * *", 25)
    script = (
        "import signal, sys, threading, time\n"
        "from pathlib import Path\n"
        "from pipeline.schedule.scheduler import run_scheduler\n"
        "def poke():\n"
        "    time.sleep(2)\n"
        "    signal.pthread_kill(threading.get_ident(), signal.SIGTERM)\n"
        "threading.Thread(target=poke, daemon=True).start()\n"
        f"sys.exit(run_scheduler(Path({str(config)!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
