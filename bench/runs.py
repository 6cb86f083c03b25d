"""Run one command as a whole process and measure it; check out another revision's code."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


class Measure(NamedTuple):
    """One run of a command: how it ended, its wall time, the peak RSS of the command and of
    its processes summed (MB), and the CPU time of all its processes (s)."""

    outcome: str
    wall: float
    rss: float
    summed: float
    cpu: float


def _rss(pid: int) -> int:
    """Resident bytes of `pid` now (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _session(session: int, cpu: dict[int, float]) -> int:
    """Resident bytes of every process in `session` now: the run, its fork server and workers
    (shared pages count once per process, as the RSS a machine's monitoring adds up); `cpu`
    gets each one's CPU seconds so far."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # after the state, the parent's id and the group's
            total += _rss(int(entry.name))
            cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return total


def peak(
    command: list[str], tree: Path, max_rss_mb: float = 8192, timeout_s: float = 600
) -> Measure:
    """Outcome, wall seconds, peak RSS (MB) of `command` run with `tree` first on the path, the
    peak of the RSS summed over its processes (MB, sampled every 0.1 s) and their CPU seconds
    (the command's own, exact; its other processes' as last sampled: the fork server and the
    pool's workers are not its children to wait for).

    The machine is shared: a run whose RSS passes `max_rss_mb`, or that takes longer than
    `timeout_s`, is killed with its process group, and the outcome says so."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    killed: list[str] = []
    summed = [0]
    cpu: dict[int, float] = {}
    done = threading.Event()
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=tree,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # its own process group: the watchdog kills the PDF pool too
        )

        def watch() -> None:
            while not done.wait(0.1):
                summed[0] = max(summed[0], _session(process.pid, cpu))
                if _rss(process.pid) > max_rss_mb * 2**20:
                    killed.append(f"killed: RSS over {max_rss_mb:.0f} MB")
                elif time.perf_counter() - started > timeout_s:
                    killed.append(f"killed: over {timeout_s:.0f} s")
                else:
                    continue
                os.killpg(process.pid, signal.SIGKILL)  # not reaped yet: the group exists
                return

        watchdog = threading.Thread(target=watch, daemon=True)
        watchdog.start()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        done.set()
        watchdog.join()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        err.seek(0)
        message = err.read().decode(errors="replace").strip().splitlines()
    peak_mb, summed_mb = usage.ru_maxrss / 1024, summed[0] / 2**20
    cpu[process.pid] = usage.ru_utime + usage.ru_stime
    used = sum(cpu.values())
    if killed:
        return Measure(killed[0], elapsed, peak_mb, summed_mb, used)
    code = process.returncode
    outcome = f"exit {code}" + (f" ({message[-1][:120]})" if code and message else "")
    return Measure(outcome, elapsed, peak_mb, summed_mb, used)


def tree_of(rev: str, folder: Path) -> Path:
    """The pipeline package of git revision `rev` with its report templates, in `folder`."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "pipeline", "report_templates"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    # where the installed package has them (the editable install maps them from this tree)
    (folder / "report_templates").rename(folder / "pipeline" / "report_templates")
    return folder


def compile_tree(tree: Path) -> None:
    """Write the bytecode of `tree`'s pipeline package, as installing a wheel does: with
    PYTHONDONTWRITEBYTECODE set (or a read-only tree) every run would compile the ~100 modules
    again, about 0.15 s in the run and as much in its fork server."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(tree / "pipeline")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
