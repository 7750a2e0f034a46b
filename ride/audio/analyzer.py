"""The analyzer the compiler is given by default: the cache, else decode and analyse (and cache).

The compiler reads the file's bytes through its own Reader and hands them here with their
digest; what goes wrong is raised as one of the two exceptions below, which the compiler turns
into positioned errors at the script's `audio` line.
"""

from __future__ import annotations

from pathlib import Path

from .analysis import Analysis
from .cache import AnalysisCache
from .decode import UnreadableAudio

INSTALL_HINT = "pip install 'ride[audio]'"


class MissingAudioLibrary(Exception):
    """librosa or soundfile is not installed."""


class MusicAnalyzer:
    """Analyses audio files, keeping each analysis in the cache beside the script."""

    def analyse(self, data: bytes, digest: str, base: Path | None) -> Analysis:
        cache = AnalysisCache.beside(base) if base is not None else None
        if cache is not None and (cached := cache.get(digest)) is not None:
            return cached
        try:
            from .decode import decode
            from .features import analyse

            samples, rate = decode(data)
            analysis = analyse(samples, rate)
        except ImportError as error:
            raise MissingAudioLibrary(f"{error.name or 'librosa'} is not installed") from None
        if cache is not None:
            cache.put(digest, analysis)
        return analysis


ANALYZER = MusicAnalyzer()

__all__ = ["ANALYZER", "MissingAudioLibrary", "MusicAnalyzer", "UnreadableAudio"]
