"""A real VictoriaMetrics (Debian's victoria-metrics) on 127.0.0.1, loaded by its import API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import requests

from pipeline.demo.promserver import Daemon, free_port, start_daemon
from tests.support.binaries import require_binary

BINARY = "victoria-metrics"


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


class VictoriaServer(Daemon):
    """A single-node VictoriaMetrics over a temporary storage folder, started and stopped with
    `with`. No result cache, so every query reads what was imported."""

    def __init__(self, binary: str, storage: Path, log_path: Path) -> None:
        self.binary = binary
        self.storage = storage
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> VictoriaServer:
        argv = [
            self.binary,
            f"-httpListenAddr=127.0.0.1:{self.port}",
            f"-storageDataPath={self.storage}",
            "-retentionPeriod=100y",  # the handmade day is in the past
            "-search.disableCache",
        ]
        self._process = start_daemon(argv, self.log_path, f"{self.url}/health", BINARY)
        return self

    def load(self, prometheus_text: str) -> None:
        """Import Prometheus text (millisecond timestamps) and flush it, so queries see it."""
        done = requests.post(
            f"{self.url}/api/v1/import/prometheus", data=prometheus_text.encode(), timeout=60
        )
        done.raise_for_status()
        requests.get(f"{self.url}/internal/force_flush", timeout=60).raise_for_status()


def victoria_server(root: Path, prometheus_text: str) -> Iterator[VictoriaServer]:
    """A started VictoriaMetrics under `root` holding `prometheus_text` (seconds timestamps);
    the body of a fixture."""
    binary = require_binary(BINARY)
    with VictoriaServer(binary, root / "storage", root / "victoria.log") as server:
        server.load(milliseconds(prometheus_text))
        yield server
