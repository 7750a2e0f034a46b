"""The image steps of feedback rendering, shared by every engine.

Each takes and returns uint8 (H, W, 3) arrays, so a frame read back from the cache and a
frame just rendered are the same bytes: resuming gives the frames an uninterrupted run gives.
"""

from __future__ import annotations

import numpy as np

from .camera import compose, invert, warp_by
from .plan import Camera, FramePlan, Plan


def add_noise(image: np.ndarray, frame: FramePlan) -> np.ndarray:
    """Gaussian noise of std `noise` (in 0..1 units), seeded by the frame's seed: fresh detail
    for the engine to resolve, the same every run."""
    if frame.noise <= 0:
        return image
    rng = np.random.default_rng(frame.seed)
    noise = rng.standard_normal(image.shape, dtype=np.float32) * np.float32(frame.noise * 255.0)
    return to_uint8(image.astype(np.float32) + noise)


def blend(a: np.ndarray, b: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight) * a + weight * b, rounded back to uint8."""
    if weight <= 0:
        return a
    if weight >= 1:
        return b
    out = a.astype(np.float32) * np.float32(1.0 - weight) + b.astype(np.float32) * np.float32(weight)
    return to_uint8(out)


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def motion(cameras: list[Camera], plan: Plan) -> np.ndarray:
    return compose(cameras, plan.settings.width, plan.settings.height)


def loop_anchor(first: np.ndarray, plan: Plan, index: int) -> np.ndarray:
    """Frame 0 as frame `index` must look for the motion still to come to carry it into frame 0:
    frame 0 warped back by the motion of frames index+1 .. n-1 and one more step (the cut from
    the last frame to the first)."""
    n = len(plan)
    cameras = [plan.camera(k) for k in range(index + 1, n)] + [plan.camera(0)]
    return warp_by(first, invert(motion(cameras, plan)))


def in_between(before: np.ndarray, after: np.ndarray, plan: Plan, start: int, index: int, stop: int,
               ) -> np.ndarray:
    """A cadence frame between two diffused frames: `before` (frame start) carried forward and
    `after` (frame stop) carried back to `index`, cross-faded by position."""
    cameras = [plan.camera(k) for k in range(start + 1, stop + 1)]
    forward = warp_by(before, motion(cameras[: index - start], plan))
    backward = warp_by(after, invert(motion(cameras[index - start:], plan)))
    return blend(forward, backward, (index - start) / (stop - start))


def seam_score(first_last_difference: float, consecutive: list[float]) -> float | None:
    """How the cut from the last frame to the first compares with an ordinary cut (about 1 means
    the loop is as smooth as any other pair of neighbours)."""
    if not consecutive:
        return None
    typical = float(np.median(consecutive))
    return first_last_difference / max(typical, 1e-6)


def mean_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference, on a quarter of the pixels (it is a statistic, not a check)."""
    return float(np.mean(np.abs(a[::2, ::2].astype(np.int16) - b[::2, ::2].astype(np.int16))))
