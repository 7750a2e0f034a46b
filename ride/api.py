"""The Python API: `ride.render(...)` from a notebook or a program, through the same render session
as `ride render` and watch mode (renderer/session.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .compile.overrides import SettingOverride
from .engines import Engine
from .outputs import Output
from .outputs.callback import FrameCallback, FrameEvent
from .outputs.files import PngFolder, VideoFile
from .renderer.loop import RenderCancelled
from .renderer.publish import RenderJob, RenderResult
from .renderer.request import RenderRequest, check_frames, output_path, parse_frames
from .renderer.session import RenderSession, load_plan

__all__ = ["FrameCallback", "FrameEvent", "Output", "PngFolder", "RenderCancelled", "RenderJob", "RenderRequest",
           "RenderResult", "RenderSession", "VideoFile", "check_frames", "load_plan", "output_path", "parse_frames",
           "render"]


def render(script: str | Path, output: str | Path | None = None, *, engine: str | Engine | None = None,
           model: str | None = None, device: str | None = None, frames: tuple[int, int] | None = None,
           cache: str | Path | None = None, use_cache: bool = True, write_video: bool = True,
           on_frame: FrameCallback | None = None, should_stop: Callable[[], bool] | None = None,
           outputs: Sequence[Output] = (), settings: Mapping[str, object] | None = None) -> RenderResult:
    """Render a .ride script: compile it, resume from the frame cache, write the video.

    `settings` are put over the script's, as `--set` does: `{"strength": 0.5, "seed": "7 iter"}`
    (a value as written in a script; a setting or a `let` of the script).

    `on_frame` receives a FrameEvent after every frame (its `image` is a uint8 HxWx3 array),
    e.g. to show progress in a notebook. `outputs` get the frames too, e.g. `PngFolder("stills/")`
    beside the video. An engine made here (a name, or None) is closed when the render ends; an
    Engine object passed in stays loaded, for the next render.
    """
    chosen = None if isinstance(engine, str) or engine is None else engine
    request = RenderRequest(script, output, engine if isinstance(engine, str) else None, model, device,
                            frames, cache=cache, use_cache=use_cache, write_video=write_video,
                            settings=tuple(SettingOverride(k, str(v)) for k, v in (settings or {}).items()))
    with RenderSession(request, engine=chosen) as session:
        job = session.job(session.load())
        return session.render(job, on_frame=on_frame, should_stop=should_stop, outputs=outputs)
