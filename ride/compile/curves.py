"""Expressions and keyframe curves, evaluated over the whole frame array at once.

An expression is a ride AST (never a Python string a user wrote): it is checked against
the allow-list and printed as numexpr source (expressions.py), and evaluated here once for all
frames. This is the only module that imports numexpr.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numexpr
import numpy as np

from ..errors import Diagnostics
from ..language import nodes as n
from .expressions import CONSTANTS, FUNCTIONS, MACROS, PREFIX, TIME_VARIABLES, Compiled, compile_expr

__all__ = ["CONSTANTS", "FUNCTIONS", "MACROS", "TIME_VARIABLES", "Compiled", "compile_expr", "evaluate",
           "CurveKey", "ease", "cubic_bezier", "evaluate_keys", "check_transition"]


def evaluate(compiled: Compiled, env: Mapping[str, np.ndarray | float], length: int) -> np.ndarray:
    """Evaluate over all frames; always returns a float64 array of `length`."""
    local = {PREFIX + name: env[name] for name in compiled.names}  # names as compile_expr printed them
    with np.errstate(all="ignore"):  # inf and nan are range errors of the value's setting, not warnings
        result = numexpr.evaluate(compiled.source, local_dict=local, global_dict={})
    result = np.asarray(result, dtype=np.float64)
    if result.shape != (length,):
        result = np.broadcast_to(result, (length,)).copy()
    return result


# ---- keys and transitions ----------------------------------------------------------------


@dataclass
class CurveKey:
    """A key resolved to a frame position, with its value: a number, or an array over the frames
    from `lo` that read it (key_ranges)."""

    frame: float
    value: np.ndarray | float
    transition: n.Transition | None
    lo: int = 0

    def at(self, lo: int, hi: int) -> np.ndarray | float:
        """The value over frames [lo, hi)."""
        if np.ndim(self.value) == 0:
            return self.value
        return self.value[lo - self.lo:hi - self.lo]


def key_ranges(frames: list[float], length: int) -> list[tuple[int, int]]:
    """The frames [lo, hi) on which each key's value is read by evaluate_keys: key i shapes the
    segments from key i-2 to key i+2 (a cubic segment reads the keys either side of it), the
    first key also the frames before it, the last key those after it."""
    bounds = [min(max(int(np.ceil(f)), 0), length) for f in frames]
    last = len(frames) - 1
    return [(0 if i == 0 else bounds[max(i - 2, 0)], length if i == last else bounds[min(i + 2, last)])
            for i in range(len(frames))]


# A morph's or a loop closure's eased position is a blend weight: an overshoot (CSS's "back"
# easings reach about -0.55 and 1.55) is a style, a weight of 1e300 is an embedding of inf.
BLEND_OVERSHOOT = (-1.0, 2.0)


def check_transition(transition: n.Transition | None, diagnostics: Diagnostics, blend: bool = False) -> None:
    """A transition's own numbers, wherever it is written (a track key; `morph` and `loop close`
    with `blend`, whose y values are bounded too)."""
    if transition is None or transition.kind != "bezier":
        return
    x1, y1, x2, y2 = transition.points
    if not (0 <= x1 <= 1 and 0 <= x2 <= 1):
        diagnostics.error("R316", "bezier x values must be between 0 and 1", transition.span,
                          "as in CSS: bezier(x1, y1, x2, y2) with x1 and x2 in [0, 1]")
    elif blend and not all(BLEND_OVERSHOOT[0] <= y <= BLEND_OVERSHOOT[1] for y in (y1, y2)):
        diagnostics.error("R316", "bezier y values of a morph or a loop closure must be between -1 and 2",
                          transition.span, "the eased position is a blend weight: e.g. bezier(0.3, -0.5, 0.7, 1.5)")


def ease(transition: n.Transition | None, p: np.ndarray) -> np.ndarray:
    """Map progress p in [0, 1) to weight of the arriving value, per transition."""
    kind = transition.kind if transition else "linear"
    if kind == "linear" or kind == "cubic":  # cubic shapes the values, not the progress
        return p
    if kind == "hold":
        return np.zeros_like(p)
    if kind == "ease":
        mode = transition.mode or "in_out"
        if mode == "in":
            return p * p
        if mode == "out":
            return 1.0 - (1.0 - p) ** 2
        return p * p * (3.0 - 2.0 * p)
    if kind == "bezier":
        return cubic_bezier(*transition.points, p)
    raise ValueError(f"unknown transition {kind}")


def cubic_bezier(x1: float, y1: float, x2: float, y2: float, p: np.ndarray) -> np.ndarray:
    """CSS cubic-bezier(x1, y1, x2, y2): solve x(s) = p by bisection (x is monotonic), return y(s)."""
    lo = np.zeros_like(p)
    hi = np.ones_like(p)
    for _ in range(40):
        s = (lo + hi) / 2
        x = _bezier(x1, x2, s)
        below = x < p
        lo = np.where(below, s, lo)
        hi = np.where(below, hi, s)
    y = _bezier(y1, y2, (lo + hi) / 2)
    return np.where(p <= 0, 0.0, np.where(p >= 1, 1.0, y))  # exact at the keys, whatever bisection left


def _bezier(a: float, b: float, s: np.ndarray) -> np.ndarray:
    return 3 * a * s * (1 - s) ** 2 + 3 * b * s * s * (1 - s) + s**3


def evaluate_keys(keys: list[CurveKey], length: int) -> np.ndarray:
    """Values for every frame: each key's value holds exactly at its time; between two keys
    the later key's transition governs how its value arrives (expression values cross-fade).
    A key's value is read only over key_ranges' frames."""
    frames = np.arange(length, dtype=np.float64)
    out = np.empty(length)
    first = min(max(int(np.ceil(keys[0].frame)), 0), length)
    out[:first] = keys[0].at(0, first)
    for i in range(len(keys) - 1):
        a, b = keys[i], keys[i + 1]
        lo = int(np.ceil(a.frame))
        hi = int(np.ceil(b.frame))  # frames in [a.frame, b.frame)
        lo, hi = max(lo, 0), min(hi, length)
        if hi <= lo:
            continue
        span = b.frame - a.frame
        p = (frames[lo:hi] - a.frame) / span
        if b.transition is not None and b.transition.kind == "cubic":
            out[lo:hi] = _hermite(keys, i, lo, hi, p)
        else:
            w = ease(b.transition, p)
            start, end = a.at(lo, hi), b.at(lo, hi)
            out[lo:hi] = start + (end - start) * w
    last = keys[-1]
    start = max(int(np.ceil(last.frame)), 0)
    if start < length:
        out[start:] = last.at(start, length)
    return out


def _hermite(keys: list[CurveKey], i: int, lo: int, hi: int, p: np.ndarray) -> np.ndarray:
    """Catmull-Rom through the key values (finite-difference tangents, flat beyond the ends)."""
    k0, k1 = keys[i], keys[i + 1]
    prev = keys[i - 1] if i > 0 else k0
    nxt = keys[i + 2] if i + 2 < len(keys) else k1
    v0, v1, before, after = (k.at(lo, hi) for k in (k0, k1, prev, nxt))
    seg = k1.frame - k0.frame
    m0 = (v1 - before) / max(k1.frame - prev.frame, 1e-9) * seg
    m1 = (after - v0) / max(nxt.frame - k0.frame, 1e-9) * seg
    p2, p3 = p * p, p * p * p
    return ((2 * p3 - 3 * p2 + 1) * v0 + (p3 - 2 * p2 + p) * m0
            + (-2 * p3 + 3 * p2) * v1 + (p3 - p2) * m1)
