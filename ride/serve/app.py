"""The live page's web app (starlette): the contract of DESIGN 1b, and the page's own feeds.

    GET /                 the page (its HTML, script and style are package data, inlined: one file)
    GET /status           {"frames", "rendered", "state", "errors": [{"line", "col", "message", ...}], ...}
    GET /frames/N.png     frame N of the last good plan, 404 until it is rendered
    GET /curves           the plan's curves (ride/plot/series.py's JSON), for the page to draw
    GET /keys             the keys of the rendered frames (the page keeps a frame while its key stands)
    GET /events           server-sent events: pass, frame, status

Nothing else is served, and nothing from disk but frames of the frame store, found by number: a
path is never built from the request. Frame numbers are digits only (the route says so), so
`../`, `%2e%2e`, absolute paths and anything else are 404 before any code of ours runs.
"""

from __future__ import annotations

import asyncio
import io
import json
from importlib import resources

import numpy as np
from PIL import Image
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .state import PageEvent, PageState

QUEUE = 256  # events a slow page may fall behind by; beyond, it misses frame events (status follows)
PING = 15  # seconds between keep-alive comments on the event stream


def page_html() -> str:
    """The page: index.html with its script and style put in place."""
    folder = resources.files(__package__) / "page"
    html = (folder / "index.html").read_text(encoding="utf-8")
    return (html.replace("/*STYLE*/", (folder / "page.css").read_text(encoding="utf-8"))
                .replace("/*SCRIPT*/", (folder / "page.js").read_text(encoding="utf-8")))


def png_bytes(image: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="PNG", compress_level=1)  # fast: the page is local
    return out.getvalue()


class Closing:
    """Set when the server stops: every event stream ends, so the server can finish at once."""

    def __init__(self):
        self.streams: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = []
        self.closed = False

    def close(self) -> None:
        """From any thread."""
        self.closed = True
        for loop, queue in list(self.streams):
            loop.call_soon_threadsafe(_offer, queue, None)


def make_app(state: PageState) -> Starlette:
    html = page_html()
    closing = Closing()

    async def page(request: Request) -> Response:
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

    async def status(request: Request) -> Response:
        return JSONResponse(state.status(), headers={"Cache-Control": "no-store"})

    async def curves(request: Request) -> Response:
        return JSONResponse(state.curves or {}, headers={"Cache-Control": "no-store"})

    async def keys(request: Request) -> Response:
        return JSONResponse(state.keys_shown(), headers={"Cache-Control": "no-store"})

    async def frame(request: Request) -> Response:
        index = request.path_params["index"]
        found = state.image(index) if index < 10**9 else None
        if found is None:
            return Response("frame not rendered", status_code=404, media_type="text/plain")
        key, image = found
        etag = f'"{key}"'
        # the same N may be another frame after an edit; the page asks with ?k=KEY, a URL that is
        # only ever this image, so that one the browser may keep
        cache = "max-age=86400, immutable" if request.query_params.get("k") == key else "no-cache"
        headers = {"ETag": etag, "Cache-Control": cache}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        if image is None:
            return Response("frame not in the cache", status_code=404, media_type="text/plain")
        return Response(await run_in_threadpool(png_bytes, image), media_type="image/png", headers=headers)

    async def events(request: Request) -> Response:
        queue: asyncio.Queue = asyncio.Queue(QUEUE)
        loop = asyncio.get_running_loop()

        def push(event: PageEvent) -> None:  # on the render thread
            loop.call_soon_threadsafe(_offer, queue, event)

        stop = state.listen(push)
        closing.streams.append((loop, queue))

        async def stream():
            try:
                yield {"event": "status", "data": json.dumps(state.status())}
                while not closing.closed:
                    event = await queue.get()
                    if event is None:
                        return
                    yield {"event": event.kind, "data": json.dumps(event.data)}
            finally:
                stop()
                closing.streams.remove((loop, queue))

        return EventSourceResponse(stream(), ping=PING, headers={"Cache-Control": "no-store"})

    routes = [
        Route("/", page), Route("/status", status), Route("/curves", curves), Route("/keys", keys),
        Route("/events", events), Route("/frames/{index:int}.png", frame),
    ]
    app = Starlette(routes=routes)
    app.state.closing = closing
    return app


def _offer(queue: asyncio.Queue, event: PageEvent | None) -> None:
    """Queue an event for a page (None: the end); a page too far behind misses frame events."""
    if queue.full() and event is not None and event.kind == "frame":
        return
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(event)
