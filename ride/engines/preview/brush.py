"""The preview painter's brush: strokes smeared into the low-resolution painting, and a full-size
seeded texture added after upscaling, so that frames look painted rather than smooth."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .canvas import upscaled_noise

MARGIN = 48  # the brush texture is this much larger than the frame; a seed picks where to look


@lru_cache(maxsize=8)
def strokes(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """For each canvas pixel, the flat indices of its two neighbours along a fixed, swirling direction."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
    field = upscaled_noise(np.random.default_rng(9), (6, 6), (width, height))
    angle = (field - field.min()) / max(float(np.ptp(field)), 1e-9) * 4 * np.pi
    return tuple((np.rint(y + k * np.sin(angle) - 0.5).clip(0, height - 1) * width
                  + np.rint(x + k * np.cos(angle) - 0.5).clip(0, width - 1)).astype(np.intp).ravel()
                 for k in (-1.5, 1.5))


def smear(image: np.ndarray, amount: float) -> np.ndarray:
    """Brush strokes: each pixel averaged with its neighbours along the stroke direction. The directions
    stay on the canvas while the world moves under them, as a painter's hand would."""
    ahead, behind = strokes(image.shape[1], image.shape[0])
    flat = image.reshape(-1, 3)
    stroke = (flat[ahead] + flat[behind] + flat) / 3
    return (flat + (stroke - flat) * np.float32(amount)).reshape(image.shape)


def brush_texture(width: int, height: int) -> np.ndarray:
    """Full-size brush-stroke texture (int16, spread about 7 levels), MARGIN larger so seeds can shift it."""
    rng = np.random.default_rng(1234)
    w, h = width + MARGIN, height + MARGIN
    across, down = upscaled_noise(rng, (w // 5, h), (w, h)), upscaled_noise(rng, (w, h // 5), (w, h))
    patches = np.where(upscaled_noise(rng, (w // 40, h // 40), (w, h)) > 0, across, down)  # patches of each
    colour = np.stack([upscaled_noise(rng, (w // 2, h // 2), (w, h)) for _ in range(3)], axis=-1)
    return np.rint(6 * patches[..., None] / patches.std() + 2.5 * colour / colour.std()).astype(np.int16)


def texture_for(texture: np.ndarray, seed: int, index: int, height: int, width: int) -> np.ndarray:
    """Frame `index`'s view of the texture under `seed`: shifted and flipped (a view, no copy). It moves
    every frame, as each img2img step's noise does: a brush that stayed on the screen while the world
    moves would pull the picture back to where it was."""
    h = (seed * 2654435761 + index * 40503 + 97531) % 2 ** 32
    h = (h ^ (h >> 15)) * 2246822519 % 2 ** 32
    oy, ox = h % (texture.shape[0] - height + 1), (h >> 9) % (texture.shape[1] - width + 1)
    view = texture[oy:oy + height, ox:ox + width]
    return view[::1 - 2 * (h >> 20 & 1), ::1 - 2 * (h >> 21 & 1)]
