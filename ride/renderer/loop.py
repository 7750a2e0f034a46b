"""The feedback loop (render stage): Plan + engine -> frames -> video.

Every diffused frame is made in five steps: 1. warp the last diffused frame by the camera
motion since; 2. match its colours to frame 0's; 3. add the frame's noise; 4. blend in the
loop anchor; 5. the engine re-diffuses it. Cadence in-betweens are cross-fades of their two
diffused neighbours, carried along by the camera. Frames go to the store as they are made,
so a crash, Ctrl-C or kill never loses them and a rerun resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image

from ..camera import warp_by
from ..engines import Engine
from ..errors import RideRenderError
from ..plan import FramePlan, Plan
from .color import ColorReference
from .feedback import (
    NoiseField,
    add_noise,
    blend,
    in_between,
    loop_anchor,
    loop_motions,
    mean_difference,
    motion,
    seam_score,
)
from .store import FrameStore
from .store_writer import BackgroundWriter

FrameCallback = Callable[["FrameEvent"], None]


@dataclass
class FrameEvent:
    """Reported after each frame: what was made, and how far along the render is."""

    index: int
    total: int
    reused: bool  # True once, first: frames 0..index came from the cache (image is None)
    image: np.ndarray | None


@dataclass
class RenderResult:
    """Frames 0..frames-1 were made or reused (feedback needs them all); the video shows the asked range."""

    frames: int
    reused: int
    rendered: int
    seconds: float
    seam: float | None
    output: Path | None
    warnings: list[str] = field(default_factory=list)  # from the video writer (e.g. audio ignored for a gif)


class RenderCancelled(Exception):
    """`should_stop` asked the render to stop at a frame boundary (watch mode's new edit)."""


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
    motions: dict[int, np.ndarray] | None = None  # the loop closure's motion still to come, per frame

    def __post_init__(self):
        self.noise = NoiseField(self.plan.settings.height, self.plan.settings.width)

    def generate(self, frame: FramePlan, init: np.ndarray | None) -> np.ndarray:
        if self.should_stop is not None and self.should_stop():
            raise RenderCancelled()
        if not self.prepared:  # load models only when a frame really needs them
            self.engine.prepare(self.plan)
            self.prepared = True
        image = self.engine.generate(frame, init)
        return np.ascontiguousarray(image, dtype=np.uint8)

    def set_first(self, image: np.ndarray) -> None:
        self.first = image
        s = self.plan.settings
        self.reference = ColorReference(image, s.color_space) if s.color_match != "off" else None


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
    keys = plan.keys()
    diffused = [int(i) for i in np.flatnonzero(plan.diffuse)]
    previous, previous_image = None, None
    if start > 0:
        loop.set_first(_stored(store, keys, 0))
        previous = max(d for d in diffused if d < start)
        previous_image = _stored(store, keys, previous)
    for d in (d for d in diffused if d >= start):
        image = _first_frame(loop) if d == 0 else _diffuse(loop, d, previous, previous_image)
        if d == 0:
            loop.set_first(image)
        for k in range(max(previous + 1 if previous is not None else 0, start), d):
            between = in_between(previous_image, image, plan, previous, k, d)
            keep(keys[k], between)
            if k < stop:  # a segment may run past `stop`: its frames are kept, not shown
                yield k, between
        keep(keys[d], image)
        if d < stop:
            yield d, image
        previous, previous_image = d, image
        if d >= stop - 1:
            return


def _first_frame(loop: _Loop) -> np.ndarray:
    init = load_init(loop.plan)
    return init if init is not None else loop.generate(loop.plan.frame(0), None)


def _diffuse(loop: _Loop, index: int, previous: int, previous_image: np.ndarray) -> np.ndarray:
    plan = loop.plan
    frame = _closing(plan.frame(index))
    cameras = [plan.camera(k) for k in range(previous + 1, index + 1)]
    # 1. warp the last diffused frame by the camera motion since
    image = warp_by(previous_image, motion(cameras, plan), plan.settings.border)
    # 2. keep colours from drifting: match them to frame 0's
    if loop.reference is not None:
        image = loop.reference.match(image, plan.settings.color_amount)
    # 3. fresh noise for the engine to turn into detail
    image = add_noise(image, frame, loop.noise)
    # 4. loop closure: pull toward frame 0, as this frame must look to flow into it
    if frame.loop_blend > 0:
        if loop.motions is None:
            loop.motions = loop_motions(plan)
        image = blend(image, loop_anchor(loop.first, loop.motions[index], plan.settings.border), frame.loop_blend)
    # 5. re-diffuse
    return loop.generate(frame, image)


def _closing(frame: FramePlan) -> FramePlan:
    """While a loop closes, what the anchor restores the engine must not repaint away: strength
    and noise ease down by the frame's loop_blend (the plan keeps the values as written)."""
    if frame.loop_blend <= 0:
        return frame
    keep = 1.0 - frame.loop_blend
    return replace(frame, strength=frame.strength * keep, noise=frame.noise * keep)


def _discard(key: str, image: np.ndarray) -> None:
    pass


def _stored(store: FrameStore | None, keys: list[str], index: int) -> np.ndarray:
    image = store.get(keys[index]) if store is not None else None
    if image is None:
        raise RideRenderError(f"frame {index} could not be read back from the frame cache (removed or damaged); "
                              "render again to redraw it")
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
    except OSError as error:
        raise RideRenderError(f"cannot read the init image {s.init}: {error}") from None


def output_order(plan: Plan, start: int, stop: int) -> list[int]:
    """Which rendered frames the video shows, in order: `reverse`, then `loop pingpong`."""
    order = list(range(start, stop))
    if plan.settings.reverse:
        order.reverse()
    if plan.settings.loop == "pingpong" and len(order) > 2:
        order = order + order[-2:0:-1]  # forward then back, without repeating either end
    return order


def render(plan: Plan, engine: Engine, output: str | Path | None, *, store: FrameStore | None = None,
           frames: tuple[int, int] | None = None, on_frame: FrameCallback | None = None,
           should_stop: Callable[[], bool] | None = None, audio: str | Path | None = None) -> RenderResult:
    """Render the plan (resuming from the store) and write the video. `output` None renders only."""
    began = time.perf_counter()
    start, stop = frames or (0, len(plan))
    keys = plan.keys()
    resume = store.first_missing(keys[:stop]) if store is not None else 0
    if resume > 0 and on_frame is not None:
        on_frame(FrameEvent(resume - 1, stop, True, None))
    order = output_order(plan, start, stop)
    # A fresh render in playing order goes straight to the encoder; otherwise the frames are
    # rendered into the store first (the first new frame comes at once) and read back in order.
    streaming = resume == 0 and order == list(range(start, stop))
    seam = _Seam()
    with tempfile.TemporaryDirectory(prefix="ride-frames-") as scratch:
        if store is None and not streaming:
            store = FrameStore(scratch, engine.identity())
        writer = _open_writer(plan, output, audio)
        background = BackgroundWriter(store) if store is not None else None
        try:
            keep = background.put if background is not None else None
            for index, image in feedback_frames(plan, engine, store, resume, stop, should_stop, keep):
                if on_frame is not None:
                    on_frame(FrameEvent(index, stop, False, image))
                if streaming and index >= start:
                    _show(writer, seam, image)
            if background is not None:
                background.close()  # every frame is on disk before any is read back
            if not streaming:
                for index in order:
                    if should_stop is not None and should_stop():
                        raise RenderCancelled()
                    _show(writer, seam, _stored(store, keys, index))
        except BaseException:
            if writer is not None:
                writer.abort()  # the earlier output stays as it was
            if background is not None:
                with contextlib.suppress(Exception):  # frames made before the failure still reach the store,
                    background.close()               # and a failing write does not hide the first error
            raise
        written = writer.close() if writer is not None else None
    warnings = list(writer.warnings) if writer is not None else []
    whole = (start, stop) == (0, len(plan))  # a seam is the cut from the video's end to its start
    return RenderResult(stop, resume, stop - resume, time.perf_counter() - began, seam.score() if whole else None,
                        written, warnings)


def _show(writer, seam: _Seam, image: np.ndarray) -> None:
    seam.add(image)
    if writer is not None:
        writer.write(image)


def _open_writer(plan: Plan, output: str | Path | None, audio: str | Path | None):
    if output is None:
        return None
    from ..outputs.video import VideoWriter

    s = plan.settings
    if audio is None and s.audio:
        audio = Path(s.base_dir) / s.audio
    return VideoWriter(output, s.fps, (s.width, s.height), audio=audio)


class _Seam:
    """The cut from the video's last frame back to its first, against its ordinary cuts."""

    def __init__(self):
        self.first: np.ndarray | None = None
        self.last: np.ndarray | None = None
        self.differences: list[float] = []

    def add(self, image: np.ndarray) -> None:
        if self.first is None:
            self.first = image
        else:
            self.differences.append(mean_difference(self.last, image))
        self.last = image

    def score(self) -> float | None:
        if self.first is None or not self.differences:
            return None
        return seam_score(mean_difference(self.last, self.first), self.differences)
