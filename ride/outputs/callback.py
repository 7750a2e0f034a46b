"""The callback output: a FrameEvent per frame as it is made (a progress bar, a notebook, a live page)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import FrameRange

FrameCallback = Callable[["FrameEvent"], None]


@dataclass
class FrameEvent:
    """Reported after each frame: what was made, and how far along the render is."""

    index: int
    total: int
    reused: bool  # True once, first: frames 0..index came from the cache (image is None)
    image: np.ndarray | None


class CallbackOutput:
    """Calls `on_frame` with a FrameEvent for every frame made, after one for the frames reused."""

    live = True

    def __init__(self, on_frame: FrameCallback):
        self.on_frame = on_frame
        self.total = 0

    def open(self, frames: FrameRange) -> None:
        self.total = frames.stop
        if frames.resume > 0:
            self.on_frame(FrameEvent(frames.resume - 1, frames.stop, True, None))

    def write(self, index: int, image: np.ndarray) -> None:
        self.on_frame(FrameEvent(index, self.total, False, image))

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass
