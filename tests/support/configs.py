"""Config files for tests: one written from text, or a copy of the shipped config.yaml."""

from __future__ import annotations

from pathlib import Path

from tests.support import ROOT


def write_config(path: Path, text: str, url: str | None = None) -> Path:
    """Write a config file, pointing it at `url` when given."""
    if url:
        text = text.replace("http://127.0.0.1:9090", url)
    path.write_text(text)
    return path


# The demo's P95 Latency is relative to last week (issue 25), so a week run without the weeks
# before it in its history has no baseline: tests about other things that run one week alone,
# or a sprint moved in time, pass this to `shipped_config` for the absolute target it had.
ABSOLUTE_P95 = {
    '    target: "<= +10%"      # relative: no worse than last week\'s p95 + 10 % ...\n'
    '    warning: "<= +30%"\n'
    "    baseline: last_week    # ... read from history.sqlite (week 1 has none: no_data)\n": (
        '    target: "< 100"\n    warning: "< 120"\n'
    )
}


def shipped_config(
    folder: Path, url: str | None = None, replace: dict[str, str] | None = None
) -> Path:
    """A copy of the shipped config.yaml in `folder`, pointed at `url`, with text replaced, and
    of the check-ins file beside it (the demo's week-3 check-in)."""
    text = (ROOT / "config.yaml").read_text()
    for old, new in (replace or {}).items():
        assert old in text, f"not in config.yaml: {old!r}"
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "checkins.yaml").write_bytes((ROOT / "checkins.yaml").read_bytes())
    return write_config(folder / "config.yaml", text, url)
