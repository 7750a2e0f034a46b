"""Where rendered frames go: a video file, a PNG folder, a callback (progress bars, notebooks).

The render session hands frames to outputs through one small protocol, so a new destination (a
live page, a contact sheet) is a new class here and nothing changes in the renderer:

    open(frames)          before frame 0: a bad path or a missing audio file fails before any work
    write(index, image)   one uint8 HxWx3 frame
    close()               publish: the finished file replaces the earlier one in one rename
    abort()               the render failed or was cancelled: the earlier output stays as it was

After abort, open may come again: a render that finds a damaged frame in the cache starts over
from it, with the same outputs.

`live` says which frames an output gets: False (a video, a PNG folder, the seam score) the frames
the video shows, in playing order (`reverse`, `loop pingpong`); True (a progress bar, a live page)
every frame as the loop makes it, including the frames before `--frames A:B`'s A.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class FrameRange:
    """What a render does: frames 0..resume-1 come from the cache, resume..stop-1 are made, and
    the video shows start..stop-1 (feedback needs the frames before `start` all the same); every
    frame is `size` (width, height), shown at `fps`."""

    start: int
    stop: int
    resume: int
    fps: float
    size: tuple[int, int]


class Output(Protocol):
    live: bool

    def open(self, frames: FrameRange) -> None: ...

    def write(self, index: int, image: np.ndarray) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...
