"""Between ride's positions (0-based lines, Python characters) and the client's (UTF-16 units by default)."""

from __future__ import annotations

from lsprotocol import types
from pygls.workspace import TextDocument

from ..errors import Span
from .analysis import span_range


def client_range(document: TextDocument, span: Span) -> types.Range:
    line, char, end_line, end_char = span_range(span)
    return document.range_to_client_units(types.Range(types.Position(line, char), types.Position(end_line, end_char)))


def server_position(document: TextDocument, position: types.Position) -> tuple[int, int]:
    if position.line >= len(document.lines):  # the empty line after a final newline: pygls would clamp it
        return position.line, 0
    at = document.position_from_client_units(position)
    return at.line, at.character
