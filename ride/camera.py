"""Camera motion as 2D affine warps of the previous frame.

A Camera is one frame's motion, about its focus point F (0..1 of the frame, in pixels below):

    p' = F + zoom * R(rotate) * (p - F) + (pan_x, pan_y)

Conventions (pixel coordinates: origin at the top-left corner of the frame, y down, pixel centres at +0.5):
- zoom > 1 moves forward: content grows away from the focus point, which stays put.
- pan_x > 0 moves the content right, pan_y > 0 moves it down (the camera itself moves the other way),
  in pixels of the output frame, applied after zoom and rotation.
- rotate > 0 turns the content counter-clockwise on screen, in degrees (as OpenCV and Deforum do).

Matrices are 3x3 and map previous-frame points to this-frame points, so the motion of several frames
is their product (`compose`) and `warp_by` applies any of them: the renderer warps frame 0 by the motion
still to come for loop closure. Pixels that come from outside the frame are filled by mirroring the frame
(`reflect`, the default: no hard edges for img2img to turn into objects) or by repeating its edge
(`replicate`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from PIL import Image

from .plan import Camera

BORDERS = ("reflect", "replicate")
_PAD_MODE = {"reflect": "symmetric", "replicate": "edge"}  # symmetric mirrors about the frame's edge
# A motion smaller than this (in pixels at the frame's far corner) is no motion: return the input as is.
_STILL = 1e-6


def camera_matrix(camera: Camera, width: int, height: int) -> np.ndarray:
    """The 3x3 forward matrix of one frame's motion for a frame of this size."""
    if not camera.zoom > 0:
        raise ValueError(f"camera zoom must be positive, got {camera.zoom}")
    fx, fy = camera.focus_x * width, camera.focus_y * height
    angle = math.radians(camera.rotate)
    c, s = camera.zoom * math.cos(angle), camera.zoom * math.sin(angle)
    # With y pointing down, [[c, s], [-s, c]] turns counter-clockwise as seen on screen.
    return np.array([
        [c, s, fx + camera.pan_x - (c * fx + s * fy)],
        [-s, c, fy + camera.pan_y - (-s * fx + c * fy)],
        [0.0, 0.0, 1.0],
    ])


def compose(cameras: Iterable[Camera], width: int, height: int) -> np.ndarray:
    """The motion of several frames in order (the first camera applies first), as one matrix."""
    total = np.eye(3)
    for camera in cameras:
        total = camera_matrix(camera, width, height) @ total
    return total


def invert(matrix: np.ndarray) -> np.ndarray:
    """The motion that undoes `matrix` (e.g. to look back from frame 0 to an earlier frame)."""
    return np.linalg.inv(matrix)


def warp(image: np.ndarray, camera: Camera, border: str = "reflect") -> np.ndarray:
    """The previous frame moved by one frame's camera. An identity camera returns `image` itself."""
    if camera.is_identity:
        return image
    height, width = image.shape[:2]
    return warp_by(image, camera_matrix(camera, width, height), border)


def warp_by(image: np.ndarray, matrix: np.ndarray, border: str = "reflect") -> np.ndarray:
    """`image` moved by a forward 3x3 matrix. A (near-)identity matrix returns `image` itself."""
    if border not in BORDERS:
        raise ValueError(f"unknown border '{border}'; expected one of: {', '.join(BORDERS)}")
    height, width = image.shape[:2]
    if _is_still(matrix, width, height):
        return image
    inverse = np.linalg.inv(matrix)
    # A far zoom out (a loop anchor after hundreds of frames of zooming in) would need a huge padding:
    # the source is first reduced by a whole factor, which also antialiases it, and the map follows.
    cap = 2 * max(width, height)
    factor = 1
    while _margin(inverse, width, height, image.shape[1], image.shape[0]) > cap:
        factor *= 2
        image = np.asarray(Image.fromarray(np.ascontiguousarray(image)).reduce(2))
        inverse = np.diag([0.5, 0.5, 1.0]) @ inverse
    margin = _margin(inverse, width, height, image.shape[1], image.shape[0])
    if margin:
        image = np.pad(image, ((margin, margin), (margin, margin), (0, 0)), mode=_PAD_MODE[border])
        inverse = _translation(margin, margin) @ inverse
    source = Image.fromarray(np.ascontiguousarray(image))
    if abs(inverse[0, 1]) < 1e-12 and abs(inverse[1, 0]) < 1e-12:
        return np.array(_scale_and_shift(source, inverse, width, height))
    coefficients = tuple(inverse[:2].ravel())
    # Rotation needs the general affine path; PIL's bicubic there costs ~3x bilinear, so bilinear.
    warped = source.transform((width, height), Image.Transform.AFFINE, coefficients,
                              resample=Image.Resampling.BILINEAR)
    return np.array(warped)


def _scale_and_shift(source: Image.Image, inverse: np.ndarray, width: int, height: int) -> Image.Image:
    """Zoom and pan without rotation: a separable resize of the source region (fast, and bicubic
    for free, which keeps detail over hundreds of feedback frames; it also antialiases a zoom out)."""
    x0, y0 = inverse[0, 2], inverse[1, 2]
    # Clamped: rounding may put an edge a hair outside, which PIL refuses.
    box = (max(0.0, x0), max(0.0, y0), min(float(source.width), x0 + inverse[0, 0] * width),
           min(float(source.height), y0 + inverse[1, 1] * height))
    return source.resize((width, height), Image.Resampling.BICUBIC, box=box)


def _is_still(matrix: np.ndarray, width: int, height: int) -> bool:
    corners = np.array([[0.0, 0.0, 1.0], [width, 0.0, 1.0], [0.0, height, 1.0], [width, height, 1.0]]).T
    return bool(np.abs(matrix @ corners - corners).max() < _STILL)


def _margin(inverse: np.ndarray, width: int, height: int, source_width: int, source_height: int) -> int:
    """How many pixels beyond the source the output (width x height) samples (0 if it stays inside)."""
    # Sample points of the output's outermost pixel centres; an affine map keeps extremes at corners.
    xs = np.array([0.5, width - 0.5, 0.5, width - 0.5])
    ys = np.array([0.5, 0.5, height - 0.5, height - 0.5])
    u = inverse[0, 0] * xs + inverse[0, 1] * ys + inverse[0, 2]
    v = inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2]
    # The resize path reads the box edges, half a pixel beyond the centres, and cubic taps reach 2 more.
    reach = 0.5 * max(abs(inverse[0, 0]) + abs(inverse[0, 1]), abs(inverse[1, 0]) + abs(inverse[1, 1]))
    overshoot = max(-u.min(), u.max() - source_width, -v.min(), v.max() - source_height) + reach
    return 0 if overshoot <= 1e-6 else math.ceil(overshoot) + 2


def _translation(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])
