"""The Python API: `ride.render(...)` from a notebook or a program, the same path the CLI takes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .compile.compiler import Overrides, load
from .engines import Engine, make_engine
from .errors import RideError, RideRenderError
from .plan import Plan
from .renderer.loop import FrameCallback, RenderResult
from .renderer.loop import render as render_plan
from .renderer.store import DEFAULT_FOLDER, FrameStore


@dataclass
class RenderRequest:
    """Everything a render needs besides the script's own settings (the command line's options)."""

    script: str | Path
    output: str | Path | None = None  # None: the script's `output`
    engine: str | None = None
    model: str | None = None
    device: str | None = None
    frames: tuple[int, int] | str | None = None  # str: the command line's 'A:B'
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    cache: str | Path | None = None  # None: .ride-cache/ beside the script
    use_cache: bool = True
    write_video: bool = True
    engine_options: dict | None = None  # diffusers: dtype, attention_slicing, vae_tiling, cpu_offload

    def overrides(self) -> Overrides:
        return Overrides(self.width, self.height, self.fps)


def load_plan(request: RenderRequest, random_seed: int | None = None) -> Plan:
    return load(request.script, random_seed=random_seed, overrides=request.overrides())


def output_path(plan: Plan, request: RenderRequest) -> str | None:
    """Where the video goes. A string, not a Path: `frames/` must keep its slash (a PNG folder)."""
    if not request.write_video:
        return None
    if request.output is not None:
        return str(request.output)
    return str(Path(plan.settings.base_dir) / plan.settings.output) + ("/" if plan.settings.output.endswith("/") else "")


def frame_store(plan: Plan, request: RenderRequest, engine: Engine) -> FrameStore | None:
    if not request.use_cache:
        return None
    folder = Path(request.cache) if request.cache else Path(plan.settings.base_dir) / DEFAULT_FOLDER
    return FrameStore(folder, engine.identity())


def engine_for(plan: Plan, request: RenderRequest, engine: Engine | None = None) -> Engine:
    """The engine given (watch mode keeps one, and its model, across reloads), else a new one."""
    if engine is not None:
        return engine
    return make_engine(plan, request.engine, request.model, request.device, **(request.engine_options or {}))


def render(script: str | Path, output: str | Path | None = None, *, engine: str | Engine | None = None,
           model: str | None = None, device: str | None = None, frames: tuple[int, int] | None = None,
           cache: str | Path | None = None, use_cache: bool = True, write_video: bool = True,
           on_frame: FrameCallback | None = None, should_stop: Callable[[], bool] | None = None,
           ) -> RenderResult:
    """Render a .ride script: compile it, resume from the frame cache, write the video.

    `on_frame` receives a FrameEvent after every frame (its `image` is a uint8 HxWx3 array),
    e.g. to show progress in a notebook.
    """
    chosen = None if isinstance(engine, str) or engine is None else engine
    request = RenderRequest(script, output, engine if isinstance(engine, str) else None, model, device,
                            frames, cache=cache, use_cache=use_cache, write_video=write_video)
    plan = load_plan(request)
    asked = check_frames(plan, frames)
    engine_object = engine_for(plan, request, chosen)
    return render_plan(plan, engine_object, output_path(plan, request), store=frame_store(plan, request, engine_object),
                       frames=asked, on_frame=on_frame, should_stop=should_stop)


def check_frames(plan: Plan, frames: tuple[int, int] | str | None) -> tuple[int, int] | None:
    """None (all frames), (start, stop), or the command line's 'A:B' -> (start, stop) or None."""
    if frames is None:
        return None
    if isinstance(frames, str):
        return parse_frames(frames, len(plan))
    start, stop = frames
    if not 0 <= start < stop <= len(plan):
        raise RideRenderError(f"frames {start}:{stop} are not within the scene's {len(plan)} frames")
    return start, stop


def parse_frames(text: str | None, length: int) -> tuple[int, int]:
    """'A:B' -> (A, B) clamped to the scene; either side may be empty; negatives count from the end."""
    if not text:
        return 0, length
    try:
        if ":" not in text:
            raise ValueError(text)
        start_text, _, stop_text = text.partition(":")
        start = int(start_text) if start_text else 0
        stop = int(stop_text) if stop_text else length
    except ValueError:
        raise RideError(f"--frames must look like A:B (e.g. 0:48), not '{text}'") from None
    start, stop, _ = slice(start, stop).indices(length)
    if stop <= start:
        raise RideError(f"--frames {text} selects no frames (the scene has {length})")
    return start, stop

