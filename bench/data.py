"""The bench's own data sets: OpenMetrics text written with numpy, backfilled with promtool,
cached as TSDB blocks under `.demo/cache/bench-<name>-<key>/` (the key hashes this file, so a
change of a generator rebuilds), and served by a Prometheus with default query limits.

- `series`: `bench_series{customer="c00000"..."c04999"}`, one sample a minute over week 1 of a
  sprint starting SERIES_START (10,080 samples each, 50.4 M in all). The cases select the first
  100 / 1,000 or all 5,000 series with a regex on `customer`.
- `range`: a few metrics (latency per region, a counter, up, a score) one sample a minute over
  RANGE_DAYS days from RANGE_START, so a sprint of week_days 7, 30 or 90 reads 1 m data.

Lines have a fixed width per series (values zero-padded: `0098.25` parses as 98.25), so a series
is one uint8 matrix filled column by column and written with one `write` (about 2.5 GB for the
`series` set).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pipeline.demo.promserver import require

SERIES_START = 1793577600  # 2026-11-02T00:00:00Z, a Monday
SERIES_COUNT = 5000
RANGE_START = 1785715200  # 2026-08-03T00:00:00Z, a Monday: 90 days end on 2026-11-01
RANGE_DAYS = 90
MINUTE = 60
# promtool parses its whole input once per block window, aligned to multiples of the block
# duration from the epoch: 8760 h puts 2025-12-18 .. 2026-12-18 (both sets) in one window
MAX_BLOCK_DURATION = "8760h"

Int64s = NDArray[np.int64]


def _digits(numbers: Int64s, width: int) -> NDArray[np.uint8]:
    """ASCII digits of non-negative `numbers`, zero-padded to `width`: shape (len, width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((numbers[:, None] // powers) % 10 + 48).astype(np.uint8)


def series_lines(
    prefix: bytes, stamps: NDArray[np.uint8], values: NDArray[np.float64], decimals: int
) -> bytes:
    """`prefix value timestamp\\n` for every sample: `stamps` is `_digits` of the timestamps;
    values are rounded to `decimals` and clipped at 0."""
    scaled = np.maximum(np.rint(values * 10**decimals), 0).astype(np.int64)
    whole = max(1, len(str(int(scaled.max()) // 10**decimals)))
    value = _digits(scaled, whole + decimals)
    if decimals:
        dot = np.full((len(values), 1), ord("."), np.uint8)
        value = np.hstack([value[:, :whole], dot, value[:, whole:]])
    rows = len(values)
    parts = [
        np.broadcast_to(np.frombuffer(prefix + b" ", np.uint8), (rows, len(prefix) + 1)),
        value,
        np.full((rows, 1), ord(" "), np.uint8),
        stamps,
        np.full((rows, 1), ord("\n"), np.uint8),
    ]
    return np.hstack(parts).tobytes()


Writer = Callable[[Callable[[bytes], object]], int]


def _series_set(write: Callable[[bytes], object]) -> int:
    """The `series` set: latency-like values around 100 ms, a daily wave plus noise."""
    rng = np.random.default_rng(14)
    minutes = np.arange(7 * 1440, dtype=np.int64)
    stamps = _digits(SERIES_START + MINUTE * minutes, 10)
    wave = 15 * np.sin(2 * np.pi * minutes / 1440)
    for i in range(SERIES_COUNT):
        base = rng.uniform(70, 110)
        values = base + wave + rng.normal(0, 8, len(minutes))
        write(series_lines(f'bench_series{{customer="c{i:05d}"}}'.encode(), stamps, values, 2))
    return SERIES_COUNT * len(minutes)


def _range_set(write: Callable[[bytes], object]) -> int:
    """The `range` set: what a sprint of up to RANGE_DAYS days at 1 m reads."""
    rng = np.random.default_rng(90)
    minutes = np.arange(RANGE_DAYS * 1440, dtype=np.int64)
    stamps = _digits(RANGE_START + MINUTE * minutes, 10)
    day = np.sin(2 * np.pi * minutes / 1440)
    n = len(minutes)
    count = 0
    for region in ("eu", "us", "ap"):  # one family after another: OpenMetrics wants them whole
        latency = 80 + 20 * day + rng.gamma(2.0, 6.0, n)
        write(
            series_lines(
                f'bench_range_latency_ms{{region="{region}"}}'.encode(), stamps, latency, 2
            )
        )
        count += n
    for region in ("eu", "us", "ap"):
        events = np.cumsum(rng.poisson(60_000 * (1.2 + 0.2 * day)))
        write(
            series_lines(
                f'bench_range_events_total{{region="{region}"}}'.encode(),
                stamps,
                events.astype(np.float64),
                0,
            )
        )
        count += n
    for instance in ("a", "b", "c", "d"):
        up = (rng.random(n) > 0.0005).astype(np.float64)
        write(series_lines(f'bench_range_up{{instance="{instance}"}}'.encode(), stamps, up, 0))
        count += n
    score = 85 + 10 * np.minimum(minutes / minutes[-1] * 1.2, 1) + rng.normal(0, 0.5, n)
    write(series_lines(b"bench_range_score", stamps, score, 2))
    return count + n


SETS: dict[str, Writer] = {"series": _series_set, "range": _range_set}


def cache_key() -> str:
    """Changes with this file (the generators, the layout, the block duration)."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


def blocks_of(name: str, cache: Path, log: Callable[[str], None] = print) -> Path:
    """The TSDB folder of data set `name`, generated and backfilled unless cached."""
    folder = cache / f"bench-{name}-{cache_key()}"
    blocks = folder / "blocks"
    if (folder / "DONE").exists():
        return blocks
    for stale in cache.glob(f"bench-{name}-*"):
        shutil.rmtree(stale)
    folder.mkdir(parents=True)
    source = folder / f"{name}.om"
    started = time.perf_counter()
    with open(source, "wb", buffering=64 * 2**20) as out:
        samples = SETS[name](out.write)
        out.write(b"# EOF\n")
    size = source.stat().st_size
    written = time.perf_counter()
    log(
        f"data {name}: {samples:,} samples, {size / 2**30:.2f} GiB of OpenMetrics "
        f"in {written - started:.1f} s"
    )
    done = subprocess.run(
        [
            require("promtool"), "tsdb", "create-blocks-from", "openmetrics", "-q",
            f"--max-block-duration={MAX_BLOCK_DURATION}", str(source), str(blocks),
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    source.unlink()
    if done.returncode != 0:
        raise RuntimeError(f"promtool failed on {name}: {done.stderr.strip()[-2000:]}")
    log(f"data {name}: promtool backfill in {time.perf_counter() - written:.1f} s -> {folder}")
    (folder / "DONE").write_text(f"{samples}\n")
    return blocks
