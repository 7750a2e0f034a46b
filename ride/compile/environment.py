"""The names an expression reads (the time names and the script's `let`s), over any range of frames.

A `let` is not held over every frame: 1,000 lets of a 1,000,000-frame scene would be 8 GB. An
expression that reads lets is evaluated a chunk of frames at a time, and in each chunk only the
lets it reads (and the lets they read) are evaluated, for that chunk alone; so memory is bounded
by (the lets read) x (a chunk), whatever the scene's length. Every operation is elementwise, so
a value is the same, bit for bit, however its frames are chunked. A let short enough to keep
(under MEMO_BYTES in all) is kept, so a let read by many settings is evaluated once, as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from .curves import TIME_VARIABLES, Compiled, evaluate
from .expressions import MUSIC_VARIABLES
from .music import BeatGrid

CHUNK_BYTES = 16 * 2**20  # the lets of one chunk, together
MIN_CHUNK = 4096  # frames: fewer would cost more in calls than it saves in memory
MEMO_BYTES = 32 * 2**20  # whole lets kept for reuse
PROBE = 16  # frames a let is first evaluated over, so its own errors show where it is written
ZERO = Compiled("0.0", frozenset())


class TimeEnvironment(Mapping):
    """t, sec, n, u, fps, beat, the music's curves and the lets defined so far; `env[name]` is a
    name over all frames. `beats`: `bpm auto`'s detected beats, which `beat` counts; `music`: each
    music variable per frame (0 throughout without one: its error is already reported)."""

    def __init__(self, length: int, fps: float, bpm: float, beats: BeatGrid | None = None,
                 music: Mapping[str, np.ndarray] | None = None):
        self.length, self.fps, self.bpm = length, fps, bpm
        self.beats, self.music = beats, music or {}
        self.lets: dict[str, Compiled] = {}  # in definition order: a let reads only names before it
        self._kept: dict[str, np.ndarray] = {}
        self._probe: dict[str, np.ndarray] = {}  # each let over its first PROBE frames
        self._kept_bytes = 0

    def time(self, name: str, lo: int, hi: int):
        """A time name over frames [lo, hi): the same numbers as over all frames, sliced."""
        if name == "n":
            return float(self.length)
        if name == "fps":
            return self.fps
        if name in MUSIC_VARIABLES:
            return self.music[name][lo:hi] if name in self.music else np.zeros(hi - lo)
        t = np.arange(lo, hi, dtype=np.float64)
        if name == "t":
            return t
        if name == "u":
            return t / max(self.length - 1, 1)
        sec = t / self.fps
        if name == "sec":
            return sec
        return self.beats.beat_at(sec) if self.beats is not None else sec * self.bpm / 60.0

    def define(self, name: str, compiled: Compiled | None) -> None:
        """Add a let (None: it failed, and reads as 0). It is evaluated over its first frames at
        once, so what goes wrong in it (1/0...) is raised here, where it is written, and not
        where it is used: numexpr's errors come from an expression's constants, whatever the frames."""
        compiled = compiled or ZERO
        probe = min(PROBE, self.length)
        names = {other: self._probe[other] if other in self._probe else self.time(other, 0, probe)
                 for other in compiled.names}
        self._probe[name] = evaluate(compiled, names, probe)
        self.lets[name] = compiled

    def evaluate(self, compiled: Compiled, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """`compiled` over frames [lo, hi) (all by default), a float64 array."""
        hi = self.length if hi is None else hi
        lets = self._read(compiled.names)
        if lo == 0 and hi == self.length:
            self._keep(lets)
        unkept = [name for name in lets if name not in self._kept]
        if not unkept:
            return evaluate(compiled, self._names(compiled.names, lo, hi, {}), hi - lo)
        out = np.empty(hi - lo)
        step = max(MIN_CHUNK, CHUNK_BYTES // (8 * (len(unkept) + 1)))
        for a in range(lo, hi, step):
            b = min(a + step, hi)
            chunk: dict = {}
            for name in unkept:  # in definition order: each let's names are ready before it
                chunk[name] = evaluate(self.lets[name], self._names(self.lets[name].names, a, b, chunk), b - a)
            out[a - lo:b - lo] = evaluate(compiled, self._names(compiled.names, a, b, chunk), b - a)
        return out

    def _read(self, names) -> list[str]:
        """The lets `names` read, directly or through other lets, in definition order."""
        wanted = {name for name in names if name in self.lets}
        if not wanted:
            return []
        for name in reversed(list(self.lets)):
            if name in wanted:
                wanted |= {other for other in self.lets[name].names if other in self.lets}
        return [name for name in self.lets if name in wanted]

    def _names(self, names, lo: int, hi: int, chunk: dict) -> dict:
        out = {}
        for name in names:
            if name in chunk:
                out[name] = chunk[name]
            elif name in self._kept:
                out[name] = self._kept[name][lo:hi]
            else:
                out[name] = self.time(name, lo, hi)
        return out

    def _keep(self, lets: list[str]) -> None:
        """Keep whole lets while they fit (a let read by several settings is then evaluated once)."""
        for name in lets:
            if name not in self._kept and self._kept_bytes + 8 * self.length <= MEMO_BYTES:
                self._kept[name] = self.evaluate(self.lets[name])
                self._kept_bytes += 8 * self.length

    # -- Mapping: a name over all frames ----------------------------------------------------

    def __getitem__(self, name: str):
        if name in self.lets:
            return self.evaluate(self.lets[name])
        if name not in TIME_VARIABLES:
            raise KeyError(name)
        return self.time(name, 0, self.length)

    def __contains__(self, name) -> bool:  # (Mapping's would evaluate the name)
        return name in TIME_VARIABLES or name in self.lets

    def __iter__(self) -> Iterator[str]:
        yield from TIME_VARIABLES
        yield from self.lets

    def __len__(self) -> int:
        return len(TIME_VARIABLES) + len(self.lets)
