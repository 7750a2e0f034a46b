"""The outputs that are files: a video (.mp4, .webm, .gif) or a folder of PNG frames.

Both encode through video.VideoWriter (ffmpeg writes the PNGs too: in its own process, faster
than Pillow in ours) and publish at close: the finished video is renamed over the earlier one,
the finished frames are renamed into the folder one by one, replacing only frames ride wrote
there (frames_folder.py); abort leaves the earlier output untouched.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from . import FrameRange
from .video import VideoWriter, output_kind


class _Encoded:
    live = False  # the frames the video shows, in playing order

    def __init__(self, path: str | Path, *, audio: str | Path | None = None, quality: str = "high"):
        self.path, self.audio, self.quality = path, audio, quality
        self.writer: VideoWriter | None = None
        self.written: Path | None = None  # where the output went, once closed

    @property
    def warnings(self) -> list[str]:
        """What was ignored (e.g. the audio of a gif): known once opened."""
        return list(self.writer.warnings) if self.writer is not None else []

    def open(self, frames: FrameRange) -> None:
        # ffmpeg starts now, and every check (format, size, audio, a folder of the user's files) runs
        # before frame 0: a render does not find out at its end that it cannot be written
        self.writer = VideoWriter(self.path, frames.fps, frames.size, audio=self.audio, quality=self.quality)

    def write(self, index: int, image: np.ndarray) -> None:
        self.writer.write(image)

    def close(self) -> None:
        self.written = self.writer.close()

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()


class VideoFile(_Encoded):
    """An .mp4, .webm or .gif; `audio` is muxed in (mp4, webm) and cut to the video's length."""


class PngFolder(_Encoded):
    """A folder of 000000.png, 000001.png ... in playing order. It replaces and removes only the frames
    it wrote there (listed in the folder's .ride-frames): a frame cache or hidden files beside them stay."""

    def __init__(self, path: str | Path, **options):
        text = str(path)
        super().__init__(text if text.endswith(("/", os.sep)) else text + "/", **options)


def file_output(path: str | Path, *, audio: str | Path | None = None) -> VideoFile | PngFolder:
    """The output a path asks for: a name ending in '/' is a PNG folder, else a video by its suffix."""
    kind = output_kind(path)  # an unknown suffix fails here, with the formats in the hint
    return PngFolder(path, audio=audio) if kind == "frames" else VideoFile(path, audio=audio)
