"""Watch mode: file events -> queue -> re-compile -> render from the first frame whose key changed.

The watchdog handler only enqueues the paths that changed; `Watcher.run` decides. It waits for a
quiet moment (editors save in bursts), compiles, and renders. A render in flight stops at the next
frame boundary as soon as a new event arrives. The frame cache does the rest: frames whose chained
keys did not change are reused, so a pass renders only from the first frame the edit touched.

    watcher = Watcher(RenderRequest("scene.ride"), on_pass=print, on_error=print)
    threading.Thread(target=watcher.run).start()   # ... edit scene.ride ...
    watcher.stop()

Nothing a pass raises ends the watcher (Ctrl-C aside): a RideError (a mistake in the script) and
any other exception (a bug in ride, or in a library under it) both go to `on_error`, the last good
output stays, and the next save starts a new pass.
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .api import FrameCallback, Output, RenderCancelled, RenderRequest, RenderResult, RenderSession
from .plan import Plan
from .renderer.store import FrameStore

DEBOUNCE = 0.1  # seconds without events before a burst of saves counts as one edit
# A save that is visibly complete (the file closed after writing, or renamed into place) waits
# only this long for more: the edit-to-first-frame latency a user feels. Not within BURST_GAP
# of the last edit, though: saves that keep coming (a tool, a script) get the whole debounce.
GRACE = 0.02
BURST_GAP = 0.5
LONGEST_SETTLE = 2.0  # a file that never stops changing is still compiled this often
# Our own reads of the script and its images raise 'opened' and 'closed_no_write': not edits.
EDIT_EVENTS = frozenset({"modified", "created", "moved", "deleted", "closed"})
_POLL = 0.05  # how often an idle watcher looks at its stop event


@dataclass(frozen=True)
class Change:
    """What the handler enqueues: a watched file changed; `complete` if the save is visibly done."""

    path: Path
    complete: bool
    time: float  # time.monotonic() when it happened


@dataclass
class Pass:
    """One render pass: which plan, and which frames it renders."""

    number: int
    plan: Plan
    resume: int  # frames before this one come from the frame cache
    stop: int  # frames up to stop-1 are rendered
    changed: int | None  # first frame whose key changed since the last plan (None: first plan)
    store: FrameStore | None = None  # where the pass's frames are kept (the live page reads them back)


def watched_paths(script: str | Path, plan: Plan | None) -> frozenset[Path]:
    """The script and every file it reads: init image, audio, image sources (resolved paths)."""
    paths = {Path(script).resolve()}
    if plan is not None:
        s = plan.settings
        relative = [s.init, s.audio, *s.assets]
        paths.update((Path(s.base_dir) / name).resolve() for name in relative if name)
    return frozenset(paths)


def first_changed_frame(old: list[str], new: list[str]) -> int:
    """Index of the first frame whose key differs; the shorter length if one list extends the other."""
    for i, (a, b) in enumerate(zip(old, new)):
        if a != b:
            return i
    return min(len(old), len(new))


class ChangeHandler(FileSystemEventHandler):
    """Runs on watchdog's thread: puts the watched paths that changed in the queue, nothing more."""

    def __init__(self, changes: queue.Queue):
        self.changes = changes
        self.paths: frozenset[Path] = frozenset()  # replaced whole by the watcher: no lock needed

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type not in EDIT_EVENTS:
            return
        # editors that save via a temporary file and a rename touch the script only as dest_path
        destination = os.fsdecode(getattr(event, "dest_path", "") or "")
        source = os.fsdecode(event.src_path)
        if destination and Path(destination) in self.paths:
            self.changes.put(Change(Path(destination), True, time.monotonic()))
        elif Path(source) in self.paths:
            # written in place: complete once closed; until then more writes may follow
            self.changes.put(Change(Path(source), event.event_type == "closed", time.monotonic()))


class Watcher:
    """Re-renders a script whenever it or a file it uses changes, until `stop()` (or `stop_event`)."""

    def __init__(self, request: RenderRequest, *, on_pass: Callable[[RenderResult], None] | None = None,
                 on_error: Callable[[Exception], None] | None = None,
                 on_start: Callable[[Pass], None] | None = None, on_frame: FrameCallback | None = None,
                 on_cancel: Callable[[Pass], None] | None = None, outputs: tuple[Output, ...] = (),
                 stop_event: threading.Event | None = None, debounce: float = DEBOUNCE):
        self.request = request
        self.on_pass, self.on_error, self.on_start = on_pass, on_error, on_start
        self.on_frame, self.on_cancel = on_frame, on_cancel
        self.outputs = outputs  # every pass's outputs besides the request's video (a live page)
        self.debounce = debounce
        self._stop = stop_event or threading.Event()
        self._changes: queue.Queue = queue.Queue()
        self._handler = ChangeHandler(self._changes)
        self._folders: _Folders | None = None  # the observer's folders, while run() runs
        self._plan: Plan | None = None  # the last plan that compiled
        self._random_seed: int | None = None  # what `seed random` drew, kept across reloads
        self._session: RenderSession | None = None  # the engine and its store, while run() runs
        self._passes = 0
        self._stored = 0  # frames 0..this-1 of the last plan are in the store (as its pass left them)
        self._last_edit = float("-inf")  # when the last burst of events ended

    @property
    def plan(self) -> Plan | None:
        return self._plan

    @property
    def watched(self) -> frozenset[Path]:
        return self._handler.paths

    def stop(self) -> None:
        """Ends `run()`; a render in flight stops at its next frame boundary. Any thread may call it."""
        self._stop.set()
        self._changes.put(None)  # wake the waiting loop

    def reload(self) -> None:
        """Asks for a re-compile, as if a watched file had changed."""
        self._changes.put(Change(Path(self.request.script), True, time.monotonic()))

    def run(self) -> None:
        """Compile and render, then again after every change, until stopped."""
        with self._session_cache(), self._observer(), self._render_session():
            self._pass()
            while self._wait_for_change():
                self._pass()

    # -- one pass: compile, pick the engine, render ---------------------------------------

    def _pass(self) -> None:
        """The pass boundary: whatever a pass raises is reported, and the watcher waits for the next
        save. A RideError is a mistake in the script; anything else is a bug in ride (saving `let a =
        1/0` once raised ZeroDivisionError out of the compiler), and it must not end a session the user
        keeps editing in. The last good plan and output stay. KeyboardInterrupt is not an Exception:
        Ctrl-C still ends the watcher."""
        try:
            plan = self._compile()
            self._render(plan)
        except Exception as error:  # the boundary: see above
            _call(self.on_error, error)

    def _compile(self) -> Plan:
        plan = self._session.load(random_seed=self._random_seed)
        if plan.settings.random_seed is not None:
            self._random_seed = plan.settings.random_seed
        self._handler.paths = watched_paths(self.request.script, plan)
        self._folders.follow(self._handler.paths)  # before rendering: a new image's edits count now
        return plan

    def _render(self, plan: Plan) -> None:
        previous, self._plan = self._plan, plan
        # the engine of the last pass while its choice stands (the model stays loaded); a replaced
        # one is closed, freeing its memory for the next
        # the unchanged prefix's keys are taken over from the last plan, not chained again; of its
        # frames, those the last pass found or made are not looked up again
        changed = plan.frame_keys.changed_from(previous.frame_keys if previous is not None else None)
        job = self._session.job(plan, stored=min(changed or 0, self._stored))
        self._passes += 1
        current = Pass(self._passes, plan, job.resume, job.stop, changed, job.store)
        _call(self.on_start, current)
        self._stored = job.resume
        try:
            result = self._session.render(job, on_frame=self.on_frame, should_stop=self._should_stop,
                                          outputs=self.outputs)
        except RenderCancelled:
            _call(self.on_cancel, current)
            return
        self._stored = job.stop
        _call(self.on_pass, result)

    def _should_stop(self) -> bool:
        return self._stop.is_set() or not self._changes.empty()

    # -- waiting for edits ----------------------------------------------------------------

    def _wait_for_change(self) -> bool:
        """Blocks until an edit has settled; False once stopped."""
        while not self._stop.is_set():
            try:
                change = self._changes.get(timeout=_POLL)
            except queue.Empty:
                continue
            self._settle(change)
            return not self._stop.is_set()
        return False

    def _settle(self, change: Change | None) -> None:
        """Drains events until none comes for a while: a burst of saves is one edit. The wait is
        GRACE after a complete save out of the blue, else `debounce`."""
        lone = change is None or change.time - self._last_edit >= BURST_GAP
        deadline = time.monotonic() + LONGEST_SETTLE
        while time.monotonic() < deadline:
            if change is not None:
                self._last_edit = change.time
            quiet = GRACE if lone and (change is None or change.complete) else self.debounce
            try:
                change = self._changes.get(timeout=min(quiet, self.debounce))
            except queue.Empty:
                return

    @contextmanager
    def _observer(self) -> Iterator[None]:
        self._handler.paths = watched_paths(self.request.script, None)
        self._folders = _Folders(Observer(), self._handler)  # a fresh thread: run() may run again
        self._folders.follow(self._handler.paths)
        self._folders.observer.start()  # before the first compile: an edit during the first pass counts
        try:
            yield
        finally:
            self._folders.observer.stop()
            self._folders.observer.join()

    @contextmanager
    def _render_session(self) -> Iterator[None]:
        """One render session for the passes of this run; its engine is closed when the run ends."""
        self._session = RenderSession(self.request)
        try:
            yield
        finally:
            self._session.close()
            self._session = None

    @contextmanager
    def _session_cache(self) -> Iterator[None]:
        """--no-cache: frames live in a temporary store for this session only (reuse needs them)."""
        if self.request.use_cache:
            yield
            return
        original = self.request
        with tempfile.TemporaryDirectory(prefix="ride-watch-") as folder:
            self.request = replace(original, use_cache=True, cache=folder)
            try:
                yield
            finally:
                self.request = original


class _Folders:
    """The folders the observer watches: the parents of the watched files (not recursive)."""

    def __init__(self, observer: Observer, handler: ChangeHandler):
        self.observer, self.handler = observer, handler
        self.watches: dict[Path, object] = {}

    def follow(self, paths: frozenset[Path]) -> None:
        wanted = {p.parent for p in paths if p.parent.is_dir()}
        for folder in set(self.watches) - wanted:
            self.observer.unschedule(self.watches.pop(folder))
        for folder in wanted - set(self.watches):
            self.watches[folder] = self.observer.schedule(self.handler, str(folder), recursive=False)


def watch(request: RenderRequest, *, stop_event: threading.Event, **callbacks) -> None:
    """Runs a Watcher in this thread until `stop_event` is set (callbacks as Watcher's)."""
    Watcher(request, stop_event=stop_event, **callbacks).run()


def _call(callback, value) -> None:
    if callback is not None:
        callback(value)
