"""The preview world: sky, clouds, sun, ground, sea and road, and the ranges of land on the horizon.

Everything is painted in world coordinates (see canvas.py), so any view of it follows the camera:
- the sky is infinitely far: its gradient, sun and moon turn and slide with the view but do not grow;
- clouds lie on a ceiling and the fields, sea and road on the ground, both in log depth, so a zoom
  streams them toward the camera;
- ranges of land (mountains, hills, a forest's edge) stand one after another down the road, each at
  its own depth: far ones small and hazy on the horizon, near ones tall, until they pass out of view.
  A road runs through a valley between them. A morph grows, shrinks and recolours them.
"""

from __future__ import annotations

import math

import numpy as np

from .canvas import Canvas, line_noise, over, value_noise
from .words import SKY, image_rows

# sky colours per time of day, (zenith, horizon); the night grade darkens them further
_SKY_COLOURS = np.array([[(0.30, 0.52, 0.85), (0.74, 0.85, 0.95)], [(0.40, 0.44, 0.70), (0.98, 0.78, 0.62)],
                         [(0.25, 0.24, 0.52), (1.00, 0.58, 0.28)], [(0.10, 0.14, 0.38), (0.26, 0.32, 0.52)],
                         [(0.55, 0.58, 0.63), (0.80, 0.81, 0.83)]])
# ground colours: meadow, spring, summer, autumn, alpine, snow, desert
_GROUND_COLOURS = np.array([(0.42, 0.58, 0.25), (0.38, 0.62, 0.22), (0.74, 0.66, 0.34), (0.62, 0.44, 0.2),
                            (0.36, 0.47, 0.3), (0.92, 0.94, 0.97), (0.87, 0.73, 0.48)])
_LUMA = np.array([0.299, 0.587, 0.114])
RANGE_STEP = math.log(1.9)  # ranges stand this far apart in log depth
_NEAREST = 0.5  # a range has gone by when its foot is this far down the frame (screen rho)


class Palette:
    """The world's colours for one scene vector: the words' colours, moved toward the image sources'
    by their share (sky from the image's top rows, land from its middle, ground from its bottom)."""

    def __init__(self, f: dict[str, float], vector: np.ndarray, image_share: float):
        sky = np.array([f[name] for name in SKY])
        self.sky_share = sky / sky.sum() if sky.sum() else np.eye(5)[0]
        zenith, horizon = self.sky_share @ _SKY_COLOURS.transpose(1, 0, 2)
        ground = _ground_colour(f)
        sharp = f["peaks"]
        rock = np.array((0.5, 0.54, 0.62)) + (np.array((0.8, 0.72, 0.62)) - (0.5, 0.54, 0.62)) * sharp
        hill = ground * 0.8 + np.array((0.05, 0.08, 0.05))
        self.image_share = image_share
        self.shift = np.zeros(3, dtype=np.float32)  # added to every colour: toward the image's mean
        if image_share > 0:
            mean = np.mean(image_rows(vector), axis=0)
            self.shift = (0.3 * image_share * (mean - (zenith + horizon + ground) / 3)).astype(np.float32)
            top, middle, bottom, low = image_rows(vector)
            zenith, horizon = zenith + (top - zenith) * image_share, horizon + (middle - horizon) * image_share
            rock = rock + (middle * 0.85 - rock) * image_share
            hill, ground = hill + (low - hill) * image_share, ground + (bottom - ground) * image_share
        self.zenith, self.horizon, self.ground, self.rock, self.hill = zenith, horizon, ground, rock, hill
        self.forest = np.array((0.16, 0.28, 0.15)) + (hill * 0.55 - (0.16, 0.28, 0.15)) * image_share

    def tinted(self, colour) -> np.ndarray:
        """An object's colour (trees, houses), half as far toward the image's ground as the land goes."""
        colour = np.asarray(colour, dtype=np.float64)
        return (colour + (self.ground - colour) * 0.5 * self.image_share).astype(np.float32)


def paint_sky(image: np.ndarray, f: dict[str, float], c: Canvas, p: Palette) -> None:
    """Sky gradient, sun and clouds (above the horizon, the whole canvas: the ground paints over it)."""
    t = (1 - c.elevation)[..., None] ** np.float32(0.8)
    image[...] = (p.zenith + (p.horizon - p.zenith) * t).astype(np.float32)
    share = p.sky_share
    lit = (1 - 0.8 * share[4]) * (1 - share[3])
    low = share[1] + share[2]  # dawn and sunset put the sun near the horizon
    span = c.frame.screen[0]
    side = 1.0 if f["sea_right"] > f["sea_left"] else -1.0
    sun_x, sun_y = c.vx + side * 0.24 * span, c.vy - c.horizon * (0.78 - 0.6 * low)
    c.sun = (sun_x, lit)
    sky = slice(0, max(0, min(c.h, int(c.vy) + 1)))  # the rows with sky in them
    if sky.stop == 0:
        return
    x, y, region = c.x[sky], c.y[sky], image[sky]
    if lit > 0:
        distance = np.hypot(x - sun_x, y - sun_y) / span
        sun = (1.0, 0.95 - 0.3 * low, 0.85 - 0.5 * low)
        over(region, sun, lit * (0.3 * np.exp(-(distance / 0.2) ** 2) + 0.35 * np.exp(-(distance / 0.09) ** 2)))
    up = np.maximum(np.float32(c.vy) - y, np.float32(0.5))
    across, depth = c.dx[sky] / up, np.log(up) - np.float32(c.travel)  # on a ceiling of clouds, in log depth
    puffs = value_noise(across * 1.2, depth * 2.2, 3)
    puffs += 0.25 * np.sin(across * 3.1 + depth * 5.3 + 6 * puffs) - 0.1  # wisps
    cover = np.clip(puffs * 2.4 - 1.05 + 0.9 * share[4], 0, 1) * np.clip(c.elevation[sky] * 5, 0, 1) * (y < c.vy)
    over(region, 0.92 - 0.25 * share[4] + 0.1 * low * np.array([0.1, -0.15, -0.3]), cover * (0.4 + 0.5 * share[4]))


def paint_ground(image: np.ndarray, f: dict[str, float], c: Canvas, p: Palette) -> None:
    """Fields in a patchwork down the road, the sea and its beach, the road and its edges."""
    haze = p.horizon.astype(np.float32)
    rows = slice(max(0, int(c.vy)), c.h)  # only below the horizon
    if rows.start >= c.h:
        return
    lateral, along, near, ground = c.lateral[rows], c.along[rows], c.near[rows], c.ground[rows]
    patches = value_noise(lateral * 0.55, along * 2.2, 11)
    furrows = np.sin(lateral * 23) * (0.025 * f["fields"])
    shade = (0.78 + 0.44 * patches + furrows)[..., None]
    crops = np.sin(patches * 11.0)[..., None] * np.float32(0.5)  # a neighbour's crop
    tone = (p.ground * shade + np.float32((0.16, 0.08, -0.06)) * crops).astype(np.float32)
    region = image[rows]
    over(region, haze + (tone - haze) * near, ground)
    width = 1.0 - 0.45 * f["path"]
    town = max(f["town_left"], f["town_right"])
    sun_x, lit = c.sun
    x, rho = c.x[rows], c.rho[rows]
    for side, sea, walls in ((-1, f["sea_left"], f["town_left"]), (1, f["sea_right"], f["town_right"])):
        if sea > 0:  # a morph brings the shore in from the side rather than fading the water in
            shore, cover = width + 6 * (1 - sea), min(1.0, 3 * sea)
            sand = np.float32((0.86, 0.79, 0.6))
            over(region, haze + (sand - haze) * near, _beyond(c, rows, shore + 0.1, side) * cover)
            waves = np.sin(along * 14 + 3 * value_noise(lateral * 0.3, along * 3, 5))[..., None] * near
            glitter = np.exp(-(((x - sun_x) / (1.5 + 10 * rho)) ** 2)) * (lit * (0.5 + 0.5 * np.sin(along * 31)))
            water = np.float32((0.07, 0.3, 0.52)) + 0.06 * waves
            water += (haze - water) * (1 - near) * 0.8 + 0.3 * glitter[..., None] * (0.6 + 0.4 * waves)
            over(region, water, _beyond(c, rows, shore + 0.5 + 1.2 * f["beach"], side) * cover)
        if walls > 0:  # pavement before the house fronts
            strip = _beyond(c, rows, width, side) * (1 - _beyond(c, rows, width + 0.5, side)) * walls
            over(region, (0.62, 0.58, 0.52), strip)
    if f["road"] > 0:
        asphalt = np.array((0.37, 0.37, 0.39)) + (np.array((0.62, 0.52, 0.38)) - (0.37, 0.37, 0.39)) * f["path"]
        asphalt = (asphalt + ((0.52, 0.46, 0.4) - asphalt) * 0.7 * town).astype(np.float32)
        on_road = (1 - _beyond(c, rows, width, -1) - _beyond(c, rows, width, 1)) * ground * f["road"]
        over(region, haze + (asphalt - haze) * near, on_road)
        edges = _beyond(c, rows, 0.88 * width, -1) + _beyond(c, rows, 0.88 * width, 1)
        over(region, (0.9, 0.9, 0.88), edges * on_road * (1 - f["path"]) * (1 - town) * 0.8)


def _beyond(c: Canvas, rows: slice, edge: float, side: float) -> np.ndarray:
    return np.clip((side * c.lateral[rows] - edge) * c.rho[rows] * c.road + 0.5, 0, 1) * c.ground[rows]


def range_items(image: np.ndarray, f: dict[str, float], c: Canvas, p: Palette) -> list[tuple[float, object]]:
    """The ranges in view, as (screen depth scale, paint) to be painted far to near among the trees."""
    tallest = max(13 * f["mountains"], 3.5 * f["hills"], 0.9 * f["forest"])
    if tallest <= 0:
        return []
    smallest = 1.5 / (tallest * 1.3 * c.height)  # a range under a pixel and a half tall is not painted
    first = math.ceil((c.travel - math.log(_NEAREST)) / RANGE_STEP)
    last = math.floor((c.travel - math.log(smallest)) / RANGE_STEP)
    return [(math.exp(c.travel - k * RANGE_STEP), _painter(image, f, c, p, k)) for k in range(first, last + 1)]


def _painter(image, f, c: Canvas, p: Palette, k: int):
    return lambda: _paint_range(image, f, c, p, k)


def _paint_range(image: np.ndarray, f: dict[str, float], c: Canvas, p: Palette, k: int) -> None:
    scale = math.exp(c.travel - k * RANGE_STEP)  # the range's foot, as screen rho
    luck = (math.sin(k * 12.9898 + 4.1) * 43758.5453) % 1.0
    column = c.dx[0] / np.float32(scale * c.road)  # lateral position at the range's depth, per column
    ridged = 1 - np.abs(2 * line_noise(column / 2.6, 100 + k) - 1)
    bumps = 0.6 * line_noise(column / 2.2, 200 + k) + 0.4 * line_noise(column / 0.7, 300 + k)
    shape = bumps + (ridged * (0.7 + 0.3 * line_noise(column / 0.45, 400 + k)) - bumps) * f["peaks"]
    mountain = 13 * f["mountains"] * (0.6 + 0.6 * luck) * (0.15 + 0.85 * shape ** 1.4)
    phase = 6.283 * luck
    rolling = (0.5 + 0.22 * np.sin(column * 0.55 + phase) + 0.16 * np.sin(column * 1.37 + 3 * phase)
               + 0.08 * np.sin(column * 3.1 + 5 * phase))  # rounded tops, not a noise's plateaus
    hill = 2.4 * f["hills"] * (0.3 + 0.7 * rolling) * (0.7 + 0.6 * luck)
    forest = 0.9 * f["forest"] * (0.75 + 0.25 * line_noise(column * 3, 600 + k))
    # the road runs through a valley (wider through a town); no land stands in the sea
    town = max(f["town_left"], f["town_right"])
    valley = 1 - f["road"] * (1 - np.clip((np.abs(column) - 1.6 - 1.5 * town) / 3.0, 0, 1))
    dry = 1 - np.where(column < 0, f["sea_left"], f["sea_right"])
    # a range near enough to fill the view sinks into the ground as it comes (no see-through ghosts)
    nearest = _NEAREST * (0.5 + 0.5 * f["road"])  # without a road's valley to pass through, sooner
    sink = min(1.0, (nearest - scale) / (0.6 * nearest))
    tall = np.maximum(np.maximum(mountain, hill), forest) * valley * dry * np.float32(max(sink, 0.0))
    foot = c.vy + scale * c.height
    pixels = tall * np.float32(scale * c.height)
    top = float(pixels.max())
    rows = slice(max(0, int(foot - top - 1)), min(c.h, int(foot + 2)))
    if top < 0.7 or rows.start >= rows.stop:
        return
    y = c.y[rows]
    height = (foot - y) / np.float32(scale * c.height)  # camera heights above the range's foot
    inside = np.clip(pixels - (foot - y) + 0.5, 0, 1) * np.clip(foot - y + 0.5, 0, 1)
    weights = np.stack([mountain ** 4, hill ** 4, forest ** 4]) + 1e-9
    colour = (weights / weights.sum(axis=0)).T @ np.stack([p.rock, p.hill, p.forest])  # per column
    slope = np.gradient(tall) / np.float32(max(1e-3, 1 / (scale * c.road)))  # rise per unit across
    shade = (0.93 + np.clip(slope * 0.25, -0.15, 0.12))[:, None]  # sunlit and shaded faces
    colour = (colour * shade).astype(np.float32)
    streaks = line_noise(column * 4, 700 + k)  # gullies and woods down the slopes, strata across them
    grain = (0.7 * streaks + 0.3 * (0.5 + 0.5 * np.sin(height * 2.3 + 6 * streaks)))[..., None]
    up = np.clip(height / np.maximum(tall, 1e-3), 0, 1)  # 0 at the foot, 1 at the skyline
    rough = np.float32(0.1 + 0.14 * f["mountains"])
    body = colour * (1 - rough + 2 * rough * grain) * (0.82 + 0.18 * up)[..., None]
    woods = np.clip((0.3 - up) * 5, 0, 1) * (mountain >= hill) * np.float32(f["mountains"] * (1 - f["snow"]))
    body = body + (p.forest.astype(np.float32) * 1.1 - body) * (0.8 * woods)[..., None]  # wooded feet
    snowy = min(1.0, f["snowcaps"] + f["snow"] + 0.4 * f["peaks"]) * (mountain >= hill)
    if snowy.any():
        cap = np.clip((height / np.maximum(tall, 1e-3) - 0.68) * 8, 0, 1) * snowy * np.clip(tall / 12 - 0.3, 0, 1)
        body = body + (np.float32((0.95, 0.96, 1.0)) - body) * cap[..., None].astype(np.float32)
    distance = np.clip(math.log(scale / 0.35) / math.log(0.004 / 0.35), 0, 1)  # 0 near, 1 on the horizon
    haze = p.horizon.astype(np.float32)
    body = body + (haze - body) * np.float32(0.15 + 0.7 * distance)
    alpha = inside
    over(image[rows], body, alpha)
    c.cover(rows, alpha, 1 / scale)


def _ground_colour(f: dict[str, float]) -> np.ndarray:
    season = np.array([1.0, f["spring"], f["summer"], f["autumn"]])
    meadow = (season / season.sum()) @ _GROUND_COLOURS[:4]
    weights = np.array([f["fields"] + f["hills"] + 0.3, f["mountains"], 3 * f["snow"], 3 * f["desert"]])
    return (weights / weights.sum()) @ np.vstack([meadow, _GROUND_COLOURS[4:]])


def grade(f: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """The scene's colour grade, a 3x3 matrix and an offset: night, warm light, weather, tints."""
    saturation = 1 + 0.45 * f["vivid"] - 0.4 * f["cloudy"] - 0.3 * f["snow"]
    matrix = np.outer(_LUMA, np.ones(3)) * (1 - saturation) + np.eye(3) * saturation
    warm = min(1.0, f["sunset"] + 0.6 * f["dawn"])
    gain = (1 + (np.array((1.08, 0.95, 0.84)) - 1) * warm) * (1 + (np.array((0.24, 0.29, 0.5)) - 1) * f["night"])
    tint = np.array([f["tint_r"], f["tint_g"], f["tint_b"]]) / max(f["tint"], 1e-9)
    gain = gain * (1 + (0.6 + 0.8 * tint - 1) * 0.3 * f["tint"])
    return (matrix * gain).astype(np.float32), np.full(3, 0.1 * f["snow"], dtype=np.float32)


def paint_lights(image: np.ndarray, c: Canvas, p: Palette) -> None:
    """Moon and stars, after the night grade has darkened everything else; fixed in the sky."""
    night = float(p.sky_share[3])
    if night <= 0:
        return
    span = c.frame.screen[0]
    distance = np.hypot(c.x - (c.vx - 0.28 * span), c.y - (c.vy - 0.7 * c.horizon)) / span
    moon = 0.7 * np.exp(-(distance / 0.03) ** 2) + 0.2 * np.exp(-(distance / 0.1) ** 2)  # soft: it stays put
    over(image, (0.95, 0.95, 0.85), night * (1 - 0.6 * p.sky_share[4]) * moon)
    luck = value_noise(np.floor(c.dx) + 0.5, np.floor(c.y - c.vy) + 0.5, 9)  # one value per sky pixel
    stars = np.clip((luck - 0.985) * 60, 0, 1) * (c.y < c.vy - 2)
    image += (night * 0.9 * stars)[..., None].astype(np.float32)
