"""The preview painter's brush: strokes smeared into the low-resolution painting, and a full-size
seeded texture added after upscaling, so that frames look painted rather than smooth."""

from __future__ import annotations

import numpy as np

from .preview_canvas import Canvas, upscaled_noise

MARGIN = 48  # the brush texture is this much larger than the frame; a seed picks where to look


def smear(image: np.ndarray, c: Canvas, amount: float) -> np.ndarray:
    """Brush strokes: each pixel averaged with its neighbours along a fixed, swirling direction."""
    flat = image.reshape(-1, 3)
    stroke = (flat[c.strokes[0]] + flat[c.strokes[1]] + flat) / 3
    return (flat + (stroke - flat) * np.float32(amount)).reshape(image.shape)


def brush_texture(width: int, height: int) -> np.ndarray:
    """Full-size brush-stroke texture (int16, spread about 7 levels), MARGIN larger so seeds can shift it."""
    rng = np.random.default_rng(1234)
    w, h = width + MARGIN, height + MARGIN
    across, down = upscaled_noise(rng, (w // 5, h), (w, h)), upscaled_noise(rng, (w, h // 5), (w, h))
    strokes = np.where(upscaled_noise(rng, (w // 40, h // 40), (w, h)) > 0, across, down)  # patches of each
    colour = np.stack([upscaled_noise(rng, (w // 2, h // 2), (w, h)) for _ in range(3)], axis=-1)
    return np.rint(6 * strokes[..., None] / strokes.std() + 2.5 * colour / colour.std()).astype(np.int16)


def texture_for_seed(texture: np.ndarray, seed: int, height: int, width: int) -> np.ndarray:
    """The seed's view of the texture: shifted and flipped (a view, no copy)."""
    h = (seed * 2654435761 + 97531) % 2 ** 32
    oy, ox = h % (texture.shape[0] - height + 1), (h >> 9) % (texture.shape[1] - width + 1)
    view = texture[oy:oy + height, ox:ox + width]
    return view[::1 - 2 * (h >> 20 & 1), ::1 - 2 * (h >> 21 & 1)]
