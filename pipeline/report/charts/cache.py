"""Chart PNGs kept across runs, by a hash of everything that decides the picture.

A rerun of a week usually draws the same charts again. Each chart's key is a sha256 over what
its figure is made of: for a goal, the goal's spec, status and message, the window, and the
labels, timestamps and values of the series it draws, the spans its exclusions hatch, and its
forecast band if it has one
(labels, timestamps, low, high and the week's end); for the trend chart, the weeks' points and
the thresholds. Into every key also go the source of the modules that draw (draw.py, band.py,
png.py, data.py, this file, report/formatting.py, report/palette.py, core/text.py,
core/targets.py, core/exclusions.py), the versions of matplotlib, Pillow and numpy, and any
matplotlibrc matplotlib would read, so new drawing code, a new library or new settings never
reuse an old picture.

Entries live in `<output>/.cache/charts/<key>.png`, written atomically (a temporary file, then
renamed). An entry is used only if it is a whole PNG whose every chunk checks against its CRC,
ending in IEND; anything else is a miss, and the chart is drawn again. The folder keeps the
MAX_ENTRIES most recently used entries; it is safe to delete at any time.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import struct
import tempfile
import time
import zlib
from collections.abc import Sequence
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pipeline.core.history import WeekPoint
from pipeline.core.model import GoalResult, QueryResult, Window
from pipeline.report.charts.data import ChartBand, ordered_series

log = logging.getLogger("pipeline")

CACHE_DIR = ".cache/charts"  # under the output folder, beside the week folders
MAX_ENTRIES = 1000  # ~50 KB each: a few weeks of a large sprint
_STALE_TMP_S = 3600  # a temporary file this old was left by a killed run
# under pipeline/: the drawing, text cleaning, and the shading's target.mask
_DRAWING_CODE = (
    "report/charts/draw.py",
    "report/charts/band.py",
    "report/charts/png.py",
    "report/charts/data.py",
    "report/charts/cache.py",
    "report/formatting.py",
    "report/palette.py",
    "core/text.py",
    "core/targets.py",
    "core/exclusions.py",
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@cache
def drawing_version() -> bytes:
    """The drawing code and the libraries it draws with: part of every key."""
    digest = hashlib.sha256()
    root = Path(__file__).parents[2]  # pipeline/
    for name in _DRAWING_CODE:
        digest.update((root / name).read_bytes())
    for package in ("matplotlib", "pillow", "numpy"):
        digest.update(f"{package}={version(package)};".encode())
    for path in _matplotlibrc():  # a user's settings change the pictures too
        with contextlib.suppress(OSError):
            digest.update(str(path).encode() + b"\0" + path.read_bytes())
    return digest.digest()


def _matplotlibrc() -> list[Path]:
    """The matplotlibrc files matplotlib would read (without importing it: a fully cached week
    never does): $MATPLOTLIBRC, ./matplotlibrc, and the one in its config folder."""
    env = os.environ
    config = Path(
        env.get("MPLCONFIGDIR")
        or Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "matplotlib"
    )
    found = [Path("matplotlibrc").resolve(), config / "matplotlibrc"]
    if env.get("MATPLOTLIBRC"):
        given = Path(env["MATPLOTLIBRC"])
        found.append(given / "matplotlibrc" if given.is_dir() else given)
    return found


def _hasher(kind: str) -> hashlib._Hash:
    digest = hashlib.sha256(drawing_version())
    digest.update(kind.encode() + b"\0")
    return digest


def _text(digest: hashlib._Hash, *parts: object) -> None:
    for part in parts:
        digest.update(repr(part).encode() + b"\0")


def _array(digest: hashlib._Hash, values: NDArray[Any]) -> None:
    _text(digest, values.dtype.str, values.shape)
    digest.update(np.ascontiguousarray(values).data)


def goal_key(goal: GoalResult, data: QueryResult, window: Window, band: ChartBand | None) -> str:
    """The key of a goal's chart: what `charts.goal_figure` draws it from. Without a band, the
    same inputs as before bands were drawn (only the drawing code's part of it changed)."""
    digest = _hasher("goal")
    _text(digest, goal.spec, goal.status.value, goal.message, window)
    for series in ordered_series(goal, data):
        _text(digest, series.labels)
        _array(digest, series.timestamps)
        _array(digest, series.values)
    if goal.exclusions:  # the hatched spans (the series drawn are already without them)
        _text(digest, "excluded", [(x.exclusion.id, x.spans) for x in goal.exclusions])
    if band is not None:
        _text(digest, "forecast band", band.band.labels, band.until)
        for values in (band.band.timestamps, band.band.low, band.band.high):
            _array(digest, values)
    return digest.hexdigest()


def trend_key(weeks: Sequence[WeekPoint], pass_score: float, warning_score: float) -> str:
    """The key of the trend chart: the weeks' points and the verdict thresholds."""
    digest = _hasher("trend")
    _text(digest, tuple(weeks), pass_score, warning_score)
    return digest.hexdigest()


def is_whole_png(data: bytes) -> bool:
    """True if `data` is a PNG whose chunks all check against their CRC, ending in IEND."""
    if not data.startswith(_PNG_SIGNATURE):
        return False
    at = len(_PNG_SIGNATURE)
    while at + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        end: int = at + 8 + length
        if end + 4 > len(data):
            return False
        (crc,) = struct.unpack(">I", data[end : end + 4])
        if zlib.crc32(data[at + 4 : end]) != crc:
            return False
        at = end + 4
        if kind == b"IEND":
            return at == len(data)
    return False


class ChartCache:
    """Chart PNGs by key in one folder; every failure to read or write it is only a miss."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def fetch(self, key: str, target: Path) -> bool:
        """Copy the entry for `key` to `target` if there is a whole one; True if it was."""
        entry = self.folder / f"{key}.png"
        try:
            data = entry.read_bytes()
        except OSError:
            return False
        if not is_whole_png(data):
            log.warning("chart cache: %s is damaged; drawing the chart again", entry.name)
            return False
        target.write_bytes(data)
        with contextlib.suppress(OSError):
            os.utime(entry)  # most recently used: pruned last
        return True

    def store(self, key: str, source: Path) -> None:
        """Keep `source` (a chart just drawn) as the entry for `key`, atomically."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".png")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(source.read_bytes())
                os.replace(tmp, self.folder / f"{key}.png")
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("chart cache: cannot keep %s: %s", source.name, exc.strerror or exc)

    def prune(self, keep: int = MAX_ENTRIES) -> None:
        """Delete all but the `keep` most recently used entries, and stale temporary files."""
        entries, stale = [], time.time() - _STALE_TMP_S
        for path in self.folder.glob("*.png"):
            try:
                mtime = path.stat().st_mtime
                if path.name.startswith(".tmp-"):
                    if mtime < stale:
                        path.unlink()
                else:
                    entries.append((mtime, path))
            except OSError:
                continue  # another run took it away, or it cannot be read: leave it
        entries.sort(reverse=True)
        for _, path in entries[keep:]:
            path.unlink(missing_ok=True)
