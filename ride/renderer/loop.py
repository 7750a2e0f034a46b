"""The feedback loop (render stage): Plan + engine -> frames, in order.

Every diffused frame is made in five steps: 1. warp the last diffused frame by the camera
motion since; 2. match its colours to frame 0's; 3. pull it toward the loop anchor (while a loop
closes); 4. add the frame's noise (after the pull, so a closing frame gets all of it); 5. the
engine re-diffuses it. With `mode walk` each frame is made from its own noise instead (step 5 alone).
Cadence in-betweens are their two diffused neighbours carried along by the camera, aligned by the
residual flow between them and blended. Frames go to the store as they are made,
so a crash, Ctrl-C or kill never loses them and a rerun resumes where it stopped. Where the
frames go (a video, a PNG folder, a progress bar) is publish.py's business: this module only
makes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from ..camera import Motion, warp_by
from ..engines import Engine
from ..errors import Problem, RideRenderError
from ..plan import FramePlan, Plan
from .color import ColorReference
from .depth import FrameDepths
from .feedback import (
    NoiseField,
    add_noise,
    add_noise_field,
    close_toward,
    in_between,
    loop_anchor,
    loop_motions,
    motion,
)
from .frame_noise import ENGINE, PIXELS, FrameNoise, frame_noise_for, upscale_cells
from .store import FrameStore


class RenderCancelled(Exception):
    """`should_stop` asked the render to stop at a frame boundary (watch mode's new edit)."""


class DamagedFrame(RideRenderError):
    """A frame the render needs could not be read back from the store: damaged (a power cut before
    the disk wrote it) or removed meanwhile (`ride cache prune`). The store has dropped a damaged
    frame, so it now counts as missing: publish.render_job redraws from it in the same run."""

    def __init__(self, index: int):
        super().__init__(Problem(f"frame {index} could not be read back from the frame cache (damaged or removed "
                                 "while rendering)", hint="the render redrew it and lost it again: check the "
                                 "disk, or use --cache DIR on another one", code="R622"))
        self.index = index


@dataclass
class _Loop:
    """What the loop carries from frame to frame."""

    plan: Plan
    engine: Engine
    store: FrameStore | None
    should_stop: Callable[[], bool] | None
    first: np.ndarray | None = None
    reference: ColorReference | None = None
    prepared: bool = False
    noise: NoiseField | None = None
    motions: dict[int, Motion] | None = None  # the loop closure's motion still to come, per frame
    depths: FrameDepths | None = None  # each diffused frame's depth, for a 3D camera
    path: FrameNoise | None = None  # where the noise goes (`seed N flow`, `loop circle`), else None
    engine_noise: bool = False  # the engine takes its noise from `path`

    def __post_init__(self):
        self.noise = _noise_field(self.plan.settings.height, self.plan.settings.width)
        self.depths = FrameDepths(self.plan, self.engine, self.store, self.prepare)
        self.path = frame_noise_for(self.plan)

    def prepare(self) -> None:
        if not self.prepared:  # load models only when a frame really needs them
            self.engine.prepare(self.plan)
            self.prepared = True
            self.depths.load()
            shape = getattr(self.engine, "noise_shape", None)  # an engine that takes its noise from ride
            if self.path is not None and shape is not None:
                channels, height, width = shape(self.plan)
                self.path.add_shape(ENGINE, (height, width, channels))
                self.engine_noise = True

    def generate(self, frame: FramePlan, init: np.ndarray | None) -> np.ndarray:
        if self.should_stop is not None and self.should_stop():
            raise RenderCancelled()
        self.prepare()
        if self.engine_noise:  # the engine's protocol: (channels, height, width)
            noise = np.ascontiguousarray(np.transpose(self.noises(frame.index)[ENGINE], (2, 0, 1)))
            image = self.engine.generate(frame, init, noise=noise)
        else:
            image = self.engine.generate(frame, init)
        return np.ascontiguousarray(image, dtype=np.uint8)

    def noises(self, index: int) -> dict[str, np.ndarray]:
        """Frame `index`'s noise on each grid (only with a `path`). While a loop closes, the noise returns
        to frame 0's along the camera: cos(a) * its own + sin(a) * frame 0's carried by the motion still
        to come, a = loop_blend * pi / 2 (Gaussian all the way)."""
        noises = self.path.at(index)
        weight = float(self.plan.columns["loop_blend"][index])
        if weight <= 0 or not self.path.flow:
            return noises
        angle = weight * np.pi / 2
        cos, sin = np.float32(np.cos(angle)), np.float32(np.sin(angle))
        return {name: cos * noise + sin * self.path.anchor(name, self.remaining(index), index)
                for name, noise in noises.items()}

    def remaining(self, index: int) -> Motion:
        """The camera motion still to come from a closing frame to frame 0."""
        if self.motions is None:
            self.motions = loop_motions(self.plan)
        return self.motions[index]

    def set_first(self, image: np.ndarray) -> None:
        self.first = image
        s = self.plan.settings
        self.reference = ColorReference(image, s.color_space) if s.color_match != "off" else None


@lru_cache(maxsize=2)
def _noise_field(height: int, width: int) -> NoiseField:
    """The field is the same for every render of a size (it is read, never written): watch mode's
    passes share it rather than draw 4 MB of normals before each first frame."""
    return NoiseField(height, width)


def feedback_frames(plan: Plan, engine: Engine, store: FrameStore | None, start: int, stop: int,
                    should_stop: Callable[[], bool] | None = None,
                    keep: Callable[[str, np.ndarray], None] | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Render frames start..stop-1 (frames before `start` are read from the store), in order.
    Each new frame goes to `keep` (default: the store's put)."""
    if start >= stop:  # all there already: no model to load, nothing to render
        return
    loop = _Loop(plan, engine, store, should_stop)
    if keep is None:
        keep = store.put if store is not None else _discard
    keys = plan.frame_keys  # made a chunk at a time, as the render reaches them
    diffused = np.flatnonzero(plan.diffuse)
    first = int(np.searchsorted(diffused, start))  # the first diffused frame to make
    previous, previous_image = None, None
    if start > 0:
        loop.set_first(stored_frame(store, keys, 0))
        previous = int(diffused[first - 1])
        previous_image = stored_frame(store, keys, previous)
    try:
        walk = plan.settings.mode == "walk"
        for d in map(int, diffused[first:]):
            if d == 0:
                image = _first_frame(loop)
            elif walk:  # each frame from its own noise: nothing carried over
                image = loop.generate(plan.frame(d), None)
            else:
                image = _diffuse(loop, d, previous, previous_image)
            if d == 0:
                loop.set_first(image)
            for k in range(max(previous + 1 if previous is not None else 0, start), d):
                depths = (loop.depths.of(previous, previous_image), loop.depths.of(d, image)) \
                    if loop.depths.needed else (None, None)
                between = in_between(previous_image, image, plan, previous, k, d, depths)
                keep(keys[k], between)
                if k < stop:  # a segment may run past `stop`: its frames are kept, not shown
                    yield k, between
            keep(keys[d], image)
            if d < stop:
                yield d, image
            previous, previous_image = d, image
            if d >= stop - 1:
                return
    finally:
        loop.depths.close()  # a depth model, if one was loaded


def _first_frame(loop: _Loop) -> np.ndarray:
    init = load_init(loop.plan)
    return init if init is not None else loop.generate(loop.plan.frame(0), None)


def _diffuse(loop: _Loop, index: int, previous: int, previous_image: np.ndarray) -> np.ndarray:
    plan = loop.plan
    frame = plan.frame(index)
    cameras = [plan.camera(k) for k in range(previous + 1, index + 1)]
    # 1. warp the last diffused frame by the camera motion since (by its depth, for a 3D camera)
    image = warp_by(previous_image, motion(cameras, plan), plan.settings.border,
                    loop.depths.of(previous, previous_image))
    # 2. keep colours from drifting: match them to frame 0's
    if loop.reference is not None:
        image = loop.reference.match(image, plan.settings.color_amount)
    # 3. loop closure: pull toward frame 0, as this frame must look to flow into it (the seed, the
    # noise and the conditioning return to frame 0's too; strength and noise stay as written)
    if frame.loop_blend > 0:
        anchor, inside = loop_anchor(loop.first, loop.remaining(index), plan.settings.border,
                                     loop.depths.of(0, loop.first))
        image = close_toward(image, anchor, inside, frame.loop_blend)
    # 4. fresh noise for the engine to turn into detail (moving with the camera, or round a circle)
    if loop.path is not None:
        s = plan.settings
        image = add_noise_field(image, frame.noise, upscale_cells(loop.noises(index)[PIXELS], s.height, s.width))
    else:
        image = add_noise(image, frame, loop.noise)
    # 5. re-diffuse
    return loop.generate(frame, image)


def _discard(key: str, image: np.ndarray) -> None:
    pass


def stored_frame(store: FrameStore | None, keys: Sequence[str], index: int) -> np.ndarray:
    """A frame rendered earlier, read back from the store (it must be there)."""
    image = store.get(keys[index]) if store is not None else None
    if image is None:
        raise DamagedFrame(index)
    return image


def load_init(plan: Plan) -> np.ndarray | None:
    s = plan.settings
    if not s.init:
        return None
    path = Path(s.base_dir) / s.init
    try:
        with Image.open(path) as image:
            image = image.convert("RGB").resize((s.width, s.height), Image.LANCZOS)
            return np.asarray(image)
    except (OSError, Image.DecompressionBombError) as error:  # a bomb: `ride check` says so first
        raise RideRenderError(Problem(f"cannot read the init image {s.init}: {error}",
                                      hint="check that it is a PNG, JPEG or WebP image", code="R651")) from None
