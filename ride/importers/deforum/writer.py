"""The scene's lines: header comments, settings, camera, tracks, timeline, what was not imported.

The text is then put in `ride fmt`'s canonical layout (format_text), so an imported scene looks
like every other scene and `ride fmt --check` passes on it.
"""

from __future__ import annotations

from collections import Counter

from ...language.format import format_text
from ...language.unparse import quote
from .tracks import TrackKey, Value

CAMERA_PAIRS = (("pan", "pan_x", "pan_y"), ("focus", "focus_x", "focus_y"))
CAMERA_TRIPLES = (("move", "move_x", "move_y", "move_z"), ("turn", "turn_x", "turn_y", "turn_z"))


def scene_text(parts) -> str:
    lines = [f"# {h}" for h in parts.header]
    tracks: list[tuple[str, Value, str]] = []
    negative = _scene_negative(parts.prompts)
    for name, value, comment in parts.settings:
        if value.is_track:
            tracks.append((name, value, comment))
        else:
            lines.append(_line(f"{name} {value.text}", comment, value))
    if negative:
        lines.append(f"negative {quote(negative)}")
    camera, camera_tracks = _camera_split(parts.camera)
    tracks += camera_tracks
    if camera:
        lines += ["", "camera {"] + [f"  {line}" for line in _camera_lines(camera)] + ["}"]
    for name, value, comment in tracks:
        lines += ["", _line(f"track {name} {{", comment, value)]
        lines += [f"  {_key(k)}" for k in value.keys]
        lines.append("}")
    lines += ["", "timeline {"] + [f"  {line}" for line in _timeline(parts.prompts, negative)]
    lines += [f"  {parts.length} end", "}"]
    if parts.notes:
        lines += [""] + [f"# {note}" for note in parts.notes]
    return format_text("\n".join(lines) + "\n", "<import>")


def _line(text: str, comment: str, value: Value | None = None) -> str:
    comment = _comment(comment, value)
    return f"{text}  # {comment}" if comment else text


def _comment(comment: str, value: Value | None) -> str:
    return "; ".join(c for c in (comment, value.note if value else "") if c)


def _camera_split(values):
    """The camera's constant values, and its tracks: a part of `pan` (or `move`...) whose other part
    is a track is a track too (a one-key one), as `pan` would set both."""
    tracked = {name for name, value, _ in values if value.is_track}
    for group in CAMERA_PAIRS + CAMERA_TRIPLES:
        if tracked & set(group[1:]):
            tracked |= set(group[1:])
    camera, tracks = [], []
    for name, value, comment in values:
        if name not in tracked:
            camera.append((name, value, comment))
        elif value.is_track:
            tracks.append((name, value, comment))
        else:
            tracks.append((name, Value(keys=(TrackKey(0, value.text, ""),)), comment))
    return camera, tracks


def _camera_lines(camera) -> list[str]:
    values = {name: (value, comment) for name, value, comment in camera}
    out = []
    for group in CAMERA_PAIRS + CAMERA_TRIPLES:
        name, members = group[0], group[1:]
        if any(m in values for m in members):
            defaults = {"focus_x": "0.5", "focus_y": "0.5"}
            texts = [values[m][0].text if m in values else defaults.get(m, "0") for m in members]
            comments = [_comment(values[m][1], values[m][0]) for m in members if m in values]
            out.append(_line(f"{name} {', '.join(texts)}", "; ".join(comments)))
            for m in members:
                values.pop(m, None)
    for name, (value, comment) in values.items():
        out.append(_line(f"{name} {value.text}", comment, value))
    return out


def _key(key: TrackKey) -> str:
    text = f"{key.frame} {key.value}" + (f" {key.transition}" if key.transition and key.transition != "linear" else "")
    return _line(text, key.note)


def _scene_negative(prompts) -> str:
    counts = Counter(p.negative for p in prompts)
    return counts.most_common(1)[0][0] if counts else ""


def _timeline(prompts, negative: str) -> list[str]:
    out = []
    previous = None
    for frame, p in enumerate(prompts):
        if p == previous:
            continue
        previous = p
        line = f"{frame} {quote(p.positive)}"
        if p.negative != negative:
            line += f" negative {quote(p.negative)}"
        out.append(line)
    return out
