"""What stays put as the preview camera moves: sky, sun, far land, ground, sea and road, graded once
per scene vector and focus point (the engine keeps them), with the image sources' palette and layout."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .preview_canvas import Canvas, over
from .preview_words import SKY, image_layout, image_palette

# sky colours per time of day, (zenith, horizon); the night grade darkens them further
_SKY_COLOURS = np.array([[(0.30, 0.52, 0.85), (0.74, 0.85, 0.95)], [(0.40, 0.44, 0.70), (0.98, 0.78, 0.62)],
                         [(0.25, 0.24, 0.52), (1.00, 0.58, 0.28)], [(0.10, 0.14, 0.38), (0.26, 0.32, 0.52)],
                         [(0.55, 0.58, 0.63), (0.80, 0.81, 0.83)]])
# ground colours: meadow, spring, summer, autumn, alpine, snow, desert
_GROUND_COLOURS = np.array([(0.42, 0.58, 0.25), (0.38, 0.62, 0.22), (0.74, 0.66, 0.34), (0.62, 0.44, 0.2),
                            (0.36, 0.47, 0.3), (0.92, 0.94, 0.97), (0.87, 0.73, 0.48)])
_LUMA = np.array([0.299, 0.587, 0.114])


def paint_graded(vector: np.ndarray, f: dict[str, float], image_share: float, c: Canvas) -> tuple:
    """The backdrop graded, lit and mixed with the image sources' layout; and the grade (matrix, offset)."""
    image = paint_backdrop(f, c)
    matrix, offset = _with_palette(*grade(f), image, vector, image_share)
    graded = image @ matrix.astype(np.float32) + offset.astype(np.float32)
    _paint_lights(graded, f, c)
    if image_share > 0:
        layout = image_layout(vector)
        layout = Image.fromarray(np.uint8(np.clip(layout, 0, 1) * 255 + 0.5)).resize((c.w, c.h), Image.Resampling.BICUBIC)
        over(graded, np.asarray(layout) / np.float32(255), np.full((c.h, c.w), image_share))
    return graded, matrix, offset


def paint_backdrop(f: dict[str, float], c: Canvas) -> np.ndarray:
    """What stays put as the camera moves: sky, sun, far land, ground, sea and road (float RGB 0..1)."""
    sky = np.array([f[name] for name in SKY])
    zenith, horizon = (sky / sky.sum()) @ _SKY_COLOURS.transpose(1, 0, 2) if sky.sum() else _SKY_COLOURS[0]
    t = np.clip(c.y / max(c.vy, 1.0), 0, 1)[..., None] ** 0.8
    image = (zenith + (horizon - zenith) * t).astype(np.float32)
    share = sky / max(sky.sum(), 1e-9)
    lit = (1 - 0.8 * share[4]) * (1 - share[3])
    low = share[1] + share[2]  # dawn and sunset put the sun near the horizon
    side = 1.0 if f["sea_right"] > f["sea_left"] else -1.0
    sun_x, sun_y = c.vx + side * 0.24 * c.w, c.vy * (0.22 + 0.6 * low)
    distance = np.hypot(c.x - sun_x, c.y - sun_y) / c.w
    sun = (1.0, 0.95 - 0.3 * low, 0.85 - 0.5 * low)
    over(image, sun, lit * (0.55 * np.exp(-(distance / 0.16) ** 2) + np.clip((0.05 - distance) * c.w, 0, 1)))
    clouds = np.clip(c.clouds * 2.5 - 0.9 + 1.2 * share[4], 0, 1) * (c.y < c.vy)
    over(image, 0.9 - 0.25 * share[4] + 0.1 * low * np.array([0.1, -0.15, -0.3]), clouds * (0.25 + 0.6 * share[4]))
    _paint_land(image, f, c, horizon)
    _paint_ground(image, f, c, horizon, sun_x, lit)
    return image


def _paint_land(image: np.ndarray, f: dict[str, float], c: Canvas, haze: np.ndarray) -> None:
    """Mountains, a forest's edge and hills: skylines rising from the horizon, as tall as they are strong."""
    u, sharp = c.u[0], f["peaks"]
    snowy = min(1.0, f["snowcaps"] + f["snow"] + 0.4 * sharp)
    far_rock = np.array((0.5, 0.56, 0.68)) + ((0.84, 0.8, 0.74) - np.array((0.5, 0.56, 0.68))) * sharp
    near_rock = np.array((0.26, 0.34, 0.25)) + ((0.46, 0.46, 0.43) - np.array((0.26, 0.34, 0.25))) * sharp
    for seed, scale, rock in ((1, 0.95, far_rock), (2, 0.45, near_rock)) if f["mountains"] > 0 else ():
        ridge = _ridge(u, seed, sharp)
        shade = np.where(np.gradient(ridge) > 0, 1.08, 0.78)[:, None]  # sunlit and shaded faces
        snow = np.clip((ridge - 0.62) * 12, 0, 1) * snowy * (seed == 1)
        _skyline(image, c, f["mountains"] * scale * c.vy * ridge, rock * shade, snow)
    if f["forest"] > 0:
        _skyline(image, c, f["forest"] * 0.1 * c.vy * (0.75 + 0.25 * np.abs(np.sin(u * 97))), (0.16, 0.28, 0.15))
    green = _ground_colour(f)
    for layer, (scale, offset) in enumerate([(0.22, 2.0), (0.12, 0.7)] if f["hills"] > 0 else []):
        tall = f["hills"] * scale * c.vy * (0.55 + 0.45 * np.sin((5.3 + 3 * layer) * u + offset))
        _skyline(image, c, tall, green + (haze - green) * (0.45 - 0.25 * layer))


def _skyline(image: np.ndarray, c: Canvas, tall: np.ndarray, colour, snow=None) -> None:
    """Paints what rises `tall` pixels above the horizon in each column; `snow` whitens its top 30%."""
    rows = slice(max(0, int(c.vy - tall.max() - 1)), min(c.h, int(c.vy + 2)))
    y = c.y[rows]
    colour = np.broadcast_to(np.asarray(colour, dtype=np.float32), (c.w, 3))
    if snow is not None and snow.any():
        cover = (snow * np.clip((c.vy - 0.7 * tall - y) * 0.8, 0, 1))[..., None]
        colour = colour + (np.float32((0.95, 0.96, 1.0)) - colour) * cover
    over(image[rows], colour, np.clip(y - (c.vy - tall) + 0.5, 0, 1) * (y < c.vy + 1))


def _ridge(u: np.ndarray, seed: int, sharp: float) -> np.ndarray:
    """A range's skyline per column (0..1): the highest of some fixed peaks, domes or (sharp) towers."""
    rng = np.random.default_rng(seed)
    centres, widths, heights = rng.uniform(-0.8, 0.8, 12), rng.uniform(0.07, 0.2, 12), rng.uniform(0.4, 1, 12)
    slope = np.clip(1 - np.abs(u[:, None] - centres) / widths, 0, 1)
    dome, tower = 1 - (1 - slope) ** 2, slope ** 0.3
    rough = 1 + (0.03 + 0.05 * sharp) * np.sin(u * (53 + 20 * seed))[:, None]
    return ((dome + (tower - dome) * sharp) * heights * rough).max(axis=1)


def _ground_colour(f: dict[str, float]) -> np.ndarray:
    season = np.array([1.0, f["spring"], f["summer"], f["autumn"]])
    meadow = (season / season.sum()) @ _GROUND_COLOURS[:4]
    weights = np.array([f["fields"] + f["hills"] + 0.3, f["mountains"], 3 * f["snow"], 3 * f["desert"]])
    return (weights / weights.sum()) @ np.vstack([meadow, _GROUND_COLOURS[4:]])


def _paint_ground(image: np.ndarray, f: dict[str, float], c: Canvas, haze, sun_x: float, lit: float) -> None:
    haze = haze.astype(np.float32)
    ground = _ground_colour(f).astype(np.float32) * (1 + 0.07 * f["fields"] * c.furrows)
    over(image, haze + (ground - haze) * c.near, c.ground)
    width = 1.0 - 0.45 * f["path"]
    town = max(f["town_left"], f["town_right"])
    for side, sea, walls in ((-1, f["sea_left"], f["town_left"]), (1, f["sea_right"], f["town_right"])):
        if sea > 0:
            sand = np.float32((0.86, 0.79, 0.6))
            over(image, haze + (sand - haze) * c.near, c.beyond(width + 0.1, side) * sea)
            glitter = np.exp(-(((c.x - sun_x) / (1.5 + 10 * c.rho)) ** 2)) * (lit * (0.5 + 0.5 * np.sin(c.y * 2.1)))
            water = np.float32((0.07, 0.3, 0.52)) + 0.06 * c.waves
            water += (haze - water) * (1 - c.near) * 0.8 + 0.5 * glitter[..., None]
            over(image, water, c.beyond(width + 0.5 + 1.2 * f["beach"], side) * sea)
        if walls > 0:  # pavement before the house fronts
            over(image, (0.62, 0.58, 0.52), c.beyond(width, side) * (1 - c.beyond(width + 0.5, side)) * walls)
    if f["road"] > 0:
        asphalt = np.array((0.37, 0.37, 0.39)) + (np.array((0.62, 0.52, 0.38)) - (0.37, 0.37, 0.39)) * f["path"]
        asphalt = (asphalt + ((0.52, 0.46, 0.4) - asphalt) * 0.7 * town).astype(np.float32)
        on_road = (1 - c.beyond(width, -1) - c.beyond(width, 1)) * c.ground * f["road"]
        over(image, haze + (asphalt - haze) * c.near, on_road)
        lines = (c.beyond(0.88 * width, -1) + c.beyond(0.88 * width, 1)) * on_road * (1 - f["path"]) * (1 - town)
        over(image, (0.9, 0.9, 0.88), lines * 0.8)


def grade(f: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """The scene's colour grade, a 3x3 matrix and an offset: night, warm light, weather, tints."""
    saturation = 1 + 0.45 * f["vivid"] - 0.4 * f["cloudy"] - 0.3 * f["snow"]
    matrix = np.outer(_LUMA, np.ones(3)) * (1 - saturation) + np.eye(3) * saturation
    warm = min(1.0, f["sunset"] + 0.6 * f["dawn"])
    gain = (1 + (np.array((1.08, 0.95, 0.84)) - 1) * warm) * (1 + (np.array((0.24, 0.29, 0.5)) - 1) * f["night"])
    tint = np.array([f["tint_r"], f["tint_g"], f["tint_b"]]) / max(f["tint"], 1e-9)
    gain = gain * (1 + (0.6 + 0.8 * tint - 1) * 0.3 * f["tint"])
    return matrix * gain, np.full(3, 0.1 * f["snow"])


def _paint_lights(image: np.ndarray, f: dict[str, float], c: Canvas) -> None:
    """Moon and stars, after the night grade has darkened everything else."""
    sky = np.array([f[name] for name in SKY])
    night = float(sky[3] / sky.sum()) if sky.sum() else 0.0
    if night <= 0:
        return
    distance = np.hypot(c.x - (c.vx - 0.28 * c.w), c.y - 0.3 * c.vy) / c.w
    over(image, (0.95, 0.95, 0.85), night * (np.clip((0.035 - distance) * c.w, 0, 1)
                                              + 0.25 * np.exp(-(distance / 0.1) ** 2)))
    rng = np.random.default_rng(5)
    count = c.w * c.h // 120
    ys, xs = (rng.random(count) * max(c.vy - 2, 0)).astype(int), (rng.random(count) * c.w).astype(int)
    image[ys, xs] += (night * rng.random(count) ** 3 * 0.9)[:, None].astype(np.float32)


def _with_palette(matrix, offset, image, vector: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """The grade, then each channel's mean and spread moved toward the image sources' by their share."""
    if share <= 0:
        return matrix, offset
    graded = image.reshape(-1, 3) @ matrix + offset
    mean, spread = graded.mean(axis=0), graded.std(axis=0) + 1e-3
    target_mean, target_spread = image_palette(vector)
    gain = 1 + (target_spread / spread - 1) * share
    return matrix * gain, offset * gain + share * (target_mean - mean * target_spread / spread)
