"""A matplotlib figure saved as an RGB PNG: no alpha channel for WeasyPrint to split off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from PIL import Image


def save_png(fig: Figure, path: Path, dpi: int) -> None:
    """Draw `fig` at `dpi` on its (white, opaque) background and write it without alpha."""
    fig.set_dpi(dpi)
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba())  # type: ignore[attr-defined]
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(path, format="PNG")
