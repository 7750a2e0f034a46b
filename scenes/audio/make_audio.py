"""The song scenes/groove.ride dances to (groove.flac): 8 bars of a synthetic groove at 112 bpm.

Made from sines and a little noise, so the repository holds no recording, and small (FLAC of mostly
tones compresses well). What it holds, so the scene's curves have something to show:
  - a kick on every beat, from 0.4 s (the first detected beat, `0b`): `bass` and `onset`
  - a clap on beats 2 and 4: `mid`; hi-hats on every eighth: `treble`
  - a chord that swells over bars 1-4 (a build: `level` rises), bar 5 a break (kick and chord
    only), bars 6-8 everything
It is committed; run this again only to change it:  .venv/bin/python scenes/audio/make_audio.py
"""
from pathlib import Path

import numpy as np
import soundfile

HERE = Path(__file__).resolve().parent
RATE = 22050
BPM = 112.0
FIRST = 0.4  # seconds of silence before the first beat
BARS = 8
BEAT = 60.0 / BPM
rng = np.random.default_rng(112)
length = int((FIRST + BARS * 4 * BEAT + 0.6) * RATE)
song = np.zeros(length)


def add(at: float, sound: np.ndarray) -> None:
    start = int(round(at * RATE))
    end = min(start + len(sound), length)
    song[start:end] += sound[:end - start]


def seconds(duration: float) -> np.ndarray:
    return np.arange(int(duration * RATE)) / RATE


t = seconds(0.35)
kick = np.sin(2 * np.pi * (45 * t + 90 / 18 * (1 - np.exp(-18 * t)))) * np.exp(-7 * t)  # pitch drops 135 -> 45 Hz
t = seconds(0.18)
clap = (0.5 * np.sin(2 * np.pi * 900 * t) + 0.4 * np.sin(2 * np.pi * 1700 * t)
        + 0.25 * rng.uniform(-1, 1, len(t))) * np.exp(-22 * t)
t = seconds(0.05)
hat = (np.sin(2 * np.pi * 7000 * t) + np.sin(2 * np.pi * 9300 * t)) * 0.5 * np.exp(-70 * t)
chord_hz = (220.0, 277.2, 329.6)  # A major, in the mids

for beat in range(BARS * 4):
    at, bar = FIRST + beat * BEAT, beat // 4
    add(at, 0.9 * kick)
    if bar != 4:  # the break: no clap, no hats
        if beat % 4 in (1, 3):
            add(at, 0.6 * clap)
        add(at, 0.25 * hat)
        add(at + BEAT / 2, 0.15 * hat)

# the chord: a swell over the first four bars, quiet in the break, full after
t = np.arange(length) / RATE
bars = np.clip((t - FIRST) / (4 * BEAT), 0, BARS)
swell = np.where(bars < 4, bars / 4, np.where(bars < 5, 0.3, 1.0))
chord = sum(np.sin(2 * np.pi * hz * t) for hz in chord_hz) / len(chord_hz)
song += 0.35 * swell * chord * np.clip((length / RATE - t) / 0.5, 0, 1)  # fades out over the last 0.5 s

song = song / np.abs(song).max() * 0.9
soundfile.write(HERE / "groove.flac", song.astype(np.float32), RATE, subtype="PCM_16", compression_level=1.0)
print(f"wrote {HERE / 'groove.flac'}: {length / RATE:.1f} s")
