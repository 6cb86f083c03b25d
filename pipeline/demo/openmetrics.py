"""Write series as OpenMetrics text, the input of `promtool tsdb create-blocks-from openmetrics`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, eq=False)
class SeriesData:
    """A metric name, its labels, and samples (NaN values are left out of the file)."""

    name: str
    labels: dict[str, str]
    timestamps: NDArray[np.float64]
    values: NDArray[np.float64]


def _label_text(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    body = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in sorted(labels.items())
    )
    return "{" + body + "}"


def write_openmetrics(series: Iterable[SeriesData], out: TextIO) -> int:
    """Write every series grouped by metric name, then `# EOF`; return the number of samples."""
    by_name: dict[str, list[SeriesData]] = {}
    for s in series:
        by_name.setdefault(s.name, []).append(s)
    count = 0
    for name, group in by_name.items():
        for s in group:
            prefix = f"{name}{_label_text(s.labels)} "
            keep = ~np.isnan(s.values)
            lines = [
                f"{prefix}{v:.12g} {t:.3f}\n"
                for t, v in zip(s.timestamps[keep].tolist(), s.values[keep].tolist(), strict=True)
            ]
            out.writelines(lines)
            count += len(lines)
    out.write("# EOF\n")
    return count
