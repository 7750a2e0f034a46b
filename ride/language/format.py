"""`ride fmt`: a script in the one canonical layout, its comments where they were, its plan unchanged.

The layout (docs/editors.md says it for users):
- one statement per line; `camera`, `timeline` and `track` blocks one entry per line, indented two spaces;
  a key block written on one line (`zoom { 0 1; 2s 1.1 ease }`) stays on one line, else one key per line;
- single spaces between the parts of a statement, `, ` after commas; inside an expression the spaces
  around an operator are the writer's choice (none or one, made symmetric: `2*pi*sec` and `1 + 0.01*u`);
- columns aligned over a run of lines (a blank line or a multi-line statement ends a run): the values of
  settings, the `=` of `let`s, the times, values and transitions of keys (times take at least 6 columns,
  track values 7, so short keys line up the same in every block), and trailing comments;
- at most one blank line in a row, none at the start or end of a block or of the file.

Only tokens are moved, never rewritten (numbers and strings are kept as written: `1.0` stays `1.0`), so
the plan cannot change; a script with a syntax error raises RideSyntaxError and is never reformatted.
Comments are %ignored by the grammar: they are found in the gaps between the tokens and put back on
the line of the token before them (or on a line of their own, at the depth of their block).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from lark import Lark, Token, Tree

from ..errors import Problem, RideSyntaxError, Span
from .layout import Line, render
from .syntax import grammar, parse

# settings whose first word starts a phrase (`color match frame0`, `loop close 40`): not a name-value
# column, and aligning them with the settings around them reads badly
PHRASES = frozenset({"color", "loop", "reverse"})
BINARY = frozenset({"or_", "and_", "compare", "add", "sub", "mul", "div", "mod", "pow"})
UNARY = frozenset({"neg", "pos", "not_", "signed_neg", "rel_time"})
SEPARATORS = frozenset({"_NL", "SEMICOLON"})
COMMENT = re.compile(r"#[^\n]*")


def format_text(text: str, path: str = "<script>") -> str:
    """`text` in the canonical layout. Raises RideSyntaxError (every problem, in `path`) if it does not parse.

    Line endings (CRLF or LF) and a byte-order mark are kept as they were."""
    newline = "\r\n" if "\r\n" in text.split("\n", 1)[0] + "\n" else "\n"
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    source = text[len(bom):].replace("\r\n", "\n")
    parse(source, path)  # every syntax problem, raised: a broken file is not touched
    tree = _layout_parser().parse(source)
    try:
        lines = _Formatter(source, tree).lines()
    except RecursionError:  # parentheses nested deeper than fmt walks (the compiler's own limit is 64)
        raise RideSyntaxError(Problem("the script is nested too deeply to format", Span.point(1, 1),
                                      "split deep expressions with `let`", path, "R109"), source, path) from None
    out = render(lines)
    return bom + out.replace("\n", newline)


@functools.lru_cache(maxsize=1)
def _layout_parser() -> Lark:
    """The language's parser, keeping every token (braces, commas, keywords): fmt prints them all."""
    return Lark(grammar(), parser="lalr", propagate_positions=True, maybe_placeholders=True,
                keep_all_tokens=True, cache=True)


@dataclass(frozen=True)
class _Block:
    """A key block printed one key per line, inside a statement."""

    tree: Tree


class _Formatter:
    def __init__(self, source: str, tree: Tree):
        self.source = source
        self.tree = tree
        self.out: list[Line] = []

    # ---- statements -----------------------------------------------------------------

    def lines(self) -> list[Line]:
        for statement in _statements(self.tree):
            self._statement(statement, 0)
        return _with_comments(self.out, self.source, self.tree)

    def _statement(self, st: Tree, depth: int) -> None:
        rule = st.data
        if rule in ("camera", "timeline"):
            open_, close = _braces(st)
            self._add(depth, [f"{rule} {{"], "", st.meta.line, open_.line)
            for inner in _statements(st):
                self._statement(inner, depth + 1)
            self._add(depth, ["}"], "", close.line, close.line)
        elif rule in ("tl_key", "tl_end"):
            self._key(st, depth, "timeline")
        elif rule == "let":
            _, name, _, expr = st.children
            self._pieces(st, depth, [f"let {name}", "= " + _text(expr)], "let")
        elif rule == "track":
            _, name, block = st.children
            self._pieces(st, depth, [f"track {name} ", _Block(block)], "")
        else:
            self._setting(st, depth)

    def _setting(self, st: Tree, depth: int) -> None:
        first, *rest = [c for c in st.children if c is not None]
        name = str(first)
        if st.data == "unknown":
            self._pieces(st, depth, [name, *(str(r).strip() for r in rest)], "setting")
            return
        pieces: list[str | _Block] = []
        for child in rest:
            if isinstance(child, Tree) and child.data == "values":
                values = [v for v in child.children if not _is_token(v, ",")]
                for i, v in enumerate(values):
                    pieces += [", "] if i else []
                    pieces.append(self._value(v))
            else:
                pieces += [" "] if pieces else []
                pieces.append(self._value(child))
        if name in PHRASES:
            self._pieces(st, depth, [" ".join([name, *(p for p in pieces if isinstance(p, str) and p.strip())])], "")
        else:
            self._pieces(st, depth, [name, *_merge(pieces)], "setting")

    def _value(self, node) -> str | _Block:
        if isinstance(node, Tree) and node.data == "keyblock" and node.meta.line != node.meta.end_line:
            return _Block(node)
        return _text(node)  # an expression, or a key block written on one line

    def _pieces(self, st: Tree, depth: int, pieces: list, group: str) -> None:
        """A statement's line(s): `pieces` are its columns, or text and key blocks printed one key a line."""
        if not any(isinstance(p, _Block) for p in pieces):
            self._add(depth, [p for p in pieces if p], group, st.meta.line, st.meta.end_line)
            return
        text, line = "", st.meta.line
        if group == "setting":  # a multi-line statement is not part of a column
            pieces = [pieces[0], " ", *pieces[1:]]
        for piece in pieces:
            if isinstance(piece, str):
                text += piece
                continue
            open_, close = _braces(piece.tree)
            self._add(depth, [text.rstrip() + " {"], "", line, open_.line)
            for key in _statements(piece.tree):
                self._key(key, depth + 1, "track")
            text, line = "}", close.line
        self._add(depth, [text], "", line, st.meta.end_line)

    def _key(self, key: Tree, depth: int, group: str) -> None:
        cells = _key_cells(key)
        while cells and not cells[-1]:  # a timeline key without a negative, or a morph
            cells.pop()
        self._add(depth, cells, group, key.meta.line, key.meta.end_line)

    def _add(self, depth: int, cells: list[str], group: str, first: int, last: int) -> None:
        self.out.append(Line(depth, tuple(cells), group, first, last))


# ---- keys ------------------------------------------------------------------------------


def _key_cells(key: Tree) -> list[str]:
    """A track key: time, value, transition. A timeline key: time, mix, morph, negative."""
    if key.data == "tl_end":
        return [_text(key.children[0]), "end"]
    return [_text(c) if c is not None else "" for c in key.children] if key.data == "tl_key" else \
        [_text(c) for c in key.children if c is not None]


# ---- one line of text from a subtree ----------------------------------------------------


def _text(node) -> str:
    if isinstance(node, Token):
        if node.type == "SIZE":
            width, height = re.split(r"\s*[xX]\s*", str(node))
            return f"{width}x{height}"
        if node.type == "REST":
            return str(node).strip()
        return str(node)
    children = [c for c in node.children if c is not None and not _is_separator(c)]
    rule = node.data
    if rule in BINARY:
        left, op, right = children
        spaced = _space_around(op, left, right)
        sep = " " if spaced else ""
        return f"{_text(left)}{sep}{op}{sep}{_text(right)}"
    if rule in UNARY:
        return "".join(_text(c) for c in children)
    if rule in ("call", "bezier", "atom"):  # name(a, b), (expr)
        head, inner = ("(", children[1:-1]) if rule == "atom" else (f"{children[0]}(", children[2:-1])
        args = [_text(c) for c in inner if not _is_token(c, ",")]
        return head + ", ".join(args) + ")"
    if rule == "values":
        return ", ".join(_text(c) for c in children if not _is_token(c, ","))
    if rule == "keyblock":  # written on one line: stays on one line
        keys = "; ".join(" ".join(_key_cells(k)) for k in _statements(node))
        return "{ " + keys + " }" if keys else "{}"
    return " ".join(_text(c) for c in children)


def _space_around(op: Token, left, right) -> bool:
    """Whether the writer put space beside a binary operator: kept as one space on both sides."""
    before = _last_token(left)
    after = _first_token(right)
    return before.end_pos < op.start_pos or op.end_pos < after.start_pos


def _first_token(node) -> Token:
    while isinstance(node, Tree):  # down the first children: a long `a + b + ...` is walked once
        node = next(c for c in node.children if c is not None)
    return node


def _last_token(node) -> Token:
    while isinstance(node, Tree):
        node = [c for c in node.children if c is not None][-1]
    return node


def _is_token(node, value: str) -> bool:
    return isinstance(node, Token) and str(node) == value


def _is_separator(node) -> bool:
    return isinstance(node, Token) and node.type in SEPARATORS


def _statements(tree: Tree) -> list[Tree]:
    """The statements (or keys) of a file or block, without braces, separators and keywords."""
    return [c for c in tree.children if isinstance(c, Tree)]


def _braces(tree: Tree) -> tuple[Token, Token]:
    tokens = [c for c in tree.children if isinstance(c, Token)]
    return next(t for t in tokens if t == "{"), [t for t in tokens if t == "}"][-1]


def _merge(pieces: list) -> list:
    """A setting's pieces after its name: consecutive text joined into one column."""
    merged: list = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


# ---- comments ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Comment:
    line: int
    text: str
    own_line: bool
    depth: int  # braces open where it is


def _comments(source: str, tree: Tree) -> list[_Comment]:
    """Every comment: the gaps between tokens hold only spaces, line continuations and comments."""
    tokens = sorted(tree.scan_values(lambda v: isinstance(v, Token)), key=lambda t: t.start_pos)
    found, depth, pos = [], 0, 0
    counted, line = 0, 1  # newlines counted up to `counted`: each stretch of the text is counted once
    for token in [*tokens, None]:
        end = token.start_pos if token is not None else len(source)
        for match in COMMENT.finditer(source, pos, end):
            start = match.start()
            line += source.count("\n", counted, start)
            counted = start
            line_start = source.rfind("\n", 0, start) + 1
            own_line = not source[line_start:start].strip()
            found.append(_Comment(line, match.group().rstrip(), own_line, depth))
        if token is None:
            break
        depth += {"{": 1, "}": -1}.get(str(token), 0) if token.type not in ("STRING", "REST") else 0
        pos = token.end_pos
    return found


def _with_comments(lines: list[Line], source: str, tree: Tree) -> list[Line]:
    """The lines with the comments put back and the blank lines that separated them kept (one at most)."""
    comments = _comments(source, tree)
    result = list(lines)
    ending: dict[int, list[int]] = {}  # source line -> the lines whose last token is on it
    for i, line in enumerate(result):
        ending.setdefault(line.last, []).append(i)
    for comment in (c for c in comments if not c.own_line):
        at = _owner(result, ending.get(comment.line, []), comment.line)
        result[at] = result[at].with_comment(comment.text)
    own = [c for c in comments if c.own_line]
    merged: list[Line] = []
    for line in result:
        while own and own[0].line < line.first:
            merged.append(_comment_line(own.pop(0)))
        merged.append(line)
    merged += [_comment_line(c) for c in own]
    blanks = [0]  # blanks[k]: blank source lines among lines 1..k
    for text in source.split("\n"):
        blanks.append(blanks[-1] + (not text.strip()))
    previous = 0
    spaced = []
    for line in merged:
        spaced.append(line.with_blank(previous > 0 and blanks[line.first - 1] > blanks[previous]))
        previous = max(previous, line.last)
    return spaced


def _owner(lines: list[Line], ending: list[int], number: int) -> int:
    """The line a trailing comment on source line `number` stays with: the last one ending there
    (`fps 12; steps 30  # c` keeps it on `steps`), a key rather than the `}` after it."""
    keys = [i for i in ending if not lines[i].closes]
    if keys or ending:
        return (keys or ending)[-1]
    return max(i for i, line in enumerate(lines) if line.first <= number)  # not reached: a safe fallback


def _comment_line(comment: _Comment) -> Line:
    return Line(comment.depth, (comment.text,), "", comment.line, comment.line, is_comment=True)
