"""The preview painter's canvas: one view's low-resolution pixel grid with the world's geometry, and
the primitives every layer paints with (alpha over, value noise fixed in the world).

A ground point at lateral offset X (road half-widths) and screen depth scale rho (1 at frame 0's bottom
edge, 0 at the horizon) lands at (vx + rho * X * road, vy + rho * height). Zooming about the vanishing
point multiplies rho, which is how the camera's zoom becomes travel: the world's own depth coordinate is
log(rho) - travel, so whatever is painted as a function of it streams toward the camera in step with the
warp. Across the screen the world is a function of X (and of x - vx up in the sky), so a pan slides it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from .view import Frame

FAR = 1.0e4  # the depth of the sky, in camera heights


@lru_cache(maxsize=8)
def _grid(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32) + np.float32(0.5)
    return x, y


class Canvas:
    """Pixel grids and ground-plane geometry of one view (canvas pixels; see the module docstring)."""

    def __init__(self, frame: Frame, travel: float, camera_height: float, road: float, horizon: float,
                 depth: bool = False):
        self.frame = frame
        self.w, self.h, self.vx, self.vy = frame.width, frame.height, frame.vx, frame.vy
        self.travel = travel
        self.x, self.y = _grid(self.w, self.h)
        self.height = camera_height / frame.scale  # camera height in pixels at rho = 1
        self.road = road / frame.scale  # road half-width in pixels at rho = 1
        self.horizon = horizon / frame.scale  # frame 0's sky: top edge to horizon, in pixels
        dy = self.y - np.float32(self.vy)
        self.dx = self.x - np.float32(self.vx)
        self.rho = np.maximum(dy / np.float32(self.height), np.float32(1e-3))
        self.log_rho = np.log(self.rho)
        self.along = self.log_rho - np.float32(travel)  # the world's log depth (ground), fixed in the world
        self.lateral = self.dx / (self.rho * np.float32(self.road))
        self.ground = np.clip(dy + 0.5, 0, 1)  # 1 below the horizon, antialiased
        self.near = (np.clip(self.rho, 0, 1) ** np.float32(0.3))[..., None]  # 1 - distance haze
        self.elevation = np.clip(-dy / np.float32(self.horizon), 0, 1)  # 0 at the horizon, 1 at frame 0's top
        self.sun = (self.vx, 0.0)  # where the sun is (x) and how bright (set by the sky)
        # optional depth buffer (camera heights), for Engine.depth: written where a layer covers > half
        self.depth = np.where(dy > 0, 1 / self.rho, np.float32(FAR)).astype(np.float32) if depth else None

    def cover(self, rows: slice | tuple, alpha: np.ndarray, distance) -> None:
        """Record in the depth buffer (if kept) that a layer `distance` away covers `alpha` of rows."""
        if self.depth is not None:
            region = self.depth[rows]
            np.copyto(region, np.broadcast_to(np.asarray(distance, dtype=np.float32), region.shape),
                      where=np.asarray(alpha) > 0.5)

    def beyond(self, edge: float, side: float) -> np.ndarray:
        """Coverage of the ground beyond lateral offset `edge` on a side (-1 left, +1 right), antialiased."""
        return np.clip((side * self.lateral - edge) * self.rho * self.road + 0.5, 0, 1) * self.ground


def over(image: np.ndarray, colour, alpha) -> None:
    """Paints `colour` over `image` in place with coverage `alpha` (float32, as every layer is)."""
    image += (np.asarray(colour, dtype=np.float32) - image) * np.asarray(alpha, dtype=np.float32)[..., None]


def _cell(i: np.ndarray, j, seed: int) -> np.ndarray:
    """The random value (0..1) of the unit cell (i, j): an integer hash, the same wherever it is asked."""
    h = (i * 374761393 + j * 668265263 + seed * 144665) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 1274126177) & 0xFFFFFFFF
    return (h >> 8).astype(np.float32) * np.float32(1 / 16777216)


def value_noise(x: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
    """Smooth noise in 0..1 with one random value per unit cell, fixed wherever (x, y) are in the world."""
    fx, fy = np.floor(x), np.floor(y)
    tx, ty = x - fx, y - fy
    tx, ty = tx * tx * (3 - 2 * tx), ty * ty * (3 - 2 * ty)
    ix, iy = fx.astype(np.int64), fy.astype(np.int64)
    c00, c10 = _cell(ix, iy, seed), _cell(ix + 1, iy, seed)
    c01, c11 = _cell(ix, iy + 1, seed), _cell(ix + 1, iy + 1, seed)
    top = c00 + (c10 - c00) * tx
    bottom = c01 + (c11 - c01) * tx
    return (top + (bottom - top) * ty).astype(np.float32)


def line_noise(x: np.ndarray, seed: int) -> np.ndarray:
    """Smooth 1D noise in 0..1 (a skyline's ups and downs), one random value per unit: row 0 of the cells."""
    fx = np.floor(x)
    t = x - fx
    i = fx.astype(np.int64)
    a, b = _cell(i, 0, seed), _cell(i + 1, 0, seed)
    return (a + (b - a) * (t * t * (3 - 2 * t))).astype(np.float32)


def upscaled_noise(rng: np.random.Generator, cells: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """Random values on a coarse grid, upscaled smoothly: blobs (or streaks) one cell across."""
    coarse = rng.standard_normal((max(cells[1], 2), max(cells[0], 2))).astype(np.float32)
    return np.asarray(Image.fromarray(coarse).resize(size, Image.Resampling.BICUBIC))
