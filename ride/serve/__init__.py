"""The live page of watch mode: `ride render FILE --watch --serve [HOST:PORT]`.

    page.py     LivePage: the watcher's output and callbacks feed a PageState (state.py)
    app.py      the starlette app: GET /, /status, /frames/N.png (DESIGN 1b), /curves, /keys, /events
    server.py   uvicorn on a thread of its own; HOST:PORT parsing
    page/       the page's HTML, script and style (package data, no CDN: it works offline)

The web stack (starlette, uvicorn, sse-starlette) is the optional extra `serve`, imported only in
this package; `open_page` says how to install it when it is missing.
"""

from __future__ import annotations

from ..errors import Problem, RideError

INSTALL = "pip install 'ride[serve]'"


def open_page(script: str, address: str | None):
    """A LivePage for `script` and its PageServer, bound to `address` (not yet started)."""
    try:
        import sse_starlette  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as missing:
        raise RideError(Problem(f"the live page (--serve) needs {missing.name}, which is not installed",
                                hint=INSTALL, code="R751")) from None
    from .app import make_app
    from .page import LivePage
    from .server import PageServer, parse_address

    place = parse_address(address)
    page = LivePage(script)
    return page, PageServer(make_app(page.state), place)
