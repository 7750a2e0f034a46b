"""What the live page shows, kept by the render thread and read by the web server's thread.

The watcher reports passes, frames and errors here (through `PageOutput` and the callbacks in
page.py); the app (app.py) reads snapshots and gets events to push. One lock guards it all; the
frames themselves stay in the frame store (only the last few, not yet written there by the
store's writer thread, are held here), so a long session holds no more than a short one.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import RideError
from ..plan import Plan
from ..renderer.store import FrameStore

RECENT = 16  # frames held in memory until the store surely has them (its writer runs behind)
RENDERING, DONE, ERROR = "rendering", "done", "error"


@dataclass(frozen=True)
class PageEvent:
    """Pushed to every page: `kind` is pass | frame | status; `data` is its JSON."""

    kind: str
    data: dict


@dataclass
class _Progress:
    """The pass being rendered: when it started making frames, and how many it made."""

    began: float = 0.0
    made: int = 0

    def fps(self) -> float:
        elapsed = time.monotonic() - self.began
        return self.made / elapsed if self.made and elapsed > 0 else 0.0


@dataclass
class PageState:
    """The last good plan, how many of its frames are rendered, and the last save's errors."""

    script: str
    keys: list[str] = field(default_factory=list)  # the last good plan's, up to the pass's stop
    store: FrameStore | None = None
    rendered: int = 0  # frames 0..rendered-1 of `plan` can be shown
    total: int = 0
    state: str = RENDERING
    errors: list[dict] = field(default_factory=list)
    number: int = 0  # the pass
    curves: dict | None = None  # the plan's curves as JSON (plot/series.py)
    progress: _Progress = field(default_factory=_Progress)
    recent: OrderedDict = field(default_factory=OrderedDict)  # (index, key) -> image
    listeners: list[Callable[[PageEvent], None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- from the watcher (the render thread) -------------------------------------------

    def new_pass(self, number: int, plan: Plan, store: FrameStore | None, resume: int, stop: int,
                 curves: dict) -> None:
        """A pass of `plan` renders frames resume..stop-1 (`--frames A:B` stops at B)."""
        with self.lock:
            self.keys, self.store, self.number = plan.keys()[:stop], store, number
            self.total, self.rendered = stop, min(resume, stop)
            self.state, self.errors, self.curves = RENDERING, [], curves
            self.progress = _Progress(time.monotonic())
            self.recent.clear()
            event = PageEvent("pass", {"pass": number, **self._status()})
        self._publish(event)

    def frame(self, index: int, image: np.ndarray) -> None:
        with self.lock:
            if index >= len(self.keys):
                return
            self.recent[(index, self.keys[index])] = image
            while len(self.recent) > RECENT:
                self.recent.popitem(last=False)
            self.rendered = max(self.rendered, index + 1)
            self.progress.made += 1
            event = PageEvent("frame", {"index": index, "key": self.keys[index], **self._status()})
        self._publish(event)

    def finished(self, completed: bool) -> None:
        """A pass ended: all its frames made (`completed`), or stopped by an edit or a failure."""
        with self.lock:
            if completed:
                self.state = DONE
                self.rendered = self.total
            event = PageEvent("status", self._status())
        self._publish(event)

    def failed(self, error: Exception) -> None:
        """The last save did not compile (or the pass failed): its errors; the frames stay."""
        with self.lock:
            self.state, self.errors = ERROR, error_list(error, self.script)
            event = PageEvent("status", self._status())
        self._publish(event)

    # -- for the app (the server's thread) ----------------------------------------------

    def status(self) -> dict:
        with self.lock:
            return self._status()

    def keys_shown(self) -> list[str]:
        with self.lock:
            return self.keys[: self.rendered]

    def image(self, index: int) -> tuple[str, np.ndarray | None] | None:
        """Frame `index`'s key and image (None: not rendered; an image None: gone from the store)."""
        with self.lock:
            if not 0 <= index < self.rendered:
                return None
            key, store = self.keys[index], self.store
            image = self.recent.get((index, key))
        if image is None and store is not None:
            image = store.get(key)  # outside the lock: a disk read must not hold up the render
        return key, image

    def listen(self, listener: Callable[[PageEvent], None]) -> Callable[[], None]:
        """Calls `listener` with every event (on the render thread) until the returned function is called."""
        with self.lock:
            self.listeners.append(listener)

        def stop() -> None:
            with self.lock:
                if listener in self.listeners:
                    self.listeners.remove(listener)
        return stop

    def _status(self) -> dict:
        fps = self.progress.fps()
        left = self.total - self.rendered
        return {"frames": self.total, "rendered": self.rendered, "state": self.state, "errors": self.errors,
                "pass": self.number, "fps": round(fps, 2),
                "eta": round(left / fps, 1) if fps and self.state == RENDERING else None}

    def _publish(self, event: PageEvent) -> None:
        with self.lock:
            listeners = list(self.listeners)
        for listener in listeners:
            listener(event)


def error_list(error: Exception, script: str) -> list[dict]:
    """The errors as the page shows them: 1-based line and column, message, and what `ride
    check` prints besides (path, code, the source line, the hint)."""
    if not isinstance(error, RideError):
        return [{"line": None, "col": None, "message": f"this is a bug in ride: {type(error).__name__}: {error}",
                 "path": script, "code": "", "source": "", "hint": "the terminal shows where; please report it"}]
    lines = error.source.splitlines()
    out = []
    for p in error.problems:
        line, col = (p.span.line, p.span.col) if p.span.line else (None, None)
        source = lines[line - 1] if line and line <= len(lines) else ""
        out.append({"line": line, "col": col, "message": p.message, "path": p.path or script, "code": p.code,
                    "source": source, "hint": p.hint})
    return out
