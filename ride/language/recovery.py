"""One LALR parse that goes past every bad statement: Lark's interactive parser, driven by hand.

On an error the problem is reported, the parser goes back to where the bad statement began, the
text is skipped to the statement's end (the next newline or ';' at its own block depth, or the
'}' that closes its block) and parsing resumes. The bad statement is dropped; the rest is kept.
Each character is lexed or skipped about once, so the cost grows with the file, not with
file x errors (the old way re-parsed the whole file once per bad line).

Why restore points work: LALR reduces a statement into the list before it only once the
statement and its separator are complete, so the parser stack below a statement's first token
is untouched while the statement is being read. Lark builds a left-recursive list by appending
to the previous list in place, so a point saved before that reduction would hold the statement
twice once the reduction ran: the point is taken when a statement's first token is shifted
(after the reduction). The point saved after a separator, used only when the next statement's
very first token is bad, is safe because that token is tried on a copy before the real parser
sees it, so a failing first token never reduces anything.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from dataclasses import dataclass

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.parsers.lalr_analysis import Shift

SEPARATORS = frozenset({"_NL", "SEMICOLON"})


@dataclass(frozen=True)
class _RestorePoint:
    """The parser stacks at the start of the statement being read."""

    states: list
    values: list


class GiveUp(Exception):
    """Recovery cannot go on (too many problems, or the end of the file cannot be reached)."""


def parse_recovering(lark: Lark, text: str, report: Callable[[UnexpectedInput], None]) -> Tree:
    """The tree of every good statement of `text`.

    `report(error)` is called once per bad statement, in file order; it may raise GiveUp to stop.
    A block whose '}' is missing is closed where the next statement cannot be inside it (reported
    once), or at the end of the file. Raises GiveUp when the end of the file cannot be reached.
    """
    interactive = lark.parse_interactive(text)
    return _Driver(interactive, text, report).run()


class _Driver:
    def __init__(self, interactive, text: str, report):
        self.state = interactive.parser_state
        self.thread = interactive.lexer_thread
        self.text = text
        self.report = report
        # one restore point per open block; the last is the statement being read
        self.points = [self._point()]
        self.at_boundary = True  # the next token begins a statement
        self.last_error_pos = -1

    def _point(self, drop_last: bool = False) -> _RestorePoint:
        states, values = self.state.state_stack, self.state.value_stack
        if drop_last:
            return _RestorePoint(states[:-1], values[:-1])
        return _RestorePoint(states[:], values[:])

    def _restore(self) -> None:
        point = self.points[-1]
        self.state.state_stack[:] = point.states
        self.state.value_stack[:] = point.values

    def run(self) -> Tree:
        last: Token | None = None
        while True:
            try:
                for token in self.thread.lex(self.state):
                    if self.at_boundary and token.type in SEPARATORS and \
                            token.type not in self.state.parse_conf.states[self.state.position]:
                        continue  # extra separators after a dropped statement
                    if self.at_boundary and self._keyword_closes_block(token):
                        break  # lexed again after the '}', as the keyword it is out there
                    self._feed(token)
                    last = token
                else:
                    return self._end(last)
            except UnexpectedToken as error:
                self._recover(error, error.token.start_pos if error.token.start_pos is not None else 0)
            except UnexpectedCharacters as error:
                self._recover(error, error.pos_in_stream)

    def _end(self, last: Token | None) -> Tree:
        end = Token.new_borrow_pos("$END", "", last) if last else Token("$END", "", 0, 1, 1)
        try:
            return self.state.feed_token(end, True)
        except UnexpectedToken as error:
            return self._finish(error, end)

    def _feed(self, token: Token) -> None:
        if self.at_boundary and token.type not in SEPARATORS and not self._takes(token.type) and \
                (error := self._rejects([token])):
            # Tried first on a copy: a statement's first token could otherwise reduce the statement
            # before it into its list (in place) and then fail, and the restore point would hold it twice.
            raise error
        self.state.feed_token(token)
        if token.type in SEPARATORS:
            self.points[-1] = self._point()
            self.at_boundary = True
            return
        if self.at_boundary:
            self.points[-1] = self._point(drop_last=True)
            self.at_boundary = False
        if token.type == "LBRACE":
            self.points.append(self._point())
            self.at_boundary = True
        elif token.type == "RBRACE" and len(self.points) > 1:
            self.points.pop()

    # ---- recovery -------------------------------------------------------------------------

    def _recover(self, error: UnexpectedInput, pos: int) -> None:
        if isinstance(error, UnexpectedToken) and self._close_blocks_before(error):
            return
        self.report(error)
        self._restore()
        force = pos <= self.last_error_pos  # an error twice at one place: move on by force
        self.last_error_pos = pos
        self._move_to(_statement_end(self.text, pos, inside_block=len(self.points) > 1 and not force))
        self.at_boundary = True

    def _close_blocks_before(self, error: UnexpectedToken) -> bool:
        """A statement at column 1 inside a block: the block's '}' is missing; close it and go on."""
        token = error.token
        if token.column != 1 or "RBRACE" not in error.expected or token.type in SEPARATORS | {"RBRACE"}:
            return False
        self._restore()
        return self._close_blocks(token, token, error)

    def _keyword_closes_block(self, token: Token) -> bool:
        """`timeline {` at column 1 inside an unclosed block reads there as an unknown setting's name;
        where the block ends it is the keyword. So a word at column 1 that is a keyword once the
        block is closed closes it (one R107), rather than the rest of the file failing line by line."""
        keyword = str(token.value).upper()
        if token.type != "NAME" or token.column != 1 or len(self.points) < 2 or \
                keyword not in self.state.parse_conf.states[self.state.parse_conf.start_state]:
            return False
        error = UnexpectedToken(token, {"RBRACE"}, state=self.state)
        return self._close_blocks(_like(keyword, str(token.value), token), token, error)

    def _close_blocks(self, first: Token, token: Token, error: UnexpectedToken) -> bool:
        """Close as few blocks as make the parser take `first` (the statement's first token as it lexes
        outside them), report `error` once, and put the lexer back at `token`."""
        for closing in range(1, len(self.points)):
            sequence = [_like("RBRACE", "}", token)] * closing + [_like("_NL", "\n", token)]
            if not self._rejects([*sequence, first]):
                self.report(error)
                for synthetic in sequence:
                    self._feed(synthetic)
                self._move_to(token.start_pos)  # lexed again where the block is closed
                return True
        return False

    def _finish(self, error: UnexpectedToken, end: Token) -> Tree:
        """The file ended mid-statement or inside a block: drop the statement, close the blocks."""
        self.report(error)
        self._restore()
        self.at_boundary = False  # nothing follows: no first token of a statement to try
        for _ in range(len(self.points)):
            if not self._rejects([end]):
                return self.state.feed_token(end, True)
            closing = _like("RBRACE", "}", end)
            if self._rejects([closing]):
                break
            self._feed(closing)
        if not self._rejects([end]):
            return self.state.feed_token(end, True)
        raise GiveUp

    def _takes(self, kind: str) -> bool:
        """Would the parser shift a token of this kind? Its actions replayed on the state numbers only."""
        table = self.state.parse_conf.states
        stack = self.state.state_stack[-8:]  # a reduction of a statement's start pops at most a few
        while True:
            action = table[stack[-1]].get(kind)
            if action is None:
                return False
            if action[0] is Shift:
                return True
            rule = action[1]
            size = len(rule.expansion)
            if size >= len(stack):
                return False  # deeper than the copy: let the full trial decide
            if size:
                del stack[-size:]
            stack.append(table[stack[-1]][rule.origin.name][1])

    def _rejects(self, tokens: list[Token]) -> UnexpectedToken | None:
        """The error the parser would raise on these tokens, tried on a copy without callbacks
        (so no tree is built or touched); None when it takes them all."""
        trial = self.state.copy(deepcopy_values=False)
        trial.parse_conf = _quiet(trial.parse_conf)
        try:
            for token in tokens:
                trial.feed_token(token, token.type == "$END")
        except UnexpectedToken as error:
            return error
        return None

    def _move_to(self, pos: int) -> None:
        """Put the lexer at `pos`, forwards or back within the current line(s), keeping line/column right."""
        counter = self.thread.state.line_ctr
        if pos >= counter.char_pos:
            counter.feed(self.text[counter.char_pos:pos])
            return
        counter.line -= self.text.count("\n", pos, counter.char_pos)
        counter.line_start_pos = self.text.rfind("\n", 0, pos) + 1
        counter.char_pos = pos
        counter.column = pos - counter.line_start_pos + 1


def _quiet(conf):
    quiet = copy(conf)
    quiet.callbacks = {}
    return quiet


def _like(kind: str, value: str, where: Token) -> Token:
    return Token.new_borrow_pos(kind, value, where)


def _statement_end(text: str, pos: int, inside_block: bool) -> int:
    """Where the statement holding `pos` ends: after its newline or ';', or at the '}' closing its block.

    Strings and comments are skipped whole, so a brace or ';' inside them counts for nothing. A '}'
    at the very start is taken as junk when nothing encloses it (it closes no block).
    """
    depth, i, size = 0, pos, len(text)
    while i < size:
        char = text[i]
        if char in "\"'":
            close = _string_end(text, i)
            i = close
            continue
        if char == "#":
            newline = text.find("\n", i)
            i = size if newline < 0 else newline
            continue
        if char == "\\" and text[i + 1:i + 2] == "\n":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0 and (inside_block or i > pos):
                return i
            depth = max(0, depth - 1)
        elif char in "\n;" and depth == 0:
            return i + 1
        i += 1
    return size


def _string_end(text: str, start: int) -> int:
    """After a quoted string, or at the end of its line when it is not closed."""
    quote, i, size = text[start], start + 1, len(text)
    while i < size:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == quote:
            return i + 1
        if char == "\n":
            return i
        i += 1
    return size
