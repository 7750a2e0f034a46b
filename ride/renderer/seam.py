"""The seam score, as an output: how the cut from the video's last frame back to its first
compares with its ordinary cuts (`ride render` reports it for `loop close`)."""

from __future__ import annotations

import numpy as np

from ..outputs import FrameRange
from .feedback import mean_difference, seam_score


class SeamScore:
    """Reads the shown frames in playing order; `score` is None unless the video is the whole scene
    (a seam is the cut from the video's end to its start) and has two frames or more."""

    live = False

    def __init__(self, length: int):
        self.length = length  # the scene's frames
        self.whole = False
        self.first: np.ndarray | None = None
        self.last: np.ndarray | None = None
        self.differences: list[float] = []

    def open(self, frames: FrameRange) -> None:
        self.whole = (frames.start, frames.stop) == (0, self.length)
        self.first = self.last = None  # opened again when a render restarts (a damaged cached frame)
        self.differences = []

    def write(self, index: int, image: np.ndarray) -> None:
        if self.first is None:
            self.first = image
        else:
            self.differences.append(mean_difference(self.last, image))
        self.last = image

    @property
    def score(self) -> float | None:
        if not self.whole or self.first is None or not self.differences:
            return None
        return seam_score(mean_difference(self.last, self.first), self.differences)

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass
