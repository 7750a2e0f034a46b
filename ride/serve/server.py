"""The web server on a thread of its own (uvicorn), beside the watcher that renders.

    with PageServer(app, Address("127.0.0.1", 8737)) as server:
        print(server.url)
        watcher.run()          # Ctrl-C ends it; leaving the block stops the server

The socket is bound here, before the server starts, so a port in use is a clear error at once.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from ..errors import Problem, RideError

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8737
STARTUP = 10.0  # seconds the server may take to start
SHUTDOWN = 3.0


@dataclass(frozen=True)
class Address:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"


def parse_address(text: str | None) -> Address:
    """`HOST:PORT`, `:PORT`, `PORT`, `HOST` or `[IPv6]:PORT` (None: the default; port 0: any free one); a bad one is R750."""
    if not text:
        return Address()
    host, port = text, ""
    if text.isdigit():
        host, port = "", text
    elif text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else rest or ""
    elif ":" in text:
        host, _, port = text.rpartition(":")
    good_host = re.fullmatch(r"[A-Za-z0-9.\-]*" if not text.startswith("[") else r"[0-9A-Fa-f:.]+", host)
    if not good_host or (port and not (port.isdigit() and 0 <= int(port) < 65536)):
        raise RideError(Problem(f"--serve wants HOST:PORT, not '{text}'", code="R750",
                                hint=f"e.g. --serve {DEFAULT_HOST}:{DEFAULT_PORT}, or --serve :8800"))
    return Address(host or DEFAULT_HOST, int(port) if port else DEFAULT_PORT)


def bind(address: Address) -> socket.socket:
    """A listening socket; an address in use or not of this machine is R653."""
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address.host, address.port))
        sock.listen(64)
    except OSError as error:
        sock.close()
        reason = error.strerror or str(error)
        raise RideError(Problem(f"the live page cannot listen on {address.host}:{address.port}: {reason}",
                                code="R653", hint=f"another port: --serve {address.host}:{address.port + 1}")) from None
    sock.set_inheritable(True)
    return sock


class PageServer:
    """uvicorn serving `app` on its own thread, from `start()` (or `with`) to `stop()`."""

    def __init__(self, app: Starlette, address: Address):
        self.app, self.address = app, address
        self.socket = bind(address)
        self.url = Address(address.host, self.socket.getsockname()[1]).url  # port 0: the one given
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False,
                                timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       name="ride-page", daemon=True)

    def start(self) -> PageServer:
        self.thread.start()
        deadline = time.monotonic() + STARTUP
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ends the page's event streams, then the server; idempotent."""
        closing = getattr(self.app.state, "closing", None)
        if closing is not None:
            closing.close()
        self.server.should_exit = True
        self.thread.join(SHUTDOWN)
        with contextlib.suppress(OSError):
            self.socket.close()

    def __enter__(self) -> PageServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
