"""Formatting through `ride fmt`: one edit replacing the document by its canonical layout."""

from __future__ import annotations

from lsprotocol import types

from ..errors import RideSyntaxError


def formatted(text: str) -> str | None:
    """The canonical layout, or None when the file cannot be formatted (a syntax error: the
    diagnostics already say where) or `ride fmt` is not in this installation."""
    try:
        from ..language.format import format_text
    except ImportError:  # `ride fmt` lands with the formatter's branch
        return None
    try:
        return format_text(text)
    except RideSyntaxError:
        return None


def register(server) -> None:
    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def format_document(ls, params: types.DocumentFormattingParams):
        document = ls.workspace.get_text_document(params.text_document.uri)
        text = document.source
        new = formatted(text)
        if new is None or new == text:
            return []
        lines = document.lines
        end = types.Position(line=len(lines), character=0)  # past the last line: the whole document
        return [types.TextEdit(range=types.Range(start=types.Position(line=0, character=0), end=end),
                               new_text=new)]
