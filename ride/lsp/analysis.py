"""One open document, checked: its recovered Script and every problem, by the real compiler.

Each feature reads an Analysis, never the text alone, so hover, completion and the outline work
on a broken file too (the parser recovers past each bad statement). Positions here are
0-based (line, character) in Python characters; server.py converts to the client's units.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..compile.compiler import compile_script, time_env
from ..compile.reader import FILES
from ..compile.statements import gather
from ..compile.timeline import scene_length
from ..compile.timing import Clock
from ..engines import check_engine_options
from ..errors import Diagnostics, Problem, RideError, Span
from ..language import nodes as n
from ..language.syntax import parse
from ..settings import BY_NAME

WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


@dataclass(frozen=True)
class Analysis:
    text: str
    path: str
    script: n.Script | None  # None when nothing could be recovered (a flood of errors)
    problems: tuple[Problem, ...]  # errors, then warnings (a silent `audio`)

    @functools.cached_property  # (it writes the instance's __dict__ directly: fine on a frozen dataclass)
    def lines(self) -> list[str]:
        return self.text.split("\n")  # as Lark counts lines

    @functools.cached_property
    def clock(self) -> Clock:
        """The scene's fps, bpm and length: worked out once per text, however often the user hovers."""
        return scene_clock(self.script)

    @functools.cached_property
    def names(self) -> NameValues | None:
        """Every name's value over the scene, once per text (None while the length is unknown)."""
        return name_values(self.script, self.clock)

    def line(self, index: int) -> str:
        lines = self.lines
        return lines[index].rstrip("\r") if 0 <= index < len(lines) else ""

    @property
    def lets(self) -> dict[str, n.Let]:
        """Each `let` name and its first definition."""
        found: dict[str, n.Let] = {}
        for statement in self.script.statements if self.script else ():
            if isinstance(statement, n.Let):
                found.setdefault(statement.name, statement)
        return found


class DocumentReader:
    """The compiler's Reader: the editor's unsaved text for the document itself, the disk for the rest."""

    def __init__(self, path: Path, text: str):
        self.path, self.text = path.resolve(), text

    def read_text(self, path: Path) -> str:
        return self.text if Path(path).resolve() == self.path else FILES.read_text(path)

    def read_bytes(self, path: Path) -> bytes:
        return self.text.encode() if Path(path).resolve() == self.path else FILES.read_bytes(path)

    def is_file(self, path: Path) -> bool:
        return Path(path).resolve() == self.path or FILES.is_file(path)


def analyze(text: str, path: str = "<script>") -> Analysis:
    """Parse and compile as `ride check` does; the problems instead of an exception."""
    diagnostics = Diagnostics(path, text)
    script = parse(text, path, diagnostics)
    if script is not None:
        reader = DocumentReader(Path(path), text) if path != "<script>" else FILES
        try:
            plan = compile_script(script, diagnostics, path, reader=reader)
            if not diagnostics:
                diagnostics.extend(check_engine_options(plan))  # an unknown scheduler, as `ride check` says
        except RideError as error:  # a step that raises rather than reports: still shown, not lost
            diagnostics.extend(error.problems)
    problems = diagnostics.sorted() + sorted(diagnostics.warnings, key=lambda p: (p.span.line, p.span.col))
    return Analysis(text, path, script, tuple(problems))


# ---- positions ------------------------------------------------------------------------


def span_range(span: Span) -> tuple[int, int, int, int]:
    """A Span (1-based, end exclusive) as 0-based start line, start char, end line, end char."""
    if span.line <= 0:  # a problem of the whole file
        return 0, 0, 0, 0
    return span.line - 1, span.col - 1, span.end_line - 1, span.end_col - 1


def contains(span: Span, line: int, char: int) -> bool:
    """Is the 0-based position inside the span (its end included: the cursor just after a word)?"""
    if span.line <= 0:
        return False
    start, end = (span.line - 1, span.col - 1), (span.end_line - 1, span.end_col - 1)
    return start <= (line, char) <= end


def word_at(line_text: str, char: int) -> tuple[str, int, int]:
    """The name under (or just before) the cursor, with its start and end; ("", char, char) if none."""
    for match in WORD.finditer(line_text):
        if match.start() <= char <= match.end():
            return match.group(), match.start(), match.end()
    return "", char, char


def walk(node) -> Iterator:
    """Every node under `node` (itself included), depth first, in source order."""
    yield node
    if dataclasses.is_dataclass(node):
        for field in dataclasses.fields(node):
            if field.name != "span":
                yield from walk(getattr(node, field.name))
    elif isinstance(node, tuple):
        for item in node:
            yield from walk(item)


def path_to(script: n.Script, line: int, char: int) -> list:
    """The nodes whose spans hold the position, outermost first."""
    found: list = []
    nodes = list(script.statements)
    while nodes:
        inner = [x for x in nodes if hasattr(x, "span") and contains(x.span, line, char)]
        if not inner:
            break
        found.append(inner[-1])
        nodes = [child for child in _children(inner[-1])]
    return found


def _children(node) -> list:
    out = []
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        for item in value if isinstance(value, tuple) else (value,):
            if dataclasses.is_dataclass(item):
                out.append(item)
    return out


# ---- the scene's clock and names -------------------------------------------------------


def scene_clock(script: n.Script) -> Clock:
    """fps, bpm and the length as the compiler finds them (defaults where unusable): for time hovers
    on a file that does not compile as a whole."""
    g = gather(script, Diagnostics())
    fps = _plain(g, "fps")
    bpm = _plain(g, "bpm")
    FPS, BPM = BY_NAME["fps"], BY_NAME["bpm"]
    fps = fps if FPS.low < fps <= FPS.high else FPS.default
    bpm = bpm if BPM.low <= bpm <= BPM.high else BPM.default
    length = scene_length(g.timeline, Clock(fps, bpm, None), Diagnostics()) if g.timeline else None
    return Clock(fps, bpm, length if length is not None and 1 <= length <= 1_000_000 else None)


def _plain(g, name: str) -> float:
    if name in g.values and isinstance(g.values[name][1][0], n.Num):
        return g.values[name][1][0].value
    return BY_NAME[name].default


@dataclass(frozen=True)
class NameValues:
    values: Mapping  # name -> its value over all frames (an array) or a constant
    failed: frozenset[str]  # `let` names whose expressions have errors


def name_values(script: n.Script, clock: Clock) -> NameValues | None:
    """Every name's value over the scene (None while the scene's length is unknown)."""
    if clock.length is None:
        return None
    g = gather(script, Diagnostics())
    diagnostics = Diagnostics()
    values = time_env(g, diagnostics, clock.length, clock.fps, clock.bpm)
    failed = {let.name for let in g.lets
              for p in diagnostics.problems if _inside(p.span, let.span)}
    return NameValues(values, frozenset(failed))


def _inside(inner: Span, outer: Span) -> bool:
    return (outer.line, outer.col) <= (inner.line, inner.col) and \
        (inner.end_line, inner.end_col) <= (outer.end_line, outer.end_col)


def value_range(value) -> tuple[float, float]:
    array = np.asarray(value, dtype=np.float64)
    return float(array.min()), float(array.max())
