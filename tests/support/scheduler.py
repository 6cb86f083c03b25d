"""`python -m pipeline schedule` as a subprocess a test can wait on and stop."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path


class Scheduler:
    """`python -m pipeline schedule` in a subprocess, its stderr in a file."""

    def __init__(self, config: Path, log: Path, *extra: str, flag: str = "--config") -> None:
        """`flag`: --config, or --config-dir for a folder of teams; `extra`: more arguments."""
        self.log = log
        self.handle = open(log, "a")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "schedule", flag, str(config), *extra],
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, f"no '{text}' in:\n{self.output()}"
            time.sleep(0.2)

    def wait_for_count(self, text: str, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.output().count(text) < count:
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, f"fewer than {count} '{text}' in:\n{self.output()}"
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=60)
        if not self.handle.closed:
            self.handle.close()
        return code
