"""Synthetic audio for the music tests (and scenes/music/make_music.py's idea, in miniature):
a click track at a known tempo, an amplitude ramp, tone bursts in each band, silence.

Each returns mono float32 samples at RATE; `write_wav` saves them with soundfile.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

RATE = 22050


def clicks(bpm: float, first: float = 0.25, seconds: float = 12.0, rate: int = RATE) -> tuple[np.ndarray, np.ndarray]:
    """A click (20 ms of a decaying 1 kHz tone) on every beat from `first`: the samples and the click times."""
    y = np.zeros(int(seconds * rate), np.float32)
    times = np.arange(first, seconds - 0.05, 60.0 / bpm)
    t = np.arange(int(0.02 * rate)) / rate
    click = (0.8 * np.sin(2 * np.pi * 1000 * t) * np.exp(-t * 200)).astype(np.float32)
    for time in times:
        start = int(round(time * rate))
        y[start:start + len(click)] += click[:len(y) - start]
    return y, times


def speeding_up(before: float = 100.0, after: float = 130.0, rate: int = RATE) -> tuple[np.ndarray, np.ndarray]:
    """Clicks at `before` bpm for 6 s, then at `after` bpm for 6 s: the samples and the click times."""
    first, first_times = clicks(before, first=0.3, seconds=6.3, rate=rate)
    change = first_times[-1] + 60.0 / before
    second, second_times = clicks(after, first=0.0, seconds=6.0, rate=rate)
    y = np.zeros(int((change + 6.0) * rate), np.float32)
    y[:len(first)] += first
    start = int(round(change * rate))
    y[start:start + len(second)] += second[:len(y) - start]
    return y, np.concatenate([first_times, change + second_times])


def ramp(seconds: float = 6.0, rate: int = RATE) -> np.ndarray:
    """A 440 Hz tone whose amplitude rises linearly from 0 to 0.8."""
    t = np.arange(int(seconds * rate)) / rate
    return (np.linspace(0, 0.8, len(t)) * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


BURSTS = {"bass": 60.0, "mid": 1000.0, "treble": 8000.0}  # a tone in the middle of each band, in Hz


def bursts(burst: float = 1.0, gap: float = 0.5, rate: int = RATE) -> tuple[np.ndarray, dict[str, tuple[float, float]]]:
    """A tone burst in each band in turn (bass, then mid, then treble), with silence between:
    the samples and each burst's (start, end) in seconds."""
    parts, spans, now = [], {}, gap
    parts.append(np.zeros(int(gap * rate), np.float32))
    t = np.arange(int(burst * rate)) / rate
    for band, hz in BURSTS.items():
        parts.append((0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32))
        parts.append(np.zeros(int(gap * rate), np.float32))
        spans[band] = (now, now + burst)
        now += burst + gap
    return np.concatenate(parts), spans


def silence(seconds: float = 3.0, rate: int = RATE) -> np.ndarray:
    return np.zeros(int(seconds * rate), np.float32)


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    import soundfile

    soundfile.write(str(path), samples, rate, subtype="PCM_16")
    return path
