"""What a front end asks to render: the script and the command line's options (RenderRequest),
and the frame range they name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..compile.compiler import Overrides
from ..compile.overrides import SettingOverride
from ..errors import Problem, RideError, RideRenderError
from ..plan import Plan


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
    settings: tuple[SettingOverride, ...] = ()  # `--set NAME=VALUE` (one value each)

    def overrides(self) -> Overrides:
        return Overrides(self.width, self.height, self.fps, tuple(self.settings))


def output_path(plan: Plan, request: RenderRequest) -> str | None:
    """Where the video goes. A string, not a Path: `frames/` must keep its slash (a PNG folder)."""
    if not request.write_video:
        return None
    if request.output is not None:
        return str(request.output)
    return str(Path(plan.settings.base_dir) / plan.settings.output) + ("/" if plan.settings.output.endswith("/") else "")


def check_frames(plan: Plan, frames: tuple[int, int] | str | None) -> tuple[int, int] | None:
    """None (all frames), (start, stop), or the command line's 'A:B' -> (start, stop) or None."""
    if frames is None:
        return None
    if isinstance(frames, str):
        return parse_frames(frames, len(plan))
    start, stop = frames
    if not 0 <= start < stop <= len(plan):
        raise RideRenderError(Problem(f"frames {start}:{stop} are not within the scene's {len(plan)} frames",
                                      hint=f"frames count from 0: 0:{len(plan)} is the whole scene", code="R652"))
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
