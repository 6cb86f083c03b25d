"""A real VictoriaMetrics (Debian's victoria-metrics) on 127.0.0.1, loaded by its import API."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest
import requests

from pipeline.demo.promserver import free_port

BINARY = "victoria-metrics"


def require_victoria() -> str:
    """The binary's path; a skip when it is missing, a failure under CI=true."""
    path = shutil.which(BINARY)
    if path is None:
        reason = f"{BINARY} not installed (apt-get install victoria-metrics)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}: integration tests must run, not skip")
        pytest.skip(reason)
    return path


def milliseconds(text: str) -> str:
    """Prometheus text (`name{labels} value seconds` lines) with millisecond timestamps, as
    /api/v1/import/prometheus reads them."""
    lines = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, stamp = line.rsplit(" ", 1)
            line = f"{series} {int(stamp) * 1000}"
        lines.append(line)
    return "\n".join(lines) + "\n"


class VictoriaServer:
    """A single-node VictoriaMetrics over a temporary storage folder, started and stopped with
    `with`. No result cache, so every query reads what was imported."""

    def __init__(self, binary: str, storage: Path, log_path: Path) -> None:
        self.binary = binary
        self.storage = storage
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> VictoriaServer:
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(
                [
                    self.binary,
                    f"-httpListenAddr=127.0.0.1:{self.port}",
                    f"-storageDataPath={self.storage}",
                    "-retentionPeriod=100y",  # the handmade day is in the past
                    "-search.disableCache",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"victoria-metrics exited at start; see {self.log_path}")
            try:
                if requests.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"victoria-metrics did not become ready; see {self.log_path}")

    def load(self, prometheus_text: str) -> None:
        """Import Prometheus text (millisecond timestamps) and flush it, so queries see it."""
        done = requests.post(
            f"{self.url}/api/v1/import/prometheus", data=prometheus_text.encode(), timeout=60
        )
        done.raise_for_status()
        requests.get(f"{self.url}/internal/force_flush", timeout=60).raise_for_status()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def victoria_server(root: Path, prometheus_text: str) -> Iterator[VictoriaServer]:
    """A started VictoriaMetrics under `root` holding `prometheus_text` (seconds timestamps);
    the body of a fixture."""
    binary = require_victoria()
    with VictoriaServer(binary, root / "storage", root / "victoria.log") as server:
        server.load(milliseconds(prometheus_text))
        yield server
