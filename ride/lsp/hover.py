"""Hover: what a word means here. Settings from the settings table; functions, variables (with their
range over the scene), transitions and morph methods from words.py; on a key's time, its frame and
time in seconds."""

from __future__ import annotations

import math
import re

from lsprotocol import types

from ..compile.expressions import MUSIC_VARIABLES
from ..compile.timing import Clock
from ..errors import Diagnostics, Span
from ..language import nodes as n
from ..settings import BY_NAME, TRACK, Setting
from . import words
from .analysis import Analysis, path_to, value_range, word_at
from .context import cursor_context
from .positions import client_range, server_position


def hover_text(analysis: Analysis, line: int, char: int) -> tuple[str, Span] | None:
    """Markdown for the position and the span it describes, or None."""
    text = analysis.line(line)
    word, start, end = word_at(text, char)
    nodes = path_to(analysis.script, line, char) if analysis.script else []
    span = Span(line + 1, start + 1, line + 1, end + 1)
    time = next((x for x in reversed(nodes) if isinstance(x, n.TimeRef)), None)
    if time is not None:
        return _time(analysis, nodes, time), time.span
    scheduler = re.match(r"\s*scheduler\s+([^\s#;]+)", text)  # names like dpm++_karras are no words
    if scheduler and scheduler.start(1) <= char <= scheduler.end(1):
        return _scheduler(scheduler.group(1)), Span(line + 1, scheduler.start(1) + 1, line + 1, scheduler.end(1) + 1)
    if not word or cursor_context(analysis.text, line, start).partial in ("#", '"'):
        return None  # nothing, or a word of a comment or a prompt
    before = text[:start].strip()
    after = text[end:].lstrip()
    if (not before or before.endswith(("{", ";")) or re.fullmatch(r"track", before)) and word in BY_NAME:
        return _setting(BY_NAME[word]), span
    if word in words.FUNCTIONS and after.startswith("("):
        return f"**{word}**(...): {words.FUNCTIONS[word]}", span
    if word in words.TRANSITIONS and word not in ("in", "out") or word in ("in", "out") and "ease" in before:
        return f"**{word}** (transition): {words.TRANSITIONS[word]}", span
    if word in words.MORPH_METHODS and "morph" in before:
        return f"**{word}** (morph method): {words.MORPH_METHODS[word]}", span
    if word in words.TIME_VARIABLES or word in analysis.lets:
        return _variable(analysis, word), span
    if word in words.CONSTANTS:
        return f"**{word}**: {words.CONSTANTS[word]}", span
    if word in words.KEYWORDS:
        return f"**{word}**: {words.KEYWORDS[word]}", span
    return None


def _setting(s: Setting) -> str:
    lines = [f"**{s.name}** ({s.kind}{', per frame' if s.column else ''}): {s.help}", ""]
    if s.words:
        lines.append(f"- words: {', '.join(s.words)}")
    if s.low != -math.inf or s.high != math.inf:
        lines.append(f"- range: {s.range_text()}")
    if s.unit:
        lines.append(f"- unit: {s.unit}")
    if s.default not in (None, ""):
        lines.append(f"- default: `{s.default:g}`" if isinstance(s.default, float) else f"- default: `{s.default}`")
    where = "only as a track" if s.where == (TRACK,) else f"in {', '.join(s.where)}"
    lines.append(f"- written {where}" + ("; may be a track" if s.trackable and s.where != (TRACK,) else ""))
    return "\n".join(lines)


def _scheduler(word: str) -> str:
    from ..engines.checkpoints import SCHEDULERS  # torch-free: the names and classes only

    if word in SCHEDULERS:
        name, overrides = SCHEDULERS[word]
        extra = ", ".join(f"{k}={v}" for k, v in overrides.items())
        return f"**{word}** (scheduler): diffusers' `{name}`" + (f" with {extra}" if extra else "")
    return f"**{word}**: not a scheduler ride knows; one of {', '.join(SCHEDULERS)}"


def _variable(analysis: Analysis, name: str) -> str:
    meaning = words.TIME_VARIABLES.get(name) or f"`{_source(analysis, analysis.lets[name].span)}`"
    head = f"**{name}**: {meaning}"
    clock, values = analysis.clock, analysis.names
    if name in MUSIC_VARIABLES:  # its values are the song's: `ride plan` shows them per frame
        return head + "\n\nper frame, from the scene's `audio` (see `ride plan`)"
    if values is None:
        return head + "\n\nits range shows once the timeline's `N end` sets the scene's length"
    if name in values.failed:
        return head + "\n\nits expression has errors"
    low, high = value_range(values.values[name])
    spread = f"{low:.4g}" if low == high else f"{low:.4g} .. {high:.4g}"
    return head + f"\n\nover the scene ({clock.length} frames at {clock.fps:g} fps): {spread}"


def _source(analysis: Analysis, span: Span) -> str:
    lines = analysis.lines[span.line - 1:span.end_line]
    if not lines:
        return ""
    if len(lines) == 1:
        return lines[0][span.col - 1:span.end_col - 1]
    return "\n".join([lines[0][span.col - 1:], *lines[1:-1], lines[-1][:span.end_col - 1]])


def _time(analysis: Analysis, nodes: list, time: n.TimeRef) -> str:
    clock = analysis.clock
    unit = words.UNITS[time.unit]
    written = _source(analysis, time.span)
    owner = next((x for x in reversed(nodes) if isinstance(x, (n.KeyBlock, n.Timeline, n.MorphSpec,
                                                                     n.LoopSetting))), None)
    if isinstance(owner, (n.MorphSpec, n.LoopSetting)):  # a length of time, not a moment
        frames = clock.duration(time)
        return f"**{written}** ({unit}): {frames:g} frames = {frames / clock.fps:.2f} s at {clock.fps:g} fps"
    frame = _key_frame(owner, time, clock)
    if frame is None:
        return f"**{written}** ({unit}): its frame is not known until the scene's length is"
    if isinstance(owner, n.Timeline) and nodes[-2:-1] and isinstance(nodes[-2], n.TimelineEnd):
        return f"**{written}** ({unit}): the scene's end: {round(frame)} frames, {round(frame) / clock.fps:.2f} s"
    where = f"frame {frame:g}" if isinstance(owner, n.KeyBlock) else f"frame {round(frame)}"  # keys snap to frames
    return f"**{written}** ({unit}): {where}, {frame / clock.fps:.2f} s at {clock.fps:g} fps"


def _key_frame(owner, time: n.TimeRef, clock: Clock) -> float | None:
    """The frame of a key's time, walking the keys before it (a `+12` counts from the previous key)."""
    entries = owner.keys if isinstance(owner, n.KeyBlock) else owner.entries if owner is not None else ()
    previous = None
    for entry in entries:
        frame = clock.frame(entry.time, previous, Diagnostics())  # None for `50%` while the length is unknown
        if entry.time is time:
            return frame
        previous = frame if frame is not None else previous
    return None


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls, params: types.HoverParams):
        document = ls.workspace.get_text_document(params.text_document.uri)
        found = hover_text(ls.analysis(params.text_document.uri), *server_position(document, params.position))
        if found is None:
            return None
        markdown, span = found
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown),
                           range=client_range(document, span))
