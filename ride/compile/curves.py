"""Expressions and keyframe curves, evaluated over the whole frame array at once.

An expression is a ride AST (never a Python string a user wrote): it is checked against
the allow-list here, printed as numexpr source, and evaluated once for all frames. This
is the only module that imports numexpr.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numexpr
import numpy as np

from ..errors import Diagnostics, did_you_mean
from ..language import nodes as n

# name -> number of arguments (numexpr's own functions)
FUNCTIONS = {
    "sin": 1, "cos": 1, "tan": 1, "arcsin": 1, "arccos": 1, "arctan": 1, "arctan2": 2,
    "sinh": 1, "cosh": 1, "tanh": 1, "sqrt": 1, "exp": 1, "log": 1, "log10": 1, "log2": 1,
    "abs": 1, "floor": 1, "ceil": 1, "round": 1, "sign": 1, "minimum": 2, "maximum": 2,
    "where": 3, "fmod": 2, "hypot": 2,
}
# ride's conveniences, rewritten into numexpr: name -> (arity, template)
MACROS = {
    "min": (2, "minimum({0}, {1})"),
    "max": (2, "maximum({0}, {1})"),
    "clip": (3, "minimum(maximum({0}, {1}), {2})"),
    "lerp": (3, "({0} + ({1} - {0}) * {2})"),
    "frac": (1, "({0} - floor({0}))"),
    "smoothstep": (1, "(minimum(maximum({0}, 0.0), 1.0) ** 2 * (3.0 - 2.0 * minimum(maximum({0}, 0.0), 1.0)))"),
}
TIME_VARIABLES = ("t", "sec", "n", "u", "fps", "beat")
CONSTANTS = {"pi": float(np.pi), "e": float(np.e)}
MAX_DEPTH = 64
MAX_NODES = 2000


@dataclass
class Compiled:
    """An expression as numexpr source, with what it reads."""

    source: str
    names: frozenset[str]


def compile_expr(expr: n.Expr, known: set[str], diagnostics: Diagnostics) -> Compiled | None:
    """Check `expr` against the allow-list; return numexpr source, or None after adding diagnostics."""
    before = len(diagnostics)
    names: set[str] = set()
    count = [0]
    source, _ = _emit(expr, known, diagnostics, names, depth=0, count=count)
    if count[0] > MAX_NODES:
        diagnostics.error("R308", f"expression is too long ({count[0]} parts)", expr.span,
                                f"the limit is {MAX_NODES}; split it with `let`")
    return Compiled(source, frozenset(names)) if len(diagnostics) == before else None


# numexpr keeps truth values and numbers apart (`-(t > 2)` and `t & 1` have no opcode), so each
# piece is emitted with its kind and converted where the other kind is needed.
_COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
_LEVELS = {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2, "&": 3, "|": 4}


def _number(piece: tuple[str, str]) -> str:
    source, kind = piece
    return f"where({source}, 1.0, 0.0)" if kind == "bool" else source


def _truth(piece: tuple[str, str]) -> str:
    source, kind = piece
    return source if kind == "bool" else f"({source} != 0.0)"


def _emit(expr, known, diagnostics, names, depth, count) -> tuple[str, str]:
    """numexpr source for `expr` and its kind: "num" or "bool"."""
    count[0] += 1
    if depth > MAX_DEPTH:
        if depth == MAX_DEPTH + 1:
            diagnostics.error("R308", "expression is nested too deeply", expr.span,
                                    f"the limit is {MAX_DEPTH} levels; split it with `let`")
        return "0.0", "num"
    emit = lambda e: _emit(e, known, diagnostics, names, depth + 1, count)  # noqa: E731
    if isinstance(expr, n.Num):
        if not np.isfinite(expr.value):
            diagnostics.error("R310", "number is too large", expr.span, "numbers must be finite")
        return repr(float(expr.value)), "num"
    if isinstance(expr, n.Name):
        return _name(expr, known, diagnostics, names), "num"
    if isinstance(expr, n.Call):
        return _call(expr, [emit(a) for a in expr.args], known, diagnostics), "num"
    if isinstance(expr, n.Unary):
        operand = emit(expr.operand)
        if expr.op == "~":
            return f"(~{_truth(operand)})", "bool"
        return f"({expr.op}{_number(operand)})", "num"
    if isinstance(expr, n.Binary):
        # a flat chain (1 + 2 + 3 + ...) is long, not deep: its left spine keeps the depth
        chained = isinstance(expr.left, n.Binary) and _LEVELS.get(expr.left.op) == _LEVELS.get(expr.op)
        left = _emit(expr.left, known, diagnostics, names, depth if chained else depth + 1, count)
        if chained:  # left-associative in numexpr (Python) too: its parentheses can go, and must,
            left = (left[0][1:-1], left[1])  # as Python's parser refuses 200 nested ones
        right = emit(expr.right)
        if expr.op in ("&", "|"):
            return f"({_truth(left)} {expr.op} {_truth(right)})", "bool"
        kind = "bool" if expr.op in _COMPARISONS else "num"
        return f"({_number(left)} {expr.op} {_number(right)})", kind
    raise TypeError(f"not an expression: {expr!r}")


def _name(expr: n.Name, known, diagnostics, names) -> str:
    if expr.id in CONSTANTS:
        return repr(CONSTANTS[expr.id])
    if expr.id not in known:
        hint = did_you_mean(expr.id, known | set(CONSTANTS))
        if expr.id in FUNCTIONS or expr.id in MACROS:
            hint = f"'{expr.id}' is a function: write {expr.id}(...)"
        diagnostics.error("R210", f"unknown name '{expr.id}'", expr.span, hint)
        return "0.0"
    names.add(expr.id)
    return expr.id


def _call(expr: n.Call, args: list[tuple[str, str]], known, diagnostics) -> str:
    if expr.func in FUNCTIONS:
        arity, template = FUNCTIONS[expr.func], None
    elif expr.func in MACROS:
        arity, template = MACROS[expr.func]
    else:
        hint = did_you_mean(expr.func, set(FUNCTIONS) | set(MACROS))
        if expr.func in known:
            hint = f"'{expr.func}' is a value, not a function"
        diagnostics.error("R211", f"unknown function '{expr.func}'", expr.span, hint)
        return "0.0"
    if len(args) != arity:
        plural = "s" if arity != 1 else ""
        diagnostics.error("R212", f"{expr.func}() takes {arity} argument{plural}, not {len(args)}",
                                expr.span, f"write {expr.func}({', '.join('xyz'[:arity])})")
        return "0.0"
    if expr.func == "where":  # a truth value, then two numbers
        return f"where({_truth(args[0])}, {_number(args[1])}, {_number(args[2])})"
    sources = [_number(a) for a in args]
    return template.format(*sources) if template else f"{expr.func}({', '.join(sources)})"


def evaluate(compiled: Compiled, env: Mapping[str, np.ndarray | float], length: int) -> np.ndarray:
    """Evaluate over all frames; always returns a float64 array of `length`."""
    local = {name: env[name] for name in compiled.names}
    with np.errstate(all="ignore"):
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
