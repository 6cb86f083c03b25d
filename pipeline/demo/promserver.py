"""Backfill OpenMetrics into a TSDB with promtool and run a local Prometheus on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import requests

from pipeline.errors import PipelineError

# One block per three weeks keeps the backfill to a couple of blocks and one pass over the file.
MAX_BLOCK_DURATION = "504h"


def require(tool: str) -> str:
    """The path of `tool`, or a PipelineError that says how to install it."""
    path = shutil.which(tool)
    if path is None:
        raise PipelineError(
            f"'{tool}' not found: install Debian's prometheus package (apt-get install prometheus)"
        )
    return path


def backfill(openmetrics: Path, tsdb: Path) -> None:
    """Turn an OpenMetrics file into TSDB blocks under `tsdb`."""
    tsdb.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            require("promtool"),
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            f"--max-block-duration={MAX_BLOCK_DURATION}",
            str(openmetrics),
            str(tsdb),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise PipelineError(f"promtool could not backfill {openmetrics}: {done.stderr.strip()}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Daemon:
    """A server process started with `start_daemon`, stopped by `stop()` or leaving `with`."""

    _process: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        stop_process(self._process)
        self._process = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class PrometheusServer(Daemon):
    """A Prometheus process over a TSDB folder, on 127.0.0.1, started and stopped with `with`."""

    def __init__(
        self,
        tsdb: Path,
        port: int | None = None,
        log_path: Path | None = None,
        scrape_configs: str = "",
        flags: tuple[str, ...] = (),
    ) -> None:
        self.tsdb = tsdb
        self.scrape_configs = scrape_configs  # YAML text of a `scrape_configs:` section
        self.flags = flags  # more command-line flags (tests: a low --query.max-samples)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or tsdb.parent / "prometheus.log"

    def start(self, timeout_s: float = 60.0) -> None:
        """Start Prometheus and wait until it answers /-/ready."""
        config = self.tsdb.parent / "prometheus-demo.yml"
        # scrapes nothing unless told: the demo's data is backfilled
        config.write_text("global:\n  scrape_interval: 1m\n" + self.scrape_configs)
        argv = [
            require("prometheus"),
            f"--config.file={config}",
            f"--storage.tsdb.path={self.tsdb}",
            "--storage.tsdb.retention.time=100y",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--query.lookback-delta=5m",
            *self.flags,
        ]
        self._process = start_daemon(
            argv, self.log_path, f"{self.url}/-/ready", "Prometheus", timeout_s
        )

    def __enter__(self) -> PrometheusServer:
        self.start()
        return self


def start_daemon(
    argv: list[str], log_path: Path, ready_url: str, name: str, timeout_s: float = 60.0
) -> subprocess.Popen[bytes]:
    """Start a server (output to log_path) and return it once ready_url answers 200; a
    PipelineError, the server stopped, if it exits or is not ready within timeout_s."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PipelineError(
                f"{name} exited at start (code {process.returncode}); see {log_path}"
            )
        try:
            if requests.get(ready_url, timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.1)
    stop_process(process)
    raise PipelineError(f"{name} did not become ready within {timeout_s:g}s; see {log_path}")


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
