"""Text -> Script: the Lark parser (recovering past bad statements) and the Transformer to nodes.

Only ride.language imports lark (here, recovery.py and syntax_problems.py). Lark errors are
converted at one boundary (`parse`), so the rest of ride only sees problems with spans and codes.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedInput, VisitError
from lark.visitors import Discard

from ..errors import Diagnostics, Problem, RideSyntaxError, Span
from ..settings import grammar_text
from . import nodes as n
from . import syntax_problems as problems
from .recovery import GiveUp, parse_recovering

MAX_SOURCE_BYTES = 2_000_000  # a scene script is text a person wrote; this is far beyond any
MAX_SYNTAX_ERRORS = 100  # past this the file is likely not a scene script at all
MAX_NUMBER_CHARS = 100  # a number literal longer than this is a paste gone wrong, not a value
NUMBER_TOO_LARGE = "R310"


def grammar_path() -> Path:
    """The grammar: inside the installed wheel (ride/grammar/), else the checkout's grammar/."""
    package = Path(__file__).parent.parent
    for candidate in (package / "grammar" / "ride.lark", package.parent / "grammar" / "ride.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("grammar/ride.lark is missing from this installation of ride")


@functools.lru_cache(maxsize=1)
def grammar() -> str:
    """The grammar's text, its keyword terminals filled from the settings table."""
    return grammar_text(grammar_path().read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    # cache=True keeps the LALR tables in a temp file: `ride check` starts faster
    return Lark(grammar(), parser="lalr", propagate_positions=True, maybe_placeholders=True, cache=True)


def parse(text: str, path: str = "<script>", diagnostics: Diagnostics | None = None) -> n.Script | None:
    """Parse a whole script in one pass, going past every bad statement.

    With `diagnostics`, every syntax problem is reported there and the script of the good
    statements is returned (None when nothing usable is left: a flood of errors, a file too large
    or nested too deeply), so the compiler can check the rest in the same run. Without it, any
    problem raises RideSyntaxError with all of them.
    """
    collector = diagnostics if diagnostics is not None else Diagnostics(path, text)
    script = _parse_into(text, collector)
    if diagnostics is None:
        collector.raise_if_any(RideSyntaxError)
    return script


def _parse_into(text: str, diagnostics: Diagnostics) -> n.Script | None:
    if len(text) > MAX_SOURCE_BYTES:
        diagnostics.error(problems.SCRIPT_TOO_LARGE, f"script is too large ({len(text)} characters)",
                          Span.point(1, 1), f"the limit is {MAX_SOURCE_BYTES} characters")
        return None
    found: list[Problem] = []

    def report(error: UnexpectedInput) -> None:
        if len(found) >= MAX_SYNTAX_ERRORS:
            diagnostics.error(problems.TOO_MANY_ERRORS, f"more than {MAX_SYNTAX_ERRORS} syntax errors; stopped here",
                              Span.point(max(error.line, 1), max(error.column, 1)),
                              "is this a .ride scene script? fix the first errors and check again")
            raise GiveUp
        problem = problems.problem_from_lark(error, text)
        found.append(problem)
        diagnostics.add(problem)

    try:
        tree = parse_recovering(_parser(), text, report)
    except GiveUp:
        return None
    try:
        return _ToNodes(diagnostics).transform(tree)
    except RecursionError:
        pass
    except VisitError as error:  # a value the grammar admits but a node cannot hold
        if not isinstance(error.orig_exc, RecursionError):
            raise
    diagnostics.error(problems.NESTED_TOO_DEEPLY, "the script is nested too deeply", Span.point(1, 1),
                      "split deep expressions with `let`")
    return None


# ---- Lark tree -> nodes -----------------------------------------------------------------


def _span(meta) -> Span:
    if getattr(meta, "empty", True):  # an empty rule (an empty file) has no position
        return Span.point(1, 1)
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _tspan(token: Token) -> Span:
    return Span(token.line, token.column, token.end_line, token.end_column)


_ESCAPE = re.compile(r"\\(.)")


def _unquote(token: Token) -> str:
    return _ESCAPE.sub(lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), token[1:-1])


def _number(text: str, span: Span, diagnostics: Diagnostics, default: float = 0.0) -> float:
    """Every number of a script is read here: one that is not finite, or absurdly long, is a
    positioned error (and `default` stands in for it, so checking goes on)."""
    value = float(text) if len(text) <= MAX_NUMBER_CHARS else math.inf
    if math.isfinite(value):
        return value
    what = "long" if len(text) > MAX_NUMBER_CHARS else "large"
    diagnostics.error(NUMBER_TOO_LARGE, f"number is too {what} ({text[:20]}{'...' if len(text) > 20 else ''})", span,
                      f"numbers must be finite, with at most {MAX_NUMBER_CHARS} characters")
    return default


@v_args(meta=True, inline=True)
class _ToNodes(Transformer):
    def __init__(self, diagnostics: Diagnostics):
        super().__init__()
        self.diagnostics = diagnostics

    def _transform_tree(self, tree):
        """Lark's transform, without recursion: a flat chain `t + t + ...` of 1,500 terms is a
        left-deep tree 1,500 levels deep, which recursion cannot walk (depth is checked later,
        where it means something: an expression's nesting, R308)."""
        order, stack = [], [tree]
        while stack:  # pre-order: each node before its descendants
            node = stack.pop()
            order.append(node)
            stack.extend(c for c in node.children if isinstance(c, Tree))
        done: dict[int, object] = {}
        for node in reversed(order):  # so every node comes after its descendants
            children = []
            for c in node.children:
                if isinstance(c, Tree):
                    c = done.pop(id(c))
                elif self.__visit_tokens__ and isinstance(c, Token):
                    c = self._call_userfunc_token(c)
                if c is not Discard:
                    children.append(c)
            done[id(node)] = self._call_userfunc(node, children)
        return done[id(tree)]

    def _time(self, token: Token, relative: bool, span: Span) -> n.TimeRef:
        match = re.fullmatch(r"(\d+(?:\.\d*)?)(s|b|f|%)?", str(token))
        return n.TimeRef(match.group(2) or "f", _number(match.group(1), span, self.diagnostics), relative, span)

    def _float(self, token: Token, default: float = 0.0) -> float:
        return _number(str(token), _tspan(token), self.diagnostics, default)
    def start(self, meta, *statements):
        return n.Script(tuple(s for s in statements if s is not None), _span(meta))

    # settings
    def text_setting(self, meta, name, string):
        return n.TextSetting(str(name), _unquote(string), _span(meta))

    def value_setting(self, meta, name, values):
        return n.ValueSetting(str(name), values, _span(meta))

    def values(self, meta, *values):
        return tuple(values)

    def size_setting(self, meta, size):
        sides = re.split(r"\s*[xX]\s*", str(size))
        width, height = (int(_number(side, _span(meta), self.diagnostics, 512)) for side in sides)
        return n.SizeSetting(width, height, _span(meta))

    def seed_setting(self, meta, value, mode):
        return n.SeedSetting(value, mode == "iter", _span(meta), flow=mode == "flow")

    def seed_random(self, meta, _token):
        return n.SeedSetting(None, False, _span(meta))

    def word_setting(self, meta, name, *words):
        return n.WordSetting(str(name), tuple(n.Word(str(w), _tspan(w)) for w in words), _span(meta))

    def scheduler_setting(self, meta, token):
        value = _unquote(token) if token.type == "STRING" else str(token)
        return n.SchedulerSetting(value, _span(meta))

    def depth_setting(self, meta, token):
        quoted = token.type == "STRING"
        return n.DepthSetting(_unquote(token) if quoted else str(token), quoted, _span(meta))

    def loop_setting(self, meta, mode, duration, transition):
        return n.LoopSetting(n.Word(str(mode), _tspan(mode)), duration, transition, _span(meta))

    def adapter_setting(self, meta, repo, weight, subfolder):
        opt = [_unquote(t) if t is not None else None for t in (weight, subfolder)]
        return n.AdapterSetting(_unquote(repo), opt[0], opt[1], _span(meta))

    def lora_setting(self, meta, path, weight):
        return n.LoraSetting(_unquote(path), float(weight) if weight is not None else None, _span(meta))

    def embedding_setting(self, meta, path, token):
        return n.EmbeddingSetting(_unquote(path), _unquote(token) if token is not None else None, _span(meta))

    def reverse_setting(self, meta):
        return n.ReverseSetting(_span(meta))

    def unknown(self, meta, name, rest):
        return n.Unknown(str(name), str(rest or "").strip(), _tspan(name))

    def let(self, meta, name, expr):
        return n.Let(str(name), expr, _span(meta))

    def track(self, meta, name, block):
        return n.Track(str(name), block, _span(meta))

    def camera(self, meta, *settings):
        return n.Camera(tuple(settings), _span(meta))

    # keys
    def keyblock(self, meta, *keys):
        return n.KeyBlock(tuple(keys), _span(meta))

    def key(self, meta, time, value, transition):
        return n.Key(time, value, transition, _span(meta))

    def abs_time(self, meta, token):
        return self._time(token, False, _span(meta))

    def rel_time(self, meta, token):
        return self._time(token, True, _span(meta))

    def end_time(self, meta):
        return n.TimeRef("end", 0.0, False, _span(meta))

    def duration(self, meta, token):
        return self._time(token, False, _span(meta))

    def linear(self, meta):
        return n.Transition("linear", span=_span(meta))

    def hold(self, meta):
        return n.Transition("hold", span=_span(meta))

    def cubic(self, meta):
        return n.Transition("cubic", span=_span(meta))

    def ease(self, meta, mode):
        return n.Transition("ease", str(mode) if mode is not None else "", span=_span(meta))

    def bezier(self, meta, *points):
        return n.Transition("bezier", "", tuple(points), _span(meta))

    def signed_pos(self, meta, token):
        return self._float(token)

    def signed_neg(self, meta, token):
        return -self._float(token)

    # timeline
    def timeline(self, meta, *entries):
        return n.Timeline(tuple(entries), _span(meta))

    def tl_key(self, meta, time, mix, morph, negative):
        return n.TimelineKey(time, mix, morph, negative, _span(meta))

    def tl_end(self, meta, time):
        return n.TimelineEnd(time, _span(meta))

    def key_negative(self, meta, string):
        return _unquote(string)

    def mix(self, meta, *terms):
        return tuple(terms)

    def weighted(self, meta, source, weight):
        return n.Term(source, self._float(weight, 1.0) if weight is not None else None, _span(meta))

    def weighted_first(self, meta, weight, source):
        return n.Term(source, self._float(weight, 1.0), _span(meta))

    def prompt(self, meta, string):
        return n.Prompt(_unquote(string), _span(meta))

    def image(self, meta, string):
        return n.Image(_unquote(string), _span(meta))

    def morph(self, meta, duration, method, transition):
        return n.MorphSpec(duration, str(method) if method is not None else None, transition, _span(meta))

    # expressions
    def number(self, meta, token):
        return n.Num(self._float(token), _span(meta))

    def name(self, meta, token):
        return n.Name(str(token), _span(meta))

    def call(self, meta, func, *args):
        return n.Call(str(func), tuple(a for a in args if a is not None), _span(meta))

    def compare(self, meta, left, op, right):
        return n.Binary(str(op), left, right, _span(meta))

    def _binary(op):  # noqa: N805 - a rule factory used in the class body
        def rule(self, meta, left, right):
            return n.Binary(op, left, right, _span(meta))

        return rule

    add, sub, mul, div, mod = _binary("+"), _binary("-"), _binary("*"), _binary("/"), _binary("%")
    pow, or_, and_ = _binary("**"), _binary("|"), _binary("&")

    def neg(self, meta, operand):
        return n.Unary("-", operand, _span(meta))

    def pos(self, meta, operand):
        return n.Unary("+", operand, _span(meta))

    def not_(self, meta, operand):
        return n.Unary("~", operand, _span(meta))
