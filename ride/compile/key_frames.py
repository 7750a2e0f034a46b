"""Where a script's keys fall: the frames of every track key and of every timeline key.

The plan holds every frame's values, not where they came from; the curves (`ride plot`, the live
page) mark the keys a user wrote, so this reads them from the script again, on the plan's clock
(its fps, bpm and length, which `--fps` may have changed).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Diagnostics
from ..language import nodes as n
from ..language.syntax import parse
from ..settings import BY_NAME
from .music import BeatGrid
from .statements import gather
from .timeline import resolve_keys
from .timing import Clock


@dataclass(frozen=True)
class ScriptKeys:
    """Track keys by the per-frame column they set (`pan_y`, `noise`), and the timeline's keys."""

    tracks: dict[str, tuple[int, ...]]
    timeline: tuple[int, ...]


def script_keys(text: str, fps: float, bpm: float, length: int, path: str = "<script>",
                beats: BeatGrid | None = None) -> ScriptKeys:
    """The keys of a script that compiles (a script with errors gives the keys that were understood);
    `beats`: `bpm auto`'s detected beats (music.scene_music), which its `Nb` times name."""
    diagnostics = Diagnostics(path, text)  # problems were reported when the plan was made: not again
    script = parse(text, path, diagnostics)
    if script is None:
        return ScriptKeys({}, ())
    g = gather(script, diagnostics)
    clock = Clock(fps, bpm, length, beats)
    tracks: dict[str, tuple[int, ...]] = {}
    for name, (_, values) in g.values.items():
        parts = BY_NAME[name].parts if name in BY_NAME else ()
        for column, value in zip(parts or (name,), values):
            if isinstance(value, n.KeyBlock):
                tracks[column] = _block_frames(value, clock, diagnostics, length)
    timeline = tuple(key.frame for key in resolve_keys(g.timeline, clock, diagnostics)) if g.timeline else ()
    return ScriptKeys(tracks, timeline)


def _block_frames(block: n.KeyBlock, clock: Clock, diagnostics: Diagnostics, length: int) -> tuple[int, ...]:
    frames: list[int] = []
    previous = None
    for key in block.keys:
        frame = clock.frame(key.time, previous, diagnostics)
        if frame is None:
            continue
        previous = frame
        frames.append(min(max(int(round(frame)), 0), max(length - 1, 0)))
    return tuple(frames)
