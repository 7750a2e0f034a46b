"""Where each output pixel of a warp reads the previous frame: the inverse map of a Motion.

For the 3D part, an output pixel p looks along a ray of this frame's camera; the point it sees is where
that ray meets the previous frame's depth. Along the ray the source position is q(z) = B + C / z (B and C
per pixel, from the motion and the field of view; z the point's depth in the previous frame), so with a
flat depth the map is exact in one step, and with a depth map a few damped fixed-point steps,
z <- z + STEP * (depth(q(z)) - z), find the surface (starting from the depth at p itself). A point that
the motion puts behind the camera is seen at the nearest distance in front of it; what lies beyond the
previous frame's edge comes from the border rule when the map is sampled.
"""

from __future__ import annotations

import cv2
import numpy as np

from .kernel import index_matrix
from .motion import NEAR, Motion, focal_length

# fixed-point steps toward the surface a ray meets in a depth map (each one costs a nearest-neighbour
# lookup of the depth map), each going this part of the way to the depth it found: where the ground
# comes nearer, a full step overshoots and the steps swing about the surface; 0.8 settles them
# (bench/warp_speed.py's street depth: a tenth of a pixel on average after three steps)
DEPTH_STEPS = 3
STEP = 0.8
# a ray that turns behind the previous camera (a turn past 90 degrees) reads this far outside its frame
_OUTSIDE = 1e4


def sampling_map(motion: Motion, width: int, height: int,
                 depth: np.ndarray | float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each output pixel of a (height, width) frame, the source position (x, y in pixel indices:
    pixel i's centre at i; float32 (height, width) each) that `motion` brings there. `depth` is the
    previous frame's: an (height, width) float32 map or a number (a flat wall); None is a flat wall at 100.
    A flat motion (2D alone) needs no depth."""
    inverse = index_matrix(np.linalg.inv(motion.affine))  # the 2D part applied last: undone first
    xs = np.arange(width, dtype=np.float32)[None, :]
    ys = np.arange(height, dtype=np.float32)[:, None]
    if motion.is_flat:
        return _affine(inverse[0], xs, ys), _affine(inverse[1], xs, ys)
    f = focal_length(motion.fov, width)
    cx, cy = (width - 1) / 2, (height - 1) / 2  # the frame's centre, in pixel indices
    # w = the ray each output pixel looks along (z = 1 in this camera), in the previous camera's
    # coordinates: an affine function of the output pixel, as the 2D part and the turn are linear
    to_ray = np.array([[1 / f, 0.0, -cx / f], [0.0, 1 / f, -cy / f], [0.0, 0.0, 1.0]])
    rays = motion.rotation.T @ to_ray @ inverse
    if depth is not None and not np.isscalar(depth):
        depth = np.asarray(depth, dtype=np.float32)
        if depth.shape != (height, width):
            raise ValueError(f"a depth map of shape {depth.shape} for a {width}x{height} frame")
    project = _Projection(f, cx, cy, *(float(value) for value in motion.translation))
    map_x = np.empty((height, width), dtype=np.float32)
    map_y = np.empty((height, width), dtype=np.float32)
    # a band of rows at a time: its dozen temporaries stay in the CPU's cache (the whole frame's do not,
    # and then memory, not arithmetic, sets the speed)
    for top in range(0, height, _BAND):
        rows = ys[top:top + _BAND]
        out = map_x[top:top + _BAND], map_y[top:top + _BAND]
        wz = _affine(rays[2], xs, rows)
        behind = wz <= 1e-6
        np.maximum(wz, np.float32(1e-6), out=wz)
        ax = _affine(rays[0], xs, rows)
        ax /= wz
        ay = _affine(rays[1], xs, rows)
        ay /= wz
        along = project.rays(ax, ay)
        if depth is None or np.isscalar(depth):
            project(along, np.float32(100.0 if depth is None else depth), out)
        else:
            # start from the depth at the output pixel itself (its own surface, if the motion is small)
            z = depth[top:top + _BAND]
            for _ in range(DEPTH_STEPS):
                project(along, z, out)
                seen = cv2.remap(depth, *out, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
                z = z * np.float32(1 - STEP) + seen * np.float32(STEP)
            project(along, z, out)
        if behind.any():
            out[0][behind] = -_OUTSIDE
    np.clip(map_x, -_OUTSIDE, _OUTSIDE, out=map_x)
    np.clip(map_y, -_OUTSIDE, _OUTSIDE, out=map_y)
    return map_x, map_y


_BAND = 32  # rows


def _affine(row: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """row . (x, y, 1) over the grid of xs (a row) and ys (a column), float32."""
    out = xs * np.float32(row[0])
    out = out + ys * np.float32(row[1])  # broadcasts to (rows, width)
    out += np.float32(row[2])
    return out


class _Projection:
    """The point at depth z (in the previous camera) on each ray (x = ax, y = ay at z = 1), with the
    motion's translation t undone, projected into the previous frame:
    x = cx + f * (ax * (z - tz) + tx) / z = (cx + f ax) + (f tx - f tz ax) / z, and y the same way."""

    def __init__(self, f: float, cx: float, cy: float, tx: float, ty: float, tz: float):
        self.f, self.cx, self.cy = np.float32(f), np.float32(cx), np.float32(cy)
        self.fx, self.fy, self.ftz = np.float32(f * tx), np.float32(f * ty), np.float32(-f * tz)
        self.nearest = np.float32(tz + NEAR)  # a point behind the camera is seen just in front of it

    def rays(self, ax: np.ndarray, ay: np.ndarray) -> tuple[np.ndarray, ...]:
        """(B, K) for x and y: the position is B + K / z. ax and ay are spent."""
        kx, ky = ax * self.ftz, ay * self.ftz
        kx += self.fx
        ky += self.fy
        ax *= self.f
        ax += self.cx
        ay *= self.f
        ay += self.cy
        return ax, kx, ay, ky

    def __call__(self, along: tuple[np.ndarray, ...], z, out: tuple[np.ndarray, np.ndarray]) -> None:
        bx, kx, by, ky = along
        if isinstance(z, np.ndarray):
            s = np.maximum(z, self.nearest)
            np.reciprocal(s, out=s)
        else:
            s = np.float32(1.0) / max(z, self.nearest)
        map_x, map_y = out
        np.multiply(kx, s, out=map_x)
        map_x += bx
        np.multiply(ky, s, out=map_y)
        map_y += by
