"""Named per-frame series: a plan's values and conditioning weights, and where the keys are.

Curves hold any named series of one number a frame, in groups ("value", "weight"); a new kind
(audio level, onsets) is one more group added with `Curves.adding(...)`, and both the page and
`ride plot` draw it with no other change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..audio import CURVES as MUSIC_CURVES
from ..compile.key_frames import ScriptKeys, script_keys
from ..compile.music import SceneMusic, scene_music
from ..conditioning import Conditioning
from ..errors import Problem, RideError, did_you_mean
from ..plan import CAMERA_COLUMNS, NUMERIC_COLUMNS, Plan
from ..settings import BY_NAME

VALUE, WEIGHT, MUSIC = "value", "weight", "music"  # music: the `audio`'s level, onset, bands (0..1)
WEIGHTS_NAME = "conditioning"  # what --tracks calls the conditioning weights, drawn together
MAX_POINTS = 4000  # the page's JSON samples a longer scene at most this many frames (keys kept exact)


@dataclass(frozen=True, eq=False)
class Series:
    """One number a frame, frames start..start+len(values)-1."""

    name: str
    values: np.ndarray
    group: str = VALUE
    keys: tuple[int, ...] = ()  # frames where the user wrote a key
    unit: str = ""

    @property
    def constant(self) -> bool:
        return bool(len(self.values) == 0 or np.all(self.values == self.values[0]))


@dataclass(frozen=True, eq=False)
class Curves:
    """Every series of a scene over frames start..stop-1, on the scene's clock (fps, bpm)."""

    title: str
    fps: float
    bpm: float
    start: int
    stop: int
    series: tuple[Series, ...]
    timeline_keys: tuple[int, ...] = ()
    beats: tuple[float, ...] = ()  # `bpm auto`: the detected beats (seconds), which beat times count

    def group(self, name: str) -> tuple[Series, ...]:
        return tuple(s for s in self.series if s.group == name)

    @property
    def names(self) -> tuple[str, ...]:
        """What --tracks may name: each value, and `conditioning` for the weights."""
        values = tuple(s.name for s in self.series if s.group != WEIGHT)
        return values + ((WEIGHTS_NAME,) if self.group(WEIGHT) else ())

    def adding(self, *series: Series) -> Curves:
        """These curves and more series (each as long as the scene)."""
        return replace(self, series=self.series + series)

    def select(self, names: list[str]) -> Curves:
        """Only these values (and the weights if `conditioning` is named); an unknown name is R753."""
        for name in names:
            if name not in self.names:
                hint = did_you_mean(name, self.names) or "names: " + ", ".join(self.names)
                raise RideError(Problem(f"--tracks: the scene has no curve '{name}'", hint=hint, code="R753"))
        keep = [s for s in self.series if s.name in names or (s.group == WEIGHT and WEIGHTS_NAME in names)]
        return replace(self, series=tuple(keep))

    def window(self, start: int, stop: int) -> Curves:
        """Frames start..stop-1 of these curves."""
        a, b = start - self.start, stop - self.start
        cut = tuple(replace(s, values=s.values[a:b], keys=tuple(k for k in s.keys if start <= k < stop))
                    for s in self.series)
        return replace(self, start=start, stop=stop, series=cut,
                       timeline_keys=tuple(k for k in self.timeline_keys if start <= k < stop))

    def to_json(self, max_points: int = MAX_POINTS) -> dict:
        """What the page draws: the frames sampled (every one, up to max_points) and each series there."""
        frames = sample_frames(self.start, self.stop, max_points)
        at = frames - self.start
        return {
            "title": self.title, "fps": self.fps, "bpm": self.bpm, "beats": list(self.beats),
            "start": self.start, "stop": self.stop,
            "frames": frames.tolist(), "timeline_keys": list(self.timeline_keys),
            "series": [{"name": s.name, "group": s.group, "unit": s.unit, "constant": s.constant,
                        "values": [round(float(v), 6) for v in s.values[at]],
                        "keys": [[k, round(float(s.values[k - self.start]), 6)] for k in s.keys]}
                       for s in self.series],
        }


def sample_frames(start: int, stop: int, max_points: int) -> np.ndarray:
    """Every frame of start..stop-1, or max_points of them evenly spread, the first and last included."""
    count = stop - start
    if count <= max_points:
        return np.arange(start, stop)
    return np.unique(np.round(np.linspace(start, stop - 1, max_points)).astype(int))


def plan_curves(plan: Plan, text: str | None = None) -> Curves:
    """The curves of a compiled plan; `text` (the script) marks its keys (read from the plan's
    script when None; no keys if it cannot be read)."""
    s = plan.settings
    if text is None:
        try:
            text = Path(s.script).read_text(encoding="utf-8-sig") if s.script else ""
        except (OSError, UnicodeDecodeError):
            text = ""
    music = scene_music(text, s.script, s.fps, len(plan)) if text and s.audio else SceneMusic({})
    keys = script_keys(text, s.fps, s.bpm, len(plan), s.script, music.beats) if text else ScriptKeys({}, ())
    values = tuple(Series(name, np.asarray(plan.columns[name], dtype=np.float64), VALUE,
                          keys.tracks.get(name, ()), _unit(name))
                   for name in (*NUMERIC_COLUMNS, *CAMERA_COLUMNS))
    heard = tuple(Series(name, np.asarray(music.curves[name]), MUSIC) for name in MUSIC_CURVES if music.curves)
    beats = tuple(float(b) for b in music.beats.times) if music.beats is not None else ()
    return Curves(s.title or Path(s.script).name, s.fps, s.bpm, 0, len(plan),
                  values + heard + conditioning_weights(plan.conditioning), keys.timeline, beats)


def conditioning_weights(conditioning: tuple[Conditioning, ...]) -> tuple[Series, ...]:
    """Each source's share of every frame's conditioning (a morph's two mixes in proportion):
    one series per distinct source, in order of first use; every frame's shares sum to 1."""
    names: dict[tuple[str, str], int] = {}
    shares: dict[int, dict[int, float]] = {}  # id(conditioning) -> source number -> share (frames share them)
    for c in conditioning:
        if id(c) in shares:
            continue
        mixes = [(c.sources, 1.0)] if c.morph is None else \
            [(c.morph.start, 1.0 - c.morph.position), (c.sources, c.morph.position)]
        share: dict[int, float] = {}
        for mix, amount in mixes:
            for w in mix:
                number = names.setdefault((w.source.kind, w.source.value), len(names))
                share[number] = share.get(number, 0.0) + w.weight * amount
        shares[id(c)] = share
    table = np.zeros((len(names), len(conditioning)))
    for frame, c in enumerate(conditioning):
        for number, share in shares[id(c)].items():
            table[number, frame] = share
    return tuple(Series(source_label(kind, value), table[number], WEIGHT)
                 for (kind, value), number in names.items())


def source_label(kind: str, value: str, width: int = 48) -> str:
    text = value if len(value) <= width else value[: width - 1] + "\u2026"
    return f'"{text}"' if kind == "prompt" else f'image "{text}"'


def _unit(name: str) -> str:
    setting = BY_NAME.get(name)
    return setting.unit if setting is not None else ""
