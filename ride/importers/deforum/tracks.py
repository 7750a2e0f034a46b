"""A Deforum schedule as the ride value a person would write, with Deforum's meaning exactly.

- one number (or equal numbers at every key): a constant;
- one expression key at frame 0: the expression;
- otherwise a track. Number keys arrive `linear` (Deforum interpolates them); a key after an
  expression key arrives by `hold`, so the expression is re-evaluated at every frame until that
  key, as Deforum does. Deforum interpolates from a number key to the *value* an expression key
  has at its own frame, so an expression key after a number key becomes two ride keys: that
  value at the key (arriving linearly), then the expression from the next frame on.
A `convert` maps Deforum's values to ride's (strength's complement, a sign) on numbers and on
expressions alike: every conversion is affine, so it commutes with linear interpolation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ...language import nodes as n
from . import numbers
from .schedules import Schedule

Convert = Callable[[n.Expr], n.Expr]


def same(e: n.Expr) -> n.Expr:
    return e


def negated(e: n.Expr) -> n.Expr:
    return _fold(n.Unary("-", e))


def complement(e: n.Expr) -> n.Expr:
    """ride's strength from Deforum's strength_schedule: 1 - s (Deforum clamps s to 0..1 first)."""
    return _fold(n.Binary("-", n.Num(1.0), e))


def clipped(lo: float, hi: float) -> Convert:
    return lambda e: _fold(n.Call("clip", (e, n.Num(lo), n.Num(hi))))


def _fold(e: n.Expr) -> n.Expr:
    """A conversion of a plain number is written as the number it gives (0.35, not 1 - 0.65)."""
    if isinstance(e, n.Unary) and isinstance(e.operand, n.Num):
        return n.Num(-e.operand.value)
    if isinstance(e, n.Binary) and isinstance(e.left, n.Num) and isinstance(e.right, n.Num):
        return n.Num(round(e.left.value - e.right.value, 12))
    if isinstance(e, n.Call) and e.func == "clip" and all(isinstance(a, n.Num) for a in e.args):
        x, lo, hi = (a.value for a in e.args)
        return n.Num(min(max(x, lo), hi))
    return e


@dataclass(frozen=True)
class TrackKey:
    frame: int
    value: str
    transition: str  # "" (the first key), "linear" or "hold"
    note: str = ""


@dataclass(frozen=True)
class Value:
    """A setting's ride value: `constant` or `expression` text, or track `keys`."""

    text: str = ""
    keys: tuple[TrackKey, ...] = ()
    note: str = ""  # said beside the setting: keys Deforum ignores

    @property
    def is_track(self) -> bool:
        return bool(self.keys)


def ride_value(context: numbers.Context, schedule: Schedule, convert: Convert = same) -> Value:
    value = _ride_value(context, schedule, convert)
    if not schedule.ignored:
        return value
    frames = ", ".join(str(f) for f in schedule.ignored)
    return replace(value, note=f"Deforum ignores its key(s) at {frames}: past the last frame")


def _ride_value(context: numbers.Context, schedule: Schedule, convert: Convert) -> Value:
    exprs = numbers.expressions(context, schedule)
    keys = _needed(schedule.keys)
    if schedule.is_constant:
        return Value(_number(convert(n.Num(keys[0].number))))
    if len(keys) == 1:
        return Value(numbers.text(convert(exprs[0])))
    out: list[TrackKey] = []
    for i, key in enumerate(keys):
        previous_is_expression = i > 0 and keys[i - 1].number is None
        arrive = "" if i == 0 else ("hold" if previous_is_expression else "linear")
        note = key.frame_text
        if key.number is not None:
            out.append(TrackKey(key.frame, _number(convert(n.Num(key.number))), arrive, note))
            continue
        expr = exprs[key.frame]
        if arrive != "linear" or not numbers.reads_time(expr):
            out.append(TrackKey(key.frame, numbers.text(convert(expr)), arrive, note))
            continue
        at_key = numbers.values(expr, np.array([key.frame]), context.length)[0]
        out.append(TrackKey(key.frame, _number(convert(n.Num(float(at_key)))), "linear",
                            note or "the expression's value here (Deforum interpolates toward it)"))
        end = keys[i + 1].frame if i + 1 < len(keys) else context.length
        if key.frame + 1 < end:
            out.append(TrackKey(key.frame + 1, numbers.text(convert(expr)), "hold"))
    return Value(keys=tuple(out))


def _needed(keys) -> tuple:
    """Deforum's keys less the number keys a line through their neighbours already gives (0.45 at 12,
    22 and 42: 22 says nothing), and a last number key that repeats the one before it."""
    out = list(keys)
    i = 1
    while i < len(out):
        a, b = out[i - 1], out[i]
        c = out[i + 1] if i + 1 < len(out) else None
        numbers_only = a.number is not None and b.number is not None and not b.frame_text
        if numbers_only and c is None and a.number == b.number:
            del out[i]
            continue
        if numbers_only and c is not None and c.number is not None:
            between = a.number + (c.number - a.number) * (b.frame - a.frame) / (c.frame - a.frame)
            if abs(between - b.number) <= 1e-12 * max(1.0, abs(b.number)):
                del out[i]
                continue
        i += 1
    return tuple(out)


def _number(e: n.Expr) -> str:
    if isinstance(e, n.Num):
        return numbers.text(n.Num(float(f"{e.value:.12g}")))
    return numbers.text(e)


def series(context: numbers.Context, schedule: Schedule) -> np.ndarray:
    """Deforum's per-frame values of the schedule (before any conversion)."""
    return numbers.deforum_series(schedule, numbers.expressions(context, schedule), context.length)
