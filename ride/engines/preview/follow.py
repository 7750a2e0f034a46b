"""How much of the camera's motion a video shows: any engine's frames measured against the plan.

For each pair of consecutive frames, the motion between them is recovered from the pixels alone: a
similarity (zoom, turn, pan about the frame's focus) fitted by Gauss-Newton on the images' brightness,
coarse to fine, starting from no motion (optical flow with a four-number model). Its displacement field
is then projected on the displacement field of the plan's camera for that frame:

    follow = sum over pixels of (recovered . planned) / sum of |planned|^2

1 means the picture moved exactly as the camera says, 0 that it stood still (the preview engine before
issue 11: 0.00 of train.ride's pan). Over a video the sums run over every pair, so frames that move more
count more. `phase_shift` is an independent check for pure pans (phase correlation).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from ...camera import camera_matrix
from ...plan import Camera

_WORK = 256  # the fit runs on frames reduced to about this many pixels across (and half that, first),
_BLUR = 2.5  # ... blurred by this many of those pixels


@dataclass(frozen=True)
class Motion:
    """A similarity about a point, as `Camera` has it: zoom, rotate (degrees), pan (full pixels)."""

    zoom: float
    rotate: float
    pan_x: float
    pan_y: float


@dataclass(frozen=True)
class Follow:
    """A video's follow (see the module docstring) and its parts: the share of the planned zoom, turn and
    pan recovered (None where the plan has none), and the motions recovered per frame pair."""

    follow: float
    zoom: float | None
    rotate: float | None
    pan: float | None
    motions: list[Motion]


def _grey(image: np.ndarray, size: tuple[int, int], blur: float = 0.0) -> np.ndarray:
    grey = Image.fromarray(np.ascontiguousarray(image)).convert("L").resize(size, Image.Resampling.BOX)
    if blur:  # pixel noise (the renderer's, a brush's) is not the picture: the measure looks past it
        grey = grey.filter(ImageFilter.GaussianBlur(blur))
    return np.asarray(grey, dtype=np.float32)


def fit_motion(before: np.ndarray, after: np.ndarray, focus: tuple[float, float], steps: int = 12) -> Motion:
    """The similarity about `focus` (0..1 of the frame) that carries `before` onto `after`, from pixels."""
    height, width = before.shape[:2]
    q = np.zeros(4)  # (zoom*cos - 1, zoom*sin, pan_x, pan_y) in full pixels
    for work in (_WORK // 2, _WORK):
        k = max(width, height) / work  # full pixels per working pixel
        size = (max(8, round(width / k)), max(8, round(height / k)))
        blur = _BLUR * work / _WORK
        a, b = _grey(before, size, blur), _grey(after, size, blur)
        ys, xs = np.mgrid[0:size[1], 0:size[0]].astype(np.float32) + 0.5
        fx, fy = focus[0] * size[0], focus[1] * size[1]
        x, y = xs - fx, ys - fy
        border = max(2, size[0] // 10), max(2, size[1] // 10)
        inner = (slice(border[1], -border[1]), slice(border[0], -border[0]))
        for _ in range(steps):
            c, s, tx, ty = 1 + q[0], q[1], q[2] / k, q[3] / k
            # sample `after` where each `before` pixel went: p' = F + [[c, s], [-s, c]](p - F) + t
            coefficients = (c, s, fx + tx - c * fx - s * fy, -s, c, fy + ty + s * fx - c * fy)
            warped = np.asarray(Image.fromarray(b, mode="F").transform(size, Image.Transform.AFFINE, coefficients,
                                                                        resample=Image.Resampling.BILINEAR))
            gy, gx = np.gradient(warped)
            jacobian = np.stack([gx * x + gy * y, gx * y - gy * x, gx / k, gy / k], axis=-1)[inner].reshape(-1, 4)
            residual = (warped - a)[inner].ravel()
            normal = jacobian.T @ jacobian + 1e-6 * np.eye(4)
            step = np.linalg.solve(normal, -jacobian.T @ residual)
            q += step
            if abs(step[0]) + abs(step[1]) < 1e-6 and abs(step[2]) + abs(step[3]) < 1e-3:
                break
    zoom = math.hypot(1 + q[0], q[1])
    return Motion(zoom, math.degrees(math.atan2(q[1], 1 + q[0])), float(q[2]), float(q[3]))


def _field(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:2, :2].T + matrix[:2, 2] - points


def measure_follow(frames: Sequence[np.ndarray], cameras: Sequence[Camera]) -> Follow:
    """The follow of a video: frames[i] and cameras[i] (frame i's camera, the motion from frame i-1)."""
    height, width = frames[0].shape[:2]
    ys, xs = np.mgrid[0.1:0.9:16j, 0.1:0.9:16j]
    points = np.stack([xs.ravel() * width, ys.ravel() * height], axis=-1)
    dot = norm = 0.0
    parts = {"zoom": [0.0, 0.0], "rotate": [0.0, 0.0], "pan": [0.0, 0.0]}
    motions = []
    for index in range(1, len(frames)):
        camera = cameras[index]
        m = fit_motion(frames[index - 1], frames[index], (camera.focus_x, camera.focus_y))
        motions.append(m)
        found = Camera(m.zoom, m.pan_x, m.pan_y, m.rotate, camera.focus_x, camera.focus_y)
        planned = _field(camera_matrix(camera, width, height), points)
        dot += float(np.sum(_field(camera_matrix(found, width, height), points) * planned))
        norm += float(np.sum(planned * planned))
        parts["zoom"][0] += math.log(m.zoom) * math.log(camera.zoom)
        parts["zoom"][1] += math.log(camera.zoom) ** 2
        parts["rotate"][0] += m.rotate * camera.rotate
        parts["rotate"][1] += camera.rotate ** 2
        parts["pan"][0] += m.pan_x * camera.pan_x + m.pan_y * camera.pan_y
        parts["pan"][1] += camera.pan_x ** 2 + camera.pan_y ** 2
    share = {name: (a / b if b > 1e-12 else None) for name, (a, b) in parts.items()}
    return Follow(dot / norm if norm > 0 else 1.0, share["zoom"], share["rotate"], share["pan"], motions)


def phase_shift(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """The shift (x, y, full pixels) that carries `before` onto `after` by phase correlation, on frames
    reduced to 256 pixels so that pixel noise does not count, with a parabolic sub-pixel peak."""
    height, width = before.shape[:2]
    k = max(1.0, max(width, height) / 256)
    size = (round(width / k), round(height / k))
    window = np.outer(np.hanning(size[1]), np.hanning(size[0])).astype(np.float32)
    a, b = (np.fft.rfft2((g - g.mean()) * window) for g in (_grey(before, size), _grey(after, size)))
    cross = b * np.conj(a)
    surface = np.fft.irfft2(cross / np.maximum(np.abs(cross), 1e-9), s=(size[1], size[0]))
    row, col = np.unravel_index(int(np.argmax(surface)), surface.shape)

    def refine(values, i, n):
        left, centre, right = values[(i - 1) % n], values[i], values[(i + 1) % n]
        bend = left - 2 * centre + right
        offset = 0.5 * (left - right) / bend if bend < 0 else 0.0
        shift = i + offset
        return shift - n if shift > n / 2 else shift

    return refine(surface[row], col, size[0]) * k, refine(surface[:, col], row, size[1]) * k
