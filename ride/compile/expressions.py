"""An expression's AST -> numexpr source, checked against the allow-list, its constants folded.

numexpr gets only source ride printed: every name a user wrote is mangled (`v_` + name), so a
`let` called `lambda`, `None` or `True` is a name like any other; and ride works out every
constant part itself, with guarded arithmetic, so `1/0`, `1 % 0` or `10 ** 400` is an error at
its own span rather than an exception inside numexpr (which folds constants in Python, and
turns a comparison of two constants into a Python bool it cannot combine with an array).

A flat chain (`t + t + ...`, 1,500 terms) is long, not deep: its left spine is walked in a loop
and printed as a balanced tree, so neither ride nor numexpr (nor Python's parser, which numexpr
uses) recurses once per term.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

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
# The same functions on constants, for folding (numpy, as numexpr computes them on arrays).
_ON_CONSTANTS: dict[str, Callable] = {
    **{name: getattr(np, name) for name in FUNCTIONS if name not in ("abs", "where")},
    "abs": np.abs, "min": np.minimum, "max": np.maximum,
    "clip": lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
    "lerp": lambda a, b, p: a + (b - a) * p,
    "frac": lambda x: x - np.floor(x),
    "smoothstep": lambda x: np.clip(x, 0.0, 1.0) ** 2 * (3.0 - 2.0 * np.clip(x, 0.0, 1.0)),
}
# The music's curves (compile/music.py) vary per frame like `t`: they are time variables too.
MUSIC_VARIABLES = ("level", "onset", "bass", "mid", "treble")
TIME_VARIABLES = ("t", "sec", "n", "u", "fps", "beat", *MUSIC_VARIABLES)
CONSTANTS = {"pi": float(np.pi), "e": float(np.e)}
MAX_DEPTH = 64
MAX_PARTS = 2000  # numbers, names and calls
MAX_EXPONENT = 1000.0  # a constant power beyond this overflows (or underflows) anyway
PREFIX = "v_"  # every name a user wrote, as numexpr sees it

_COMPARISONS = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__,
                "==": float.__eq__, "!=": float.__ne__}
_LEVELS = {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2, "&": 3, "|": 4}


@dataclass
class Compiled:
    """An expression as numexpr source, with the (unmangled) names it reads."""

    source: str
    names: frozenset[str]


@dataclass(frozen=True)
class _Piece:
    """A printed part of an expression: numexpr keeps truth values ("bool") and numbers ("num")
    apart (`-(t > 2)` and `t & 1` have no opcode), so each is converted where the other is needed.
    A constant part has its value, and is never given to numexpr to work out."""

    source: str
    kind: str
    value: float | bool | None = None

    @property
    def number(self) -> str:
        if self.value is not None:
            return repr(float(self.value))
        return f"where({self.source}, 1.0, 0.0)" if self.kind == "bool" else self.source

    @property
    def truth(self) -> str:  # never asked of a constant: the callers simplify those away
        return self.source if self.kind == "bool" else f"({self.source} != 0.0)"


def _constant(value: float | bool) -> _Piece:
    if isinstance(value, bool):
        return _Piece("", "bool", value)
    return _Piece(repr(float(value)), "num", float(value))


# R307, whether ride finds it folding a constant or numexpr at evaluation
NO_FINITE_VALUE = "this expression divides by zero or overflows"
NO_FINITE_VALUE_HINT = "check the numbers in it; a value that is infinite on some frame is out of range anyway"
_UNKNOWN = _Piece("0.0", "num")  # stands in for a part already reported (never evaluated)


def compile_expr(expr: n.Expr, known: set[str], diagnostics: Diagnostics) -> Compiled | None:
    """Check `expr` against the allow-list; return numexpr source, or None after adding diagnostics."""
    before = len(diagnostics)
    emitter = _Emitter(known, diagnostics)
    piece = emitter.emit(expr, 0)
    if emitter.parts > MAX_PARTS:
        diagnostics.error("R308", f"expression is too long ({emitter.parts} parts)", expr.span,
                          f"the limit is {MAX_PARTS:,} numbers and names; split it with `let`")
    if len(diagnostics) != before:
        return None
    return Compiled(piece.number, frozenset(emitter.names))


class _Emitter:
    def __init__(self, known: set[str], diagnostics: Diagnostics):
        self.known = known
        self.diagnostics = diagnostics
        self.names: set[str] = set()
        self.parts = 0
        self.too_deep = False

    def fail(self, span, message: str, hint: str) -> _Piece:
        self.diagnostics.error("R307", message, span, hint)
        return _UNKNOWN

    def emit(self, expr: n.Expr, depth: int) -> _Piece:
        if depth > MAX_DEPTH:
            if not self.too_deep:
                self.too_deep = True
                self.diagnostics.error("R308", "expression is nested too deeply", expr.span,
                                       f"the limit is {MAX_DEPTH} levels; split it with `let`")
            return _UNKNOWN
        if isinstance(expr, n.Num):
            self.parts += 1
            if not math.isfinite(expr.value):  # the parser reports these; a node built in Python may hold one
                self.diagnostics.error("R310", "number is too large", expr.span, "numbers must be finite")
                return _UNKNOWN
            return _constant(expr.value)
        if isinstance(expr, n.Name):
            self.parts += 1
            return self.name(expr)
        if isinstance(expr, n.Call):
            self.parts += 1
            return self.call(expr, [self.emit(a, depth + 1) for a in expr.args])
        if isinstance(expr, n.Unary):
            return self.unary(expr, self.emit(expr.operand, depth + 1))
        if isinstance(expr, n.Binary):
            if expr.op in _LEVELS:
                return self.chain(expr, depth)
            left, right = self.emit(expr.left, depth + 1), self.emit(expr.right, depth + 1)
            return self.power(expr, left, right) if expr.op == "**" else self.compare(expr, left, right)
        raise TypeError(f"not an expression: {expr!r}")

    def name(self, expr: n.Name) -> _Piece:
        if expr.id in CONSTANTS:
            return _constant(CONSTANTS[expr.id])
        if expr.id not in self.known:
            hint = did_you_mean(expr.id, self.known | set(CONSTANTS))
            if expr.id in FUNCTIONS or expr.id in MACROS:
                hint = f"'{expr.id}' is a function: write {expr.id}(...)"
            self.diagnostics.error("R210", f"unknown name '{expr.id}'", expr.span, hint)
            return _UNKNOWN
        self.names.add(expr.id)
        return _Piece(PREFIX + expr.id, "num")

    def unary(self, expr: n.Unary, operand: _Piece) -> _Piece:
        if expr.op == "~":
            return _constant(not operand.value) if operand.value is not None else _Piece(f"(~{operand.truth})", "bool")
        if operand.value is not None:
            return _constant(-float(operand.value) if expr.op == "-" else float(operand.value))
        return _Piece(f"({expr.op}{operand.number})", "num")

    def compare(self, expr: n.Binary, left: _Piece, right: _Piece) -> _Piece:
        if left.value is not None and right.value is not None:
            return _constant(_COMPARISONS[expr.op](float(left.value), float(right.value)))
        return _Piece(f"({left.number} {expr.op} {right.number})", "bool")

    def power(self, expr: n.Binary, base: _Piece, exponent: _Piece) -> _Piece:
        if exponent.value is not None and abs(float(exponent.value)) > MAX_EXPONENT:
            return self.fail(expr.span, f"the exponent {float(exponent.value):g} is too large",
                             f"a constant power is at most {MAX_EXPONENT:g} either way")
        if base.value is not None and exponent.value is not None:
            return self.fold(expr, lambda: math.pow(float(base.value), float(exponent.value)))
        return _Piece(f"({base.number} ** {exponent.number})", "num")

    def fold(self, expr, compute: Callable[[], float]) -> _Piece:
        """A constant part worked out here: an error at its span if it has no finite value."""
        try:
            with np.errstate(all="ignore"):
                value = float(compute())
        except ZeroDivisionError:
            return self.fail(expr.span, NO_FINITE_VALUE, NO_FINITE_VALUE_HINT)
        except (OverflowError, ValueError):
            value = math.nan
        if not math.isfinite(value):
            return self.fail(expr.span, NO_FINITE_VALUE, NO_FINITE_VALUE_HINT)
        return _constant(value)

    def chain(self, expr: n.Binary, depth: int) -> _Piece:
        """`a op b op c ...` of one precedence level: its left spine walked in a loop."""
        level = _LEVELS[expr.op]
        links: list[n.Binary] = []
        node: n.Expr = expr
        while isinstance(node, n.Binary) and _LEVELS.get(node.op) == level:
            links.append(node)
            node = node.left
        links.reverse()
        first = self.emit(node, depth + 1)
        rights = [(link, self.emit(link.right, depth + 1)) for link in links]
        if level >= 3:
            return self.logic(expr.op, first, [piece for _, piece in rights])
        return self.arithmetic(first, rights, level)

    def logic(self, op: str, first: _Piece, rest: list[_Piece]) -> _Piece:
        """`|` and `&`: a constant that decides the result decides it; the others drop out."""
        deciding = op == "|"  # True decides an or, False an and
        pieces = []
        for piece in [first, *rest]:
            if piece.value is None:
                pieces.append(piece.truth)
            elif bool(piece.value) == deciding:
                return _constant(deciding)
        if not pieces:
            return _constant(not deciding)
        return _Piece(_balanced(pieces, op), "bool")

    def arithmetic(self, first: _Piece, rights: list[tuple[n.Binary, _Piece]], level: int) -> _Piece:
        """`+ -` or `* / %`, left to right; the leading constants folded; the rest printed balanced:
        a - b - c as a - (b + c), a / b * c / d as (a * c) / (b * d)."""
        up, down = ("+", "-") if level == 1 else ("*", "/")
        acc = first
        i = 0
        while i < len(rights) and acc.value is not None and rights[i][1].value is not None:
            link, piece = rights[i]
            acc = self.fold(link, _arithmetic(link.op, float(acc.value), float(piece.value)))
            if acc is _UNKNOWN:
                return acc
            i += 1
        if i == len(rights):
            return acc
        ups, downs = [acc.number], []
        for link, piece in rights[i:]:
            if link.op in ("/", "%") and piece.value is not None:
                # numexpr turns `x / c` into `x * (1 / c)`, worked out in Python: ride does it, guarded
                inverse = self.fold(link, _arithmetic("/", 1.0, float(piece.value)))
                if inverse is _UNKNOWN:
                    return inverse
                if link.op == "/":
                    ups.append(inverse.number)
                    continue
            if link.op == "%":  # not associative: what came before is its left side, as written
                ups, downs = [f"({_quotient(ups, downs, up, down)} % {piece.number})"], []
            else:
                (ups if link.op == up else downs).append(piece.number)
        return _Piece(_quotient(ups, downs, up, down), "num")

    def call(self, expr: n.Call, args: list[_Piece]) -> _Piece:
        if expr.func in FUNCTIONS:
            arity, template = FUNCTIONS[expr.func], None
        elif expr.func in MACROS:
            arity, template = MACROS[expr.func]
        else:
            hint = did_you_mean(expr.func, set(FUNCTIONS) | set(MACROS))
            if expr.func in self.known:
                hint = f"'{expr.func}' is a value, not a function"
            self.diagnostics.error("R211", f"unknown function '{expr.func}'", expr.span, hint)
            return _UNKNOWN
        if len(args) != arity:
            plural = "s" if arity != 1 else ""
            self.diagnostics.error("R212", f"{expr.func}() takes {arity} argument{plural}, not {len(args)}",
                                   expr.span, f"write {expr.func}({', '.join('xyz'[:arity])})")
            return _UNKNOWN
        if expr.func == "where":  # a truth value, then two numbers
            test, yes, no = args
            if test.value is not None:
                chosen = yes if test.value else no
                return chosen if chosen.value is not None else _Piece(chosen.number, "num")
            return _Piece(f"where({test.truth}, {yes.number}, {no.number})", "num")
        if all(a.value is not None for a in args):
            return self.fold(expr, lambda: _ON_CONSTANTS[expr.func](*(float(a.value) for a in args)))
        sources = [a.number for a in args]
        return _Piece(template.format(*sources) if template else f"{expr.func}({', '.join(sources)})", "num")


def _arithmetic(op: str, a: float, b: float) -> Callable[[], float]:
    # Python's float operators: `/` and `%` raise on zero; `%` is floored, as numexpr's is
    return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
            "%": lambda: a % b}[op]


def _quotient(ups: list[str], downs: list[str], up: str, down: str) -> str:
    top = _balanced(ups, up)
    return f"({top} {down} {_balanced(downs, up)})" if downs else top


def _balanced(sources: list[str], op: str) -> str:
    """`a op b op c ...` for an associative op, as a tree of depth log2(n), not n."""
    while len(sources) > 1:
        sources = [f"({sources[i]} {op} {sources[i + 1]})" if i + 1 < len(sources) else sources[i]
                   for i in range(0, len(sources), 2)]
    return sources[0]
