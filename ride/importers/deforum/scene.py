"""A Deforum settings file -> the ride scene's parts (settings, camera, tracks, timeline, notes).

The mapping (docs/deforum.md has it as a table): W/H -> size, fps, seed + seed_behavior -> seed,
steps, cfg_scale_schedule -> guidance, strength_schedule -> strength (its complement),
noise_schedule -> noise, diffusion_cadence -> cadence, color_coherence -> color match, border;
2D: zoom, angle -> rotate, translation_x/y -> pan, transform_center_x/y -> focus; 3D:
translation_x/y/z -> move, rotation_3d_x/y/z -> turn, fov_schedule -> fov; prompts -> timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import features, numbers, parseq, prompts, tracks, writer
from .parts import Parts
from .schedules import parse_schedule
from .source import COLAB, PARSEQ, DeforumFile, read_settings
from .tracks import Value

SEED_MODULUS = 2**32


@dataclass(frozen=True)
class Imported:
    """The scene's text (in `ride fmt`'s layout) and one warning line per thing ride cannot do."""

    text: str
    warnings: tuple[str, ...]
    description: str
    frames: int


def import_deforum(path: str | Path) -> Imported:
    file = read_settings(path)
    parts = parseq.parts(file) if file.format == PARSEQ else settings_parts(file)
    source = Path(file.path).name
    parts.header[:0] = [f"{Path(source).stem}.ride: imported from {source} by `ride import deforum`",
                        f"source: {file.description}"]
    text = writer.scene_text(parts)
    return Imported(text, tuple(parts.warnings), file.description, parts.length)


def settings_parts(file: DeforumFile) -> Parts:
    parts = Parts()
    length = _max_frames(file)
    seed = _seed(file)
    context = numbers.Context(file, length, seed)
    parts.length = length

    def frame_of(text: str, key: str, show: str) -> int:  # a key written as an expression (max_f - 2)
        return numbers.key_frame(context, text, key, show)

    def schedule(name: str):
        return parse_schedule(file, name, frame_of, length)

    def value(name: str, convert=tracks.same) -> Value:
        return tracks.ride_value(context, schedule(name), convert)

    _size(file, parts)
    fps = file.get("fps")
    if isinstance(fps, (int, float)) and not isinstance(fps, bool) and 0 < fps <= 240:
        parts.settings.append(("fps", Value(_num(fps)), ""))
    _seed_setting(file, parts, context, schedule, seed)
    _steps(file, parts, value)
    if "cfg_scale_schedule" in file.data:
        parts.settings.append(("guidance", _in_range(context, schedule("cfg_scale_schedule"), 0, 100, parts,
                                                     "guidance"), "Deforum's cfg_scale_schedule"))
    elif isinstance(file.get("scale"), (int, float)):
        parts.settings.append(("guidance", Value(_num(file.get("scale"))), "Deforum's scale"))
    if "strength_schedule" in file.data:
        parts.settings.append(("strength", _strength(context, schedule("strength_schedule"), parts),
                               "1 - Deforum's strength_schedule (ride's strength is how much is repainted)"))
    if "noise_schedule" in file.data:
        parts.settings.append(("noise", _in_range(context, schedule("noise_schedule"), 0, 1, parts, "noise"), ""))
    _cadence(file, parts, length)
    _color(file, parts)
    _border(file, parts)
    _camera(file, parts, context, schedule)
    parts.prompts, _ = prompts.file_prompts(context)
    for found in prompts.a1111_syntax(parts.prompts):
        parts.unsupported(found)
    features.check(file, parts, schedule)
    return parts


def _max_frames(file: DeforumFile) -> int:
    raw = file.get("max_frames")
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw)
    if not isinstance(raw, (int, float)) or isinstance(raw, bool) or raw != int(raw) or not 1 <= raw <= 1_000_000:
        raise file.fail("max_frames", f"max_frames: {raw!r} is not a number of frames",
                        "max_frames is a whole number from 1 to 1,000,000", "R397")
    return int(raw)


def _seed(file: DeforumFile) -> int | None:
    raw = file.get("seed", -1)
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        raw = int(raw)
    if not isinstance(raw, (int, float)) or isinstance(raw, bool):
        raise file.fail("seed", f"seed: {raw!r} is not a seed", "a seed is a whole number, or -1 for a random one",
                        "R397")
    return None if int(raw) == -1 else int(raw)


def _num(x) -> str:
    return numbers.text(numbers.n.Num(float(x)))


def _size(file: DeforumFile, parts: Parts) -> None:
    w, h = file.get("W", file.get("width")), file.get("H", file.get("height"))
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (w, h)):
        return
    w8, h8 = min(max(w - w % 8, 8), 8192), min(max(h - h % 8, 8), 8192)
    note = "" if (w8, h8) == (w, h) else f"Deforum's {w}x{h}, to multiples of 8 (as Deforum rounds it)"
    parts.settings.append(("size", Value(f"{w8}x{h8}"), note))


def _seed_setting(file: DeforumFile, parts: Parts, context, schedule, seed: int | None) -> None:
    behavior = str(file.get("seed_behavior", "iter"))
    cadence = _cadence_of(file)
    every = file.get("seed_iter_N", 1)
    every = every if isinstance(every, int) and every >= 1 else 1
    diffusion = "t" if cadence == 1 else f"ceil(t / {cadence})"  # the how-manieth diffused frame
    if behavior == "schedule":
        parts.settings.append(("seed", tracks.ride_value(context, schedule("seed_schedule")),
                               "Deforum's seed_schedule"))
        values = tracks.series(context, schedule("seed_schedule"))
        if np.any(values.astype(np.int64) == -1):
            parts.unsupported("seed_schedule: -1 asks A1111 for a random seed at those frames; ride uses -1 as "
                              "the seed 4294967295 there")
        return
    if seed is None:
        parts.settings.append(("seed", Value("random"), ""))
        if behavior != "fixed":
            parts.unsupported(f"seed -1 with seed_behavior {behavior}: ride draws one random seed for every "
                              "frame; write `seed N iter` with a seed of your choice to change it every frame")
        return
    if behavior == "fixed":
        parts.settings.append(("seed", Value(str(seed)), ""))
    elif behavior == "iter" and cadence == 1 and every == 1:
        parts.settings.append(("seed", Value(f"{seed} iter"), ""))
    elif behavior == "iter":
        parts.settings.append(("seed", Value(f"{seed} + ceil(t / {cadence * every})"),
                               f"Deforum's iter: +1 every {every} diffused frame(s)"))
    elif behavior == "ladder":
        parts.settings.append(("seed", Value(f"{seed} + floor({diffusion} / 2) + 2 * ({diffusion} % 2)"),
                               "Deforum's ladder: +2, -1, +2, -1..."))
    elif behavior == "alternate":
        parts.settings.append(("seed", Value(f"{seed} + {diffusion} % 2"), "Deforum's alternate: +1, -1, +1..."))
    else:  # random
        parts.settings.append(("seed", Value(f"{seed} iter"), ""))
        parts.unsupported(f"seed_behavior {behavior}: Deforum draws a new random seed every frame; ride adds 1 "
                          "a frame instead (`seed N iter`)")


def _cadence_of(file: DeforumFile) -> int:
    raw = file.get("diffusion_cadence", 1)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise file.fail("diffusion_cadence", f"diffusion_cadence: {raw!r} is not a whole number", "", "R397") from None
    if not 1 <= value <= 1000:
        raise file.fail("diffusion_cadence", f"diffusion_cadence: {value} is not from 1 to 1000", "", "R397")
    return value


def _cadence(file: DeforumFile, parts: Parts, length: int) -> None:
    cadence = _cadence_of(file)
    if cadence == 1:
        return
    last = (length - 1) // cadence * cadence
    note = ""
    if last < length - 1:
        note = (f"Deforum renders frames 0-{last} only: it drops the {length - 1 - last} frames after "
                "its last diffused one; ride renders them all")
    parts.settings.append(("cadence", Value(str(cadence)), note))


def _steps(file: DeforumFile, parts: Parts, value) -> None:
    if file.get("enable_steps_scheduling") and "steps_schedule" in file.data:
        parts.settings.append(("steps", value("steps_schedule"), "Deforum's steps_schedule"))
    elif isinstance(file.get("steps"), int) and 1 <= file.get("steps") <= 1000:
        parts.settings.append(("steps", Value(str(file.get("steps"))), ""))


def _strength(context, schedule, parts: Parts) -> Value:
    values = tracks.series(context, schedule)
    if np.all((values >= 0) & (values <= 1)):
        return tracks.ride_value(context, schedule, tracks.complement)
    if len(schedule.keys) > 1:  # a clamped key changes the line toward it; Deforum clamps each frame
        parts.warnings.append("strength_schedule: values outside 0..1, clamped to 0..1 at the keys (Deforum "
                              "clamps each frame's value, so frames between such a key and the next may differ)")
    clip = tracks.clipped(0.0, 1.0)
    return tracks.ride_value(context, schedule, lambda e: tracks.complement(clip(e)))


def _in_range(context, schedule, lo: float, hi: float, parts: Parts, name: str) -> Value:
    values = tracks.series(context, schedule)
    if np.all((values >= lo) & (values <= hi)):
        return tracks.ride_value(context, schedule)
    parts.warnings.append(f"{schedule.name}: values from {values.min():g} to {values.max():g}, outside ride's "
                          f"{name} range {lo:g}..{hi:g}: kept inside it")
    return tracks.ride_value(context, schedule, tracks.clipped(lo, hi))


def _color(file: DeforumFile, parts: Parts) -> None:
    raw = str(file.get("color_coherence", "None"))
    space = next((s for s in ("lab", "hsv", "rgb") if raw.lower().endswith(s)), None)
    if raw == "None":
        parts.settings.append(("color", Value("match off"), "Deforum's color_coherence None"))
    elif space:
        parts.settings.append(("color", Value(f"match frame0 {space}"), f"Deforum's color_coherence {raw}"))
    else:
        parts.settings.append(("color", Value("match off"), ""))
        parts.unsupported(f"color_coherence {raw}: ride matches colours to frame 0 only")


def _border(file: DeforumFile, parts: Parts) -> None:
    raw = file.get("border")
    if raw == "replicate":
        parts.settings.append(("border", Value("replicate"), ""))
    elif raw == "wrap":
        parts.settings.append(("border", Value("reflect"), "Deforum's border wrap"))
        parts.unsupported("border wrap: ride has reflect and replicate; the scene uses reflect")


def _camera(file: DeforumFile, parts: Parts, context, schedule) -> None:
    mode = str(file.get("animation_mode", "2D"))
    if mode == "2D":
        _camera_2d(file, parts, context, schedule)
    elif mode == "3D":
        _camera_3d(file, parts, context, schedule)
    elif mode != "None":
        parts.unsupported(f"animation_mode {mode}: imported as 2D (ride has no video input or interpolation mode)")
        _camera_2d(file, parts, context, schedule)


def _camera_value(file, parts, context, schedule, name: str, ride: str, convert=tracks.same, default=None):
    if name not in file.data:
        return
    value = tracks.ride_value(context, schedule(name), convert)
    if default is not None and value.text == default:
        return
    parts.camera.append((ride, value, f"Deforum's {name}"))


def _camera_2d(file, parts, context, schedule) -> None:
    _camera_value(file, parts, context, schedule, "zoom", "zoom", default="1")
    _camera_value(file, parts, context, schedule, "angle", "rotate", default="0")
    _camera_value(file, parts, context, schedule, "translation_x", "pan_x", default="0")
    _camera_value(file, parts, context, schedule, "translation_y", "pan_y", default="0")
    _camera_value(file, parts, context, schedule, "transform_center_x", "focus_x", default="0.5")
    _camera_value(file, parts, context, schedule, "transform_center_y", "focus_y", default="0.5")


# Deforum's 3D axes as ride's `move` and `turn` (DESIGN 1b: x right, y down, z forward; turn x tilts
# down, y turns right, z rolls counter-clockwise). Worked out from Deforum's anim_frame_warp_3d (the
# offset of each pixel's projection, before and after the camera's R and T, moves the picture):
# translation_x moves the camera right (the picture left: the opposite of its 2D translation_x, which
# moves the picture right), as ride's move_x does; translation_y moves the camera up, and
# rotation_3d_x tilts it up (both move the picture down), so both change sign; rotation_3d_y turns
# it right and rotation_3d_z rolls the picture counter-clockwise, as ride's turn does.
MOTION_3D = (("translation_x", "move_x", tracks.same), ("translation_y", "move_y", tracks.negated),
             ("translation_z", "move_z", tracks.same), ("rotation_3d_x", "turn_x", tracks.negated),
             ("rotation_3d_y", "turn_y", tracks.same), ("rotation_3d_z", "turn_z", tracks.same))


def _camera_3d(file, parts, context, schedule) -> None:
    for deforum, ride, convert in MOTION_3D:
        _camera_value(file, parts, context, schedule, deforum, ride, convert, default="0")
    if "fov_schedule" in file.data:
        _camera_value(file, parts, context, schedule, "fov_schedule", "fov", default="40")
    elif isinstance(file.get("fov"), (int, float)) and file.get("fov") != 40:
        parts.camera.append(("fov", Value(_num(file.get("fov"))), "Deforum's fov"))
    if not file.get("use_depth_warping", True):
        parts.camera.append(("depth", Value("none"), "Deforum's use_depth_warping off: a flat wall"))
    parts.header.append("Deforum's 3D translation_x moves the picture left (its 2D translation_x moves it right): "
                        "move_x keeps that, so the scene moves as it did in Deforum; Deforum's y and x-rotation point up, "
                        "so move_y and turn_x have the opposite sign")
    if file.format == COLAB:
        parts.header.append("the Colab notebook's 3D units are taken as ride's depth units")
