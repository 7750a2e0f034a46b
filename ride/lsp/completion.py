"""Completion by context: the settings valid where the cursor is, track names after `track`, the
words a setting takes, scheduler names, morph methods, transitions, and in an expression the
functions, time variables and `let` names."""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types

from ..compile.timeline import MORPH_METHODS
from ..settings import BY_NAME, CAMERA_SETTINGS, TOP_LEVEL_SETTINGS, TRACKABLE, VALUE_SETTINGS, WORD_SETTINGS
from . import words
from .analysis import Analysis
from .context import CAMERA, TIMELINE, TOP, TRACK, cursor_context
from .positions import server_position

Kind = types.CompletionItemKind
LOOP_MODES = ("close", "pingpong")
EXPRESSION_SETTINGS = set(VALUE_SETTINGS) | {"seed"}


@dataclass(frozen=True)
class Item:
    label: str
    kind: Kind
    detail: str = ""


def complete(analysis: Analysis, line: int, char: int) -> list[Item]:
    context = cursor_context(analysis.text, line, char)
    if context.partial in ("#", '"'):
        return []
    tokens, first = context.words, context.first
    if tokens and tokens[-1] == "ease" and context.block != CAMERA:
        return [Item(m, Kind.EnumMember, words.TRANSITIONS[m]) for m in ("in", "out", "in_out")]
    if context.block == TOP:
        if not tokens:
            return [_setting(name) for name in TOP_LEVEL_SETTINGS]
        if first == "track" and len(tokens) == 1:
            return [_setting(name) for name in TRACKABLE]
        if first == "scheduler" and len(tokens) == 1:
            return _schedulers()
        if first in WORD_SETTINGS:
            return [Item(w, Kind.EnumMember, f"{first} {w}") for w in WORD_SETTINGS[first]]
        if first == "loop":
            return [Item(m, Kind.EnumMember, words.KEYWORDS[m]) for m in LOOP_MODES] if len(tokens) == 1 \
                else _transitions()
        if first == "seed":
            extra = [Item("random", Kind.Keyword, words.KEYWORDS["random"])] if len(tokens) == 1 \
                else [Item("iter", Kind.Keyword, words.KEYWORDS["iter"])]
            return extra + _expression(analysis)
        if first == "let" and "=" in tokens:
            return _expression(analysis, exclude=tokens[1] if len(tokens) > 1 else "")
        if first in EXPRESSION_SETTINGS:
            return _expression(analysis)
        return []
    if context.block == CAMERA:
        return [_setting(name) for name in CAMERA_SETTINGS] if not tokens else _expression(analysis)
    if context.block == TRACK:
        if not tokens:
            return [Item("end", Kind.Keyword, words.KEYWORDS["end"])]
        return _expression(analysis) + (_transitions() if len(tokens) >= 2 else [])
    if context.block == TIMELINE:
        return _timeline(tokens)
    return []


def _timeline(tokens: tuple[str, ...]) -> list[Item]:
    if "morph" in tokens:
        after = tokens[tokens.index("morph") + 1:]
        if not after:
            return []  # a length comes first
        methods = [Item(m, Kind.EnumMember, words.MORPH_METHODS[m]) for m in MORPH_METHODS]
        return (methods if len(after) == 1 else []) + _transitions()
    if not tokens:
        return []
    if any(t.startswith(('"', "'")) for t in tokens):  # after a prompt
        return [Item(k, Kind.Keyword, words.KEYWORDS[k]) for k in ("morph", "negative", "image")]
    return [Item(k, Kind.Keyword, words.KEYWORDS[k]) for k in ("image", "end")]


def _setting(name: str) -> Item:
    s = BY_NAME.get(name)
    return Item(name, Kind.Property, s.help) if s else Item(name, Kind.Keyword, words.KEYWORDS.get(name, ""))


def _schedulers() -> list[Item]:
    from ..engines.checkpoints import SCHEDULERS  # torch-free: the names and classes only

    return [Item(name, Kind.EnumMember, cls) for name, (cls, _) in SCHEDULERS.items()]


def _transitions() -> list[Item]:
    return [Item(name, Kind.EnumMember, text) for name, text in words.TRANSITIONS.items()
            if name not in ("in", "out", "in_out")]


def _expression(analysis: Analysis, exclude: str = "") -> list[Item]:
    items = [Item(name, Kind.Function, text) for name, text in words.FUNCTIONS.items()]
    items += [Item(name, Kind.Variable, text) for name, text in words.TIME_VARIABLES.items()]
    items += [Item(name, Kind.Constant, text) for name, text in words.CONSTANTS.items()]
    items += [Item(name, Kind.Variable, "let") for name in analysis.lets if name != exclude]
    return items


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[" "]))
    def completion(ls, params: types.CompletionParams):
        document = ls.workspace.get_text_document(params.text_document.uri)
        items = complete(ls.analysis(params.text_document.uri), *server_position(document, params.position))
        return types.CompletionList(is_incomplete=False, items=[
            types.CompletionItem(label=i.label, kind=i.kind, detail=i.detail or None,
                                 sort_text=f"{n:03d}") for n, i in enumerate(items)])

