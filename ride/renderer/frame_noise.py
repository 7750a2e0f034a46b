"""Each diffused frame's noise when the script says where the noise goes (issue 13).

- `seed N flow`: frame 0's noise is drawn from the seed; every later diffused frame's is the last one
  carried by the camera motion since (noise_warp.warp_noise: still i.i.d. Gaussian), so the noise
  sticks to the picture instead of to the screen.
- `loop circle [P]`: frame k's noise is cos(a) x + sin(a) y with a = 2 pi k / P and x, y drawn from the
  seed: Gaussian for every a, and frame P's noise is frame 0's by construction.
- otherwise (a fixed seed, `iter`, `random`) there is no FrameNoise: the renderer and the engine draw
  from the frame's seed as they always did, so those frames are unchanged.

Two consumers, each with its own grid: the renderer's pixel noise (step 3 of the loop, on a grid of
2x2-pixel cells, a quarter of the cost) and the engine's own noise (the diffusers engine's initial
latents, the preview's brush texture), whose shape the engine says (`noise_shape(plan)`).
The noise of frame d depends only on the plan (each warp's fresh sub-pixels are seeded by the seed
and the frame index), so a resumed render replays the warps from frame 0 and gets the same noise.
"""

from __future__ import annotations

import math

import numpy as np

from ..camera import MIDDLE, Motion, compose_motion
from ..plan import Plan
from .noise_warp import gaussian, scaled, warp_noise

PIXELS = "pixels"
ENGINE = "engine"
CELL = 2  # the pixel noise's cells are CELL x CELL pixels
_STREAMS = {PIXELS: 0, ENGINE: 1}  # each grid draws from its own streams of the seed


def frame_noise_for(plan: Plan) -> FrameNoise | None:
    s = plan.settings
    if s.seed_mode == "flow" or s.loop == "circle":
        return FrameNoise(plan)
    return None


class FrameNoise:
    def __init__(self, plan: Plan):
        self.plan = plan
        s = plan.settings
        self.seed = int(plan.columns["seed"][0]) if len(plan) else 0
        self.shapes: dict[str, tuple[int, int, int]] = {PIXELS: (-(-s.height // CELL), -(-s.width // CELL), 3)}
        self.flow = s.seed_mode == "flow"
        self.period = s.loop_frames if s.loop == "circle" else 0
        self._state: dict[str, np.ndarray] = {}
        self._at = -1  # the frame whose noise _state holds
        self._first: dict[str, np.ndarray] = {}
        self._diffused = [int(i) for i in np.flatnonzero(plan.diffuse)]

    def add_shape(self, name: str, shape: tuple[int, int, int]) -> None:
        """Another consumer's grid (the engine's, known once it is prepared). Its noise follows the same
        path as the others': replayed from frame 0 up to where the render is."""
        if name in self.shapes:
            return
        self.shapes[name] = tuple(shape)
        if self.flow and self._at >= 0:
            self._state[name] = self._replay(name, 0, self._at, self._start(name))

    def at(self, index: int) -> dict[str, np.ndarray]:
        """Frame `index`'s noise on every grid (float32 (h, w, c), i.i.d. N(0, 1)). With `flow`, frames
        are asked for in order; asking for a frame before the last one asked starts again from frame 0."""
        if self.period:
            angle = 2 * math.pi * index / self.period
            return {name: self._circle(name, angle) for name in self.shapes}
        if index < self._at:
            self._at, self._state = -1, {}
        if self._at < 0:
            self._state = {name: self._start(name) for name in self.shapes}
            self._at = 0
        if index > self._at:
            for name in self.shapes:
                self._state[name] = self._replay(name, self._at, index, self._state[name])
            self._at = index
        return dict(self._state)

    def first(self, name: str) -> np.ndarray:
        """Frame 0's noise on a grid (the loop closure returns to it)."""
        if name not in self._first:
            self._first[name] = self._start(name) if not self.period else self._circle(name, 0.0)
        return self._first[name]

    def motion(self, name: str, moving: Motion) -> np.ndarray:
        """A frame's camera motion as a 3x3 forward map of this grid: the 2D motion's matrix, or a 3D
        camera's homography against a flat wall at the middle distance (the depth maps of the frames
        are not the noise's business: the noise follows the camera's own motion, parallax aside)."""
        s = self.plan.settings
        h, w, _ = self.shapes[name]
        matrix = moving.homography(s.width, s.height, MIDDLE)  # a 2D motion: its affine matrix
        return scaled(matrix, s.width, s.height, w, h)

    # -- internals -----------------------------------------------------------------------------

    def _stream(self, name: str) -> int:
        return _STREAMS[name]

    def _start(self, name: str) -> np.ndarray:
        return gaussian(self.seed, 1000 + self._stream(name), self.shapes[name])

    def _circle(self, name: str, angle: float) -> np.ndarray:
        stream = 2000 + 2 * self._stream(name)
        x = gaussian(self.seed, stream, self.shapes[name])
        y = gaussian(self.seed, stream + 1, self.shapes[name])
        return (np.float32(math.cos(angle)) * x + np.float32(math.sin(angle)) * y).astype(np.float32)

    def _advance(self, name: str, noise: np.ndarray, start: int, stop: int) -> np.ndarray:
        s = self.plan.settings
        cameras = [self.plan.camera(k) for k in range(start + 1, stop + 1)]
        matrix = self.motion(name, compose_motion(cameras, s.width, s.height))
        rng = np.random.default_rng([self.seed, stop, 3000 + self._stream(name)])
        return warp_noise(noise, matrix, rng)

    def _replay(self, name: str, start: int, stop: int, noise: np.ndarray) -> np.ndarray:
        """The noise at `start` carried to `stop` one diffused frame at a time (and to `stop` itself), so
        the path is the same however the render got there (resumed, or asked for frame by frame)."""
        at = start
        for d in self._diffused:
            if at < d <= stop:
                noise, at = self._advance(name, noise, at, d), d
        if at < stop:
            noise = self._advance(name, noise, at, stop)
        return noise

    def anchor(self, name: str, remaining: Motion, index: int) -> np.ndarray:
        """Frame 0's noise as frame `index` must hold it for the motion still to come (`remaining`) to
        carry it into frame 0 (the loop closure's noise)."""
        rng = np.random.default_rng([self.seed, index, 4000 + self._stream(name)])
        return warp_noise(self.first(name), self.motion(name, remaining.inverse()), rng)


def upscale_cells(noise: np.ndarray, height: int, width: int) -> np.ndarray:
    """The pixel grid's noise at full size: each cell CELL x CELL pixels."""
    return np.repeat(np.repeat(noise, CELL, axis=0), CELL, axis=1)[:height, :width]
