"""`ride render --watch`: a status line per pass, positioned errors on a bad edit, until Ctrl-C."""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from ..api import FrameEvent, RenderRequest, RenderResult
from ..errors import RideError
from ..watch import Pass, Watcher
from .plan_warnings import print_plan_warnings
from .render import FrameProgress, print_warnings, progress_bar, summary


def status_line(current: Pass) -> str:
    """What this pass reuses and what it renders, e.g. 'pass 3: 220 reused, rendering 220-274'."""
    line = f"pass {current.number}: "
    if current.changed is not None:
        line += f"edit changes frame {current.changed} on; " if current.changed < current.stop else "no frame changed; "
    if current.resume >= current.stop:
        return line + f"all {current.stop} frames reused"
    return line + f"{current.resume} reused, rendering {current.resume}-{current.stop - 1}"


def bug_report(error: BaseException, frames: int = 3) -> list[str]:
    """A short account of an exception that is not a ride error: what it was and the last few places
    it passed through. Watch mode prints it and keeps watching (a whole traceback would bury the
    status lines)."""
    lines = [f"error: this is a bug in ride: {type(error).__name__}: {error}"]
    for place in traceback.extract_tb(error.__traceback__)[-frames:]:
        lines.append(f"  at {place.filename}:{place.lineno} in {place.name}")
    lines.append("  please report it with the script that caused it (ride render without --watch shows the "
                 "whole traceback)")
    return lines


class WatchView:
    """Turns the watcher's callbacks into terminal output: a progress bar per pass, then its summary."""

    def __init__(self, out: Console, err: Console, print_error: Callable[[Console, RideError], None]):
        self.out, self.err, self.print_error = out, err, print_error
        self.progress: Progress | None = None
        self.bar: FrameProgress | None = None
        self.current: Pass | None = None

    def started(self, current: Pass) -> None:
        self.current = current
        seed = current.plan.settings.random_seed
        if current.number == 1 and seed is not None:
            self.err.print(f"seed random drew {seed} (kept while watching): write `seed {seed}` "
                           "to render these frames again", markup=False)
        self.err.print(status_line(current), markup=False)
        print_plan_warnings(current.plan, self.err)  # a silent song, after each save
        if self.err.is_terminal:  # a pipe or a log file gets the status and summary lines only
            self.progress = progress_bar(self.err)
            self.progress.start()
            self.bar = FrameProgress(self.progress, current.stop, f"pass {current.number}")

    def frame(self, event: FrameEvent) -> None:
        if self.bar is not None:
            self.bar(event)

    def finished(self, result: RenderResult) -> None:
        self._close_bar()
        print_warnings(result, self.err)
        self.out.print(summary(self.current.plan, result), markup=False)
        self._waiting()

    def cancelled(self, current: Pass) -> None:
        self._close_bar()
        self.err.print(f"pass {current.number} stopped: the script changed", style="yellow", markup=False)

    def failed(self, error: Exception) -> None:
        self._close_bar()
        if isinstance(error, RideError):
            self.print_error(self.err, error)
        else:
            for line in bug_report(error):
                self.err.print(line, style="bold red" if line.startswith("error") else None, markup=False)
        self.err.print("the last output is kept; fix the script and save to render again",
                       style="yellow", markup=False)

    def close(self) -> None:
        self._close_bar()

    def _close_bar(self) -> None:
        if self.progress is not None:
            self.progress.stop()
        self.progress = self.bar = None

    def _waiting(self) -> None:
        self.err.print("watching for changes (Ctrl-C to stop)", style="dim", markup=False)


def run_watch(request: RenderRequest, out: Console, err: Console,
              print_error: Callable[[Console, RideError], None], serve: str | None = None) -> int:
    """Watch mode until Ctrl-C; `serve` (an address, "" for the default) adds the live page."""
    if not Path(request.script).is_file():  # a typo'd path: nothing to watch, so no waiting for it
        raise RideError(f"cannot read {request.script}: no such file")
    view = WatchView(out, err, print_error)
    callbacks = {"on_start": [view.started], "on_error": [view.failed]}
    with contextlib.ExitStack() as stack:
        outputs = ()
        if serve is not None:
            from ..serve import open_page

            page, server = open_page(str(request.script), serve or None)
            stack.enter_context(server)  # stopped when watching ends, Ctrl-C included
            callbacks["on_start"].append(page.started)
            callbacks["on_error"].append(page.failed)
            outputs = (page.output,)
            err.print(f"live page: {server.url}", style="bold", markup=False)
        watcher = Watcher(request, on_frame=view.frame, on_pass=view.finished, on_cancel=view.cancelled,
                          outputs=outputs, **{name: _each(calls) for name, calls in callbacks.items()})
        err.print(f"watching {Path(request.script).name} and the files it uses", style="dim", markup=False)
        try:
            watcher.run()
        except KeyboardInterrupt:  # Ctrl-C is how watch mode ends: not an error
            view.close()
            err.print("stopped watching", markup=False)
    return 0


def _each(calls: list[Callable]) -> Callable:
    def call(value) -> None:
        for one in calls:
            one(value)
    return call
