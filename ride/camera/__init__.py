"""The camera: each frame's motion (2D zoom, pan, rotate; 3D move, turn, fov) and the warp that applies it.

The entry points, for the renderer and for anything that must move with the camera (noise that flows
with it, loop closure, cadence in-betweens):

- `frame_motion(camera, width, height) -> Motion`: one frame's motion; `compose_motion(cameras, ...)`
  several frames' (`Motion.then`, `Motion.inverse` compose and undo them).
- `sampling_map(motion, width, height, depth) -> (map_x, map_y)`: for every output pixel, where it reads
  the previous frame (float32 pixel indices). `depth` is the previous frame's depth: a float32 (height,
  width) map scaled to a median of 100 (`scaled_depth`), a number (a flat wall), or None (a wall at 100);
  a motion without a 3D part ignores it.
- `warp_by(array, motion, border, depth, interpolation) -> array`: any array (a uint8 frame, float32
  noise or latents of any channel count) moved by a motion (or a 2D 3x3 matrix): what
  `remap(array, *sampling_map(motion, width, height, depth), border, interpolation)` gives, by faster
  paths where the map is a matrix (2D motion; a flat depth or a turn alone: one homography).
  `warp(image, camera, border, depth)` is one frame's.

So whatever warps with `warp_by` and the frame's depth follows the 3D camera as the frames do. In the
render loop a diffused frame's depth is `FrameDepths.of(index, image)` (ride/renderer/depth.py; None
when the scene has no 3D motion), the motion since it `feedback.motion(cameras, plan)`.
The maths is in motion.py (and its docstring: conventions, units, the exact equalities), the inverse
maps in sampling.py, the kernel (OpenCV remap) in kernel.py, depth scaling in depth.py.
"""

from __future__ import annotations

import numpy as np

from ..plan import Camera
from .depth import MIDDLE, depth_from_disparity, scaled_depth
from .kernel import BORDERS, DETAIL, LINEAR, NEAREST, check_border, remap, warp_affine, warp_perspective
from .motion import (
    Motion,
    camera_matrix,
    compose,
    compose_motion,
    flat_matrix,
    focal_length,
    frame_motion,
    invert,
    turn_matrix,
)
from .sampling import sampling_map

__all__ = ["BORDERS", "DETAIL", "LINEAR", "MIDDLE", "NEAREST", "Motion", "camera_matrix", "compose",
           "compose_motion", "depth_from_disparity", "flat_matrix", "focal_length", "frame_motion", "invert",
           "remap", "sampling_map", "scaled_depth", "turn_matrix", "warp", "warp_by"]


def warp(image: np.ndarray, camera: Camera, border: str = "reflect",
         depth: np.ndarray | float | None = None) -> np.ndarray:
    """The previous frame moved by one frame's camera. An identity camera returns `image` itself."""
    if camera.is_identity:
        check_border(border)
        return image
    height, width = image.shape[:2]
    return warp_by(image, frame_motion(camera, width, height), border, depth)


def warp_by(array: np.ndarray, motion: Motion | np.ndarray, border: str = "reflect",
            depth: np.ndarray | float | None = None, interpolation: str = DETAIL) -> np.ndarray:
    """`array` moved by a Motion (or a forward 2D 3x3 matrix). No motion returns `array` itself."""
    check_border(border)
    if not isinstance(motion, Motion):
        motion = Motion(np.asarray(motion, dtype=np.float64))
    height, width = array.shape[:2]
    if motion.is_still(width, height):
        return array
    if motion.is_flat:
        return warp_affine(array, np.linalg.inv(motion.affine), width, height, border, interpolation)
    flat = depth is None or np.isscalar(depth)
    if flat or not np.any(motion.translation):  # a flat wall, or a turn alone: one homography, no map
        forward = motion.homography(width, height, float(depth) if flat and depth is not None else MIDDLE)
        return warp_perspective(array, np.linalg.inv(forward), width, height, border, interpolation)
    return remap(array, *sampling_map(motion, width, height, depth), border, interpolation)
