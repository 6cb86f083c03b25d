"""A real headless Chromium (Debian `chromium`) and a static file server, for the report site."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from tests.support.binaries import require_binary

_CONSOLE = re.compile(r":CONSOLE(?:\(\d+\)|:\d+)\] (.*)")


@dataclass(frozen=True)
class Page:
    dom: str
    console: list[str]  # what the page printed to its console, errors included


def load(url: str, width: int = 1200, screenshot: Path | None = None) -> Page:
    """Load `url` headless at `width` px; the DOM after load and the console's messages."""
    command = [
        require_binary("chromium", "chromium-browser"),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        f"--window-size={width},900",
        f"--user-data-dir={Path(os.environ.get('TMPDIR', '/tmp')) / f'chromium-{os.getpid()}'}",
    ]
    if screenshot:
        command.append(f"--screenshot={screenshot}")
    else:
        command.append("--dump-dom")
    done = subprocess.run([*command, url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return Page(done.stdout, [m.group(1) for m in _CONSOLE.finditer(done.stderr)])


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append(value)


def links(html: str) -> list[str]:
    """Every href and src in `html`."""
    parser = _Links()
    parser.feed(html)
    return parser.found


@dataclass(frozen=True)
class StaticServer:
    url: str
    log: Path

    def requests(self) -> list[tuple[str, int]]:
        """(path, status) of each request served so far."""
        found = re.findall(r'"GET (\S+) HTTP/[\d.]+" (\d{3})', self.log.read_text())
        return [(path, int(code)) for path, code in found]


@contextmanager
def static_server(root: Path, log: Path) -> Iterator[StaticServer]:
    """`python -m http.server` serving `root` on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with open(log, "w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
            cwd=root,
            stdout=sink,
            stderr=sink,
        )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        yield StaticServer(f"http://127.0.0.1:{port}", log)
    finally:
        process.terminate()
        process.wait(timeout=10)
