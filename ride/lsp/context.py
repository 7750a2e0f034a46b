"""Where the cursor is, from a light scan of the text before it: which block, and the words of its line.

The AST cannot say this: the line being typed is usually not a statement yet, so the parser has
dropped it. A token scan that knows strings and comments is enough to tell a setting's name from
its value, and `camera { }` from a track.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TOP, CAMERA, TRACK, TIMELINE, OTHER = "top", "camera", "track", "timeline", "block"

_TOKEN = re.compile(r"""("(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)|(#[^\n]*)|([A-Za-z_][A-Za-z_0-9]*)|([{}])|(\n)|(\S)""")
_LINE_TOKEN = re.compile(r"""("(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)|(#.*)|([+]?\d[\w.%]*|[A-Za-z_][A-Za-z_0-9]*|\S)""")


@dataclass(frozen=True)
class CursorContext:
    block: str  # TOP, CAMERA, TRACK, TIMELINE or OTHER: the innermost block the cursor is in
    words: tuple[str, ...]  # the tokens of the statement before the cursor, the word being typed left out
    partial: str  # the word being typed ("" after a space)

    @property
    def first(self) -> str:
        return self.words[0] if self.words else ""


def cursor_context(text: str, line: int, char: int) -> CursorContext:
    lines = text.split("\n")
    before = "\n".join(lines[:line] + [lines[line][:char] if line < len(lines) else ""])
    block = _block(before)
    line_text = before.split("\n")[-1]
    tokens: list[str] = []
    for string, comment, word in _LINE_TOKEN.findall(line_text):
        if comment:
            return CursorContext(block, (), "#")  # in a comment: nothing to complete
        if word in (";", "{", "}"):  # each ends a statement or starts one
            tokens = []
        else:
            tokens.append(string or word)
    partial = ""
    if tokens and re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", tokens[-1]) and not line_text[-1:].isspace():
        partial = tokens.pop()
    if tokens and tokens[-1][:1] in "'\"" and not re.fullmatch(r"(\"|').*\1", tokens[-1]):
        return CursorContext(block, (), '"')  # in an unclosed string
    return CursorContext(block, tuple(tokens), partial)


def _block(before: str) -> str:
    """The innermost open block: each `{` is named by the first word of the statement it opens."""
    stack: list[str] = []
    first = ""
    for _string, _comment, word, brace, newline, _other in _TOKEN.findall(before):  # braces in these are text
        if newline:
            first = ""
        elif word and not first:
            first = word
        elif brace == "{":
            stack.append({"camera": CAMERA, "track": TRACK, "timeline": TIMELINE}.get(first, OTHER))
            first = ""
        elif brace == "}":
            if stack:
                stack.pop()
            first = ""
    return stack[-1] if stack else TOP
