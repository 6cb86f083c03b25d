"""A real Pushgateway on 127.0.0.1, a Prometheus scraping it, and a gateway that records pushes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from pipeline.demo.promserver import Daemon, PrometheusServer, free_port, start_daemon
from tests.support.binaries import require_binary

BINARY = "prometheus-pushgateway"
SCRAPE_INTERVAL_S = 1


class PushgatewayServer(Daemon):
    """The Pushgateway, in memory only (no persistence file), started and stopped with `with`."""

    def __init__(self, binary: str, log_path: Path) -> None:
        self.binary = binary
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path

    def __enter__(self) -> PushgatewayServer:
        argv = [self.binary, f"--web.listen-address=127.0.0.1:{self.port}", "--persistence.file="]
        self._process = start_daemon(argv, self.log_path, f"{self.url}/-/ready", "Pushgateway")
        return self

    def groups(self) -> list[dict[str, Any]]:
        """The metric groups it holds (its /api/v1/metrics), each with its `labels`."""
        answer = requests.get(f"{self.url}/api/v1/metrics", timeout=5)
        answer.raise_for_status()
        return list(answer.json()["data"])


def scrape_config(target_port: int) -> str:
    """Prometheus scraping a Pushgateway as its docs say: honor_labels keeps the pushed labels."""
    return (
        "scrape_configs:\n"
        "  - job_name: pushgateway\n"
        "    honor_labels: true\n"
        f"    scrape_interval: {SCRAPE_INTERVAL_S}s\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{target_port}']\n"
    )


@dataclass
class Gateways:
    """The Pushgateway and the Prometheus that scrapes it."""

    pushgateway: PushgatewayServer
    prometheus: PrometheusServer

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query's result vector."""
        answer = requests.get(
            f"{self.prometheus.url}/api/v1/query", params={"query": promql}, timeout=10
        )
        answer.raise_for_status()
        return list(answer.json()["data"]["result"])


@pytest.fixture(scope="module", name="gateways")
def gateways_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateways]:
    """A real Pushgateway on 127.0.0.1, and a real Prometheus scraping it every second."""
    binary = require_binary(BINARY)
    require_binary("prometheus")
    root = tmp_path_factory.mktemp("pushgateway")
    with PushgatewayServer(binary, root / "pushgateway.log") as gateway:
        (root / "tsdb").mkdir()
        scraper = PrometheusServer(
            root / "tsdb",
            log_path=root / "prometheus.log",
            scrape_configs=scrape_config(gateway.port),
        )
        with scraper:
            yield Gateways(gateway, scraper)


@dataclass
class Push:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RecordingGateway:
    """An HTTP server that records each request and answers with `status` and `reply`."""

    status: int = 200
    reply: bytes = b""
    pushes: list[Push] = field(default_factory=list)
    url: str = ""
    drip_s: float = 0.0  # > 0: send a header line this often, for 60 s, and never finish


@pytest.fixture(name="recording_gateway")
def recording_gateway_fixture() -> Iterator[RecordingGateway]:
    """A stand-in gateway on 127.0.0.1 for what the real one cannot show (headers, errors)."""
    gateway = RecordingGateway()

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            gateway.pushes.append(Push("PUT", self.path, dict(self.headers.items()), body))
            if gateway.drip_s:  # each line comes before a socket time-out would fire
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for _ in range(int(60 / gateway.drip_s)):
                    time.sleep(gateway.drip_s)
                    try:
                        self.wfile.write(b"X-Drip: 1\r\n")
                        self.wfile.flush()
                    except OSError:
                        return
                return
            self.send_response(gateway.status)
            self.send_header("Content-Length", str(len(gateway.reply)))
            self.end_headers()
            self.wfile.write(gateway.reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield gateway
    server.shutdown()
    server.server_close()
