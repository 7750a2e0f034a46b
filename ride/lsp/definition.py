"""Go to definition and find references of `let` names, from the AST's Name nodes."""

from __future__ import annotations

import re

from lsprotocol import types

from ..errors import Span
from ..language import nodes as n
from .analysis import Analysis, walk, word_at
from .positions import client_range, server_position


def _let_under_cursor(analysis: Analysis, line: int, char: int) -> n.Let | None:
    word, _, _ = word_at(analysis.line(line), char)
    return analysis.lets.get(word)


def name_span(analysis: Analysis, let: n.Let) -> Span:
    """The span of the name in `let name = ...` (the Let node's span is the whole statement)."""
    text = analysis.line(let.span.line - 1)
    match = re.compile(rf"\blet\s+({re.escape(let.name)})\b").search(text, let.span.col - 1)
    if match is None:
        return let.span
    return Span(let.span.line, match.start(1) + 1, let.span.line, match.end(1) + 1)


def definition(analysis: Analysis, line: int, char: int) -> Span | None:
    let = _let_under_cursor(analysis, line, char)
    return name_span(analysis, let) if let is not None else None


def references(analysis: Analysis, line: int, char: int, include_declaration: bool) -> list[Span]:
    let = _let_under_cursor(analysis, line, char)
    if let is None or analysis.script is None:
        return []
    uses = [node.span for node in walk(analysis.script) if isinstance(node, n.Name) and node.id == let.name]
    return ([name_span(analysis, let)] if include_declaration else []) + uses


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def goto_definition(ls, params: types.DefinitionParams):
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        span = definition(ls.analysis(uri), *server_position(document, params.position))
        return types.Location(uri=uri, range=client_range(document, span)) if span else None

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def find_references(ls, params: types.ReferenceParams):
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        spans = references(ls.analysis(uri), *server_position(document, params.position),
                           params.context.include_declaration)
        return [types.Location(uri=uri, range=client_range(document, span)) for span in spans]
