"""Key times -> frame positions: frames, seconds, beats, percent, relative, end.

Beats are `bpm`'s even grid, or with `bpm auto` the song's detected beats (music.BeatGrid): there
`8b` is detected beat 8, `+2b` two detected beats after the previous key, and a length in beats
(`morph 2b`, `loop close 4b`) the detected beats before the frame it ends at.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Diagnostics
from ..language import nodes as n
from .music import BeatGrid

# A time further than this (in frames) is held here: every check past it (the scene's length,
# a key after the end, `loop close` longer than the scene) then says what is wrong, where a
# number of seconds or beats scaled past float range would have become inf.
FARTHEST = 1e15


@dataclass
class Clock:
    """What turns a TimeRef into a frame: the frame rate, the tempo and the scene length."""

    fps: float
    bpm: float
    length: int | None  # None while the timeline's end is not known yet
    beats: BeatGrid | None = None  # `bpm auto`: the detected beats

    def frame(self, time: n.TimeRef, previous: float | None, diagnostics: Diagnostics) -> float | None:
        """The frame a key's time names (possibly fractional), or None after adding a problem."""
        if time.unit == "end":
            if self.length is None:
                diagnostics.error("R411", "'end' cannot be used here", time.span,
                                        "the scene's length is set by the timeline's `N end` line")
                return None
            return float(self.length - 1)
        if time.unit == "%":
            if self.length is None:
                diagnostics.error("R412", "a percent time needs the scene's length", time.span,
                                        "write the timeline's end key in frames or seconds, e.g. `275 end`")
                return None
            amount = time.amount / 100.0 * (self.length - 1)
        elif time.unit == "b" and self.beats is not None and not time.relative:
            return self._beat_frame(time.amount)
        else:
            amount = self.duration(time)
        if time.relative:
            if previous is None:
                diagnostics.error("R413", "a relative time (+N) needs a key before it", time.span,
                                        "write the first key's time as a number, e.g. `0`")
                return None
            if time.unit == "b" and self.beats is not None:
                return self._beat_frame(self.beats.beat_at(previous / self.fps) + time.amount)
            return min(previous + amount, FARTHEST)
        return min(amount, FARTHEST)

    def duration(self, time: n.TimeRef, before: float | None = None) -> float:
        """A length of time in frames (for `morph 10`, `loop close 2s`, `+12`), at most FARTHEST.
        With `bpm auto`, a length in beats is that many detected beats before frame `before`."""
        if time.unit == "b" and self.beats is not None and before is not None:
            start = self._beat_frame(self.beats.beat_at(before / self.fps) - time.amount)
            return min(max(before - start, 0.0), FARTHEST)
        return min(self._frames(time), FARTHEST)

    def _beat_frame(self, beat: float) -> float:
        return min(self.beats.seconds(beat) * self.fps, FARTHEST)

    def _frames(self, time: n.TimeRef) -> float:
        if time.unit == "s":
            return time.amount * self.fps
        if time.unit == "b":
            return time.amount * 60.0 / self.bpm * self.fps
        if time.unit == "%" and self.length is not None:
            return time.amount / 100.0 * self.length
        return time.amount
