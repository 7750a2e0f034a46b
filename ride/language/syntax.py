"""Text -> Script: the Lark parser, the Transformer to nodes, and Lark errors -> RideError.

This is the only module that imports lark. Lark errors are converted at one boundary
(`parse`), so the rest of ride only ever sees RideSyntaxError with spans.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ..errors import Diagnostics, Problem, RideSyntaxError, Span
from ..settings import grammar_text
from . import nodes as n

MAX_SOURCE_BYTES = 2_000_000  # a scene script is text a person wrote; this is far beyond any
MAX_SYNTAX_ERRORS = 20


def grammar_path() -> Path:
    """The grammar: inside the installed wheel (ride/grammar/), else the checkout's grammar/."""
    package = Path(__file__).parent.parent
    for candidate in (package / "grammar" / "ride.lark", package.parent / "grammar" / "ride.lark"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("grammar/ride.lark is missing from this installation of ride")


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = grammar_text(grammar_path().read_text(encoding="utf-8"))  # keywords from the settings table
    # cache=True keeps the LALR tables in a temp file: `ride check` starts faster
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True, cache=True)


def parse(text: str, path: str = "<script>", diagnostics: Diagnostics | None = None) -> n.Script | None:
    """Parse a whole script; every syntax error of the file is reported at once.

    Given `diagnostics`, its problems are reported there instead of raised (None comes back).
    """
    if diagnostics is None:
        return _parse(text, path)
    try:
        return _parse(text, path)
    except RideSyntaxError as error:
        diagnostics.extend(error.problems)
        return None


def _parse(text: str, path: str) -> n.Script:
    if len(text) > MAX_SOURCE_BYTES:
        raise RideSyntaxError(Problem(f"script is too large ({len(text)} characters)",
                                      hint=f"the limit is {MAX_SOURCE_BYTES} characters"), text, path)
    problems: list[Problem] = []
    attempt = text
    while True:
        try:
            tree = _parser().parse(attempt)
            break
        except UnexpectedInput as error:
            problem = _problem_from_lark(error, attempt)
            problems.append(problem)
            if problem.hint.startswith("a '}' is missing"):
                break  # every later line would be reported again: one error says it
            # Recover by blanking the offending line (keeping every position) and parsing again.
            blanked = _blank_line(attempt, problem.span.line)
            if blanked == attempt or len(problems) >= MAX_SYNTAX_ERRORS:
                break
            attempt = blanked
    if problems:
        raise RideSyntaxError(problems, text, path)
    try:
        return _ToNodes().transform(tree)
    except RecursionError:
        raise RideSyntaxError(Problem("the script is nested too deeply", Span.point(1, 1),
                                      "split deep expressions with `let`"), text, path) from None
    except VisitError as error:  # a value the grammar admits but a node cannot hold
        if isinstance(error.orig_exc, RecursionError):
            raise RideSyntaxError(Problem("the script is nested too deeply", Span.point(1, 1),
                                          "split deep expressions with `let`"), text, path) from None
        raise


def _blank_line(text: str, line: int) -> str:
    lines = text.split("\n")
    if not 0 < line <= len(lines) or not lines[line - 1].strip():
        return text
    lines[line - 1] = " " * len(lines[line - 1])
    return "\n".join(lines)


# ---- Lark errors -> problems ------------------------------------------------------------

_TOKEN_NAMES = {
    "_NL": "end of line", "$END": "end of file", "RBRACE": "'}'", "LBRACE": "'{'", "LPAR": "'('",
    "RPAR": "')'", "COMMA": "','", "STRING": "a quoted string", "NUMBER": "a number", "NAME": "a name",
    "TIME": "a time (25, 2s, 4b, 50%)", "SIZE": "a size like 512x512", "EQUAL": "'='", "SEMICOLON": "';'",
    "STAR": "'*'", "PLUS": "'+'", "MINUS": "'-'", "TILDE": "'~'", "TEXT_SETTING": "a setting",
    "VALUE_SETTING": "a setting", "WORD_SETTING": "a setting", "REST": "a value",
}


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    if token.type == "_NL":
        return "end of line"
    return f"'{_shown(token)}'"


def _shown(token: Token) -> str:
    """The part of a token worth quoting: the lexer's catch-all may have swallowed a whole line."""
    text = str(token.value)
    return text.split()[0] if token.type == "REST" and text.split() else text


def _expected(names) -> str:
    pretty = sorted({_TOKEN_NAMES.get(t, f"'{t.lower()}'") for t in names if not t.startswith("__")})
    return ", ".join(pretty[:8]) + (", ..." if len(pretty) > 8 else "")


def _problem_from_lark(error: UnexpectedInput, text: str) -> Problem:
    line, col = max(error.line, 1), max(error.column, 1)
    if isinstance(error, UnexpectedCharacters):
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        hint = _hint_for_character(char)
        return Problem(f"unexpected character '{char}'", Span.point(line, col), hint)
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        last = text.rstrip().split("\n")
        span = Span.point(len(last), len(last[-1]) + 1) if last else Span.point(1, 1)
        expected = getattr(error, "expected", set())
        if "RBRACE" in expected:
            return Problem("the file ends inside a block", span, "a '{' is not closed: add the missing '}'")
        return Problem("unexpected end of file", span, f"expected {_expected(expected)}")
    assert isinstance(error, UnexpectedToken)
    token = error.token
    expected = set(error.expected)
    text = str(token.value)
    if text[:1] in "\"'" and "STRING" in expected:
        return Problem("this string is not closed", Span(line, col, line, col + len(text)),
                       f"add the closing {text[0]} on the same line")
    if text[:1] in "\u201c\u201d\u2018\u2019":
        return Problem("typographic quotes around text", Span(line, col, line, col + len(text)),
                       "use straight quotes: \"like this\"")
    end_col = col + max(1, len(_shown(token))) if token.type != "_NL" else col + 1
    span = Span(line, col, line, end_col)
    return Problem(f"unexpected {_describe_token(token)}", span, _hint_for_token(token, expected))


def _hint_for_character(char: str) -> str:
    if char in "\u201c\u201d\u2018\u2019":
        return "typographic quotes: use straight quotes \" around text"
    if char == '"':
        return "a string is not closed: add the closing '\"' on the same line"
    if char in "[]":
        return "lists are written with commas, not brackets: `focus 0.5, 0.6`"
    return "this character has no meaning here"


# Keyword terminals whose words are not their names.
_KEYWORD_WORDS = {"MORPH_METHOD": ("lerp", "slerp"), "EASE_MODE": ("in", "out", "in_out"), "SEED_ITER": ("iter",),
                  "SEED_RANDOM": ("random",)}


def _keyword_suggestion(token: Token, expected: set[str]) -> str:
    """'did you mean ...' when a misspelt keyword stands where keywords were expected."""
    import difflib

    words = [w for name in expected for w in _KEYWORD_WORDS.get(name, ())]
    words += [name.lower() for name in expected if name.isalpha() and name.isupper() and len(name) > 2
              and name not in ("NAME", "STRING", "NUMBER", "TIME", "SIZE", "REST", "SCHEDULER")]
    close = difflib.get_close_matches(_shown(token).lower(), words, n=2, cutoff=0.7)
    return "did you mean " + " or ".join(f"'{w}'" for w in close) + "?" if close else ""


def _hint_for_token(token: Token, expected: set[str]) -> str:
    if token.type in ("NAME", "REST", "SCHEDULER") and (suggestion := _keyword_suggestion(token, expected)):
        return suggestion
    if str(token.value).startswith("="):
        return "settings are written without '=': e.g. `guidance 7` (`let name = ...` defines a name)"
    if "RBRACE" in expected and token.column == 1:
        return "a '}' is missing before this line: the block above is not closed"
    if token.type == "_NL" and expected & {"STRING"} and len(expected) <= 3:
        return "this setting needs a quoted string, e.g. `output \"giro.mp4\"`"
    if token.type == "_NL" and "SIZE" in expected:
        return "write the size as WIDTHxHEIGHT, e.g. `size 512x512`"
    if "SIZE" in expected:
        return "write the size as WIDTHxHEIGHT, e.g. `size 512x512`"
    if token.type == "_NL" and "TIME" in expected and "NAME" not in expected:
        return "a duration is needed here, e.g. `morph 10` or `loop close 40`"
    if token.type == "_NL" and ("NAME" in expected or "NUMBER" in expected):
        return "a value is missing: write a number or an expression"
    if token.type == "STRING" and "TIME" in expected:
        return "a timeline line starts with a time: `25 \"a prompt\"`"
    if token.type in ("NAME", "STRING") and "TIME" in expected:
        return "a key starts with a time: frames (25), seconds (2s), beats (4b), percent (50%), +N or end"
    if token.type == "NUMBER" and "STAR" in expected:
        return "a weight is written `\"prompt\" * 0.7`"
    if token.type == "RBRACE":
        return "this '}' closes nothing, or the line before it is incomplete"
    if "_NL" in expected or "SEMICOLON" in expected:
        return "one statement per line: start a new line (or use ';'); values are separated by ','"
    if "RPAR" in expected and "COMMA" in expected:
        return "a ')' is missing, or a ',' between arguments"
    return f"expected {_expected(expected)}"


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


def _time(token: Token, relative: bool, span: Span) -> n.TimeRef:
    match = re.fullmatch(r"(\d+(?:\.\d*)?)(s|b|f|%)?", str(token))
    return n.TimeRef(match.group(2) or "f", float(match.group(1)), relative, span)


@v_args(meta=True, inline=True)
class _ToNodes(Transformer):
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
        width, height = re.split(r"\s*[xX]\s*", str(size))
        return n.SizeSetting(int(width), int(height), _span(meta))

    def seed_setting(self, meta, value, iterate):
        return n.SeedSetting(value, iterate is not None, _span(meta))

    def seed_random(self, meta, _token):
        return n.SeedSetting(None, False, _span(meta))

    def word_setting(self, meta, name, *words):
        return n.WordSetting(str(name), tuple(n.Word(str(w), _tspan(w)) for w in words), _span(meta))

    def scheduler_setting(self, meta, token):
        value = _unquote(token) if token.type == "STRING" else str(token)
        return n.SchedulerSetting(value, _span(meta))

    def loop_setting(self, meta, mode, duration, transition):
        return n.LoopSetting(n.Word(str(mode), _tspan(mode)), duration, transition, _span(meta))

    def adapter_setting(self, meta, repo, weight, subfolder):
        opt = [_unquote(t) if t is not None else None for t in (weight, subfolder)]
        return n.AdapterSetting(_unquote(repo), opt[0], opt[1], _span(meta))

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
        return _time(token, False, _span(meta))

    def rel_time(self, meta, token):
        return _time(token, True, _span(meta))

    def end_time(self, meta):
        return n.TimeRef("end", 0.0, False, _span(meta))

    def duration(self, meta, token):
        return _time(token, False, _span(meta))

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
        return float(token)

    def signed_neg(self, meta, token):
        return -float(token)

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
        return n.Term(source, float(weight) if weight is not None else None, _span(meta))

    def weighted_first(self, meta, weight, source):
        return n.Term(source, float(weight), _span(meta))

    def prompt(self, meta, string):
        return n.Prompt(_unquote(string), _span(meta))

    def image(self, meta, string):
        return n.Image(_unquote(string), _span(meta))

    def morph(self, meta, duration, method, transition):
        return n.MorphSpec(duration, str(method) if method is not None else None, transition, _span(meta))

    # expressions
    def number(self, meta, token):
        return n.Num(float(token), _span(meta))

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
