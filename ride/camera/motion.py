"""One frame's camera, or several frames' composed, as a Motion: a rigid 3D motion seen through a pinhole,
then a 2D affine map of the picture.

The 2D part (zoom, pan, rotate about the focus point F; F in 0..1 of the frame, in pixels below):

    p' = F + zoom * R(rotate) * (p - F) + (pan_x, pan_y)

Pixel coordinates: origin at the top-left corner of the frame, y down, pixel centres at +0.5.
- zoom > 1 moves forward: content grows away from the focus point, which stays put.
- pan_x > 0 moves the content right, pan_y > 0 moves it down, in pixels of the output frame.
- rotate > 0 turns the content counter-clockwise on screen, in degrees (as OpenCV and Deforum do).

The 3D part (move, turn, fov): camera coordinates x right, y down, z forward. A point X of the previous
frame (its pixel unprojected with its depth) is, in this frame's camera, Q (X - t): t = (move_x, move_y,
move_z) is the camera's travel, Q the content's turn (tilt by turn_x, then turn by turn_y, then roll by
turn_z), and it is projected with f = (width/2) / tan(fov/2) about the frame's centre. So with a flat depth
D, `move 0,0,m` is a zoom by D/(D-m) about the centre, `move m,0,0` slides the picture left by f*m/D pixels,
and `turn 0,0,r` is `rotate r` about the centre, exactly. The 2D part applies after the 3D part.

Motions of several frames compose (`then`): the 3D parts compose exactly with each other, the 2D parts
with each other; where a composed run of frames has both, the 2D part is taken after all of the 3D part
(exact for one frame, and close for the few frames of cadence; the renderer's single-frame warps are exact).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np

from ..plan import Camera

_EYE = np.eye(3)
_NONE = np.zeros(3)
# A motion smaller than this (in pixels at the frame's far corner) is no motion: return the input as is.
STILL = 1e-6
# no point is seen nearer than this (in depth units, a depth map's median being 100)
NEAR = 0.01


def camera_matrix(camera: Camera, width: int, height: int) -> np.ndarray:
    """The 3x3 forward matrix of one frame's 2D motion for a frame of this size."""
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


def turn_matrix(turn_x: float, turn_y: float, turn_z: float) -> np.ndarray:
    """Q: how the camera's turn moves the content (a point X is Q X in the turned camera)."""
    a, b, r = (math.radians(v) for v in (turn_x, turn_y, turn_z))
    tilt = np.array([[1.0, 0.0, 0.0], [0.0, math.cos(a), -math.sin(a)], [0.0, math.sin(a), math.cos(a)]])
    yaw = np.array([[math.cos(b), 0.0, -math.sin(b)], [0.0, 1.0, 0.0], [math.sin(b), 0.0, math.cos(b)]])
    # the roll turns the content as `rotate` does: [[c, s], [-s, c]] with y down is counter-clockwise
    roll = np.array([[math.cos(r), math.sin(r), 0.0], [-math.sin(r), math.cos(r), 0.0], [0.0, 0.0, 1.0]])
    return roll @ yaw @ tilt


def focal_length(fov: float, width: int) -> float:
    """f in pixels: a field of view of `fov` degrees across the frame's width."""
    return (width / 2) / math.tan(math.radians(fov) / 2)


@dataclass(frozen=True, eq=False)
class Motion:
    """A camera motion: the rigid 3D part (Q, t), seen with `fov`, then the 2D `affine` (3x3, forward).
    A composed motion also keeps its single frames' (`steps`), so that against a flat wall each frame's
    wall is where `depth` says, as when the frames are warped one by one."""

    affine: np.ndarray = field(default_factory=lambda: _EYE.copy())
    rotation: np.ndarray = field(default_factory=lambda: _EYE.copy())
    translation: np.ndarray = field(default_factory=lambda: _NONE.copy())
    fov: float = 40.0
    steps: tuple[Motion, ...] = ()  # the single frames' motions, in order ((): this is one)
    inverted: bool = False  # one frame's motion undone (its flat-wall homography is that frame's, inverted)

    @property
    def is_flat(self) -> bool:
        """No 3D part: a 2D affine map alone (which needs no depth)."""
        return not np.any(self.translation) and bool(np.array_equal(self.rotation, _EYE))

    def then(self, later: Motion) -> Motion:
        """This motion, then `later` (see the module's note on composing)."""
        # Q2 (Q1 (X - t1) - t2) = Q2 Q1 (X - (t1 + Q1^T t2))
        fov = self.fov if later.is_flat else later.fov
        return Motion(later.affine @ self.affine, later.rotation @ self.rotation,
                      self.translation + self.rotation.T @ later.translation, fov,
                      self._steps() + later._steps())

    def inverse(self) -> Motion:
        """The motion that undoes this one (e.g. to look back from frame 0 to an earlier frame)."""
        steps = tuple(step._undone() for step in reversed(self._steps())) if self.steps else ()
        return replace(self._undone(), steps=steps)

    def homography(self, width: int, height: int, depth: float) -> np.ndarray:
        """The whole motion as one 3x3 forward map of pixels (edges at integers), for a flat wall `depth`
        away in each frame: per frame H = A K Q (I - t n^T / depth) K^-1 with n = (0, 0, 1), normalised
        so H[2, 2] = 1, and the frames' H multiplied. A motion without tilt or yaw gives an affine H, so
        that `move 0, 0, m` is exactly `zoom depth/(depth-m)`."""
        if self.is_flat and not self.steps:
            return self.affine
        if self.steps:
            total = np.eye(3)
            for step in self.steps:
                total = step.homography(width, height, depth) @ total
        elif self.inverted:
            total = np.linalg.inv(self._undone().homography(width, height, depth))
        else:
            f = focal_length(self.fov, width)
            k = np.array([[f, 0.0, width / 2], [0.0, f, height / 2], [0.0, 0.0, 1.0]])
            depth = max(float(depth), float(self.translation[2]) + NEAR)  # the wall stays ahead of the camera
            plane = np.eye(3) - np.outer(self.translation, [0.0, 0.0, 1.0 / depth])
            total = self.affine @ k @ self.rotation @ plane @ np.linalg.inv(k)
        total = total / total[2, 2]
        if abs(total[2, 0]) < 1e-15 and abs(total[2, 1]) < 1e-15:  # affine: no round-off posing as perspective
            total[2] = (0.0, 0.0, 1.0)
        return total

    def _steps(self) -> tuple[Motion, ...]:
        return self.steps or (self,)

    def _undone(self) -> Motion:
        """This motion's own parts undone: X' = Q (X - t)  <=>  X = Q^T (X' - (-Q t))."""
        return Motion(np.linalg.inv(self.affine), self.rotation.T.copy(), -(self.rotation @ self.translation),
                      self.fov, (), not self.inverted)

    def is_still(self, width: int, height: int) -> bool:
        return self.is_flat and is_still(self.affine, width, height)


def frame_motion(camera: Camera, width: int, height: int) -> Motion:
    """One frame's motion for a frame of this size."""
    affine = camera_matrix(camera, width, height)
    if camera.is_flat:
        return Motion(affine, fov=camera.fov)
    return Motion(affine, turn_matrix(camera.turn_x, camera.turn_y, camera.turn_z),
                  np.array([camera.move_x, camera.move_y, camera.move_z]), camera.fov)


def compose_motion(cameras: Iterable[Camera], width: int, height: int) -> Motion:
    """The motion of several frames in order (the first camera applies first)."""
    motions = [frame_motion(camera, width, height) for camera in cameras]
    if not motions:
        return Motion()
    total = motions[0]
    for motion in motions[1:]:
        total = total.then(motion)
    return total


def compose(cameras: Iterable[Camera], width: int, height: int) -> np.ndarray:
    """The 2D motion of several frames in order (the first camera applies first), as one matrix."""
    total = np.eye(3)
    for camera in cameras:
        total = camera_matrix(camera, width, height) @ total
    return total


def invert(matrix: np.ndarray) -> np.ndarray:
    """The 2D motion that undoes `matrix`."""
    return np.linalg.inv(matrix)


def flat_matrix(camera: Camera, width: int, height: int, depth: float = 100.0) -> np.ndarray:
    """The frame's whole motion as one 2D similarity, as a flat wall `depth` away moves: the 3D part's
    zoom, slide and roll at the frame's centre, then the 2D part. For views that are 2D by nature (the
    preview engine's world), so they travel with the 3D camera at its middle distance."""
    affine = camera_matrix(camera, width, height)
    if camera.is_flat:
        return affine
    f = focal_length(camera.fov, width)
    q = turn_matrix(camera.turn_x, camera.turn_y, camera.turn_z)
    t = np.array([camera.move_x, camera.move_y, camera.move_z])
    centre = q @ (np.array([0.0, 0.0, depth]) - t)  # where the point straight ahead goes
    near = max(centre[2], depth * 1e-3)
    zoom = depth / max(depth - camera.move_z, depth * 1e-3)  # a turn alone changes no sizes at the centre
    angle = math.atan2(q[0, 1], q[0, 0])  # the roll, as `rotate` measures it
    c, s = zoom * math.cos(angle), zoom * math.sin(angle)
    cx, cy = width / 2, height / 2
    shift = f * centre[:2] / near
    similarity = np.array([[c, s, cx + shift[0] - (c * cx + s * cy)],
                           [-s, c, cy + shift[1] - (-s * cx + c * cy)],
                           [0.0, 0.0, 1.0]])
    return affine @ similarity


def is_still(matrix: np.ndarray, width: int, height: int) -> bool:
    corners = np.array([[0.0, 0.0, 1.0], [width, 0.0, 1.0], [0.0, height, 1.0], [width, height, 1.0]]).T
    return bool(np.abs(matrix @ corners - corners).max() < STILL)
