"""The motion the camera does not explain between two diffused frames, for cadence in-betweens.

The renderer knows the camera exactly, so an in-between starts from its two diffused neighbours
carried to it by the camera. What is left is small: the engine moved things a little when it
repainted (a tree drawn a few pixels over). Cross-fading two pictures that disagree by a few pixels
shows both, softened; `residual_flow` measures that disagreement so each side can be moved half-way
first. Dense Lucas-Kanade, coarse to fine, on the luma at a quarter of the size (the residual is
smooth; numpy only, a few milliseconds a frame).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
REDUCE = 4  # the flow is measured at 1/REDUCE of the frame's size
WINDOW = 9  # Lucas-Kanade window (pixels of the reduced frame)
LEVELS = 3
MAX_STEP = 2.0  # per level and iteration, reduced pixels: a bad fit does not throw a frame across


def residual_flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pixel of `a` (uint8 HxWx3), where its content is in `b`: flow (H, W, 2) in pixels, x then y,
    with b(p + flow(p)) ~ a(p)."""
    height, width = a.shape[:2]
    small = (max(8, width // REDUCE), max(8, height // REDUCE))
    la, lb = (_luma(image, small) for image in (a, b))
    pyramid = [(la, lb)]
    for _ in range(LEVELS - 1):
        la, lb = pyramid[-1]
        if min(la.shape) < 16:
            break
        pyramid.append((_half(la), _half(lb)))
    flow = np.zeros(pyramid[-1][0].shape + (2,), dtype=np.float32)
    for level, (la, lb) in enumerate(reversed(pyramid)):
        if level:
            flow = 2 * _resize(flow, la.shape)
        for _ in range(2):
            flow += _lucas_kanade_step(la, lb, flow)
    flow = _trusted(la, lb, flow)
    scale = np.array([width / small[0], height / small[1]], dtype=np.float32)
    return _resize(flow, (height, width)) * scale


def _trusted(a: np.ndarray, b: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """The flow, smoothed, where it explains the difference (the window's error drops by a third or
    more), else none: on texture with no real motion Lucas-Kanade fits the grain, and moving pixels
    along a fitted grain jitters an in-between instead of aligning it."""
    flow = np.stack([_box(flow[..., i]) / WINDOW ** 2 for i in range(2)], axis=-1)
    still = _box(np.abs(b - a))
    aligned = _box(np.abs(moved(b, flow, 1.0) - a))
    gain = (still - aligned) / np.maximum(still, 1e-3)
    trust = np.clip((gain - 0.3) / 0.3, 0, 1)  # a third better: trusted a little; 60% better: fully
    return flow * trust[..., None]


def sample(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear lookup of image (H, W[, C]) at float pixel positions (centres at +0.5), edges clamped."""
    height, width = image.shape[:2]
    x = np.clip(x - 0.5, 0, width - 1.001)
    y = np.clip(y - 0.5, 0, height - 1.001)
    x0, y0 = x.astype(np.intp), y.astype(np.intp)
    fx, fy = (x - x0).astype(np.float32), (y - y0).astype(np.float32)
    if image.ndim == 3:
        fx, fy = fx[..., None], fy[..., None]
    img = image.astype(np.float32, copy=False)
    top = img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx
    bottom = img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def moved(image: np.ndarray, flow: np.ndarray, amount: float) -> np.ndarray:
    """`image` (float32 result) with each pixel p taken from p + amount * flow(p)."""
    height, width = image.shape[:2]
    y, x = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
    return sample(image, x + amount * flow[..., 0], y + amount * flow[..., 1])


def _lucas_kanade_step(a: np.ndarray, b: np.ndarray, flow: np.ndarray) -> np.ndarray:
    warped = moved(b, flow, 1.0)
    gy, gx = np.gradient((a + warped) / 2)
    dt = warped - a
    sxx, syy, sxy = _box(gx * gx), _box(gy * gy), _box(gx * gy)
    sxt, syt = _box(gx * dt), _box(gy * dt)
    det = sxx * syy - sxy * sxy
    ok = det > 1e-3 * (sxx + syy + 1e-6) ** 2  # a corner or texture: solvable; flat or an edge: no update
    safe = np.where(ok, det, 1.0)
    u = np.where(ok, -(syy * sxt - sxy * syt) / safe, 0.0)
    v = np.where(ok, -(sxx * syt - sxy * sxt) / safe, 0.0)
    return np.clip(np.stack([u, v], axis=-1), -MAX_STEP, MAX_STEP).astype(np.float32)


def _box(values: np.ndarray) -> np.ndarray:
    """Sum over a WINDOW x WINDOW neighbourhood (edges: what is inside)."""
    r = WINDOW // 2
    padded = np.pad(values, r, mode="edge")
    c = np.cumsum(np.cumsum(padded, axis=0), axis=1)
    c = np.pad(c, ((1, 0), (1, 0)))
    h, w = values.shape
    return c[WINDOW:WINDOW + h, WINDOW:WINDOW + w] - c[:h, WINDOW:WINDOW + w] - c[WINDOW:WINDOW + h, :w] + c[:h, :w]


def _luma(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    luma = Image.fromarray(image).convert("L").resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(luma, dtype=np.float32)


def _half(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    return image[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


def _resize(flow: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    channels = [np.asarray(Image.fromarray(flow[..., i]).resize((shape[1], shape[0]), Image.Resampling.BILINEAR))
                for i in range(2)]
    return np.stack(channels, axis=-1).astype(np.float32)
