"""Lark's errors -> friendly problems, each with its stable code (R1xx, listed in docs/errors.md).

A parser state becomes a sentence a person can act on: what was found, and what to write instead.
"""

from __future__ import annotations

import difflib

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import Problem, Span

# The codes of syntax problems: stable, what an editor or a test matches on.
UNEXPECTED_CHARACTER = "R101"
UNCLOSED_STRING = "R102"
TYPOGRAPHIC_QUOTES = "R103"
UNEXPECTED_TOKEN = "R104"
MISSING_VALUE = "R105"
UNEXPECTED_BRACE = "R106"
UNCLOSED_BLOCK = "R107"
UNEXPECTED_END = "R108"
NESTED_TOO_DEEPLY = "R109"
SCRIPT_TOO_LARGE = "R110"
TOO_MANY_ERRORS = "R111"

MISSING_BRACE_HINT = "a '}' is missing before this line: the block above is not closed"


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


def problem_from_lark(error: UnexpectedInput, text: str) -> Problem:
    """The friendly problem (message, span, hint, code) for one Lark error in `text`."""
    line, col = max(error.line, 1), max(error.column, 1)
    if isinstance(error, UnexpectedCharacters):
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        hint = _hint_for_character(char)
        code = UNEXPECTED_CHARACTER
        if char and char in _CURLY_QUOTES:
            code = TYPOGRAPHIC_QUOTES
        elif char and char in "\"'":
            code = UNCLOSED_STRING
        return Problem(f"unexpected character '{char}'", Span.point(line, col), hint, code=code)
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        last = text.rstrip().split("\n")
        span = Span.point(len(last), len(last[-1]) + 1) if last else Span.point(1, 1)
        expected = getattr(error, "expected", set())
        if "RBRACE" in expected:
            return Problem("the file ends inside a block", span, "a '{' is not closed: add the missing '}'",
                           code=UNCLOSED_BLOCK)
        return Problem("unexpected end of file", span, f"expected {_expected(expected)}", code=UNEXPECTED_END)
    assert isinstance(error, UnexpectedToken)
    token = error.token
    expected = set(error.expected)
    text = str(token.value)
    if text[:1] in "\"'" and "STRING" in expected:
        return Problem("this string is not closed", Span(line, col, line, col + len(text)),
                       f"add the closing {text[0]} on the same line", code=UNCLOSED_STRING)
    if text[:1] in _CURLY_QUOTES:
        return Problem("typographic quotes around text", Span(line, col, line, col + len(text)),
                       "use straight quotes: \"like this\"", code=TYPOGRAPHIC_QUOTES)
    if token.type == "REST" and text[:1] and not (text[0].isalnum() or text[0] in _TOKEN_STARTS):
        # the catch-all terminal took a character that begins no token of the language
        return Problem(f"unexpected character '{text[0]}'", Span.point(line, col), _hint_for_character(text[0]),
                       code=UNEXPECTED_CHARACTER)
    end_col = col + max(1, len(_shown(token))) if token.type != "_NL" else col + 1
    span = Span(line, col, line, end_col)
    hint = _hint_for_token(token, expected)
    if hint == MISSING_BRACE_HINT:
        code = UNCLOSED_BLOCK
    elif token.type == "_NL":
        code = MISSING_VALUE
    elif token.type == "RBRACE":
        code = UNEXPECTED_BRACE
    else:
        code = UNEXPECTED_TOKEN
    return Problem(f"unexpected {_describe_token(token)}", span, hint, code=code)


_CURLY_QUOTES = "\u201c\u201d\u2018\u2019"
_TOKEN_STARTS = set("_\"'(){}+-*/%~<>=!&|,.;#\\")  # and letters and digits


def _hint_for_character(char: str) -> str:
    if char in _CURLY_QUOTES:
        return "typographic quotes: use straight quotes \" around text"
    if char == '"':
        return "a string is not closed: add the closing '\"' on the same line"
    if char in "[]":
        return "lists are written with commas, not brackets: `focus 0.5, 0.6`"
    return "this character has no meaning here"


# Keyword terminals whose words are not their names.
_KEYWORD_WORDS = {"MORPH_METHOD": ("lerp", "slerp"), "EASE_MODE": ("in", "out", "in_out"), "SEED_MODE": ("iter", "flow"),
                  "SEED_RANDOM": ("random",)}


def _keyword_suggestion(token: Token, expected: set[str]) -> str:
    """'did you mean ...' when a misspelt keyword stands where keywords were expected."""
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
        return MISSING_BRACE_HINT
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
    if expected == {"RPAR"}:
        return "a ')' is missing: close the bracket on the line it opens"
    if "RPAR" in expected and "COMMA" in expected:
        return "a ')' is missing, or a ',' between arguments"
    return f"expected {_expected(expected)}"
