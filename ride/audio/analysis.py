"""An audio file's analysis: what the compiler turns into beat times and per-frame curves.

Plain numpy, so the compiler and the cache read it without librosa. Every curve is sampled at
`rate` values per second from the file's start and normalised to 0..1 over the whole file (so a
scene that uses part of a song sees the song's own loud and quiet parts), and rounded to
QUANTUM: analyses made on two machines (numba's float sums differ in the last bits) give the
same plans, frame keys and golden files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

# The bands' edges in Hz: `bass` the kick and bass line, `mid` voices and most instruments,
# `treble` hi-hats, cymbals and sibilance.
BANDS = {"bass": (20.0, 250.0), "mid": (250.0, 4000.0), "treble": (4000.0, 11025.0)}
CURVES = ("level", "onset", *BANDS)  # the expression variables, in this order
QUANTUM = 1e-3  # curves' resolution (0..1)
BEAT_QUANTUM = 1e-4  # seconds


@dataclass(frozen=True, eq=False)
class Analysis:
    """Tempo (beats per minute), beat times (seconds, increasing) and the curves at `rate` per second."""

    rate: float
    duration: float  # seconds
    tempo: float  # 0 when fewer than two beats were found
    beats: np.ndarray
    curves: dict[str, np.ndarray] = field(default_factory=dict)
    silent: bool = False  # nothing above the silence floor: every curve is 0

    def __post_init__(self):
        beats = np.round(np.asarray(self.beats, dtype=np.float64) / BEAT_QUANTUM) * BEAT_QUANTUM
        beats.setflags(write=False)
        object.__setattr__(self, "beats", beats)
        curves = {}
        for name in CURVES:
            values = np.clip(np.round(np.asarray(self.curves[name], dtype=np.float64) / QUANTUM) * QUANTUM, 0, 1)
            values.setflags(write=False)
            curves[name] = values
        object.__setattr__(self, "curves", MappingProxyType(curves))
        object.__setattr__(self, "tempo", round(float(self.tempo), 2))

    def arrays(self) -> dict[str, np.ndarray]:
        """For the cache (np.savez): every field as an array."""
        head = np.array([self.rate, self.duration, self.tempo, float(self.silent)])
        return {"head": head, "beats": self.beats, **{name: self.curves[name].astype(np.float32)
                                                        for name in CURVES}}

    @staticmethod
    def from_arrays(arrays) -> Analysis:
        """The inverse of arrays(); KeyError or ValueError if something is missing or malformed."""
        rate, duration, tempo, silent = (float(x) for x in arrays["head"])
        curves = {name: np.asarray(arrays[name], dtype=np.float64) for name in CURVES}
        if rate <= 0 or len({len(c) for c in curves.values()}) != 1:
            raise ValueError("malformed analysis")
        return Analysis(rate, duration, tempo, np.asarray(arrays["beats"]), curves, bool(silent))
