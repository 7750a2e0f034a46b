"""The preview engine's words: a prompt or an image becomes a scene vector, and back into features.

A scene vector is what ride/morph.py mixes and morphs, exactly as it does text embeddings, so its layout
is linear: a mix of two prompts is the weighted sum of their vectors. Slot 0 holds the prompt weight (the
mass) so that `read_features` can undo the weights. docs/preview.md lists the words understood here.
"""

from __future__ import annotations

import re

import numpy as np
from PIL import Image

from ...errors import RideRenderError

FEATURES = (
    "day", "dawn", "sunset", "night", "cloudy",  # sky (shares of the sky, normalised when painted)
    "sea_left", "sea_right", "beach", "mountains", "peaks", "snowcaps", "hills", "fields",
    "town_left", "town_right", "trees_left", "trees_right", "round", "cypress", "poplars", "forest",
    "road", "path", "snow", "desert", "spring", "summer", "autumn",
    "tint_r", "tint_g", "tint_b", "tint", "paint", "vivid",
)
SKY = ("day", "dawn", "sunset", "night", "cloudy")
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
_GROUND = ("sea_left", "sea_right", "mountains", "hills", "fields", "snow", "desert", "town_left", "town_right")
_SIDED = ("trees", "sea", "town")
_CLAUSES = re.compile(r"[,;.]|\band\b|\bwith\b")


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
    f["day"] = f["day"] or float(not any(f[name] for name in SKY))  # unsaid means daytime
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


def image_palette(vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The image sources' mean and spread per channel, per unit of image weight (needs an image share)."""
    return vector[_MEAN:_STD] / vector[_IMAGE], vector[_STD:_LAYOUT] / vector[_IMAGE]


def image_layout(vector: np.ndarray) -> np.ndarray:
    """The image sources' coarse layout, LAYOUT x LAYOUT x 3 in 0..1 (needs an image share)."""
    return vector[_LAYOUT:].reshape(LAYOUT, LAYOUT, 3) / vector[_IMAGE]


def image_rows(vector: np.ndarray) -> tuple[np.ndarray, ...]:
    """The image sources' colours by height (needs an image share): the top rows (sky), the middle
    (horizon and far land), below the middle (near land) and the bottom rows (ground)."""
    layout = image_layout(vector)
    rows = [layout[a:b].reshape(-1, 3).mean(axis=0) for a, b in ((0, 3), (5, 8), (12, 16), (8, 11))]
    return tuple(np.clip(row, 0, 1) for row in rows)
