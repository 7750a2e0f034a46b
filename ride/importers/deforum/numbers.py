"""Deforum's expressions as ride expressions, and Deforum's schedule semantics over the frames.

Deforum hands a value's text to numexpr with `t` (the frame), `max_f` (max_frames - 1) and `s`
(the seed) in scope. ride reads numexpr's language too, so an expression keeps its text; only
the names change: `max_f` becomes `(n - 1)`, `s` the seed, and every function must be on ride's
allow-list (it is checked by ride's own expression compiler, never by Python's eval).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...compile.curves import TIME_VARIABLES, compile_expr, evaluate
from ...errors import Diagnostics, RideError
from ...language import nodes as n
from ...language.syntax import parse
from ...language.unparse import expr as unparse_expr
from .schedules import Schedule
from .source import COLAB, DeforumFile


@dataclass(frozen=True)
class Context:
    """What a Deforum expression may read besides `t`: the frame count and the seed (None: random)."""

    file: DeforumFile
    length: int
    seed: int | None


def translate(context: Context, text: str, name: str, show: str) -> n.Expr:
    """Deforum's expression text as a ride expression AST (max_f, s and i replaced)."""
    diagnostics = Diagnostics("<deforum>", text)
    script = parse(f"let deforum_value = {text}\n", "<deforum>", diagnostics)
    if diagnostics or script is None or len(script.statements) != 1 or not isinstance(script.statements[0], n.Let):
        raise context.file.fail(name, f"{show}: '{text}' is not an expression ride can read",
                                "Deforum's values are numexpr expressions: numbers, t, + - * / % **, sin(...)", "R393")
    tree = _rename(script.statements[0].expr, context, name, show)
    check = Diagnostics("<deforum>", text)
    compile_expr(tree, set(TIME_VARIABLES), check)
    if check:
        problem = check.problems[0]
        raise context.file.fail(name, f"{show}: {problem.message} in '{text}'", problem.hint, "R393")
    return tree


def _rename(e: n.Expr, context: Context, name: str, show: str) -> n.Expr:
    if isinstance(e, n.Name) and e.id in ("max_f", "s", "i") and context.file.format == COLAB:
        raise context.file.fail(name, f"{show}: reads '{e.id}', which the Colab notebook does not define (its "
                                "schedules read only t)", "write the number it stands for", "R393")
    if isinstance(e, n.Name):
        if e.id == "max_f":
            return n.Binary("-", n.Name("n"), n.Num(1.0))
        if e.id == "i":  # the loop variable of Deforum's get_inbetweens, the frame like t
            return n.Name("t")
        if e.id == "s":
            if context.seed is None:
                raise context.file.fail(name, f"{show}: reads the seed `s`, but the seed is -1 (a random one "
                                        "Deforum draws when it starts)", "set `seed` in the file to the seed "
                                        "you want, then import it again", "R394")
            return n.Num(float(context.seed))
        if e.id not in ("t",):
            raise context.file.fail(name, f"{show}: unknown name '{e.id}' (Deforum's schedules read t, "
                                    "max_f and s)", "", "R393")
        return e
    if isinstance(e, n.Call):
        return n.Call(e.func, tuple(_rename(a, context, name, show) for a in e.args))
    if isinstance(e, n.Unary):
        return n.Unary(e.op, _rename(e.operand, context, name, show))
    if isinstance(e, n.Binary):
        return n.Binary(e.op, _rename(e.left, context, name, show), _rename(e.right, context, name, show))
    return e


def text(e: n.Expr) -> str:
    return unparse_expr(e)


def reads_time(e: n.Expr) -> bool:
    if isinstance(e, n.Name):
        return True  # after _rename only t and n are left
    if isinstance(e, n.Call):
        return any(reads_time(a) for a in e.args)
    if isinstance(e, n.Unary):
        return reads_time(e.operand)
    if isinstance(e, n.Binary):
        return reads_time(e.left) or reads_time(e.right)
    return False


def values(e: n.Expr, frames: np.ndarray, length: int) -> np.ndarray:
    """The expression at the given frames (as ride's compiler evaluates it)."""
    diagnostics = Diagnostics("<deforum>")
    compiled = compile_expr(e, set(TIME_VARIABLES), diagnostics)
    if compiled is None:
        raise RideError(diagnostics.problems[0])
    env = {"t": frames.astype(np.float64), "n": float(length)}
    return evaluate(compiled, env, len(frames))


def values_one_by_one(e: n.Expr, frames: np.ndarray, length: int) -> np.ndarray:
    """The expression at each frame with `t` written as that frame's number, as Deforum evaluates a
    prompt's backticks: numexpr then works the constants out in Python, and so does ride, so the
    printed number is the same to the last digit."""
    out = []
    for frame in frames:
        diagnostics = Diagnostics("<deforum>")
        compiled = compile_expr(_at(e, {"t": float(frame), "n": float(length)}), set(TIME_VARIABLES), diagnostics)
        if compiled is None:
            raise RideError(diagnostics.problems[0])
        # folded to a constant (its repr, exactly), as it always is once t is a number
        out.append(float(compiled.source) if not compiled.names else evaluate(compiled, {}, 1)[0])
    return np.array(out)


def _at(e: n.Expr, names: dict[str, float]) -> n.Expr:
    if isinstance(e, n.Name) and e.id in names:
        return n.Num(names[e.id])
    if isinstance(e, n.Call):
        return n.Call(e.func, tuple(_at(a, names) for a in e.args))
    if isinstance(e, n.Unary):
        return n.Unary(e.op, _at(e.operand, names))
    if isinstance(e, n.Binary):
        return n.Binary(e.op, _at(e.left, names), _at(e.right, names))
    return e


def key_frame(context: Context, text: str, name: str, show: str) -> int:
    """A key written as an expression (`max_f-2`): int() of its value, as Deforum does."""
    value = values(translate(context, text, name, show), np.zeros(1), context.length)[0]
    if not np.isfinite(value):
        raise context.file.fail(name, f"{show}: the key '{text}' is not a number", "", "R392")
    return int(value)


def deforum_series(schedule: Schedule, exprs: dict[int, n.Expr], length: int) -> np.ndarray:
    """Deforum's get_inbetweens: number keys interpolated linearly, an expression key evaluated at
    every frame until the next key, the first and last values held."""
    out = np.full(length, np.nan)
    keys = schedule.keys
    for i, key in enumerate(keys):
        end = keys[i + 1].frame if i + 1 < len(keys) else length
        if key.number is not None:
            out[key.frame] = key.number
        else:
            out[key.frame:end] = values(exprs[key.frame], np.arange(key.frame, end), length)
    valid = np.flatnonzero(~np.isnan(out))
    if len(valid) == 0:
        return out
    return np.interp(np.arange(length), valid, out[valid])  # holds the ends, as Deforum's fill does


def expressions(context: Context, schedule: Schedule) -> dict[int, n.Expr]:
    show = f'{schedule.name}: "{schedule.raw}"'
    return {k.frame: translate(context, k.text, schedule.name, show) for k in schedule.keys if k.number is None}
