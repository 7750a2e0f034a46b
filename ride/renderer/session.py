"""The render session: request -> plan -> engine -> frame store -> frame range -> outputs.

Every front end renders through one: the Python API (`ride.render`), `ride render`, watch mode
(and next the live page and sweeps). They differ only in how they report (a progress bar, a
callback) and in when they render again (watch mode: on every edit).

    with RenderSession(RenderRequest("scene.ride", engine="preview")) as session:
        plan = session.load()
        job = session.job(plan)             # the engine, its frame store, the frame range, the resume point
        result = session.render(job, on_frame=print)

A session keeps its engine (and the model loaded in it) from plan to plan while the engine
choice (engine, model, device) stands. It closes an engine it made, freeing the model's memory,
when the choice changes and when the session closes; an engine handed to it stays the caller's.
Making frames is loop.py's work; publishing them to outputs is publish.py's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ..compile.compiler import load
from ..engines import Engine, EngineChoice, choose_engine, make_engine
from ..outputs import Output
from ..outputs.callback import FrameCallback
from ..plan import Plan
from .publish import RenderJob, RenderResult, make_job, render_job
from .request import RenderRequest, check_frames, output_path
from .store import DEFAULT_FOLDER, FrameStore


def load_plan(request: RenderRequest, random_seed: int | None = None) -> Plan:
    """The request's script compiled, with the command line's overrides (size, fps). `random_seed`:
    what an earlier `seed random` drew, so a reload renders the same frames."""
    return load(request.script, random_seed=random_seed, overrides=request.overrides())


class RenderSession:
    """One request's renders, sharing one engine and its frame store (see the module's docstring)."""

    def __init__(self, request: RenderRequest, *, engine: Engine | None = None):
        self.request = request
        self._given = engine  # the caller's: used for every plan, never closed here
        self._engine: Engine | None = None  # the one this session made
        self._choice: EngineChoice | None = None
        self._store: FrameStore | None = None
        self._store_engine: Engine | None = None  # the engine the store was made for
        self._last_store: FrameStore | None = None  # the store of the last job

    def load(self, random_seed: int | None = None) -> Plan:
        return load_plan(self.request, random_seed)

    def engine(self, plan: Plan) -> Engine:
        """The engine for this plan: the one given, else the last one while its choice stands."""
        if self._given is not None:
            return self._keep_store(plan, self._given)
        r = self.request
        choice = choose_engine(plan, r.engine, r.model, r.device)
        if self._engine is None or choice != self._choice:
            engine = make_engine(plan, r.engine, r.model, r.device, **(r.engine_options or {}))
            replaced, self._engine, self._choice = self._engine, engine, choice
            if replaced is not None:
                replaced.close()  # before the new engine loads its model (lazily, at its first frame)
        return self._keep_store(plan, self._engine)

    def job(self, plan: Plan, stored: int = 0) -> RenderJob:
        """What a render of this plan does (frames to make, to show, to reuse), worked out before frame 0.
        `stored`: frames 0..stored-1 are in the store, as the last job of this session left them (watch
        mode: the frames before an edit); not taken when the store changed since (another engine)."""
        frames = check_frames(plan, self.request.frames)
        engine = self.engine(plan)
        if self._store is not self._last_store:
            stored, self._last_store = 0, self._store
        return make_job(plan, engine, self._store, frames, output_path(plan, self.request), stored=stored)

    def render(self, job: RenderJob, *, on_frame: FrameCallback | None = None,
               should_stop: Callable[[], bool] | None = None, outputs: Sequence[Output] = ()) -> RenderResult:
        """Make the job's frames and publish them: the request's video or PNG folder, `on_frame`
        (a FrameEvent per frame made) and `outputs`. `should_stop` cancels at a frame boundary."""
        return render_job(job, on_frame=on_frame, should_stop=should_stop, outputs=outputs)

    def close(self) -> None:
        """Closes the engine this session made (idempotent); the session can render again after."""
        engine, self._engine, self._choice = self._engine, None, None
        if engine is not None:
            engine.close()

    def __enter__(self) -> RenderSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _keep_store(self, plan: Plan, engine: Engine) -> Engine:
        # one store per engine: its identity is read once, so every plan reads the same folder
        if engine is not self._store_engine:
            self._store, self._store_engine = self._frame_store(plan, engine), engine
        return engine

    def _frame_store(self, plan: Plan, engine: Engine) -> FrameStore | None:
        if not self.request.use_cache:
            return None
        r = self.request
        folder = Path(r.cache) if r.cache else Path(plan.settings.base_dir) / DEFAULT_FOLDER
        return FrameStore(folder, engine.identity())
