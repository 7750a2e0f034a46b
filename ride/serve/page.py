"""The live page as the watcher sees it: an output of every pass, and its callbacks.

    page = LivePage("scene.ride")
    Watcher(request, outputs=(page.output,), on_start=page.started, on_error=page.failed, ...)

`page.state` is what the web app (app.py) serves.
"""

from __future__ import annotations

import numpy as np

from ..outputs import FrameRange
from ..plot.series import plan_curves
from ..watch import Pass
from .state import PageState


class PageOutput:
    """Every frame as the loop makes it goes to the page (an Output: see ride/outputs)."""

    live = True

    def __init__(self, state: PageState):
        self.state = state

    def open(self, frames: FrameRange) -> None:
        pass  # the pass was announced by LivePage.started, with its plan

    def write(self, index: int, image: np.ndarray) -> None:
        self.state.frame(index, image)

    def close(self) -> None:
        self.state.finished(completed=True)

    def abort(self) -> None:
        self.state.finished(completed=False)  # cancelled by an edit, or failed (failed() says why)


class LivePage:
    """Feeds a PageState from a watcher's passes, frames and errors."""

    def __init__(self, script: str):
        self.state = PageState(script)
        self.output = PageOutput(self.state)

    def started(self, current: Pass) -> None:
        curves = plan_curves(current.plan).to_json()
        self.state.new_pass(current.number, current.plan, current.store, current.resume, current.stop, curves)

    def failed(self, error: Exception) -> None:
        self.state.failed(error)
