"""Deforum's keyframe strings (`"0: (1.0), 30: (1.02+0.01*sin(t/5))"`), parsed by Deforum's own rules.

Two parsers wrote these strings' meaning:
- the A1111 extension (animation_key_frames.py) splits at every `,` and then at `:`; a key is a
  number or an expression of `max_f` and `s`; a value is a number when, without quotes and
  parentheses, it matches Deforum's number pattern, else an expression. What it reads wrong
  (a comma inside a call, a second `:`, no `:` at all) is an error here, with the fix.
- the Colab notebook (helpers/animation.py) finds `N: (value)` with a regular expression, so
  commas inside calls work there and the parentheses are required.
Keys at or beyond max_frames are ignored (Deforum never reads them); a later duplicate replaces
an earlier one; the schedule must have a key at frame 0, or Deforum stops with a NameError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .source import COLAB, DeforumFile

# Deforum's check_is_number: "1", "-0.5", ".5"; not "1.", "1e-3" or " 1" (those are expressions)
NUMBER = re.compile(r"^(?=.)([+-]?([0-9]*)(\.([0-9]+))?)$")
_COLAB_KEY = re.compile(r"((?P<frame>[0-9]+):[\s]*\((?P<param>[\S\s]*?)\)([,][\s]?|[\s]?$))")


@dataclass(frozen=True)
class Key:
    frame: int
    text: str  # the value as written (an expression's source, parentheses included)
    number: float | None  # the value when Deforum reads it as a number (interpolated), else None
    frame_text: str = ""  # the key as written, when it was an expression (`max_f-2`)


@dataclass(frozen=True)
class Schedule:
    name: str
    raw: str
    keys: tuple[Key, ...]  # in frame order, only those inside 0..max_frames-1
    ignored: tuple[int, ...] = ()  # keys at or past max_frames (or negative): Deforum never reads them

    @property
    def is_constant(self) -> bool:
        return all(k.number is not None for k in self.keys) and len({k.number for k in self.keys}) == 1


def sanitize(text: str) -> str:
    return text.replace("'", "").replace('"', "").replace("(", "").replace(")", "")


def parse_schedule(file: DeforumFile, name: str, frame_of, max_frames: int) -> Schedule:
    """`frame_of(text)` evaluates a key written as an expression (max_f, s) to a frame number."""
    raw = file.get(name)
    show = f'{name}: {_show(raw)}'
    if isinstance(raw, bool) or isinstance(raw, (int, float)):
        raise file.fail(name, f"{show}: a bare number, not a schedule",
                        f'Deforum needs keyframes: write "0: ({raw})"', "R392")
    if not isinstance(raw, str):
        raise file.fail(name, f"{show}: a schedule is a text like \"0: (1.0), 30: (2.0)\"", code="R392")
    found = _colab_keys(raw) if file.format == COLAB else _webui_keys(file, name, raw, show, frame_of)
    if not found:
        raise file.fail(name, f"{show}: no keyframes in it", 'write keyframes as "0: (1.0), 30: (2.0)"', "R392")
    keys: dict[int, Key] = {}
    for key in found:  # a later key at the same frame replaces the earlier, as in Deforum's dict
        keys[key.frame] = key
    inside = [keys[f] for f in sorted(keys) if 0 <= f < max_frames]
    if not inside or inside[0].frame != 0:
        first = f"its first key is at frame {inside[0].frame}" if inside else "it has no key before max_frames"
        raise file.fail(name, f"{show}: no key at frame 0 ({first}; Deforum stops with a NameError)",
                        f'add a key at frame 0, e.g. "0: ({(inside or found)[0].text.strip("()") or 0})", ...', "R392")
    ignored = tuple(f for f in sorted(keys) if not 0 <= f < max_frames)
    return Schedule(name, raw, tuple(inside), ignored)


def _webui_keys(file: DeforumFile, name: str, raw: str, show: str, frame_of) -> list[Key]:
    keys = []
    for part in raw.split(","):
        pieces = part.split(":")
        if len(pieces) == 1:
            if keys and keys[-1].text.count("(") > keys[-1].text.count(")"):
                raise file.fail(name, f"{show}: a comma inside a call: Deforum splits the schedule at every "
                                f"',', so '{part.strip()}' is no key", "Deforum's A1111 extension cannot read a "
                                "function of two arguments in a schedule: rewrite it without the comma", "R393")
            hint = f'write "0: ({raw.strip()})"' if NUMBER.match(sanitize(raw.strip())) else \
                "each key is `frame: (value)`, separated by commas"
            raise file.fail(name, f"{show}: '{part.strip()}' has no ':' (Deforum stops with an IndexError)", hint, "R392")
        if len(pieces) > 2:
            raise file.fail(name, f"{show}: a key has two ':' (Deforum would read '{pieces[1].strip()}' "
                            "as the value and drop the rest)", "each key is `frame: (value)`: remove the extra `N:`",
                            "R392")
        key_text, value = pieces[0], pieces[1].strip()
        bare = sanitize(key_text.strip())
        if NUMBER.match(bare):
            try:
                frame = int(sanitize(key_text))
            except ValueError:
                raise file.fail(name, f"{show}: the key '{key_text.strip()}' is not a whole frame number",
                                "keys are frame numbers: 0, 30, ...", "R392") from None
            frame_text = ""
        else:
            frame_text = _unquote(key_text.strip())
            frame = frame_of(frame_text, name, show)
        if not value:
            raise file.fail(name, f"{show}: the key at frame {frame} has no value", "write `frame: (value)`", "R392")
        keys.append(_key(frame, value, sanitize(value), frame_text))
    return keys


def _colab_keys(raw: str) -> list[Key]:
    return [_key(int(m.group("frame")), m.group("param"), m.group("param")) for m in _COLAB_KEY.finditer(raw)]


def _key(frame: int, text: str, bare: str, frame_text: str = "") -> Key:
    return Key(frame, text, float(bare) if NUMBER.match(bare) else None, frame_text)


def _unquote(text: str) -> str:
    """Deforum removes one quote from each end of a key written as an expression (`"max_f-2"`)."""
    text = text.replace("'", "", 1).replace('"', "", 1)
    return text[::-1].replace("'", "", 1).replace('"', "", 1)[::-1]


def _show(raw) -> str:
    import json

    text = json.dumps(raw, ensure_ascii=False) if not isinstance(raw, str) else '"' + raw + '"'
    return text if len(text) <= 120 else text[:117] + '..."'
