"""What music costs: librosa's import, one song's analysis, and a cached compile.

    .venv/bin/python bench/music_analysis.py [--minutes 3]

Prints seconds for: importing librosa (in a fresh interpreter), analysing a synthetic song of --minutes (tests/synth_audio.py's clicks over a
chord) from its bytes (twice: the first call pays for the imports), and compiling a scene that reads it twice: the first analyses (cache
empty), the second reads the analysis back from .ride-cache/audio/ without importing librosa.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import numpy as np  # noqa: E402
from synth_audio import RATE, clicks, write_wav  # noqa: E402

SCENE = """fps 24
bpm auto
audio "song.wav"
camera {
  zoom 1 + 0.02*onset + 0.01*bass
}
timeline {
  0 "a road"
  64b end
}
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=3.0)
    args = parser.parse_args()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import librosa.beat, librosa.onset, librosa.feature"], check=True)
    print(f"import librosa (fresh interpreter): {time.perf_counter() - start:.2f} s")
    seconds = args.minutes * 60
    song, _ = clicks(123.0, first=0.5, seconds=seconds)
    t = np.arange(len(song)) / RATE
    song += (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        data = write_wav(folder / "song.wav", song).read_bytes()
        from ride.audio.decode import decode
        from ride.audio.features import analyse

        for label in ("first in the process: librosa's import and numba's load", "again"):
            start = time.perf_counter()
            analysis = analyse(*decode(data))
            print(f"analyse {args.minutes:g} min of audio, {label}: {time.perf_counter() - start:.2f} s "
                  f"(tempo {analysis.tempo}, {len(analysis.beats)} beats)")
        (folder / "scene.ride").write_text(SCENE)
        code = ("import sys, time, ride; s = time.perf_counter(); ride.load(sys.argv[1]); "
                "print(f'{time.perf_counter() - s:.2f}', 'librosa' in sys.modules)")
        for label in ("compile, cache empty", "compile, cache warm"):
            out = subprocess.run([sys.executable, "-c", code, str(folder / "scene.ride")], check=True,
                                 capture_output=True, text=True).stdout.split()
            print(f"{label}: {out[0]} s (librosa imported: {out[1]})")


if __name__ == "__main__":
    main()
