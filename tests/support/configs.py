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


def shipped_config(
    folder: Path, url: str | None = None, replace: dict[str, str] | None = None
) -> Path:
    """A copy of the shipped config.yaml in `folder`, pointed at `url`, with text replaced, and
    of the check-ins file beside it (the demo's week-3 check-in)."""
    text = (ROOT / "config.yaml").read_text()
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "checkins.yaml").write_bytes((ROOT / "checkins.yaml").read_bytes())
    return write_config(folder / "config.yaml", text, url)
