"""The seam score, as an output: how the cut from the video's last frame back to its first
compares with its ordinary cuts (`ride render` reports it for `loop close` and `loop circle`).

Each cut is measured after the camera's motion (motion_metrics.compensated_difference): the last
frame moved by frame 0's camera against frame 0, over the median of the neighbours' cuts moved the
same way. A plain difference mixes texture and motion: a fast camera makes every cut large and a
still one makes any texture change look like a seam."""

from __future__ import annotations

import numpy as np

from ..outputs import FrameRange
from ..plan import Plan
from .motion_metrics import compensated_difference, step_motion


class SeamScore:
    """Reads the shown frames in playing order; `score` is None unless the video is the whole scene
    (a seam is the cut from the video's end to its start) and has two frames or more."""

    live = False

    def __init__(self, plan: Plan):
        self.plan = plan
        self.length = len(plan)  # the scene's frames
        self.whole = False
        self.first: tuple[int, np.ndarray] | None = None
        self.last: tuple[int, np.ndarray] | None = None
        self.differences: list[float] = []

    def open(self, frames: FrameRange) -> None:
        self.whole = (frames.start, frames.stop) == (0, self.length)
        self.first = self.last = None  # opened again when a render restarts (a damaged cached frame)
        self.differences = []

    def write(self, index: int, image: np.ndarray) -> None:
        if self.first is None:
            self.first = (index, image)
        else:
            self.differences.append(self._cut(self.last, (index, image)))
        self.last = (index, image)

    def _cut(self, before: tuple[int, np.ndarray], after: tuple[int, np.ndarray]) -> float:
        return compensated_difference(before[1], after[1], step_motion(self.plan, before[0], after[0]))

    @property
    def score(self) -> float | None:
        if not self.whole or self.first is None or not self.differences:
            return None
        return self._cut(self.last, self.first) / max(float(np.median(self.differences)), 1e-6)

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass
