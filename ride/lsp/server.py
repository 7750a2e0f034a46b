"""`ride lsp`: the language server, on stdin/stdout. One module per feature registers its handlers here.

The server keeps one Analysis per open document (the text it was made from, its recovered
Script and every problem), remade when the text has changed since: every feature reads it.
"""

from __future__ import annotations

from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from . import completion, definition, diagnostics, formatting, hover, symbols
from .analysis import Analysis, analyze


class RideServer(LanguageServer):
    def __init__(self):
        super().__init__("ride", __version__)
        self.analyses: dict[str, Analysis] = {}

    def analysis(self, uri: str) -> Analysis:
        text = self.workspace.get_text_document(uri).source
        cached = self.analyses.get(uri)
        if cached is None or cached.text != text:
            cached = self.analyses[uri] = analyze(text, to_fs_path(uri) or "<script>")
        return cached

    def forget(self, uri: str) -> None:
        self.analyses.pop(uri, None)


def build_server() -> RideServer:
    server = RideServer()
    for feature in (diagnostics, hover, completion, definition, symbols, formatting):
        feature.register(server)
    return server
