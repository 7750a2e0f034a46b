"""Depth for the 3D camera: whatever a frame's depth came from, scaled so its median is 100.

`move 0, 0, 1` then moves about 1% of the way to the middle distance, whichever engine or depth model
made the depth, and a flat `depth 100` moves as `depth auto` does in the middle of the picture.
"""

from __future__ import annotations

import numpy as np

MIDDLE = 100.0  # the median depth every depth map is scaled to
# the nearest and farthest depths kept (a median of 100): nearer would put points behind a camera
# moving 1 a frame within a frame or two; farther is still
NEAREST_DEPTH, FARTHEST_DEPTH = 1.0, 1.0e5
# a disparity (inverse depth, up to an unknown offset: what depth models and depth map pictures give)
# of 0 is this many times as far as the nearest thing in the picture
_DISPARITY_RANGE = 100.0


def scaled_depth(depth: np.ndarray) -> np.ndarray:
    """A depth map (larger is farther, any units) scaled so its median is 100 (float32)."""
    depth = np.asarray(depth, dtype=np.float32)
    finite = np.isfinite(depth) & (depth > 0)
    if not finite.any():
        return np.full(depth.shape, MIDDLE, dtype=np.float32)
    median = float(np.median(depth[finite]))
    out = np.where(finite, depth, np.float32(FARTHEST_DEPTH * median / MIDDLE)) * np.float32(MIDDLE / median)
    return np.clip(out, NEAREST_DEPTH, FARTHEST_DEPTH).astype(np.float32)


def depth_from_disparity(disparity: np.ndarray) -> np.ndarray:
    """Depth from a disparity map (larger is nearer, as depth models and depth map pictures give it):
    the nearest thing at 1, a disparity of 0 at 100, then scaled so its median is 100 (float32)."""
    disparity = np.nan_to_num(np.asarray(disparity, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    low, high = float(disparity.min()), float(disparity.max())
    if high <= low:
        return np.full(disparity.shape, MIDDLE, dtype=np.float32)
    unit = (disparity - np.float32(low)) / np.float32(high - low)  # 0 farthest .. 1 nearest
    return scaled_depth(1.0 / (unit + np.float32(1.0 / (_DISPARITY_RANGE - 1.0))))
