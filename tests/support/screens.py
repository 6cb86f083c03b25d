"""`python -m tests.support.screens DIR`: the demo site at 390 and 1280 px, as the tests' browser
shows it, into DIR/site-phone.png and DIR/site-laptop.png (docs/ holds the committed pair).
`--measure` prints each page's sideways scroll at both widths instead. Not part of `make test`:
it writes where it is told, and tests write nowhere in the repository."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.demo.generate import demo_series
from pipeline.demo.openmetrics import write_openmetrics
from pipeline.demo.promserver import PrometheusServer, backfill
from tests.support.browser import LAPTOP, PHONE, Tabs, chromium_tabs, static_server
from tests.support.demosite import html_pages, write_demo_site

SHOTS = {PHONE: "site-phone.png", LAPTOP: "site-laptop.png"}


@contextmanager
def demo_site(root: Path) -> Iterator[Path]:
    """The demo's pages, written from a Prometheus of the demo sprint started for them."""
    source = root / "demo.om"
    with open(source, "w") as out:
        write_openmetrics(demo_series(), out)
    backfill(source, root / "tsdb")
    with PrometheusServer(root / "tsdb", log_path=root / "prometheus.log") as prometheus:
        site = write_demo_site(prometheus.url, root)
    yield site


def measure(tabs: Tabs, url: str, site: Path) -> None:
    """A Markdown table: each page at each width, its sideways scrolls, axe's findings."""
    print("| page | width | laid out at | overflow | clipped | axe | broken mid-token |")
    print("|---|---|---|---|---|---|---|")
    for path in html_pages(site):
        name = path.relative_to(site).as_posix()
        for width in SHOTS:
            seen = tabs.visit(f"{url}/{name}", width)
            broken = ", ".join(seen.broken[:3]) + (" ..." if len(seen.broken) > 3 else "")
            columns = (seen.inner_width, seen.overflow, seen.clipped, len(seen.violations))
            print(f"| {name} | {width} | {' | '.join(map(str, columns))} | {broken} |")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.screens")
    parser.add_argument("folder", type=Path, nargs="?", default=Path("docs"))
    parser.add_argument("--measure", action="store_true", help="print the overflow table")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="screens-") as tmp,
        demo_site(Path(tmp)) as site,
        static_server(site, Path(tmp) / "http.log") as server,
        chromium_tabs() as tabs,
    ):
        if args.measure:
            measure(tabs, server.url, site)
            return
        for width, name in SHOTS.items():
            tabs.screenshot(f"{server.url}/index.html", width, args.folder / name)
            print(f"screens: {args.folder / name}")


if __name__ == "__main__":
    main()
