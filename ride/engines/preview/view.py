"""Where each frame looks at the preview world from: frame 0's view, then every frame's motion composed.

The world is drawn in frame 0's pixel coordinates about its vanishing point v0 (frame 0's focus). Every
camera is a similarity (zoom, turn, pan about a focus point), so the motion of frames 1..i is one too,
and three numbers per frame say all of it: where v0 now is on screen, how far the world has turned, and
how far it has zoomed (its log: the `travel` down the road). In complex numbers (x + iy, y down) one
frame's camera is p -> a*p + b with a = zoom * exp(-i*rotate); a 2D warp of frame i-1 by that camera
is exactly the change from view i-1 to view i, which is why the painting follows the camera.
"""

from __future__ import annotations

import cmath
import math
from dataclasses import dataclass

import numpy as np

from ...camera import flat_matrix
from ...plan import CAMERA_COLUMNS, Camera, Plan


@dataclass(frozen=True)
class View:
    """One frame's view of the world: v0's position on screen (full-size pixels), the world's turn
    (radians, counter-clockwise on screen, as `rotate`) and its log zoom since frame 0."""

    vx: float
    vy: float
    turn: float
    travel: float


def _motion(camera: Camera, width: int, height: int) -> tuple[complex, complex]:
    """One frame's camera as p -> a*p + b on complex points, read from the renderer's own camera
    (a 3D camera's motion as a flat wall at the middle distance moves), so the painted view moves as
    the warp does: exactly for 2D motion, in the middle distance for 3D."""
    m = flat_matrix(camera, width, height)
    return complex(m[0, 0], -m[0, 1]), complex(m[0, 2], m[1, 2])


# A zoom about a point is an unstable recurrence for the other points: the vanishing point's offset
# from the focus (a pan's sway, a rounding error) grows by the zoom every frame, 1.01^70000 past
# float range in an hour of `zoom 1.01`. Beyond this many pixels from the centre it is held there,
# in its direction: the view looks the same (the horizon far off screen), and stays finite.
_FAR_OFF = 1e7


class Views:
    """Every frame's view (frame 0 sees the world as drawn, frame i through cameras 1..i), made
    when first asked for: `ride render --frames 0:1` of a million frames composes two. Built
    from `previous` (the last plan's, in watch mode) up to the first frame whose camera changed."""

    def __init__(self, plan: Plan, previous: Views | None = None):
        s = plan.settings
        self.size = (s.width, s.height)
        self.plan = plan
        self.cameras = {name: plan.columns[name] for name in CAMERA_COLUMNS}
        self.length = len(plan)
        first = plan.camera(0) if len(plan) else Camera()
        point = complex(first.focus_x * s.width, first.focus_y * s.height)
        self._made = [View(point.real, point.imag, 0.0, 0.0)]
        self._state = (point, 0.0, 0.0)  # after the last view made: v0 on screen, turn, travel
        if previous is not None and previous.size == self.size and previous._made[0] == self._made[0]:
            same = min(len(previous._made), self._unchanged(previous))
            if same > 1:
                self._made = previous._made[:same]
                last = self._made[-1]
                self._state = (complex(last.vx, last.vy), last.turn, last.travel)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> View:
        if index < 0:
            index += self.length
        if index >= len(self._made):
            self._extend(index + 1)
        return self._made[index]

    def _unchanged(self, previous: Views) -> int:
        """How many leading frames have the same cameras in both plans."""
        common = min(self.length, previous.length)
        differs = [np.flatnonzero(self.cameras[n][:common] != previous.cameras[n][:common])[:1]
                   for n in CAMERA_COLUMNS]
        return min([int(d[0]) for d in differs if d.size], default=common)

    def _extend(self, stop: int) -> None:
        """Views up to frame stop-1, each camera read as the renderer's warp reads it (_motion)."""
        width, height = self.size
        point, turn, travel = self._state
        centre = complex(width / 2, height / 2)
        for index in range(len(self._made), stop):
            a, b = _motion(self.plan.camera(index), width, height)
            point = a * point + b
            if abs(point - centre) > _FAR_OFF:  # see _FAR_OFF
                point = centre + (point - centre) * (_FAR_OFF / abs(point - centre))
            turn -= cmath.phase(a)  # a = zoom * exp(-i * rotate)
            travel += math.log(abs(a))
            self._made.append(View(point.real, point.imag, turn, travel))
        self._state = (point, turn, travel)


def closing_views(plan: Plan, first: View) -> dict[int, View]:
    """For each frame that closes a loop (loop_blend > 0), frame 0's view carried back by the motion
    still to come (frames index+1..n-1, then the cut, frame 0's camera): where that frame must look for
    the loop to flow into frame 0. The preview paints toward it as its conditioning returns to frame 0's."""
    s = plan.settings
    blend = plan.columns["loop_blend"]
    out: dict[int, View] = {}
    point, turn, travel = complex(first.vx, first.vy), first.turn, first.travel
    for index in range(len(plan) - 1, -1, -1):
        if blend[index] <= 0:
            break
        camera = plan.camera((index + 1) % len(plan))
        a, b = _motion(camera, s.width, s.height)
        point = (point - b) / a
        turn -= math.radians(camera.rotate)
        travel -= math.log(camera.zoom)
        out[index] = View(point.real, point.imag, turn, travel)
    return out


def before(view: View, camera: Camera, width: int, height: int, steps: int) -> View:
    """The view `steps` frames before `view` had the camera moved by `camera` each frame (to settle
    frame 0 as if the ride had been going on before it)."""
    a, b = _motion(camera, width, height)
    point = complex(view.vx, view.vy)
    for _ in range(steps):
        point = (point - b) / a
    return View(point.real, point.imag, view.turn + steps * cmath.phase(a), view.travel - steps * math.log(abs(a)))


@dataclass(frozen=True)
class Frame:
    """The low-resolution canvas a view is painted on. The canvas is level with the world's horizon;
    with no turn it is the screen itself (reduced `scale` times), else a larger level grid that
    `to_screen_coefficients` samples. (vx, vy): v0 on the canvas; (sx, sy): v0 on the low screen."""

    width: int
    height: int
    vx: float
    vy: float
    scale: float
    turn: float
    screen: tuple[int, int]  # the low-resolution screen (width, height)
    sx: float
    sy: float


def frame_for(view: View, screen: tuple[int, int], scale: float) -> Frame:
    """The canvas for a view on a low-resolution screen of `screen` pixels, each `scale` full pixels."""
    w, h = screen
    sx, sy = view.vx / scale, view.vy / scale
    if abs(math.sin(view.turn)) < 1e-9 and math.cos(view.turn) > 0:
        return Frame(w, h, sx, sy, scale, 0.0, screen, sx, sy)
    # the screen's corners, levelled (turned back about v0), bound the canvas
    corners = np.array([0, w, h * 1j, w + h * 1j]) - complex(sx, sy)
    level = corners * cmath.exp(1j * view.turn)
    x0, y0 = math.floor(level.real.min()) - 2, math.floor(level.imag.min()) - 2
    x1, y1 = math.ceil(level.real.max()) + 2, math.ceil(level.imag.max()) + 2
    return Frame(x1 - x0, y1 - y0, -x0, -y0, scale, view.turn, screen, sx, sy)


def to_screen_coefficients(frame: Frame) -> tuple[float, ...]:
    """PIL's AFFINE coefficients: each low-resolution screen pixel p -> its canvas position
    v_canvas + exp(i*turn) * (p - v_screen)."""
    cos, sin = math.cos(frame.turn), math.sin(frame.turn)
    return (cos, -sin, frame.vx - cos * frame.sx + sin * frame.sy,
            sin, cos, frame.vy - sin * frame.sx - cos * frame.sy)
