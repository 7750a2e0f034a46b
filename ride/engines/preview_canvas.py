"""The preview painter's canvas: a low-resolution pixel grid with the road's perspective, and the
primitives every layer paints with (alpha over, smooth fixed noise)."""

from __future__ import annotations

import numpy as np
from PIL import Image


class Canvas:
    """Pixel grids and ground-plane geometry for one low-resolution size and vanishing point.

    A ground point at lateral offset X (road half-widths) and depth scale rho (1 at the frame's bottom
    edge, 0 at the horizon) lands at (vx + rho * X * road, vy + rho * height): zooming about the
    vanishing point multiplies rho, which is how the camera's zoom becomes travel down the road."""

    def __init__(self, width: int, height: int, vx: float, vy: float):
        self.w, self.h, self.vx, self.vy = width, height, vx, vy
        self.y, self.x = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
        self.height = max(height - vy, 4.0)  # camera height in pixels at rho = 1
        self.road = 0.42 * width  # road half-width in pixels at rho = 1
        self.rho = np.maximum((self.y - vy) / self.height, 1e-3)
        self.log_rho = np.log(self.rho)
        self.lateral = (self.x - vx) / (self.rho * self.road)
        self.u = (self.x - vx) / width  # horizontal position, centred on the vanishing point
        self.ground = np.clip(self.y - vy + 0.5, 0, 1)  # 1 below the horizon, antialiased
        self.near = np.clip(self.rho, 0, 1)[..., None] ** 0.3  # 1 - distance haze toward the horizon
        self.furrows = np.sin(np.arctan2(self.y - vy, self.x - vx) * 60)[..., None]  # fields, fanning out
        self.waves = np.sin(9 / (self.rho + 0.05))[..., None] * self.near
        self.clouds = _noise(width, height, 3, (5, 14))
        angle = _noise(width, height, 9, (6, 6)) * 4 * np.pi  # brush directions for smear, swirling slowly
        self.strokes = tuple((np.rint(self.y + k * np.sin(angle) - 0.5).clip(0, height - 1) * width
                              + np.rint(self.x + k * np.cos(angle) - 0.5).clip(0, width - 1)).astype(np.intp).ravel()
                             for k in (-1.5, 1.5))

    def beyond(self, edge: float, side: float) -> np.ndarray:
        """Coverage of the ground beyond lateral offset `edge` on a side (-1 left, +1 right), antialiased."""
        return np.clip((side * self.lateral - edge) * self.rho * self.road + 0.5, 0, 1) * self.ground


def over(image: np.ndarray, colour, alpha) -> None:
    """Paints `colour` over `image` in place with coverage `alpha` (float32, as every layer is)."""
    image += (np.asarray(colour, dtype=np.float32) - image) * np.asarray(alpha, dtype=np.float32)[..., None]


def _noise(width: int, height: int, seed: int, cells: tuple[int, int]) -> np.ndarray:
    """Smooth fixed noise in 0..1 over `cells` (columns, rows) of the frame."""
    field = upscaled_noise(np.random.default_rng(seed), cells, (width, height))
    return (field - field.min()) / max(float(np.ptp(field)), 1e-9)


def upscaled_noise(rng: np.random.Generator, cells: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """Random values on a coarse grid, upscaled smoothly: blobs (or streaks) one cell across."""
    coarse = rng.standard_normal((max(cells[1], 2), max(cells[0], 2))).astype(np.float32)
    return np.asarray(Image.fromarray(coarse).resize(size, Image.Resampling.BICUBIC))
