"""Mono samples -> Analysis, with librosa: the only module that imports it (seconds to load).

1. resample to RATE; 2. the onset strength (spectral flux) and, from it, the beats (librosa's
dynamic-programming tracker, following the tempo as it changes); the tempo from the beats themselves (a least-squares line through
them: librosa's own estimate moves in steps of a few bpm at this hop); 3. the loudness (RMS) and
the three bands' energies from one spectrogram; 4. each curve normalised to 0..1 over the file.
"""

from __future__ import annotations

import numpy as np

from .analysis import BANDS, Analysis

RATE = 22050  # samples per second analysed: up to 11 kHz, the top of `treble`
HOP = 256  # samples between curve values: 86 per second, several per video frame
N_FFT = 2048
SILENCE = 1e-4  # an RMS below this everywhere (-80 dBFS) is silence
WEAK = 0.2  # of the median beat's onset: a beat this weak at the ends of the song is no beat
SNAP = 0.2  # of a beat period: how far a beat may move to its onset (a 16th note is 0.25 away)
BAND_FLOOR = 1e-3  # a band this far below the loudest band is silent: no noise stretched to 1


def analyse(samples: np.ndarray, rate: int) -> Analysis:
    import librosa

    y = np.asarray(samples, dtype=np.float32)
    if rate != RATE:
        y = librosa.resample(y, orig_sr=rate, target_sr=RATE)
    duration = len(y) / RATE
    frames_per_second = RATE / HOP
    rms = librosa.feature.rms(y=y, frame_length=N_FFT, hop_length=HOP)[0]
    count = len(rms)
    if float(rms.max(initial=0.0)) < SILENCE:
        zeros = np.zeros(count)
        return Analysis(frames_per_second, duration, 0.0, np.zeros(0), {name: zeros for name in ("level", "onset", *BANDS)},
                        silent=True)
    onset = librosa.onset.onset_strength(y=y, sr=RATE, hop_length=HOP)[:count]
    # the tempo over time, not one for the song: a tracker held to one tempo loses a song that speeds up
    tempo = librosa.feature.tempo(onset_envelope=onset, sr=RATE, hop_length=HOP, aggregate=None)
    _, found = librosa.beat.beat_track(onset_envelope=onset, sr=RATE, hop_length=HOP, trim=False, bpm=tempo)
    beats = librosa.frames_to_time(_on_peaks(np.asarray(found), onset), sr=RATE, hop_length=HOP)
    power = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP)[:, :count]) ** 2
    frequencies = librosa.fft_frequencies(sr=RATE, n_fft=N_FFT)
    bands = {name: np.sqrt(power[(frequencies >= lo) & (frequencies < hi)].sum(axis=0))
             for name, (lo, hi) in BANDS.items()}
    loudest_band = max(float(b.max(initial=0.0)) for b in bands.values())
    curves = {"level": _normalised(rms), "onset": _normalised(onset),
              **{name: _normalised(b, BAND_FLOOR * loudest_band) for name, b in bands.items()}}
    return Analysis(frames_per_second, duration, tempo_of(beats), beats, curves)


def _on_peaks(found: np.ndarray, onset: np.ndarray) -> np.ndarray:
    """The tracker's beats, each moved to the strongest onset near it, less the weak ones at the ends.

    librosa's tracker keeps a steady pulse, so a beat can sit a frame or three off its click (the
    first beats most: its path has no past there); the onset peak within SNAP of a beat period is
    the beat. Without librosa's `trim`, which drops a song's real first beat as often as a silent
    intro's made-up ones, the tracker also ticks on through an intro or a fade: the beats before
    the first and after the last with an onset of WEAK of the typical beat's are dropped (weak
    beats inside the song stay: a break keeps its pulse)."""
    if len(found) < 2:
        return found
    reach = max(1, int(SNAP * np.median(np.diff(found))))
    found = np.unique([lo + int(np.argmax(onset[lo:hi])) for lo, hi in
                       ((max(b - reach, 0), min(b + reach + 1, len(onset))) for b in found)])
    strong = np.flatnonzero(onset[found] >= WEAK * np.median(onset[found]))
    return found[strong[0]:strong[-1] + 1] if len(strong) else found[:0]


def tempo_of(beats: np.ndarray) -> float:
    """Beats per minute of the line that fits the beat times best (0 for fewer than two beats)."""
    if len(beats) < 2:
        return 0.0
    period = np.polyfit(np.arange(len(beats)), beats, 1)[0]
    return 60.0 / period if period > 0 else 0.0


def _normalised(values: np.ndarray, floor: float = 0.0) -> np.ndarray:
    values = np.maximum(np.asarray(values, dtype=np.float64), 0.0)
    top = max(float(values.max(initial=0.0)), floor)
    return values / top if top > 0 else values
