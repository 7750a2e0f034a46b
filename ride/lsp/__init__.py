"""The language server (`ride lsp`): diagnostics, hover, completion, definition, references,
symbols and formatting for .ride files in any editor with an LSP client. Needs the `lsp` extra
(pygls, lsprotocol); nothing here is imported by the rest of ride."""

from __future__ import annotations

from ..errors import Problem, RideError

INSTALL = "pip install 'ride[lsp]'  (or: pip install 'pygls>=2,<3')"


def serve() -> int:
    """Run the server on stdin/stdout until the editor closes it."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        raise RideError(Problem("`ride lsp` needs pygls, which is not installed", hint=INSTALL,
                                code="R790")) from None
    from .server import build_server

    build_server().start_io()
    return 0
