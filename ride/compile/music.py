"""Step 2b of compiling: the scene's music, when it reads any (`bpm auto`, `level`, `onset`...).

The compiler never analyses audio itself: it reads the `audio` file's bytes through its Reader
and asks an injected Analyzer (ride.audio's by default, which imports librosa only when its
cache has no analysis of the file). From the Analysis it makes the beat grid of `bpm auto`
(BeatGrid: beat N is the time of detected beat N, counted from the first) and the curves'
values per frame (frame_curves), which the expressions read as names like `t`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..audio import ANALYZER, CURVES, Analysis, MissingAudioLibrary, UnreadableAudio
from ..audio.analyzer import INSTALL_HINT
from ..errors import Diagnostics, Span
from ..language import nodes as n
from ..language.syntax import parse
from .reader import FILES
from .statements import Statements, gather

QUANTUM = 1e-3  # a curve's values per frame, like the analysis's: 0..1 in steps of 0.001
AUTO = "auto"


class Analyzer(Protocol):
    """What the compiler asks for an audio file's music (ride.audio.MusicAnalyzer is the default).
    Raises MissingAudioLibrary or UnreadableAudio; `base` is the script's folder (for a cache)."""

    def analyse(self, data: bytes, digest: str, base: Path | None) -> Analysis: ...


@dataclass(frozen=True)
class BeatGrid:
    """Detected beat times (seconds) and the tempo: beat b is the time of detected beat b (0 is
    the first), a fractional beat lies between two detected ones, and beats before the first or
    after the last go on at the tempo."""

    times: np.ndarray
    tempo: float

    @property
    def period(self) -> float:
        return 60.0 / self.tempo

    def seconds(self, beat):
        """The time of beat `beat` (a number or an array)."""
        beat = np.asarray(beat, dtype=np.float64)
        last = len(self.times) - 1
        inside = np.interp(beat, np.arange(last + 1), self.times)
        before = self.times[0] + beat * self.period
        after = self.times[-1] + (beat - last) * self.period
        out = np.where(beat < 0, before, np.where(beat > last, after, inside))
        return float(out) if out.ndim == 0 else out

    def beat_at(self, seconds):
        """The beat at a time (a number or an array): the inverse of seconds()."""
        seconds = np.asarray(seconds, dtype=np.float64)
        last = len(self.times) - 1
        inside = np.interp(seconds, self.times, np.arange(last + 1))
        before = (seconds - self.times[0]) / self.period
        after = last + (seconds - self.times[-1]) / self.period
        out = np.where(seconds < self.times[0], before, np.where(seconds > self.times[-1], after, inside))
        return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class Music:
    """What step 2b found: the analysis (None when the scene reads no music, or it failed) and
    the beat grid of `bpm auto` (None otherwise)."""

    analysis: Analysis | None = None
    beats: BeatGrid | None = None


def is_auto(g: Statements) -> bool:
    """`bpm auto`: the tempo and the beats come from the audio."""
    if "bpm" not in g.values:
        return False
    value = g.values["bpm"][1][0]
    return isinstance(value, n.Name) and value.id == AUTO


def read_music(script: n.Script, g: Statements, base: Path, reader, analyzer: Analyzer,
               diagnostics: Diagnostics) -> Music:
    """The music the scene reads, or Music() after reporting why there is none."""
    # the script's statements, and what the command line's --set put over them
    uses = music_names([script, *(v for _, values in g.values.values() for v in values), *g.lets])
    auto = is_auto(g)
    if not uses and not auto:
        return Music()
    if "audio" not in g.texts:
        if auto:
            diagnostics.error("R430", "`bpm auto` needs the scene's audio", g.values["bpm"][0].span,
                              'add the song: `audio "song.wav"`, or write the tempo: `bpm 120`')
        for name, span in uses.items():
            diagnostics.error("R230", f"'{name}' needs the scene's audio", span,
                              f'`{name}` follows the music of the `audio "song.wav"` line; the scene has none')
        return Music()
    statement = g.texts["audio"]
    analysis = _analyse(statement, base, reader, analyzer, diagnostics)
    if analysis is None:
        return Music()
    if analysis.silent:
        diagnostics.warn("R532", f"audio '{statement.text}' is silent: its curves are 0 throughout",
                         statement.span, "check the file: level, onset, bass, mid and treble stay 0")
    if not auto:
        return Music(analysis)
    if len(analysis.beats) < 2 or analysis.tempo <= 0:
        diagnostics.error("R431", f"no beats found in '{statement.text}'", g.values["bpm"][0].span,
                          "`bpm auto` needs music with a pulse; write the tempo instead, e.g. `bpm 120`")
        return Music(analysis)
    return Music(analysis, BeatGrid(analysis.beats, analysis.tempo))


def _analyse(statement: n.TextSetting, base: Path, reader, analyzer: Analyzer,
             diagnostics: Diagnostics) -> Analysis | None:
    relative, span = statement.text, statement.span
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or "\x00" in relative:
        return None  # the path's own error (R502, R511) is the scene settings' to report
    try:
        if not reader.is_file(path):
            return None  # R505, reported with the scene's settings
        data = reader.read_bytes(path)
    except (OSError, ValueError) as error:
        diagnostics.error("R530", f"cannot read audio '{relative}': {getattr(error, 'strerror', None) or error}",
                          span, "check the file's permissions")
        return None
    try:
        return analyzer.analyse(data, hashlib.sha256(data).hexdigest()[:24], base)
    except UnreadableAudio as error:
        diagnostics.error("R530", f"cannot read audio '{relative}': {error}", span,
                          "ride reads WAV, FLAC, OGG and MP3: convert it, e.g. `ffmpeg -i song.m4a song.wav`")
    except MissingAudioLibrary as error:
        diagnostics.error("R531", f"music analysis needs librosa: {error}", span,
                          f"install it with `{INSTALL_HINT}` (the scene reads its music: `bpm auto`, `level`...)")
    return None


@dataclass(frozen=True)
class SceneMusic:
    """A compiled scene's music per frame, for its curves: empty without one."""

    curves: Mapping[str, np.ndarray]
    beats: BeatGrid | None = None  # `bpm auto`'s


def scene_music(text: str, path: str, fps: float, length: int, reader=FILES,
                analyzer: Analyzer = ANALYZER) -> SceneMusic:
    """The music of a scene for `ride plot` and the live page: its `audio` analysed whether its
    values read it or not; empty when it has none or it cannot be analysed (librosa missing, a
    file that is not audio: the compiler says so where the scene needs its music)."""
    quiet = Diagnostics(path, text)  # reported when the plan was made, if they matter: not again
    script = parse(text, path, quiet)
    g = gather(script, quiet) if script is not None else None
    if g is None or "audio" not in g.texts or path == "<script>":
        return SceneMusic({})
    analysis = _analyse(g.texts["audio"], Path(path).resolve().parent, reader, analyzer, quiet)
    if analysis is None:
        return SceneMusic({})
    beats = BeatGrid(analysis.beats, analysis.tempo) if is_auto(g) and len(analysis.beats) >= 2 \
        and analysis.tempo > 0 else None
    return SceneMusic(frame_curves(analysis, fps, length), beats)


def music_names(roots: list) -> dict[str, Span]:
    """Each music variable these nodes read, at its first use (in the script's order)."""
    found: dict[str, Span] = {}
    stack = list(reversed(roots))
    while stack:  # a loop, not recursion: an expression may be thousands of terms long
        node = stack.pop()
        if isinstance(node, n.Name):
            if node.id in CURVES and node.id not in found:
                found[node.id] = node.span
            continue
        children = []
        for field in dataclasses.fields(node):
            value = getattr(node, field.name)
            for item in value if isinstance(value, tuple) else (value,):
                if dataclasses.is_dataclass(item) and not isinstance(item, Span):
                    children.append(item)
        stack.extend(reversed(children))
    return found


def frame_curves(analysis: Analysis, fps: float, length: int) -> Mapping[str, np.ndarray]:
    """Each curve per frame: frame k shows the music from k/fps to (k+1)/fps, so it gets the mean
    of the values in that time (the largest for `onset`: a beat's short peak must not fall between
    two frames), the value nearest its start when none falls in it (fps above the analysis's
    rate), and 0 once the music has ended."""
    count = len(analysis.curves[CURVES[0]])
    bounds = np.minimum(np.ceil(np.arange(length + 1) / fps * analysis.rate - 1e-9).astype(np.int64), count)
    lo, hi = bounds[:-1], bounds[1:]
    full = hi > lo
    nearest = np.minimum(np.round(np.arange(length) / fps * analysis.rate).astype(np.int64), count - 1)
    ended = np.arange(length) / fps >= analysis.duration
    out = {}
    for name in CURVES:
        values = np.asarray(analysis.curves[name])
        frame = values[nearest].copy()
        if full.any():
            if name == "onset":
                frame[full] = np.maximum.reduceat(values[:hi[full][-1]], lo[full])
            else:
                sums = np.concatenate([[0.0], np.cumsum(values)])
                frame[full] = (sums[hi[full]] - sums[lo[full]]) / (hi[full] - lo[full])
        frame[ended] = 0.0
        out[name] = np.round(frame / QUANTUM) * QUANTUM
    return out
