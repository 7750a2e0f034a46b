"""Source spans, the RideError family, and the one place errors become text.

Every user mistake ends up as a RideError carrying a Span; the CLI prints it with
format_error(). Nothing here imports the rest of ride.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Span:
    """A region of a source file: 1-based line/column of its first and last character."""

    line: int
    col: int
    end_line: int
    end_col: int  # exclusive, like Lark's end_column

    @staticmethod
    def point(line: int, col: int) -> Span:
        return Span(line, col, line, col + 1)


NO_SPAN = Span(0, 0, 0, 0)


@dataclass(frozen=True)
class Problem:
    """One error: where it is, what is wrong, and what to do about it.

    `code` is stable across releases (e.g. "R201"): shown after the message, listed in docs/errors.md,
    what an editor or a test matches on. Problems are values: copy with `replace()` to change one.
    """

    message: str
    span: Span = NO_SPAN
    hint: str = ""
    path: str = ""
    code: str = ""
    severity: str = "error"  # or "warning": shown, but the scene still compiles (silent audio)

    def at_path(self, path: str) -> Problem:
        """This problem in `path`, unless it already names a file."""
        return self if self.path or not path else replace(self, path=path)


class Diagnostics:
    """The one collector of a check, passed explicitly to every step that can find a problem.

    Steps report and go on, so every mistake of a file shows in one run (miniwdl's multi_context):

        diagnostics = Diagnostics(path, text)
        script = parse(text, diagnostics)         # syntax problems, recovering past each
        plan = compile_script(script, diagnostics)
        diagnostics.raise_if_any()                # all of them at once, in line order
    """

    def __init__(self, path: str = "", source: str = ""):
        self.path = path
        self.source = source
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []  # not problems: they never stop a check

    def error(self, code: str, message: str, span: Span = NO_SPAN, hint: str = "") -> None:
        self.problems.append(Problem(message, span, hint, self.path, code))

    def warn(self, code: str, message: str, span: Span = NO_SPAN, hint: str = "") -> None:
        self.warnings.append(Problem(message, span, hint, self.path, code, "warning"))

    def add(self, problem: Problem) -> None:
        self.problems.append(problem.at_path(self.path))

    def extend(self, problems) -> None:
        for problem in problems:
            self.add(problem)

    def __len__(self) -> int:
        return len(self.problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def sorted(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: (p.span.line, p.span.col))

    def raise_if_any(self, error: type[RideError] | None = None) -> None:
        if self.problems:
            raise (error or RideCompileError)(self.sorted(), self.source, self.path)


class RideError(Exception):
    """A user-facing error: one or more positioned problems. Never a bug in ride."""

    def __init__(self, problems: list[Problem] | Problem | str, source: str = "", path: str = ""):
        if isinstance(problems, str):
            problems = Problem(problems)
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = [p.at_path(path) for p in problems]
        self.source = source
        self.path = path
        super().__init__("; ".join(p.message for p in self.problems))

    def __str__(self) -> str:
        return format_error(self)


class RideSyntaxError(RideError):
    """The text is not in the language's shape (raised by syntax.py)."""


class RideCompileError(RideError):
    """The text parses but means nothing valid (raised by compiler.py)."""


class RideRenderError(RideError):
    """Rendering cannot go on: a missing model, an unreadable image, a bad output path."""


def format_problem(problem: Problem, source: str = "") -> str:
    """`path:line:col: error: message` (or `warning:`), the source line, a caret under the span, a hint."""
    span = problem.span
    where = problem.path or "ride"  # a problem with no file is the command line's
    if span.line > 0:
        where += f":{span.line}:{span.col}"
    # DESIGN's `path:line:col: error: message`, the stable code last, where tools and people find it
    code = f" [{problem.code}]" if problem.code else ""
    out = [f"{_printable(where)}: {problem.severity}: {_printable(problem.message)}{code}"]
    # Lark counts lines by "\n" alone; str.splitlines() would also break at \f, \v, \x1c-\x1e and \u2028
    lines = source.split("\n")
    if 0 < span.line <= len(lines):
        text = _printable(lines[span.line - 1].rstrip("\r").expandtabs(1), keep_width=True)
        start = span.col - 1
        # a span running over several lines is underlined to the end of its first line's code
        width = span.end_col - span.col if span.end_line == span.line else len(text.split("#")[0].rstrip()) - start
        width = max(1, min(width, max(1, len(text) - start)))
        text, start, width = _window(text, start, width)
        out.append(f"  {span.line:>4} | {text}")
        out.append(f"       | {' ' * start}{'^' * width}")
    if problem.hint:
        out.append(f"  hint: {_printable(problem.hint)}")
    return "\n".join(out)


_CONTROL = {c: "\ufffd" for c in [*range(0x00, 0x09), *range(0x0A, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029,
                                   *range(0x202A, 0x202F), *range(0x2066, 0x206A)]}


def _printable(text: str, keep_width: bool = False) -> str:
    """A script's text as the terminal may safely show it: control characters (escape sequences,
    bells, bidirectional overrides) never reach the terminal. In a source line each becomes one
    visible character, so the caret stays under its column; in a message, its escape code."""
    if keep_width:
        return text.translate(_CONTROL)
    return "".join(repr(c)[1:-1] if ord(c) in _CONTROL else c for c in text)


def _window(text: str, start: int, width: int, room: int = 100) -> tuple[str, int, int]:
    """Cut a long source line to `room` characters around the span, marking the cuts."""
    if len(text) <= room:
        return text, start, width
    width = min(width, room // 2)
    left = max(0, min(start - room // 4, len(text) - room))
    cut = text[left:left + room]
    prefix = "..." if left > 0 else ""
    suffix = "..." if left + room < len(text) else ""
    return prefix + cut + suffix, start - left + len(prefix), width


def format_error(error: RideError) -> str:
    return "\n".join(format_problem(p, error.source) for p in error.problems)


def did_you_mean(word: str, choices) -> str:
    """A hint naming the closest choice(s), or listing them when nothing is close."""
    import difflib

    choices = sorted(set(choices))
    close = difflib.get_close_matches(word, choices, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    if len(choices) <= 12:
        return "expected one of: " + ", ".join(choices)
    return ""
