"""Colour matching: keeps a feedback loop's colours from drifting over hundreds of frames.

Each frame's per-channel histograms are matched to a reference's (frame 0), in LAB by default, as
Deforum does. Converting every pixel of a 512x512 frame to LAB and back costs ~30 ms in numpy, too slow
per frame; but the matching is a function of colour alone, so it is evaluated on a 32x32x32 grid of
colours (cells of 8 levels per channel) and each pixel gets its cell's correction added. The histograms
come from the same grid: one bincount of the frame's cell indices weights the cells' exact LAB (or HSV)
values, so a colour that occurs maps exactly. 'rgb' needs no grid: three per-channel lookup tables.

`ColorReference` does the reference's share once; `match` costs a few ms per frame. Deterministic.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

SPACES = ("lab", "rgb", "hsv")

_BITS = 5  # grid cells per channel: 2**5 = 32
_CELLS = 1 << _BITS
_STEP = 256 // _CELLS

# sRGB (D65) <-> CIE XYZ, and the D65 white point.
_RGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ)
_WHITE = np.array([0.95047, 1.0, 1.08883])
_EPSILON = (6 / 29) ** 3


# -- colour spaces (float arrays, (..., 3), RGB in 0..255) ----------------------------------------

def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB 0..255 -> CIE LAB (L 0..100, a and b about -128..127)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    f = _lab_f(linear @ _RGB_TO_XYZ.T / _WHITE)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """CIE LAB -> sRGB 0..255 (unclipped: out-of-gamut colours fall outside 0..255)."""
    lab = np.asarray(lab, dtype=np.float64)
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], axis=-1)
    xyz = np.where(f > 6 / 29, f ** 3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * _WHITE
    linear = np.clip(xyz @ _XYZ_TO_RGB.T, 0.0, None)
    c = np.where(linear > 0.0031308, 1.055 * linear ** (1 / 2.4) - 0.055, 12.92 * linear)
    return c * 255.0


def rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    """RGB 0..255 -> HSV, each 0..1 (hue as a fraction of the circle)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    high, low = c.max(axis=-1), c.min(axis=-1)
    chroma = high - low
    safe = np.where(chroma == 0, 1.0, chroma)
    r, g, b = c[..., 0], c[..., 1], c[..., 2]
    hue = np.where(high == r, ((g - b) / safe) % 6, np.where(high == g, (b - r) / safe + 2, (r - g) / safe + 4))
    hue = np.where(chroma == 0, 0.0, hue / 6)
    return np.stack([hue, np.where(high == 0, 0.0, chroma / np.where(high == 0, 1, high)), high], axis=-1)


def hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    hsv = np.asarray(hsv, dtype=np.float64)
    h, s, v = (hsv[..., 0] % 1.0) * 6, np.clip(hsv[..., 1], 0, 1), hsv[..., 2]
    k = (np.array([5.0, 3.0, 1.0]) + h[..., None]) % 6
    return 255.0 * (v[..., None] - v[..., None] * s[..., None] * np.clip(np.minimum(k, 4 - k), 0, 1))


def _lab_f(t: np.ndarray) -> np.ndarray:
    return np.where(t > _EPSILON, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)


_CONVERSIONS = {"lab": (rgb_to_lab, lab_to_rgb), "hsv": (rgb_to_hsv, hsv_to_rgb)}


# -- matching -------------------------------------------------------------------------------------

class ColorReference:
    """The reference's colour distribution, prepared once; `match(image)` pulls a frame toward it."""

    def __init__(self, reference: np.ndarray, space: str = "lab"):
        if space not in SPACES:
            raise ValueError(f"unknown colour space '{space}'; expected one of: {', '.join(SPACES)}")
        self.space = space
        if space == "rgb":
            self._targets = [_quantiles(_channel_counts(reference, c), np.arange(256.0)) for c in range(3)]
            return
        to_space, self._from_space = _CONVERSIONS[space]
        self._centres = _cell_centres()
        values = to_space(self._centres)
        # Per channel: the cells' values in sorted order, fixed for the grid, reused every frame.
        self._order = [np.argsort(values[:, c], kind="stable") for c in range(3)]
        counts = np.bincount(_cell_index(reference), minlength=_CELLS ** 3)
        self._targets = [_quantiles(counts[order], values[order, c]) for c, order in enumerate(self._order)]

    def match(self, image: np.ndarray, amount: float = 1.0) -> np.ndarray:
        """`image` with each channel's histogram matched to the reference's (uint8 HxWx3).

        `amount` < 1 moves colours only part of the way: a gentler pull when the story changes scene."""
        if self.space == "rgb":
            return self._match_rgb(image, amount)
        index = _cell_index(image)
        counts = np.bincount(index, minlength=_CELLS ** 3)
        present = counts > 0
        # Only the cells the frame uses (a few thousand of 32768) are matched and converted back.
        cells = np.flatnonzero(present)
        matched = np.empty((len(cells), 3))
        rank = np.cumsum(present) - 1  # cell -> its row in `matched`
        for c, order in enumerate(self._order):
            used = order[present[order]]
            cdf, values = self._targets[c]
            matched[rank[used], c] = np.interp(_midpoint_cdf(counts[used]), cdf, values)
        correction = np.zeros((_CELLS ** 3, 4), dtype=np.float32)
        correction[cells, :3] = amount * (self._from_space(matched) - self._centres[cells])
        correction[cells, 3] = 1.0
        correction = np.rint(_smooth(correction, cells)).astype(np.int16)
        out = image.reshape(-1, 3) + np.take(correction, index, axis=0)
        np.clip(out, 0, 255, out=out)
        return out.astype(np.uint8).reshape(image.shape)

    def _match_rgb(self, image: np.ndarray, amount: float) -> np.ndarray:
        luts, levels = [], np.arange(256.0)
        for c in range(3):
            cdf, values = self._targets[c]
            matched = np.interp(_midpoint_cdf(_channel_counts(image, c)), cdf, values)
            luts.append(np.clip(np.rint(levels + amount * (matched - levels)), 0, 255).astype(np.uint8))
        return np.array(Image.fromarray(np.ascontiguousarray(image)).point(np.concatenate(luts).tolist()))


def match_colors(image: np.ndarray, reference: np.ndarray, space: str = "lab", amount: float = 1.0) -> np.ndarray:
    """One-off matching; prefer a ColorReference when matching many frames to one reference."""
    return ColorReference(reference, space).match(image, amount)


def _smooth(correction: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """The corrections averaged over neighbouring used cells (the 4th column marks them).

    Each pixel takes its cell's correction, so neighbouring cells that disagree would put steps into
    smooth gradients; averaging over about a cell either side keeps those steps near what exact
    per-pixel matching gives, for a fraction of its cost. Only the box around the used `cells` is
    smoothed (a frame uses a few thousand of the 32,768): a used cell's result reads cells two away
    at most, all inside the box, so it is what smoothing the whole grid gives, at a fraction of it."""
    volume = correction.reshape(_CELLS, _CELLS, _CELLS, 4)
    used = np.stack(np.unravel_index(cells, (_CELLS,) * 3))
    box = tuple(slice(max(0, int(a.min()) - 2), min(_CELLS, int(a.max()) + 3)) for a in used) if cells.size \
        else (slice(0, 0),) * 3
    region = volume[box]
    for axis in range(3):  # binomial [1 4 6 4 1] / 16 (a Gaussian of one cell) along r, g and b
        v = np.moveaxis(region, axis, 0)
        below = v[:1] if box[axis].start == 0 else np.zeros_like(v[:1])  # the grid's edge repeated; else empty cells
        above = v[-1:] if box[axis].stop == _CELLS else np.zeros_like(v[:1])
        p = np.concatenate([below, below, v, above, above])
        region = np.moveaxis((p[:-4] + 4 * p[1:-3] + 6 * p[2:-2] + 4 * p[3:-1] + p[4:]) / 16, 0, axis)
    out = np.zeros_like(volume[..., :3])
    out[box] = region[..., :3] / np.maximum(region[..., 3:], 1e-9)
    return out.reshape(-1, 3)


def _cell_index(image: np.ndarray) -> np.ndarray:
    """Each pixel's grid cell: its channels' top bits, red slowest."""
    cell = (image >> (8 - _BITS)).astype(np.uint16)
    return (cell[..., 0] << (2 * _BITS) | cell[..., 1] << _BITS | cell[..., 2]).ravel()


def _cell_centres() -> np.ndarray:
    levels = np.arange(_CELLS) * _STEP + (_STEP - 1) / 2
    r, g, b = np.meshgrid(levels, levels, levels, indexing="ij")  # r is the slowest, as in _cell_index
    return np.stack([r.ravel(), g.ravel(), b.ravel()], axis=-1)


def _channel_counts(image: np.ndarray, channel: int) -> np.ndarray:
    return np.bincount(image[..., channel].ravel(), minlength=256)


def _midpoint_cdf(weights: np.ndarray) -> np.ndarray:
    """Each value's position in the distribution, at the middle of its own mass (0..1)."""
    cumulative = np.cumsum(weights, dtype=np.float64)
    return (cumulative - 0.5 * weights) / max(cumulative[-1], 1.0)


def _quantiles(weights: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reference's quantile function, from the values it has (strictly increasing positions)."""
    present = weights > 0
    return _midpoint_cdf(weights)[present], values[present]
