"""Publishing: the frames the loop makes go to outputs (a video, a PNG folder, callbacks, the seam score).

    1. open every output before frame 0 (a bad path fails before any work)
    2. make the frames (loop.feedback_frames): each new one goes to the store, to the live outputs
       (progress, a live page) and, when the video can be written as frames come, to the others
    3. otherwise read the shown frames back from the store in playing order (`reverse`, `loop
       pingpong`, or a render resumed from the cache)
    4. close every output (each renames its finished file into place), or abort them all: a crash,
       Ctrl-C or a cancel never destroys a frame already in the store or a video already written
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..engines import Engine
from ..outputs import FrameRange, Output
from ..outputs.callback import CallbackOutput, FrameCallback
from ..outputs.files import file_output
from ..plan import Plan
from .loop import DamagedFrame, RenderCancelled, feedback_frames, stored_frame
from .seam import SeamScore
from .store import FrameStore
from .store_writer import BackgroundWriter

REDRAW_TRIES = 3  # restarts for damaged cached frames in one render (each drops the frame it found)


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


@dataclass(frozen=True)
class RenderJob:
    """One render of one plan, as worked out before frame 0 (watch mode reports it before rendering)."""

    plan: Plan
    engine: Engine
    store: FrameStore | None
    start: int  # the video shows frames start..stop-1
    stop: int
    resume: int  # frames 0..resume-1 are in the store already
    output: str | None = None  # a video or a PNG folder (a trailing '/'); None: no file
    audio: str | Path | None = None  # None: the script's `audio`, if any

    @property
    def frames(self) -> FrameRange:
        s = self.plan.settings
        return FrameRange(self.start, self.stop, self.resume, s.fps, (s.width, s.height))

    def audio_path(self) -> str | Path | None:
        s = self.plan.settings
        if self.audio is None and s.audio:
            return Path(s.base_dir) / s.audio
        return self.audio


def make_job(plan: Plan, engine: Engine, store: FrameStore | None, frames: tuple[int, int] | None = None,
             output: str | Path | None = None, audio: str | Path | None = None, stored: int = 0) -> RenderJob:
    """`stored`: frames 0..stored-1 are known to be in the store (watch mode's unchanged prefix)."""
    start, stop = frames or (0, len(plan))
    resume = store.first_missing(plan.frame_keys, stop, stored) if store is not None else 0
    return RenderJob(plan, engine, store, start, stop, resume, None if output is None else str(output), audio)


def render(plan: Plan, engine: Engine, output: str | Path | None, *, store: FrameStore | None = None,
           frames: tuple[int, int] | None = None, on_frame: FrameCallback | None = None,
           should_stop: Callable[[], bool] | None = None, audio: str | Path | None = None,
           outputs: Sequence[Output] = ()) -> RenderResult:
    """Render the plan (resuming from the store) and write the video. `output` None renders only."""
    began = time.perf_counter()
    job = make_job(plan, engine, store, frames, output, audio)
    return render_job(job, on_frame=on_frame, should_stop=should_stop, outputs=outputs, began=began)


def render_job(job: RenderJob, *, on_frame: FrameCallback | None = None, should_stop: Callable[[], bool] | None = None,
               outputs: Sequence[Output] = (), began: float | None = None) -> RenderResult:
    """Make the job's frames and publish them: to `on_frame`, `outputs`, the job's file and the seam score.

    A cached frame found damaged on the way (the store drops it) is redrawn in the same run: the
    outputs are aborted (the earlier ones stay) and the job starts again from the store's first
    missing frame, so that frame and every frame after it, whose keys chain from it, are made again."""
    began = time.perf_counter() if began is None else began
    for attempt in range(REDRAW_TRIES + 1):
        file = file_output(job.output, audio=job.audio_path()) if job.output is not None else None
        seam = SeamScore(job.plan)
        callback = CallbackOutput(on_frame) if on_frame is not None else None
        try:
            publish(job, [o for o in (callback, *outputs, file, seam) if o is not None], should_stop)
            break
        except DamagedFrame:
            if job.store is None or attempt == REDRAW_TRIES:
                raise  # a store that keeps losing frames (a failing disk): say so rather than loop
            job.store.rescan()  # a frame the index listed is gone: what else is, only the folder knows
            job = replace(job, resume=min(job.resume, job.store.first_missing(job.plan.frame_keys, job.stop)))
    return RenderResult(job.stop, job.resume, job.stop - job.resume, time.perf_counter() - began, seam.score,
                        file.written if file is not None else None, file.warnings if file is not None else [])


def output_order(plan: Plan, start: int, stop: int) -> list[int]:
    """Which rendered frames the video shows, in order: `reverse`, then `loop pingpong`."""
    order = list(range(start, stop))
    if plan.settings.reverse:
        order.reverse()
    if plan.settings.loop == "pingpong" and len(order) > 2:
        order = order + order[-2:0:-1]  # forward then back, without repeating either end
    return order


def publish(job: RenderJob, outputs: Sequence[Output], should_stop: Callable[[], bool] | None = None) -> None:
    """Steps 1 to 4 above."""
    plan, start, stop = job.plan, job.start, job.stop
    s = plan.settings
    plain = not s.reverse and (s.loop != "pingpong" or stop - start <= 2)
    order = range(start, stop) if plain else output_order(plan, start, stop)  # (no list a scene long)
    # A fresh render in playing order goes straight to the outputs; otherwise the frames are
    # rendered into the store first (the first new frame comes at once) and read back in order.
    streaming = job.resume == 0 and plain
    live = [o for o in outputs if o.live]
    shown = [o for o in outputs if not o.live]
    store = job.store
    with tempfile.TemporaryDirectory(prefix="ride-frames-") as scratch:
        if store is None and not streaming:
            store = FrameStore(scratch, job.engine.identity())
        opened: list[Output] = []
        background = None
        try:
            for output in outputs:  # 1.
                output.open(job.frames)
                opened.append(output)
            background = BackgroundWriter(store) if store is not None else None
            keep = background.put if background is not None else None
            for index, image in feedback_frames(plan, job.engine, store, job.resume, stop, should_stop, keep):  # 2.
                _write(live, index, image)
                if streaming and index >= start:
                    _write(shown, index, image)
            if background is not None:
                background.close()  # every frame is on disk before any is read back
            if not streaming:  # 3.
                keys = plan.frame_keys
                for index in order:
                    if should_stop is not None and should_stop():
                        raise RenderCancelled()
                    _write(shown, index, stored_frame(store, keys, index))
        except BaseException:
            _abort(opened)  # the earlier outputs stay as they were
            if background is not None:
                with contextlib.suppress(Exception):  # frames made before the failure still reach the store,
                    background.close()               # and a failing write does not hide the first error
            raise
        _close(opened)  # 4.


def _write(outputs: list[Output], index: int, image: np.ndarray) -> None:
    for output in outputs:
        output.write(index, image)


def _abort(outputs: Sequence[Output]) -> None:
    for output in outputs:
        with contextlib.suppress(Exception):  # one output's trouble must not hide the first error
            output.abort()


def _close(outputs: list[Output]) -> None:
    """Each output publishes in turn; if one fails, it and those not yet closed are aborted."""
    for done, output in enumerate(outputs):
        try:
            output.close()
        except BaseException:
            _abort(outputs[done:])
            raise
