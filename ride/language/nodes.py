"""The AST of a .ride script: frozen dataclasses, one per grammar rule, each with its span.

Spans are excluded from equality so that parse(unparse(ast)) == ast holds although a
re-printed script has its nodes at other columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import NO_SPAN, Span


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


# ---- expressions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Num:
    value: float
    span: Span = _span()


@dataclass(frozen=True)
class Name:
    id: str
    span: Span = _span()


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Unary:
    op: str  # "-" | "+" | "~"
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / % ** < <= > >= == != & |
    left: Expr
    right: Expr
    span: Span = _span()


Expr = Num | Name | Call | Unary | Binary

# ---- keys -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeRef:
    """A time on a key: `25`, `2s`, `4b`, `50%`, `+12`, `end`."""

    unit: str  # "f" | "s" | "b" | "%" | "end"
    amount: float = 0.0
    relative: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class Transition:
    """How a value arrives at its key: linear, hold, cubic, ease [in|out|in_out], bezier."""

    kind: str
    mode: str = ""  # for ease: "in" | "out" | "in_out" | "" (= in_out)
    points: tuple[float, ...] = ()  # for bezier: x1, y1, x2, y2
    span: Span = _span()


@dataclass(frozen=True)
class Key:
    time: TimeRef
    value: Expr
    transition: Transition | None = None
    span: Span = _span()


@dataclass(frozen=True)
class KeyBlock:
    keys: tuple[Key, ...]
    span: Span = _span()


Value = Expr | KeyBlock

# ---- settings -------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    text: str
    span: Span = _span()


@dataclass(frozen=True)
class TextSetting:
    name: str  # title, model, negative, init, output, audio
    text: str
    span: Span = _span()


@dataclass(frozen=True)
class ValueSetting:
    name: str  # fps, steps, guidance, strength, noise, cadence, bpm, adapter_scale, zoom, focus, pan, rotate
    values: tuple[Value, ...]
    span: Span = _span()


@dataclass(frozen=True)
class SizeSetting:
    width: int
    height: int
    span: Span = _span()


@dataclass(frozen=True)
class SeedSetting:
    value: Value | None  # None for `seed random`
    iterate: bool = False
    span: Span = _span()
    flow: bool = False  # `seed N flow`: the noise moves with the camera


@dataclass(frozen=True)
class WordSetting:
    name: str  # engine, color
    words: tuple[Word, ...]
    span: Span = _span()


@dataclass(frozen=True)
class SchedulerSetting:
    scheduler: str
    span: Span = _span()


@dataclass(frozen=True)
class DepthSetting:
    value: str  # auto, none, a number's text, or a quoted string's text
    quoted: bool  # written as a string: a depth model or a map, never a word
    span: Span = _span()


@dataclass(frozen=True)
class LoopSetting:
    mode: Word  # close | circle | pingpong
    duration: TimeRef | None = None
    transition: Transition | None = None
    span: Span = _span()


@dataclass(frozen=True)
class AdapterSetting:
    repo: str
    weight_name: str | None = None
    subfolder: str | None = None
    span: Span = _span()


@dataclass(frozen=True)
class LoraSetting:
    path: str  # hub id, folder or file
    weight: float | None = None
    span: Span = _span()


@dataclass(frozen=True)
class EmbeddingSetting:
    path: str  # a textual-inversion file, folder or hub id
    token: str | None = None
    span: Span = _span()


@dataclass(frozen=True)
class ReverseSetting:
    span: Span = _span()


@dataclass(frozen=True)
class Unknown:
    """A line starting with a word that is no setting: kept so the compiler can suggest one."""

    name: str
    rest: str = ""
    span: Span = _span()


@dataclass(frozen=True)
class Let:
    name: str
    expr: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Track:
    name: str
    block: KeyBlock
    span: Span = _span()


@dataclass(frozen=True)
class Camera:
    settings: tuple[Setting, ...]
    span: Span = _span()


# ---- timeline -------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    text: str
    span: Span = _span()


@dataclass(frozen=True)
class Image:
    path: str
    span: Span = _span()


@dataclass(frozen=True)
class Term:
    source: Prompt | Image
    weight: float | None = None
    span: Span = _span()


@dataclass(frozen=True)
class MorphSpec:
    duration: TimeRef
    method: str | None = None
    transition: Transition | None = None
    span: Span = _span()


@dataclass(frozen=True)
class TimelineKey:
    time: TimeRef
    mix: tuple[Term, ...]
    morph: MorphSpec | None = None
    negative: str | None = None
    span: Span = _span()


@dataclass(frozen=True)
class TimelineEnd:
    time: TimeRef
    span: Span = _span()


@dataclass(frozen=True)
class Timeline:
    entries: tuple[TimelineKey | TimelineEnd, ...]
    span: Span = _span()


Setting = (TextSetting | ValueSetting | SizeSetting | SeedSetting | WordSetting | SchedulerSetting | DepthSetting
           | LoopSetting | AdapterSetting | LoraSetting | EmbeddingSetting | ReverseSetting | Unknown)
Statement = Setting | Let | Track | Camera | Timeline


@dataclass(frozen=True)
class Script:
    statements: tuple[Statement, ...]
    span: Span = _span()
