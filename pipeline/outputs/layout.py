"""What a week folder is called and what it holds: the one place these names are spelled."""

from __future__ import annotations

_WEEK = "week-"
WEEK_GLOB = f"{_WEEK}*"  # every week folder in an output folder
SUMMARY_JSON = "summary.json"
GOALS_CSV = "goals.csv"
SERIES_CSV = "series.csv"
INDEX = "index.html"  # the week's page in its folder; the site's page in the output folder
WEEK_FILES = (GOALS_CSV, SERIES_CSV, INDEX)  # written from summary.json's document, beside it


def week_dir_name(week: int) -> str:
    """`week-01`, `week-12`."""
    return f"{_WEEK}{week:02d}"
