"""A Parseq manifest: `rendered_frames` holds every frame's values, imported as per-frame tracks.

Deforum reads the motion fields' `_delta` values (the change per frame, its default
parseq_use_deltas) and the other fields as they are; `deforum_prompt` is "positive --neg negative".
A key is written only where the value leaves the straight line between its neighbours, so a
linear stretch is two keys, and every frame's value is still the manifest's.
"""

from __future__ import annotations

import numpy as np

from . import numbers, prompts
from .parts import Parts
from .tracks import TrackKey, Value

# Parseq field -> (ride setting, convert, in the camera); motion fields use their _delta first
FIELDS = (("zoom", "zoom", None, True), ("angle", "rotate", None, True),
          ("translation_x", "pan_x", None, True), ("translation_y", "pan_y", None, True),
          ("transform_center_x", "focus_x", None, True), ("transform_center_y", "focus_y", None, True),
          ("strength", "strength", "complement", False), ("noise", "noise", None, False),
          ("scale", "guidance", None, False), ("seed", "seed", "floor", False))
MOTION = {"zoom", "angle", "translation_x", "translation_y"}
UNSUPPORTED = ("translation_z", "rotation_3d_x", "rotation_3d_y", "rotation_3d_z", "contrast", "subseed",
               "subseed_strength", "antiblur_kernel", "antiblur_amount", "perspective_flip_theta")


def parts(file) -> Parts:
    frames = file.get("rendered_frames")
    if not isinstance(frames, list) or not frames or not all(isinstance(f, dict) and isinstance(f.get("frame"), int)
                                                            for f in frames):
        raise file.fail("rendered_frames", "rendered_frames: not a list of frames with a 'frame' number",
                        "export the manifest again from Parseq", "R398")
    length = max(f["frame"] for f in frames) + 1
    if length > 1_000_000:
        raise file.fail("rendered_frames", f"rendered_frames: {length} frames, more than 1,000,000", "", "R398")
    out = Parts(length=length)
    options = file.get("options") if isinstance(file.get("options"), dict) else {}
    fps = options.get("output_fps")
    if isinstance(fps, (int, float)) and 0 < fps <= 240:
        out.settings.append(("fps", Value(_number(fps)), "Parseq's output_fps"))
    cadence = options.get("cadence")
    if isinstance(cadence, int) and cadence > 1:
        out.settings.append(("cadence", Value(str(cadence)), "Parseq's cadence"))
    first = frames[0]
    for field, ride, convert, camera in FIELDS:
        name = f"{field}_delta" if field in MOTION and f"{field}_delta" in first else field
        if name not in first:
            continue
        values = _column(file, frames, name, length)
        if convert == "complement":
            values = 1.0 - np.clip(values, 0.0, 1.0)
        elif convert == "floor":
            values = np.trunc(values)  # Deforum int()s the seed
        value = _track(values)
        (out.camera if camera else out.settings).append((ride, value, f"Parseq's {name}"))
    for field in UNSUPPORTED:
        if field in first and np.any(_column(file, frames, field, length) != 0):
            out.unsupported(f"not imported: Parseq's {field} (a 3D or other field this import does not map)")
    if "deforum_prompt" in first:
        table = {str(f["frame"]): str(f.get("deforum_prompt", "")) for f in frames}
        context = numbers.Context(file, length, None)
        out.prompts = [_split(p) for p in prompts.filled(context, "rendered_frames", table)]
    else:
        out.prompts = [prompts.FramePrompt("", "")] * length
        out.unsupported("not imported: the manifest has no deforum_prompt: the timeline's prompt is empty")
    out.header.append("the manifest has no size, seed behaviour or 2D/3D mode: set them here")
    return out


def _split(prompt: str) -> prompts.FramePrompt:
    positive, *after = prompt.strip().split("--neg")
    return prompts.FramePrompt(positive.strip(), "".join(after).strip())


def _column(file, frames, name: str, length: int) -> np.ndarray:
    values = np.full(length, np.nan)
    for f in frames:
        v = f.get(name)
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise file.fail("rendered_frames", f"rendered_frames: frame {f['frame']}: {name} is {v!r}, not a number",
                            "", "R398")
        values[f["frame"]] = v
    valid = np.flatnonzero(~np.isnan(values))
    return np.interp(np.arange(length), valid, values[valid])  # frames Parseq left out hold its last value


def _track(values: np.ndarray) -> Value:
    if np.all(values == values[0]):
        return Value(_number(values[0]))
    keep = [0]
    for i in range(1, len(values) - 1):  # key i is needed when the line from the last key to i + 1 misses
        a, b = keep[-1], i + 1
        between = np.arange(a + 1, b)
        line = values[a] + (values[b] - values[a]) * (between - a) / (b - a)
        if np.max(np.abs(line - values[a + 1:b])) > 1e-9:
            keep.append(i)
    keep.append(len(values) - 1)
    return Value(keys=tuple(TrackKey(i, _number(values[i]), "linear" if j else "") for j, i in enumerate(keep)))


def _number(x: float) -> str:
    return numbers.text(numbers.n.Num(float(f"{float(x):.12g}")))
