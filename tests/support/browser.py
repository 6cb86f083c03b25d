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
from typing import TYPE_CHECKING

from tests.support import ROOT
from tests.support.binaries import require_binary, require_file

if TYPE_CHECKING:
    from playwright.sync_api import Browser
    from playwright.sync_api import Page as Tab

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


# The page checks of tests/test_responsive.py: Playwright drives the system's Chromium (no
# browser download), axe-core comes from npm (scripts/setup.sh puts it under .venv/node/).
AXE = ROOT / ".venv" / "node" / "node_modules" / "axe-core" / "axe.min.js"
AXE_RULES = (
    "color-contrast",
    "image-alt",
    "link-name",
    "button-name",
    "document-title",
    "html-has-lang",
    "label",
)
PHONE, LAPTOP = 390, 1280
HEIGHTS = {PHONE: 844, LAPTOP: 800}
# Each word of the page's text drawn on more than one line: a token broken mid-token. Code may
# break anywhere (a PromQL query longer than a phone is wide); hyphens and slashes are breaks.
_BROKEN = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode: t =>
    t.parentElement.closest('code, pre, script, style, svg') ? NodeFilter.FILTER_REJECT
      : NodeFilter.FILTER_ACCEPT});
  const broken = [];
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.data.matchAll(/[^\\s\\-\u2010-\u2014\\/]+/g)) {
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
        .map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(`${m[0]} (in ${node.parentElement.tagName.toLowerCase()})`);
    }
  }
  return broken;
}"""
# The widest sideways scroll inside a box of the page (a table wider than its column).
_CLIPPED = """() => Math.max(0, ...[...document.querySelectorAll('body *')]
  .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
  .map(e => e.scrollWidth - e.clientWidth))"""
_AXE_RUN = """rules => axe.run(document, {runOnly: {type: 'rule', values: rules}}).then(
  found => found.violations.flatMap(v => v.nodes.map(n => `${v.id}: ${n.target.join(' ')}`)))"""


@dataclass(frozen=True)
class Seen:
    """A page as a browser of one width showed it."""

    url: str
    width: int
    inner_width: int  # window.innerWidth: the width the page is laid out at
    overflow: int  # scrollWidth - innerWidth: above 0, the page itself scrolls sideways
    clipped: int  # the most a box inside the page scrolls sideways (0: everything fits)
    broken: tuple[str, ...]  # words drawn over two lines, broken mid-token
    nav: tuple[str, ...]  # the absolute URL of each link in the page's <nav>
    console: tuple[str, ...]  # errors on the console and uncaught exceptions
    violations: tuple[str, ...]  # axe-core's, as "rule: selector"


class Tabs:
    """One headless Chromium with a tab per width, reused for every page."""

    def __init__(self, browser: Browser) -> None:
        self._tabs: dict[int, Tab] = {}
        self._errors: dict[int, list[str]] = {}
        for width, height in HEIGHTS.items():
            # the phone as a phone: its page is laid out 980 px wide unless a viewport tag says
            tab = browser.new_page(
                viewport={"width": width, "height": height},
                is_mobile=width == PHONE,
                has_touch=width == PHONE,
            )
            errors: list[str] = []
            tab.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
            self._tabs[width], self._errors[width] = tab, errors

    def visit(self, url: str, width: int, axe: bool = True) -> Seen:
        """Load `url` at `width` px, measure its sideways scroll and, with `axe`, run AXE_RULES."""
        tab, errors = self._tabs[width], self._errors[width]
        errors.clear()
        tab.goto(url, wait_until="load")
        inner = tab.evaluate("window.innerWidth")
        overflow = tab.evaluate("document.documentElement.scrollWidth") - inner
        violations: list[str] = []
        if axe:
            tab.add_script_tag(path=str(AXE))
            violations = tab.evaluate(_AXE_RUN, list(AXE_RULES))
        broken, clipped = tab.evaluate(_BROKEN), tab.evaluate(_CLIPPED)
        nav = tab.eval_on_selector_all("nav a", "links => links.map(a => a.href)")
        return Seen(
            url,
            width,
            inner,
            overflow,
            clipped,
            tuple(broken),
            tuple(nav),
            tuple(errors),
            tuple(violations),
        )

    def printed_display(self, url: str, selector: str) -> str:
        """The CSS display of `selector` in `url` printed (print media, as WeasyPrint sees it)."""
        tab = self._tabs[LAPTOP]
        tab.goto(url, wait_until="load")
        tab.emulate_media(media="print")
        try:
            return str(tab.eval_on_selector(selector, "e => getComputedStyle(e).display"))
        finally:
            tab.emulate_media(media="screen")

    def screenshot(self, url: str, width: int, path: Path) -> None:
        """The page at `width` px, its first screen, as a PNG."""
        tab = self._tabs[width]
        tab.goto(url, wait_until="load")
        tab.screenshot(path=str(path))


@contextmanager
def chromium_tabs() -> Iterator[Tabs]:
    """Tabs of one headless Chromium (the Debian package's), started by Playwright."""
    from playwright.sync_api import sync_playwright  # only the browser tests need it

    executable = require_binary("chromium", "chromium-browser")
    require_file(AXE, "scripts/setup.sh installs axe-core with npm")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield Tabs(browser)
        finally:
            browser.close()
