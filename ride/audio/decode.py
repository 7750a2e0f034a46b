"""An audio file's bytes -> mono samples, through soundfile (libsndfile: WAV, FLAC, OGG, MP3...).

The only module that imports soundfile; it is imported when a file is decoded, not before.
"""

from __future__ import annotations

import io

import numpy as np

MAX_SECONDS = 3600.0  # an hour: longer is not a scene's soundtrack (and would take minutes to analyse)


class UnreadableAudio(Exception):
    """The bytes are not audio ride can read; the message says why, for the user."""


def decode(data: bytes) -> tuple[np.ndarray, int]:
    """Mono float32 samples and their sample rate."""
    import soundfile

    try:
        with soundfile.SoundFile(io.BytesIO(data)) as file:
            if file.frames > MAX_SECONDS * file.samplerate:
                raise UnreadableAudio(f"it is longer than {MAX_SECONDS / 60:g} minutes")
            samples = file.read(dtype="float32", always_2d=True)
            rate = file.samplerate
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as error:
        raise UnreadableAudio(f"it is not audio soundfile can read ({_reason(error)})") from None
    if len(samples) == 0:
        raise UnreadableAudio("it holds no samples")
    mono = samples.mean(axis=1)
    if not np.isfinite(mono).all():
        raise UnreadableAudio("it holds samples that are not numbers")
    return mono, rate


def _reason(error: Exception) -> str:
    text = str(error).strip().rstrip(".")
    return text.split(": ", 1)[-1] if text.startswith("Error opening") else text
