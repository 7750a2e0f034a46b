"""A watch session with its live page on a free port, on threads of its own: for the page's tests
(HTTP and browser) and bench/page_latency.py.

    with LiveSession(script) as live:
        live.wait(lambda s: s["state"] == "done")
        status, headers, body = live.get("/frames/0.png")
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from pathlib import Path

from ride.api import RenderRequest
from ride.serve import open_page
from ride.watch import Watcher


class LiveSession:
    def __init__(self, script: str | Path, **request: object):
        self.script = Path(script)
        request = {"engine": "preview", "write_video": False, **request}
        self.page, self.server = open_page(str(script), "127.0.0.1:0")
        self.error: Exception | None = None  # the last one (a list would hold every traceback of a long session)
        self.watcher = Watcher(RenderRequest(str(script), **request), outputs=(self.page.output,),
                               on_start=self.page.started, on_error=self._failed)
        self.thread = threading.Thread(target=self.watcher.run, name="watch", daemon=True)
        host, port = self.server.socket.getsockname()[:2]
        self.host, self.port = host, port
        self.url = self.server.url

    def _failed(self, error: Exception) -> None:
        self.error = error
        self.page.failed(error)

    def __enter__(self) -> LiveSession:
        self.server.start()
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.watcher.stop()
        self.thread.join(30)
        self.server.stop()

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        """GET `path` exactly as written (no normalising of `..` or `%2e`)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.putrequest("GET", path, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def status(self) -> dict:
        code, _, body = self.get("/status")
        assert code == 200
        return json.loads(body)

    def wait(self, ready, timeout: float = 60.0) -> dict:
        """Polls /status until `ready(status)`; the last status."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.status()
            if ready(status):
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"the page never got there: {status}")
            time.sleep(0.02)

    def edit(self, old: str, new: str) -> None:
        """Saves the script with `old` replaced (as an editor would: written in place)."""
        text = self.script.read_text()
        assert old in text, old
        self.script.write_text(text.replace(old, new, 1))
