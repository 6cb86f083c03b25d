"""The pages the demo writes (`make demo`): the site's index, each week's page and each agent's
HTML report, from the demo sprint's three weeks in the shipped config's formats."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from pipeline.cli import main
from tests.support.command import cli_args
from tests.support.configs import shipped_config

WEEKS = (1, 2, 3)


def write_demo_site(prometheus_url: str, root: Path, pdf_weeks: Collection[int] = WEEKS) -> Path:
    """Run the demo's weeks against `prometheus_url` into `root`/out; the output folder.
    `pdf_weeks`: the weeks printed to PDF too (the HTML pages are the same without; the site's
    pages link to each PDF written, so the newest week with them is the widest)."""
    config = shipped_config(root, prometheus_url)
    out = root / "out"
    for week in WEEKS:
        formats = "md,html,pdf" if week in pdf_weeks else "md,html"
        code = main(cli_args(week, config, out, "-q", "--format", formats))
        if code != 0:
            raise RuntimeError(f"week {week} exited {code}")
    return out


def html_pages(site: Path) -> list[Path]:
    """Every HTML page in the site: the index first, then each week's pages."""
    return [site / "index.html", *sorted(site.glob("week-*/*.html"))]
