"""The preview engine: a deterministic procedural painter, no weights, fast enough for real time.

Each conditioning source becomes a scene vector (`encode_prompt`, `encode_image`), so ride/morph.py
mixes and morphs them exactly as it does text embeddings. A vector is painted at low resolution:
a backdrop (sky, sun, mountains, hills, sea, fields, road) cached per vector and focus point, and,
per frame, what the camera passes (trees, house fronts, road dashes), placed by how far the camera has
zoomed since frame 0 so they stream past a forward-moving camera in step with the warp. The painting is
upscaled, given a seeded brush texture and blended into the warped previous frame by `strength`,
as img2img would. docs/preview.md lists the words it understands.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections import OrderedDict

import numpy as np
from PIL import Image

from ..errors import RideRenderError
from ..morph import mix_conditioning
from ..plan import FramePlan, Plan, Source

VERSION = "preview-1"
FEATURES = (
    "day", "dawn", "sunset", "night", "cloudy",  # sky (shares of the sky, normalised when painted)
    "sea_left", "sea_right", "beach", "mountains", "peaks", "snowcaps", "hills", "fields",
    "town_left", "town_right", "trees_left", "trees_right", "round", "cypress", "poplars", "forest",
    "road", "path", "snow", "desert", "spring", "summer", "autumn",
    "tint_r", "tint_g", "tint_b", "tint", "paint", "vivid",
)
LAYOUT = 16  # an image source's coarse layout: LAYOUT x LAYOUT colours
# vector = [mass, *FEATURES, image share, image mean (3), image std (3), image layout (LAYOUT^2 * 3)]
_IMAGE = 1 + len(FEATURES)
_MEAN, _STD, _LAYOUT = _IMAGE + 1, _IMAGE + 4, _IMAGE + 7
SIZE = _LAYOUT + LAYOUT * LAYOUT * 3

# feature(s) a word adds -> the words; "trees", "sea", "town" are placed left/right by their clause
_VOCABULARY = {
    "day": "day sunny sun noon bright daylight clear", "dawn": "dawn sunrise morning",
    "sunset": "sunset dusk evening twilight", "night": "night moon moonlit moonlight midnight stars starry",
    "cloudy": "cloudy clouds overcast rain rainy storm stormy fog foggy mist misty grey gray",
    "sea": "sea ocean coast coastal seaside mediterranean bay harbour harbor lake shore",
    "sea beach": "beach beaches", "mountains": "mountain mountains pass peak",
    "mountains peaks": "dolomites peaks cliffs rocky", "mountains snowcaps": "alps alpine",
    "hills": "hill hills hillside hilly", "fields": "field fields meadow meadows grass",
    "fields hills": "countryside rural farm farmland vineyard vineyards valley",
    "hills cypress summer": "tuscany tuscan",
    "town": "town towns city village street streets buildings houses medieval piazza",
    "trees round": "tree trees treelined woods oak oaks", "trees cypress": "cypress cypresses pine pines",
    "trees poplars": "poplar poplars", "trees forest round": "forest forests",
    "road trees poplars": "avenue boulevard", "road": "road roads highway lane street",
    "road path": "path trail track dirt gravel", "snow": "snow snowy winter ice frozen",
    "desert": "desert sand sandy arid", "desert hills": "dunes", "spring": "spring springtime blossom flowers",
    "summer": "summer", "autumn": "autumn", "vivid": "vivid colorful colourful vibrant saturated",
    "paint": "impressionist impressionism painting painted oil monet gogh brushstrokes watercolor",
}
_WORDS = {word: [name for names, words in _VOCABULARY.items() if word in words.split() for name in names.split()]
          for word in " ".join(_VOCABULARY.values()).split()}  # word -> the features it adds
_COLOURS = {"red": (0.85, 0.2, 0.15), "orange": (0.95, 0.55, 0.15), "yellow": (0.95, 0.85, 0.2),
            "gold": (0.9, 0.7, 0.25), "golden": (0.9, 0.7, 0.25), "green": (0.25, 0.7, 0.25),
            "blue": (0.2, 0.4, 0.9), "purple": (0.55, 0.25, 0.7), "violet": (0.55, 0.25, 0.7),
            "pink": (0.95, 0.55, 0.7), "white": (0.95, 0.95, 0.95), "brown": (0.5, 0.35, 0.2)}
_SKY = ("day", "dawn", "sunset", "night", "cloudy")
_GROUND = ("sea_left", "sea_right", "mountains", "hills", "fields", "snow", "desert", "town_left", "town_right")
_SIDED = ("trees", "sea", "town")
_CLAUSES = re.compile(r"[,;.]|\band\b|\bwith\b")

# sky colours per time of day, (zenith, horizon); the night grade darkens them further
_SKY_COLOURS = np.array([[(0.30, 0.52, 0.85), (0.74, 0.85, 0.95)], [(0.40, 0.44, 0.70), (0.98, 0.78, 0.62)],
                         [(0.25, 0.24, 0.52), (1.00, 0.58, 0.28)], [(0.10, 0.14, 0.38), (0.26, 0.32, 0.52)],
                         [(0.55, 0.58, 0.63), (0.80, 0.81, 0.83)]])
# ground colours: meadow, spring, summer, autumn, alpine, snow, desert
_GROUND_COLOURS = np.array([(0.42, 0.58, 0.25), (0.38, 0.62, 0.22), (0.74, 0.66, 0.34), (0.62, 0.44, 0.2),
                            (0.36, 0.47, 0.3), (0.92, 0.94, 0.97), (0.87, 0.73, 0.48)])
# trees, per kind (round, cypress, poplar): crown height, half-width, half-height (camera heights), taper, colour
_TREES = np.array([(2.2, 1.2, 1.1, 0.0, 0.24, 0.42, 0.16), (2.6, 0.38, 2.2, 1.0, 0.10, 0.24, 0.12),
                   (3.0, 0.55, 2.5, 0.6, 0.33, 0.50, 0.17)])
_FACADES = np.array([(0.80, 0.64, 0.42), (0.74, 0.46, 0.32), (0.72, 0.68, 0.60), (0.87, 0.79, 0.62)])
_LUMA = np.array([0.299, 0.587, 0.114])
_MARGIN = 48  # the brush texture is this much larger than the frame; a seed picks where to look
_TREE_STEP, _HOUSE_STEP, _DASH_STEP = math.log(1.32), math.log(1.22), math.log(1.15)  # spacing in log depth


# -- encoding ---------------------------------------------------------------------------------------

def encode_prompt(text: str) -> np.ndarray:
    """A prompt's scene vector: the features its words name, placed left/right by their clause."""
    f = dict.fromkeys(FEATURES, 0.0)
    sides = {name: [0.0, 0.0, 0.0] for name in _SIDED}  # left, right, unplaced
    colours = []
    for clause in _CLAUSES.split(text.lower()):
        words = re.findall(r"[a-z]+", clause)
        side = 0 if "left" in words and "right" not in words else 1 if "right" in words and "left" not in words else 2
        for word in words:
            colours += [_COLOURS[word]] if word in _COLOURS else []
            for name in _WORDS.get(word, ()):
                if name in sides:
                    sides[name][side] = 1.0
                else:
                    f[name] = 1.0
    for name, (left, right, loose) in sides.items():
        # The sea takes one side: the one trees were not put on, else the left.
        to_right = name == "sea" and sides["trees"][0] and not sides["trees"][1]
        to_left = not (name == "sea" and (to_right or right))
        f[f"{name}_left"] = max(left, loose if to_left else 0.0)
        f[f"{name}_right"] = max(right, loose if (name != "sea" or to_right) else 0.0)
    f["round"] = max(0.0, f["round"] - f["cypress"] - f["poplars"]) if not f["forest"] else f["round"]
    f["day"] = f["day"] or float(not any(f[name] for name in _SKY))  # unsaid means daytime
    f["fields"] = f["fields"] or float(not any(f[name] for name in _GROUND))  # ... and a meadow
    if colours:
        f["tint_r"], f["tint_g"], f["tint_b"] = np.mean(colours, axis=0)
        f["tint"] = 1.0
    vector = np.zeros(SIZE)
    vector[0] = 1.0
    vector[1:_IMAGE] = [f[name] for name in FEATURES]
    return vector


def encode_image(path: str) -> np.ndarray:
    """An image's scene vector: its palette (mean and spread per channel) and coarse layout."""
    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
    except (OSError, ValueError) as error:
        raise RideRenderError(f"cannot read image '{path}': {error}") from None
    pixels = np.asarray(rgb.resize((64, 64), Image.Resampling.BOX), dtype=np.float64).reshape(-1, 3) / 255
    vector = np.zeros(SIZE)
    vector[0] = vector[_IMAGE] = 1.0
    vector[_MEAN:_STD], vector[_STD:_LAYOUT] = pixels.mean(axis=0), pixels.std(axis=0)
    vector[_LAYOUT:] = np.asarray(rgb.resize((LAYOUT, LAYOUT), Image.Resampling.BOX)).ravel() / 255
    return vector


def read_features(vector: np.ndarray) -> tuple[dict[str, float], float]:
    """The vector's features per unit of prompt weight (mixes are not normalised), and the image share."""
    image = float(np.clip(vector[_IMAGE] / vector[0], 0, 1)) if vector[0] > 0 else 0.0
    prompt = vector[0] - vector[_IMAGE]
    values = np.clip(vector[1:_IMAGE] / prompt, 0, 1) if prompt > 1e-9 else np.zeros(len(FEATURES))
    return dict(zip(FEATURES, values.tolist(), strict=True)), image


# -- the canvas: a low-resolution grid with the road's perspective ----------------------------------

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
        angle = _noise(width, height, 9, (6, 6)) * 4 * np.pi  # brush directions for _smear, swirling slowly
        self.strokes = tuple((np.rint(self.y + k * np.sin(angle) - 0.5).clip(0, height - 1) * width
                              + np.rint(self.x + k * np.cos(angle) - 0.5).clip(0, width - 1)).astype(np.intp).ravel()
                             for k in (-1.5, 1.5))

    def beyond(self, edge: float, side: float) -> np.ndarray:
        """Coverage of the ground beyond lateral offset `edge` on a side (-1 left, +1 right), antialiased."""
        return np.clip((side * self.lateral - edge) * self.rho * self.road + 0.5, 0, 1) * self.ground


def _over(image: np.ndarray, colour, alpha) -> None:
    image += (np.asarray(colour, dtype=np.float32) - image) * np.asarray(alpha, dtype=np.float32)[..., None]


def paint_backdrop(f: dict[str, float], c: Canvas) -> np.ndarray:
    """What stays put as the camera moves: sky, sun, far land, ground, sea and road (float RGB 0..1)."""
    sky = np.array([f[name] for name in _SKY])
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
    _over(image, sun, lit * (0.55 * np.exp(-(distance / 0.16) ** 2) + np.clip((0.05 - distance) * c.w, 0, 1)))
    clouds = np.clip(c.clouds * 2.5 - 0.9 + 1.2 * share[4], 0, 1) * (c.y < c.vy)
    _over(image, 0.9 - 0.25 * share[4] + 0.1 * low * np.array([0.1, -0.15, -0.3]), clouds * (0.25 + 0.6 * share[4]))
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
    _over(image[rows], colour, np.clip(y - (c.vy - tall) + 0.5, 0, 1) * (y < c.vy + 1))


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
    _over(image, haze + (ground - haze) * c.near, c.ground)
    width = 1.0 - 0.45 * f["path"]
    town = max(f["town_left"], f["town_right"])
    for side, sea, walls in ((-1, f["sea_left"], f["town_left"]), (1, f["sea_right"], f["town_right"])):
        if sea > 0:
            sand = np.float32((0.86, 0.79, 0.6))
            _over(image, haze + (sand - haze) * c.near, c.beyond(width + 0.1, side) * sea)
            glitter = np.exp(-(((c.x - sun_x) / (1.5 + 10 * c.rho)) ** 2)) * (lit * (0.5 + 0.5 * np.sin(c.y * 2.1)))
            water = np.float32((0.07, 0.3, 0.52)) + 0.06 * c.waves
            water += (haze - water) * (1 - c.near) * 0.8 + 0.5 * glitter[..., None]
            _over(image, water, c.beyond(width + 0.5 + 1.2 * f["beach"], side) * sea)
        if walls > 0:  # pavement before the house fronts
            _over(image, (0.62, 0.58, 0.52), c.beyond(width, side) * (1 - c.beyond(width + 0.5, side)) * walls)
    if f["road"] > 0:
        asphalt = np.array((0.37, 0.37, 0.39)) + (np.array((0.62, 0.52, 0.38)) - (0.37, 0.37, 0.39)) * f["path"]
        asphalt = (asphalt + ((0.52, 0.46, 0.4) - asphalt) * 0.7 * town).astype(np.float32)
        on_road = (1 - c.beyond(width, -1) - c.beyond(width, 1)) * c.ground * f["road"]
        _over(image, haze + (asphalt - haze) * c.near, on_road)
        lines = (c.beyond(0.88 * width, -1) + c.beyond(0.88 * width, 1)) * on_road * (1 - f["path"]) * (1 - town)
        _over(image, (0.9, 0.9, 0.88), lines * 0.8)


def _noise(width: int, height: int, seed: int, cells: tuple[int, int]) -> np.ndarray:
    """Smooth fixed noise in 0..1 over `cells` (columns, rows) of the frame."""
    field = _upscaled_noise(np.random.default_rng(seed), cells, (width, height))
    return (field - field.min()) / max(float(np.ptp(field)), 1e-9)


def _upscaled_noise(rng: np.random.Generator, cells: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """Random values on a coarse grid, upscaled smoothly: blobs (or streaks) one cell across."""
    coarse = rng.standard_normal((max(cells[1], 2), max(cells[0], 2))).astype(np.float32)
    return np.asarray(Image.fromarray(coarse).resize(size, Image.Resampling.BICUBIC))


def grade(f: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """The scene's colour grade, a 3x3 matrix and an offset: night, warm light, weather, tints."""
    saturation = 1 + 0.45 * f["vivid"] - 0.4 * f["cloudy"] - 0.3 * f["snow"]
    matrix = np.outer(_LUMA, np.ones(3)) * (1 - saturation) + np.eye(3) * saturation
    warm = min(1.0, f["sunset"] + 0.6 * f["dawn"])
    gain = (1 + (np.array((1.08, 0.95, 0.84)) - 1) * warm) * (1 + (np.array((0.24, 0.29, 0.5)) - 1) * f["night"])
    tint = np.array([f["tint_r"], f["tint_g"], f["tint_b"]]) / max(f["tint"], 1e-9)
    gain = gain * (1 + (0.6 + 0.8 * tint - 1) * 0.3 * f["tint"])
    return matrix * gain, np.full(3, 0.1 * f["snow"])


def paint_passing(canvas: np.ndarray, f: dict[str, float], c: Canvas, travel: float,
                  matrix: np.ndarray, offset: np.ndarray, opacity: float) -> None:
    """What the camera passes: house fronts, trees and road dashes, placed by the travel so far."""
    def graded(colour):
        return (np.asarray(colour) @ matrix + offset).astype(np.float32)

    width = 1.0 - 0.45 * f["path"]
    town = max(f["town_left"], f["town_right"])
    for side, amount in ((-1, f["town_left"]), (1, f["town_right"])):
        if amount > 0:
            _paint_houses(canvas, c, side, width + 0.5, travel, amount * opacity, graded, f["night"])
    dashed = f["road"] * (1 - f["path"]) * (1 - town) * opacity  # asphalt roads only
    if dashed > 0:
        along = (c.log_rho - travel) / _DASH_STEP
        dashes = np.clip((0.035 - np.abs(c.lateral)) * c.rho * c.road + 0.5, 0, 1) * ((along % 1) < 0.45)
        _over(canvas, graded((0.92, 0.92, 0.88)), dashes * c.ground * dashed)
    kinds = np.array([f["round"], f["cypress"], f["poplars"]])
    shape = (kinds / kinds.sum() if kinds.sum() else np.array([1.0, 0, 0])) @ _TREES
    leaves = shape[4:] + ((0.75, 0.42, 0.12) - shape[4:]) * f["autumn"] * 0.8
    leaves = graded(leaves + ((0.85, 0.88, 0.92) - leaves) * f["snow"] * 0.35)
    trees = []
    for side, amount in ((-1, f["trees_left"]), (1, f["trees_right"])):
        rows = [(width + 0.3, amount, 0.5 * (side > 0))]
        rows += [(width + 1.4, amount * f["forest"], 0.3), (width + 2.8, amount * f["forest"], 0.7)]
        for lateral, strength, shift in rows:
            first = math.ceil((math.log(0.03) - travel) / _TREE_STEP - shift)
            last = math.floor((math.log(2.0) - travel) / _TREE_STEP - shift)
            trees += [(math.exp(travel + (j + shift) * _TREE_STEP), side * lateral, strength, j)
                      for j in range(first, last + 1) if strength > 0]
    for rho, lateral, strength, j in sorted(trees):  # far to near
        size = 0.55 * (0.85 + 0.3 * _hash(j + 7 * lateral))
        _paint_tree(canvas, c, rho, lateral, shape, size, leaves, graded((0.3, 0.22, 0.15)), strength * opacity)


def _paint_tree(canvas, c: Canvas, rho: float, lateral: float, shape, size: float, leaves, bark, alpha) -> None:
    k = rho * c.height * size  # camera heights -> pixels at this depth
    bx, by = c.vx + rho * lateral * c.road, c.vy + rho * c.height
    cy, rx, ry = by - shape[0] * k, shape[1] * k, shape[2] * k
    x0, x1 = max(0, int(bx - rx - 1)), min(c.w, int(bx + rx + 2))
    y0, y1 = max(0, int(cy - ry - 1)), min(c.h, int(by + 1))
    if x0 >= x1 or y0 >= y1 or ry < 0.6:
        return
    xs, ys, patch = c.x[y0:y1, x0:x1], c.y[y0:y1, x0:x1], canvas[y0:y1, x0:x1]
    top = np.clip((ys - cy + ry) / (2 * ry), 0, 1)
    half = rx * (1 - shape[3] * 0.75 * (1 - top ** 0.6))  # tapering makes a cypress's flame
    crown = np.clip((1 - np.hypot((xs - bx) / half, (ys - cy) / ry)) * rx + 0.5, 0, 1)
    trunk = np.clip(0.5 + 0.06 * k - np.abs(xs - bx), 0, 1) * (ys < by) * (ys > cy)
    _over(patch, bark, trunk * alpha)
    light = np.clip(1.15 - 0.35 * (xs - bx) / rx - 0.15 * top, 0.6, 1.4)[..., None]  # lit from the left
    _over(patch, leaves * light, crown * alpha)


def _paint_houses(canvas, c: Canvas, side: int, edge: float, travel: float, alpha: float, graded, night) -> None:
    """A street's house fronts: a wall at `edge` whose houses differ in height and colour."""
    x = c.x[0]  # on a wall along the road, each column is one depth
    rho = np.maximum(side * (x - c.vx) / (edge * c.road), 0.02)
    position = (np.log(rho) - travel) / _HOUSE_STEP
    house = np.floor(position)
    along, luck = position - house, _hash(house + 31 * side)
    tall, scale = 2.5 + 4.5 * luck, rho * c.height  # height in camera heights; pixels per camera height
    up = (c.vy + scale - c.y) / scale  # height above the street, in camera heights
    inside = np.clip(up * scale + 0.5, 0, 1) * np.clip((tall - up) * scale + 0.5, 0, 1) * (side * (x - c.vx) > 0)
    colour = np.repeat((_FACADES[(luck * 37).astype(int) % len(_FACADES)] * (1.0 if side < 0 else 0.82))[None],
                       c.h, axis=0)
    window = (((along * 3) % 1 > 0.35) & ((along * 3) % 1 < 0.65)) & ((up / 1.3) % 1 > 0.35) & (up > 0.9)
    colour[window & (up < tall - 0.5)] = (0.18 + 0.8 * night, 0.15 + 0.6 * night, 0.13 + 0.2 * night)
    colour[up > tall - 0.3] = (0.5, 0.27, 0.2)  # roof edge
    colour[:, along < 0.05] *= 0.7  # where one house meets the next
    _over(canvas, graded(colour), inside * alpha)


def _paint_lights(image: np.ndarray, f: dict[str, float], c: Canvas) -> None:
    """Moon and stars, after the night grade has darkened everything else."""
    sky = np.array([f[name] for name in _SKY])
    night = float(sky[3] / sky.sum()) if sky.sum() else 0.0
    if night <= 0:
        return
    distance = np.hypot(c.x - (c.vx - 0.28 * c.w), c.y - 0.3 * c.vy) / c.w
    _over(image, (0.95, 0.95, 0.85), night * (np.clip((0.035 - distance) * c.w, 0, 1)
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
    target_mean, target_spread = vector[_MEAN:_STD] / vector[_IMAGE], vector[_STD:_LAYOUT] / vector[_IMAGE]
    gain = 1 + (target_spread / spread - 1) * share
    return matrix * gain, offset * gain + share * (target_mean - mean * target_spread / spread)


def _smear(image: np.ndarray, c: Canvas, amount: float) -> np.ndarray:
    """Brush strokes: each pixel averaged with its neighbours along a fixed, swirling direction."""
    flat = image.reshape(-1, 3)
    stroke = (flat[c.strokes[0]] + flat[c.strokes[1]] + flat) / 3
    return (flat + (stroke - flat) * np.float32(amount)).reshape(image.shape)


def _hash(n):
    """A fixed pseudo-random 0..1 per integer (which house, which tree)."""
    return (np.sin(np.asarray(n, dtype=np.float64) * 12.9898 + 4.1) * 43758.5453) % 1.0


def brush_texture(width: int, height: int) -> np.ndarray:
    """Full-size brush-stroke texture (int16, spread about 7 levels), _MARGIN larger so seeds can shift it."""
    rng = np.random.default_rng(1234)
    w, h = width + _MARGIN, height + _MARGIN
    across, down = _upscaled_noise(rng, (w // 5, h), (w, h)), _upscaled_noise(rng, (w, h // 5), (w, h))
    strokes = np.where(_upscaled_noise(rng, (w // 40, h // 40), (w, h)) > 0, across, down)  # patches of each
    colour = np.stack([_upscaled_noise(rng, (w // 2, h // 2), (w, h)) for _ in range(3)], axis=-1)
    return np.rint(6 * strokes[..., None] / strokes.std() + 2.5 * colour / colour.std()).astype(np.int16)


def texture_for_seed(texture: np.ndarray, seed: int, height: int, width: int) -> np.ndarray:
    """The seed's view of the texture: shifted and flipped (a view, no copy)."""
    h = (seed * 2654435761 + 97531) % 2 ** 32
    oy, ox = h % (texture.shape[0] - height + 1), (h >> 9) % (texture.shape[1] - width + 1)
    view = texture[oy:oy + height, ox:ox + width]
    return view[::1 - 2 * (h >> 20 & 1), ::1 - 2 * (h >> 21 & 1)]


# -- the engine -------------------------------------------------------------------------------------

class PreviewEngine:
    name = "preview"

    def __init__(self) -> None:
        self._plan: Plan | None = None
        self._vectors: dict[Source, np.ndarray] = {}
        self._backdrops: OrderedDict[str, tuple] = OrderedDict()
        self._canvases: OrderedDict[tuple, Canvas] = OrderedDict()
        self._travel = np.zeros(0)
        self._texture = np.zeros((0, 0, 3), dtype=np.int16)

    def identity(self) -> dict[str, str]:
        return {"engine": "preview", "version": VERSION}

    def prepare(self, plan: Plan) -> None:
        """Encodes every distinct source once (an unreadable image fails here, before frame 0)."""
        self._plan = plan
        for conditioning in {id(c): c for c in plan.conditioning}.values():
            for source in conditioning.all_sources():
                self._encode(source)
        # log of the zoom so far: how far down the road each frame is
        self._travel = np.cumsum(np.log(np.clip(np.asarray(plan.columns["zoom"], dtype=float), 1e-3, None)))
        s = plan.settings
        scale = max(s.width, s.height) / min(160, max(48, max(s.width, s.height) // 4))
        self._low = (max(8, round(s.width / scale)), max(8, round(s.height / scale)))
        if self._texture.shape[:2] != (s.height + _MARGIN, s.width + _MARGIN):
            self._texture = brush_texture(s.width, s.height)

    def scene_vector(self, frame: FramePlan) -> np.ndarray:
        return mix_conditioning(frame.conditioning, self._encode)

    def generate(self, frame: FramePlan, init: np.ndarray | None) -> np.ndarray:
        if self._plan is None:
            raise RideRenderError("the preview engine was not prepared with a plan")
        if init is not None and frame.strength <= 0:
            return init.copy()
        s = self._plan.settings
        texture = texture_for_seed(self._texture, frame.seed, s.height, s.width)
        target = np.clip(self.target(frame) + texture, 0, 255).astype(np.uint8)
        if init is None:
            return target
        blended = Image.blend(Image.fromarray(init), Image.fromarray(target), min(1.0, frame.strength))
        return np.array(blended)

    def target(self, frame: FramePlan) -> np.ndarray:
        """The frame's painting at full size, before texture (uint8 HxWx3)."""
        vector = self.scene_vector(frame)
        f, image_share = read_features(vector)
        c, backdrop, matrix, offset = self._backdrop(vector, f, image_share, frame)
        canvas = backdrop.copy()
        travel = float(self._travel[frame.index]) if frame.index < len(self._travel) else 0.0
        paint_passing(canvas, f, c, travel, matrix, offset, 1 - image_share)
        canvas = _smear(canvas, c, 0.35 + 0.45 * f["paint"])
        low = Image.fromarray(np.clip(canvas * 255 + 0.5, 0, 255).astype(np.uint8))
        s = self._plan.settings
        return np.array(low.resize((s.width, s.height), Image.Resampling.BICUBIC))

    def _encode(self, source: Source) -> np.ndarray:
        if source not in self._vectors:
            if source.kind == "image":
                base = self._plan.settings.base_dir if self._plan else "."
                self._vectors[source] = encode_image(os.path.join(base, source.value))
            else:
                self._vectors[source] = encode_prompt(source.value)
        return self._vectors[source]

    def _backdrop(self, vector: np.ndarray, f: dict, image_share: float, frame: FramePlan) -> tuple:
        """The graded backdrop for a vector and focus point, painted once and kept (64 at most)."""
        w, h = self._low
        where = (w, h, round(frame.camera.focus_x * w, 1), round(frame.camera.focus_y * h, 1))
        c = _remember(self._canvases, where, lambda: Canvas(*where), 8)
        key = hashlib.sha1(vector.tobytes() + repr(where).encode()).hexdigest()
        return _remember(self._backdrops, key, lambda: (c, *paint_graded(vector, f, image_share, c)), 64)


def paint_graded(vector: np.ndarray, f: dict[str, float], image_share: float, c: Canvas) -> tuple:
    """The backdrop graded, lit and mixed with the image sources' layout; and the grade (matrix, offset)."""
    image = paint_backdrop(f, c)
    matrix, offset = _with_palette(*grade(f), image, vector, image_share)
    graded = image @ matrix.astype(np.float32) + offset.astype(np.float32)
    _paint_lights(graded, f, c)
    if image_share > 0:
        layout = vector[_LAYOUT:].reshape(LAYOUT, LAYOUT, 3) / vector[_IMAGE]
        layout = Image.fromarray(np.uint8(np.clip(layout, 0, 1) * 255 + 0.5)).resize((c.w, c.h), Image.Resampling.BICUBIC)
        _over(graded, np.asarray(layout) / np.float32(255), np.full((c.h, c.w), image_share))
    return graded, matrix, offset


def _remember(cache: OrderedDict, key, make, limit: int):
    """cache[key], made on first use; the least recently used entries go beyond `limit`."""
    if key not in cache:
        cache[key] = make()
        while len(cache) > limit:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return cache[key]
