"""Lines of cells -> text: the columns and comment alignment of `ride fmt` (format.py makes the lines).

A run is a stretch of lines of one kind at one depth, ended by a blank line or by a line of another
kind (a multi-line statement's lines have no kind). Full-line comments sit inside runs without ending
them: a comment about one setting of a table leaves the table whole.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

INDENT = "  "
# per kind: the spaces after a column, and the least width of its first columns (times take 6
# columns, track values 7: `0     0.3`, `12b   0.35   ease out` line up the same in every block)
GAP = {"setting": 1, "let": 1, "track": 2, "timeline": 2}
LEAST = {"track": (6, 7), "timeline": (6,)}
COMMENT_GAP = 2


@dataclass(frozen=True)
class Line:
    depth: int
    cells: tuple[str, ...]  # columns (one for a line of no kind)
    kind: str  # "setting" | "let" | "track" | "timeline" | "" (not aligned)
    first: int  # source lines of its first and last token (comments are placed by them)
    last: int
    comment: str = ""  # a trailing comment
    blank: bool = False  # a blank line before it
    is_comment: bool = False  # a comment on a line of its own (cells[0] is its text)

    def with_comment(self, text: str) -> Line:
        return replace(self, comment=f"{self.comment} {text}" if self.comment else text)

    def with_blank(self, blank: bool) -> Line:
        return replace(self, blank=blank)

    @property
    def opens(self) -> bool:
        return not self.is_comment and self.cells[-1].endswith("{")

    @property
    def closes(self) -> bool:
        return not self.is_comment and self.cells[0].startswith("}")


def render(lines: list[Line]) -> str:
    lines = _blanks(lines)
    texts = [_cells_text(line, widths) for line, widths in zip(lines, _column_widths(lines), strict=True)]
    texts = _with_comments(lines, texts)
    out = []
    for line, text in zip(lines, texts, strict=True):
        if line.blank:
            out.append("")
        out.append((INDENT * line.depth + text).rstrip())
    return "\n".join(out) + "\n" if out else ""


def _blanks(lines: list[Line]) -> list[Line]:
    """No blank line at the start, after a `{` or before a `}`."""
    out = []
    for i, line in enumerate(lines):
        keep = line.blank and i > 0 and not lines[i - 1].opens and not line.closes
        out.append(line.with_blank(keep))
    return out


def _runs(lines: list[Line], same) -> list[list[int]]:
    """Indices of code lines in runs: consecutive, no blank line between, `same(a, b)` for neighbours."""
    runs: list[list[int]] = []
    previous = None
    for i, line in enumerate(lines):
        if line.is_comment:
            if line.blank:
                previous = None
            continue
        if previous is None or line.blank or not same(lines[previous], line):
            runs.append([])
        runs[-1].append(i)
        previous = i
    return runs


def _column_widths(lines: list[Line]) -> list[tuple[int, ...]]:
    widths: list[tuple[int, ...]] = [() for _ in lines]
    for run in _runs(lines, lambda a, b: a.kind == b.kind and a.depth == b.depth):
        kind = lines[run[0]].kind
        if not kind:
            continue
        columns = max(len(lines[i].cells) for i in run)
        least = LEAST.get(kind, ())
        run_widths = []
        for j in range(columns - 1):
            # a line's last cell is not part of a column: a long prompt with nothing after it
            # does not push the morphs of the other lines to the right; an empty cell (a negative
            # without a morph before it) takes no room
            cells = [lines[i].cells[j] for i in run if len(lines[i].cells) > j + 1 and lines[i].cells[j]]
            width = max((len(c) + GAP[kind] for c in cells), default=0)
            run_widths.append(max(width, least[j] if j < len(least) else 0))
        for i in run:
            widths[i] = tuple(run_widths)
    return widths


def _cells_text(line: Line, widths: tuple[int, ...]) -> str:
    if line.is_comment:
        return line.cells[0]
    if not widths:
        return " ".join(line.cells)
    last = len(line.cells) - 1
    return "".join(c.ljust(widths[j]) if j < last else c for j, c in enumerate(line.cells))


def _with_comments(lines: list[Line], texts: list[str]) -> list[str]:
    """Trailing comments two spaces after the longest line of their run that has one."""
    texts = list(texts)
    for run in _runs(lines, lambda a, b: a.depth == b.depth):
        commented = [i for i in run if lines[i].comment]
        if not commented:
            continue
        column = max(len(texts[i].rstrip()) for i in commented) + COMMENT_GAP
        for i in commented:
            texts[i] = texts[i].rstrip().ljust(column) + lines[i].comment
    return texts
