"""The outline: settings, `let` names, the camera's settings, tracks with their keys, the timeline's keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from lsprotocol import types

from ..errors import Span
from ..language import nodes as n
from .analysis import Analysis
from .definition import name_span

Kind = types.SymbolKind


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: Kind
    span: Span
    detail: str = ""
    children: tuple[Symbol, ...] = field(default=())


def outline(analysis: Analysis) -> list[Symbol]:
    if analysis.script is None:
        return []
    return [_statement(analysis, st) for st in analysis.script.statements]


def _statement(analysis: Analysis, st) -> Symbol:
    if isinstance(st, n.Let):
        return Symbol(st.name, Kind.Variable, st.span, _text(analysis, st.expr.span))
    if isinstance(st, n.Camera):
        return Symbol("camera", Kind.Object, st.span, children=tuple(_statement(analysis, s) for s in st.settings))
    if isinstance(st, n.Track):
        keys = tuple(Symbol(_text(analysis, k.time.span), Kind.Key, k.span, _text(analysis, k.value.span))
                     for k in st.block.keys)
        return Symbol(f"track {st.name}", Kind.Array, st.span, children=keys)
    if isinstance(st, n.Timeline):
        return Symbol("timeline", Kind.Module, st.span, children=tuple(_entry(analysis, e) for e in st.entries))
    name = getattr(st, "name", None) or _first_word(analysis, st.span)
    return Symbol(name, Kind.Property, st.span, _text(analysis, st.span)[len(name):].strip())


def _entry(analysis: Analysis, entry) -> Symbol:
    time = _text(analysis, entry.time.span)
    if isinstance(entry, n.TimelineEnd):
        return Symbol(f"{time} end", Kind.Event, entry.span, "the scene's end")
    detail = " + ".join(t.source.text if isinstance(t.source, n.Prompt) else f"image {t.source.path}"
                        for t in entry.mix)
    return Symbol(time, Kind.Key, entry.span, detail)


def _text(analysis: Analysis, span: Span) -> str:
    first = analysis.line(span.line - 1)
    if span.end_line == span.line:
        return first[span.col - 1:span.end_col - 1]
    return first[span.col - 1:].strip() + " ..."


def _first_word(analysis: Analysis, span: Span) -> str:
    words = analysis.line(span.line - 1)[span.col - 1:].split()
    return words[0] if words else "?"


def _selection(analysis: Analysis, symbol: Symbol, st) -> Span:
    if isinstance(st, n.Let):
        return name_span(analysis, st)
    return Span(symbol.span.line, symbol.span.col, symbol.span.line,
                symbol.span.col + len(_first_word(analysis, symbol.span)))


def register(server) -> None:
    from .positions import client_range

    def convert(document, analysis: Analysis, symbol: Symbol, st=None) -> types.DocumentSymbol:
        return types.DocumentSymbol(
            name=symbol.name, kind=symbol.kind, detail=symbol.detail or None,
            range=client_range(document, symbol.span),
            selection_range=client_range(document, _selection(analysis, symbol, st)),
            children=[convert(document, analysis, child) for child in symbol.children] or None)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbols(ls, params: types.DocumentSymbolParams):
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        analysis = ls.analysis(uri)
        statements = analysis.script.statements if analysis.script else ()
        return [convert(document, analysis, symbol, st) for symbol, st in zip(outline(analysis), statements)]
