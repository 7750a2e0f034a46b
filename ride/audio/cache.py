"""Analyses kept on disk by the audio file's content digest: a scene re-checked, re-rendered or
edited in watch mode reads its music back in milliseconds, without importing librosa.

`<script's folder>/.ride-cache/audio/<digest>-v<VERSION>.npz`, beside the frame cache (whose
`ride cache` commands leave this folder alone). A file that cannot be read back (a killed
write, a disk error, an older format) is analysed again and replaced; a cache that cannot be
written (a read-only folder) is skipped: the analysis is only slower next time.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .analysis import Analysis

CACHE_FOLDER = ".ride-cache"  # the frame cache's folder (renderer/store.py's DEFAULT_FOLDER; a test checks)
AUDIO_FOLDER = "audio"
VERSION = 1  # bump when features.py computes something else: older analyses are then not read


class AnalysisCache:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    @staticmethod
    def beside(base: Path) -> AnalysisCache:
        """The cache of the scripts in folder `base`."""
        return AnalysisCache(Path(base) / CACHE_FOLDER / AUDIO_FOLDER)

    def path(self, digest: str) -> Path:
        return self.folder / f"{digest}-v{VERSION}.npz"

    def get(self, digest: str) -> Analysis | None:
        path = self.path(digest)
        try:
            with np.load(path, allow_pickle=False) as arrays:
                return Analysis.from_arrays(arrays)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None  # damaged: analysed again, and replaced by put()

    def put(self, digest: str, analysis: Analysis) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as out:
                    np.savez(out, **analysis.arrays())
                os.replace(temporary, self.path(digest))  # never a half-written analysis under its name
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a read-only folder, a full disk: the next run analyses again
