"""How smooth a rendered sequence is, knowing the camera exactly (no optical flow is estimated).

- `compensated_difference(a, b, motion)`: a moved by the camera onto b, then the mean absolute
  difference (levels) over the pixels the motion brings from inside a. A frame's change that the
  camera does not explain: repainting, flicker, a bad cut.
- `warp_error(frames, motions)`: the temporal warping error E_warp of Lai et al. (ECCV 2018) with the
  camera's motion as the flow: the mean over neighbours of their compensated difference.
- `detail(image)`: mean |Laplacian| of the luma: how much fine detail a frame holds.
- `colour_drift(frames)`: how far the last frames' mean colour has moved from frame 0's (levels).
The seam score (seam.py) and the bench (bench/silky_motion.py) read these.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..camera import Motion, frame_motion, warp_by
from ..plan import Plan
from .feedback import inside_map

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def compensated_difference(a: np.ndarray, b: np.ndarray, motion: Motion) -> float:
    """Mean |warp(a, motion) - b| in levels, over the pixels the motion brings from inside `a` (a 3D
    camera's motion is taken against a flat wall at the middle distance: no depth map here)."""
    height, width = b.shape[:2]
    moved = warp_by(a, motion)
    mask = inside_map(motion, width, height)[::2, ::2] > 0
    residual = np.abs(moved[::2, ::2].astype(np.int16) - b[::2, ::2].astype(np.int16)).mean(axis=-1)
    return float(residual[mask].mean()) if mask.any() else 0.0


def step_motion(plan: Plan, before: int, after: int) -> Motion:
    """The camera's motion from shown frame `before` to shown frame `after`: a step forward or back,
    the loop's cut (the last frame to frame 0 moves by frame 0's camera), else none."""
    s, n = plan.settings, len(plan)
    if after == before + 1 or (before == n - 1 and after == 0):
        return frame_motion(plan.camera(after), s.width, s.height)
    if after == before - 1 or (before == 0 and after == n - 1):
        return frame_motion(plan.camera(before), s.width, s.height).inverse()
    return Motion()


def warp_error(frames: Sequence[np.ndarray], plan: Plan) -> float:
    """E_warp: the mean compensated difference of each frame and the next (frames 0.. in order)."""
    return float(np.mean([compensated_difference(frames[k - 1], frames[k], step_motion(plan, k - 1, k))
                          for k in range(1, len(frames))]))


def detail(image: np.ndarray) -> float:
    """Mean |Laplacian| of the luma (levels): fine detail."""
    luma = image.astype(np.float32) @ _LUMA
    lap = 4 * luma[1:-1, 1:-1] - luma[:-2, 1:-1] - luma[2:, 1:-1] - luma[1:-1, :-2] - luma[1:-1, 2:]
    return float(np.abs(lap).mean())


def change(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two frames (levels): how much the picture changed, motion included."""
    return float(np.abs(a[::2, ::2].astype(np.int16) - b[::2, ::2].astype(np.int16)).mean())


def colour_drift(frames: Sequence[np.ndarray]) -> float:
    """Distance between frame 0's mean colour and the mean colour of the last tenth of the frames."""
    tail = frames[-max(1, len(frames) // 10):]
    first = frames[0].reshape(-1, 3).mean(axis=0)
    last = np.mean([f.reshape(-1, 3).mean(axis=0) for f in tail], axis=0)
    return float(np.linalg.norm(last - first))


def seam(frames: Sequence[np.ndarray], plan: Plan) -> float | None:
    """The motion-compensated seam of a whole scene's frames (0..n-1): the cut from the last frame to
    the first over the median of the other cuts, each after the camera's motion."""
    if len(frames) < 3:
        return None
    cuts = [compensated_difference(frames[k - 1], frames[k], step_motion(plan, k - 1, k)) for k in range(1, len(frames))]
    last = compensated_difference(frames[-1], frames[0], step_motion(plan, len(frames) - 1, 0))
    return last / max(float(np.median(cuts)), 1e-6)
