"""Diagnostics as you type: every problem of the file from the real compiler, with its range,
code and hint; published a moment after the typing stops, and cleared when fixed."""

from __future__ import annotations

import asyncio

from lsprotocol import types
from pygls.workspace import TextDocument

from ..errors import Problem
from .positions import client_range

DEBOUNCE_SECONDS = 0.3  # long enough to skip the states between keystrokes, short enough to feel live


def to_diagnostic(document: TextDocument, problem: Problem) -> types.Diagnostic:
    message = problem.message + (f"\nhint: {problem.hint}" if problem.hint else "")
    severity = types.DiagnosticSeverity.Warning if problem.severity == "warning" else types.DiagnosticSeverity.Error
    return types.Diagnostic(range=client_range(document, problem.span), message=message,
                            severity=severity, code=problem.code or None, source="ride")


def publish(server, uri: str) -> None:
    document = server.workspace.get_text_document(uri)
    analysis = server.analysis(uri)
    diagnostics = [to_diagnostic(document, p) for p in analysis.problems]
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=document.version))


def register(server) -> None:
    pending: dict[str, asyncio.Task] = {}  # per document: the check waiting for the typing to stop

    async def later(uri: str) -> None:
        await asyncio.sleep(DEBOUNCE_SECONDS)
        pending.pop(uri, None)
        publish(server, uri)

    def schedule(uri: str) -> None:
        if uri in pending:
            pending.pop(uri).cancel()
        pending[uri] = asyncio.get_running_loop().create_task(later(uri))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls, params: types.DidOpenTextDocumentParams):
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls, params: types.DidChangeTextDocumentParams):
        schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls, params: types.DidSaveTextDocumentParams):
        publish(ls, params.text_document.uri)  # files beside it (images) may have changed

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        if uri in pending:
            pending.pop(uri).cancel()
        ls.forget(uri)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
