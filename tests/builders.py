"""Plans and feedback loops for tests and bench, built in one place.

Plans come from script text through the compiler's entry point (`ride.compile_text`), never from
Plan objects built by hand: a hand-built Plan silently disagrees with what the compiler makes, and
breaks whenever the Plan's internals change. Frames come from the renderer's own feedback loop,
so a test or a bench measures what `ride render` does (warp, colour match, noise, loop blend,
engine), and a change of the renderer's API changes only `feedback_render` below.

Bench scripts import this module by putting tests/ on sys.path (see bench/preview_speed.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

import ride

# Settings whose value is a string in a script (written quoted); the others are written as given.
QUOTED = frozenset({"title", "model", "scheduler", "negative", "init", "output", "audio"})


def scene_text(timeline: str | Sequence[str] = "a road", *, length: int = 3, size: int | tuple[int, int] = 64,
               camera: Mapping[str, object] | None = None, tracks: Mapping[str, Sequence[str]] | None = None,
               extra: str = "", **settings: object) -> str:
    """A script: `size`, the settings given (`seed="7 iter"`, `color_match="off"`, `model="sd"`),
    a camera block, tracks, and a timeline that ends at `length`.

    `timeline` is one prompt (held over the whole scene) or the timeline's key lines as written,
    e.g. `['0 "a road"', '6 "a mountain" morph 4 slerp']`."""
    width, height = (size, size) if isinstance(size, int) else size
    lines = [f"size {width}x{height}"]
    for name, value in settings.items():
        keyword = "color match" if name == "color_match" else name
        lines.append(f'{keyword} "{value}"' if name in QUOTED else f"{keyword} {value}")
    if camera:
        lines += ["camera {", *(f"  {name} {value}" for name, value in camera.items()), "}"]
    for name, keys in (tracks or {}).items():
        lines += [f"track {name} {{", *(f"  {key}" for key in keys), "}"]
    keys = [f'0 "{timeline}"'] if isinstance(timeline, str) else list(timeline)
    lines += ["timeline {", *(f"  {key}" for key in keys), f"  {length} end", "}"]
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n"


def compile_scene(text: str, folder: str | Path = ".", name: str = "scene.ride") -> ride.Plan:
    """The plan of a script as if saved as folder/name (relative paths resolve against folder)."""
    return ride.compile_text(text, str(Path(folder) / name))


def make_plan(timeline: str | Sequence[str] = "a road", *, folder: str | Path = ".", **options) -> ride.Plan:
    """`compile_scene(scene_text(timeline, **options), folder)`: the usual way to a plan in a test."""
    return compile_scene(scene_text(timeline, **options), folder)


def with_settings(plan: ride.Plan, **changes) -> ride.Plan:
    """A compiled plan with scene settings the compiler would refuse (an unknown scheduler, a size
    an engine must reject): for tests of an engine's own checks. The only place that edits a plan."""
    return dataclasses.replace(plan, settings=dataclasses.replace(plan.settings, **changes))


def feedback_render(plan: ride.Plan, engine, *, stop: int | None = None, store=None) -> list[np.ndarray]:
    """Frames 0..stop-1 as `ride render` makes them, by the renderer's own frame generator
    (which prepares the engine). `store`: a FrameStore the frames also go to."""
    from ride.renderer.loop import feedback_frames

    stop = len(plan) if stop is None else stop
    frames = dict(feedback_frames(plan, engine, store, 0, stop))
    return [frames[i] for i in range(stop)]
