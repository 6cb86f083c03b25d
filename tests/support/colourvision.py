"""Colour vision deficiency, simulated: how a deuteranope sees a colour, and how far apart two
colours look (CIEDE2000), in numpy.

The simulation is Machado, Oliveira and Fernandes (2009), "A Physiologically-based Model for
Simulation of Color Vision Deficiency", deuteranomaly at severity 1.0 (deuteranopia), applied in
linear RGB. The colour difference is CIEDE2000 (Sharma, Wu and Dalal 2005) on CIELAB under D65.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Floats = NDArray[np.float64]

# Machado et al. 2009, table of deuteranomaly matrices, severity 1.0 (linear RGB)
DEUTERANOPIA = np.array(
    [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ]
)
# linear sRGB to CIE XYZ (D65), IEC 61966-2-1
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_WHITE = _RGB_TO_XYZ @ np.ones(3)


def hex_rgb(colour: str) -> Floats:
    """`#e69f00` -> sRGB in 0..1."""
    text = colour.lstrip("#")
    return np.array([int(text[i : i + 2], 16) / 255 for i in (0, 2, 4)])


def to_linear(srgb: ArrayLike) -> Floats:
    c = np.asarray(srgb, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def to_srgb(linear: ArrayLike) -> Floats:
    c = np.clip(np.asarray(linear, dtype=np.float64), 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def deuteranopia(srgb: ArrayLike) -> Floats:
    """sRGB colours (..., 3) in 0..1 as a deuteranope sees them, in sRGB."""
    return to_srgb(to_linear(srgb) @ DEUTERANOPIA.T)


def lab(srgb: ArrayLike) -> Floats:
    """sRGB (..., 3) in 0..1 -> CIELAB (D65)."""
    xyz = (to_linear(srgb) @ _RGB_TO_XYZ.T) / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def ciede2000(lab1: ArrayLike, lab2: ArrayLike) -> Floats:
    """The CIEDE2000 difference of CIELAB colours (kL = kC = kH = 1)."""
    l1, a1, b1 = np.moveaxis(np.asarray(lab1, dtype=np.float64), -1, 0)
    l2, a2, b2 = np.moveaxis(np.asarray(lab2, dtype=np.float64), -1, 0)
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dl, dc = l2 - l1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0.0, dh)
    dhh = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_mean = np.where(
        np.abs(h1p - h2p) <= 180, h_sum / 2, np.where(h_sum < 360, h_sum + 360, h_sum - 360) / 2
    )
    h_mean = np.where(c1p * c2p == 0, h_sum, h_mean)
    t = (
        1
        - 0.17 * np.cos(np.radians(h_mean - 30))
        + 0.24 * np.cos(np.radians(2 * h_mean))
        + 0.32 * np.cos(np.radians(3 * h_mean + 6))
        - 0.20 * np.cos(np.radians(4 * h_mean - 63))
    )
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    r_t = (
        -2
        * np.sqrt(cp_mean**7 / (cp_mean**7 + 25.0**7))
        * np.sin(np.radians(60 * np.exp(-(((h_mean - 275) / 25) ** 2))))
    )
    return np.sqrt(
        (dl / s_l) ** 2 + (dc / s_c) ** 2 + (dhh / s_h) ** 2 + r_t * (dc / s_c) * (dhh / s_h)
    )


def seen_apart(colour1: str | ArrayLike, colour2: str | ArrayLike) -> float:
    """How far apart a deuteranope sees two colours (`#rrggbb` or sRGB in 0..1): the CIEDE2000
    difference of the simulated colours."""
    first, second = (deuteranopia(_rgb(c)) for c in (colour1, colour2))
    return float(ciede2000(lab(first), lab(second)))


def apart(colour1: str | ArrayLike, colour2: str | ArrayLike) -> float:
    """How far apart two colours look to normal colour vision (CIEDE2000)."""
    return float(ciede2000(lab(_rgb(colour1)), lab(_rgb(colour2))))


def over_white(colour: str | ArrayLike, alpha: float) -> Floats:
    """`colour` drawn at `alpha` on white, as matplotlib's Agg composites it (in sRGB)."""
    return alpha * _rgb(colour) + (1 - alpha)


def _rgb(colour: str | ArrayLike) -> Floats:
    return hex_rgb(colour) if isinstance(colour, str) else np.asarray(colour, dtype=np.float64)
