"""Noise that moves with the camera and stays Gaussian white noise (`seed N flow`).

Warping noise like an image (bilinear) averages neighbours: after a few hundred frames the noise is
blurred, its variance has shrunk and neighbours correlate, and a diffusion model reads that as a soft,
smeared picture. "How I Warped Your Noise" (Chang et al., ICLR 2024) treats each noise pixel as the
integral of white noise over its square; this is its practical, discrete form (upsample, move,
aggregate), at a cost fit for every frame:

1. Each pixel x is split into k x k sub-pixels drawn from the conditional distribution given their
   sum: u_ij = x/k + e_ij - mean(e), e ~ N(0, 1). The sub-pixels are i.i.d. N(0, 1) and (1/k) * sum = x.
2. Each sub-pixel's centre moves by the camera's forward map (the same motion the renderer warps the
   picture with) into the pixel of the next frame it lands in.
3. Each new pixel is the sum of the m sub-pixels that landed in it over sqrt(m) (the sqrt(area)
   normalisation): N(0, 1) again, and independent of its neighbours, which sum disjoint sub-pixels.
   A pixel no sub-pixel reached (new content at an edge, a zoom past k per frame) draws fresh noise.

So every frame's noise is exactly i.i.d. N(0, 1) whatever the motion, and a whole-pixel pan moves the
noise exactly (each pixel gets the k*k sub-pixels of the one it came from: k*x/k = x).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# (x, y) of points in the source frame -> (x, y) in the next frame, pixel units (0,0 the top-left corner)
PointMap = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

SPLIT = 2  # sub-pixels per side: keeps every pixel reached for zooms up to 2x a frame


def gaussian(seed: int, stream: int, shape: tuple[int, ...]) -> np.ndarray:
    """Fresh i.i.d. N(0, 1) noise (float32), the same for the same seed and stream."""
    return np.random.default_rng([int(seed) % 2**32, stream]).standard_normal(shape, dtype=np.float32)


def affine_points(matrix: np.ndarray) -> PointMap:
    """A 3x3 forward matrix (ride.camera's convention: pixel edges at integers) as a point map; a
    projective one (a 3D camera's motion against a flat wall) divides by its third row."""
    a, b, c = (np.float32(v) for v in matrix[0])
    d, e, f = (np.float32(v) for v in matrix[1])
    if np.allclose(matrix[2], [0.0, 0.0, 1.0]):
        return lambda x, y: (a * x + b * y + c, d * x + e * y + f)
    g, h, i = (np.float32(v) for v in matrix[2])

    def projective(x, y):
        w = np.maximum(g * x + h * y + i, np.float32(1e-6))
        return (a * x + b * y + c) / w, (d * x + e * y + f) / w

    return projective


def scaled(matrix: np.ndarray, width: int, height: int, to_width: int, to_height: int) -> np.ndarray:
    """A frame-sized motion (pixels of width x height) for noise of another size (a latent grid)."""
    scale = np.diag([to_width / width, to_height / height, 1.0])
    return scale @ matrix @ np.linalg.inv(scale)


def warp_noise(noise: np.ndarray, forward: np.ndarray | PointMap, rng: np.random.Generator,
               split: int = SPLIT) -> np.ndarray:
    """`noise` (h, w, c) of i.i.d. N(0, 1), carried by the motion `forward` (a 3x3 matrix or a point map)
    to the next frame: i.i.d. N(0, 1) again (see the module's notes)."""
    if not callable(forward):
        forward = affine_points(np.asarray(forward, dtype=np.float64))
    h, w, c = noise.shape
    k = split
    e = rng.standard_normal((h, k, w, k, c), dtype=np.float32)
    e -= e.mean(axis=(1, 3), keepdims=True)
    e += noise[:, None, :, None, :] / np.float32(k)  # the sub-pixels, (h, k, w, k, c)
    sub = e.reshape(h * k * w * k, c)
    # float32 holds the sub-pixel centres ((i + 0.5) / k) and a whole-pixel shift of them exactly
    centres = (np.arange(h * k, dtype=np.float32) + 0.5) / k, (np.arange(w * k, dtype=np.float32) + 0.5) / k
    y, x = np.meshgrid(*centres, indexing="ij")
    tx, ty = forward(x.ravel(), y.ravel())
    ix, iy = np.floor(tx).astype(np.intp), np.floor(ty).astype(np.intp)
    inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    target = iy[inside] * w + ix[inside]
    counts = np.bincount(target, minlength=h * w).astype(np.float32)
    out = np.empty((h * w, c), dtype=np.float32)
    landed = sub[inside]
    for channel in range(c):
        out[:, channel] = np.bincount(target, weights=landed[:, channel], minlength=h * w)
    reached = counts > 0
    out[reached] /= np.sqrt(counts[reached])[:, None]
    holes = int((~reached).sum())
    if holes:
        out[~reached] = rng.standard_normal((holes, c), dtype=np.float32)
    return out.reshape(h, w, c)


def bilinear_warp_noise(noise: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """The failing control: noise warped as a picture is (bilinear), fresh noise where it has none.
    Its variance shrinks and neighbours correlate, a little more every frame."""
    h, w, c = noise.shape
    inverse = np.linalg.inv(np.asarray(forward, dtype=np.float64))
    y, x = np.meshgrid(np.arange(h) + 0.5, np.arange(w) + 0.5, indexing="ij")
    sx = inverse[0, 0] * x + inverse[0, 1] * y + inverse[0, 2] - 0.5
    sy = inverse[1, 0] * x + inverse[1, 1] * y + inverse[1, 2] - 0.5
    x0, y0 = np.floor(sx).astype(int), np.floor(sy).astype(int)
    fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
    inside = (x0 >= 0) & (x0 < w - 1) & (y0 >= 0) & (y0 < h - 1)
    x0, y0 = np.clip(x0, 0, w - 2), np.clip(y0, 0, h - 2)
    out = (noise[y0, x0] * (1 - fx) * (1 - fy) + noise[y0, x0 + 1] * fx * (1 - fy)
           + noise[y0 + 1, x0] * (1 - fx) * fy + noise[y0 + 1, x0 + 1] * fx * fy)
    fresh = np.random.default_rng(int(inside.sum())).standard_normal(out.shape, dtype=np.float32)
    return np.where(inside[..., None], out, fresh).astype(np.float32)


def neighbour_correlation(noise: np.ndarray) -> float:
    """The correlation of horizontally and vertically adjacent values (0 for white noise)."""
    a = np.concatenate([noise[:, :-1].ravel(), noise[:-1, :].ravel()])
    b = np.concatenate([noise[:, 1:].ravel(), noise[1:, :].ravel()])
    return float(np.corrcoef(a, b)[0, 1])
