"""The music of a scene's `audio` file: tempo, beats and per-frame curves (level, onset, bands).

    analysis.py  Analysis: what the compiler reads (numpy only; also the cache's format)
    decode.py    bytes -> mono samples (soundfile; the only module that imports it)
    features.py  samples -> Analysis (librosa; the only module that imports it)
    cache.py     analyses kept by the audio file's content digest, beside the frame cache
    analyzer.py  the default analyzer the compiler is given: cache, else decode and analyse

librosa takes seconds to import, so nothing here imports it until a scene's music is analysed
and the cache has no analysis of that file: `ride check` of a scene without music never loads it.
"""

from .analysis import BANDS, CURVES, Analysis
from .analyzer import ANALYZER, MissingAudioLibrary, MusicAnalyzer, UnreadableAudio

__all__ = ["ANALYZER", "BANDS", "CURVES", "Analysis", "MissingAudioLibrary", "MusicAnalyzer", "UnreadableAudio"]
