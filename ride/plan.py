"""The execution plan: every frame's parameters, fully resolved. Plain data, JSON out.

The compiler fills a Plan column by column (numpy arrays, one value per frame) so a
100,000-frame scene costs no per-frame Python work; `plan.frame(i)` materialises one
FramePlan when the renderer or `ride plan` asks for it.

Frame keys are chained: key(k) = hash(frame k's parameters, key(k-1), the scene settings
that shape pixels). A frame whose result also depends on later frames (a cadence
in-between, a loop-closure frame whose anchor is warped by the motion still to come)
hashes those later parameters too. Equal keys mean equal pixels for the same engine.

This module imports nothing of ride (nor torch): it is the contract between stages.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from .settings import FRAME_COLUMNS, MOTION_COLUMNS, SETTINGS

PLAN_VERSION = "ride-plan-1"

# Per-frame numeric columns, in the order they are hashed and written (CSV); from the settings table.
NUMERIC_COLUMNS = FRAME_COLUMNS + ("loop_blend",)  # loop_blend: computed from `loop close`, not a setting
CAMERA_COLUMNS = MOTION_COLUMNS
INTEGER_COLUMNS = tuple(s.name for s in SETTINGS if s.column and s.integer)


@dataclass(frozen=True)
class Camera:
    """Per-frame motion applied to the previous frame, about the focus point (0..1 of the frame)."""

    zoom: float = 1.0
    pan_x: float = 0.0
    pan_y: float = 0.0
    rotate: float = 0.0
    focus_x: float = 0.5
    focus_y: float = 0.5

    @property
    def is_identity(self) -> bool:
        return self.zoom == 1.0 and self.pan_x == 0.0 and self.pan_y == 0.0 and self.rotate == 0.0


@dataclass(frozen=True)
class Source:
    """One conditioning source: a prompt's text, or an image's path (relative to the script)."""

    kind: str  # "prompt" | "image"
    value: str

    def to_json(self) -> dict:
        return {self.kind: self.value}


@dataclass(frozen=True)
class Weighted:
    source: Source
    weight: float

    def to_json(self) -> dict:
        return {**self.source.to_json(), "weight": _round(self.weight)}


Mix = tuple[Weighted, ...]


@dataclass(frozen=True)
class Morph:
    """An embedding interpolation in progress: from `start` toward the frame's `sources`."""

    start: Mix
    position: float  # 0 = all `start`, 1 = all `sources` (already eased)
    method: str  # "lerp" | "slerp"


@dataclass(frozen=True)
class Conditioning:
    """What the engine conditions on: a weighted mix of sources, possibly mid-morph."""

    sources: Mix
    morph: Morph | None = None

    def to_json(self) -> dict:
        out: dict = {"sources": [w.to_json() for w in self.sources], "morph": None}
        if self.morph is not None:
            out["morph"] = {
                "from": [w.to_json() for w in self.morph.start],
                "position": _round(self.morph.position),
                "method": self.morph.method,
            }
        return out

    def all_sources(self) -> list[Source]:
        mixes = [self.sources] + ([self.morph.start] if self.morph else [])
        return [w.source for mix in mixes for w in mix]


@dataclass(frozen=True)
class FramePlan:
    index: int
    time: float
    seed: int
    strength: float
    guidance: float
    steps: int
    noise: float
    adapter_scale: float
    camera: Camera
    conditioning: Conditioning
    negative: str
    loop_blend: float
    diffuse: bool  # False for cadence in-betweens, which are blended, not diffused
    key: str

    def to_json(self) -> dict:
        return {
            "index": self.index,
            "time": _round(self.time),
            "seed": self.seed,
            "strength": _round(self.strength),
            "guidance": _round(self.guidance),
            "steps": self.steps,
            "noise": _round(self.noise),
            "adapter_scale": _round(self.adapter_scale),
            "camera": {k: _round(v) for k, v in asdict(self.camera).items()},
            "conditioning": self.conditioning.to_json(),
            "negative": self.negative,
            "loop_blend": _round(self.loop_blend),
            "diffuse": self.diffuse,
            "key": self.key,
        }


@dataclass(frozen=True)
class Adapter:
    """An IP-Adapter for image keys: where it lives and which weights to load."""

    repo: str
    weight_name: str = "ip-adapter_sd15.safetensors"
    subfolder: str = "models"


@dataclass
class Settings:
    """Scene-wide settings: what is not per frame."""

    title: str = ""
    fps: float = 12.0
    width: int = 512
    height: int = 512
    length: int = 0
    engine: str = "auto"  # "auto" picks diffusers when a model is named, else preview
    model: str | None = None
    scheduler: str | None = None
    adapter: Adapter | None = None
    init: str | None = None
    color_match: str = "frame0"  # "frame0" | "off"
    color_space: str = "lab"  # "lab" | "rgb" | "hsv"
    color_amount: float = 1.0  # how far each frame's colours move toward the reference
    cadence: int = 1
    border: str = "reflect"  # what the camera shows beyond the previous frame's edge: "reflect" | "replicate"
    loop: str = "none"  # "none" | "close" | "pingpong"
    loop_frames: int = 0
    reverse: bool = False
    output: str = ""
    audio: str | None = None
    bpm: float = 120.0
    script: str = ""  # the script's path, as given
    base_dir: str = "."  # folder that relative paths resolve against
    random_seed: int | None = None  # the seed `seed random` drew, recorded so a render can be repeated
    assets: dict[str, str] = field(default_factory=dict)  # relative path -> content digest

    # Settings that change pixels; the rest (title, output, audio, reverse...) only change the video.
    _PIXEL_FIELDS = ("width", "height", "model", "scheduler", "adapter", "init", "color_match",
                     "color_space", "color_amount", "cadence", "border")

    def pixel_digest(self) -> str:
        parts = {name: getattr(self, name) for name in self._PIXEL_FIELDS}
        parts["adapter"] = asdict(self.adapter) if self.adapter else None
        parts["init"] = self.assets.get(self.init) if self.init else None
        return _digest(json.dumps(parts, sort_keys=True, default=str))


@dataclass
class Plan:
    """Every frame's parameters. Columns are numpy arrays of length `settings.length`."""

    settings: Settings
    columns: dict[str, np.ndarray]
    conditioning: list[Conditioning]
    negative: list[str]
    diffuse: np.ndarray  # bool per frame
    _keys: list[str] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return self.settings.length

    @property
    def fps(self) -> float:
        return self.settings.fps

    def frame(self, i: int) -> FramePlan:
        c = self.columns
        return FramePlan(
            index=i,
            time=i / self.settings.fps,
            seed=int(c["seed"][i]),
            strength=float(c["strength"][i]),
            guidance=float(c["guidance"][i]),
            steps=int(c["steps"][i]),
            noise=float(c["noise"][i]),
            adapter_scale=float(c["adapter_scale"][i]),
            camera=self.camera(i),
            conditioning=self.conditioning[i],
            negative=self.negative[i],
            loop_blend=float(c["loop_blend"][i]),
            diffuse=bool(self.diffuse[i]),
            key=self.keys()[i],
        )

    def camera(self, i: int) -> Camera:
        return Camera(**{name: float(self.columns[name][i]) for name in CAMERA_COLUMNS})

    def frames(self, start: int = 0, stop: int | None = None):
        stop = len(self) if stop is None else min(stop, len(self))
        for i in range(max(0, start), stop):
            yield self.frame(i)

    # -- keys ---------------------------------------------------------------

    def keys(self) -> list[str]:
        if self._keys is None:
            self._keys = self._chain_keys()
        return self._keys

    def _frame_digests(self) -> list[str]:
        """Each frame's own parameters as text (conditioning is shared between frames: text it once)."""
        c = self.columns
        numbers = np.round(np.stack([c[name] for name in NUMERIC_COLUMNS + CAMERA_COLUMNS], axis=1), 6) + 0.0
        conditioning_text: dict[int, str] = {}
        out = []
        for i, row in enumerate(numbers.tolist()):
            cond = self.conditioning[i]
            text = conditioning_text.get(id(cond))
            if text is None:
                images = [self.settings.assets.get(s.value, "") for s in cond.all_sources() if s.kind == "image"]
                text = json.dumps(cond.to_json(), sort_keys=True) + repr(images)
                conditioning_text[id(cond)] = text
            out.append(f"{i}|{row!r}|{text}|{self.negative[i]}|{bool(self.diffuse[i])}")
        return out

    def _chain_keys(self) -> list[str]:
        n = len(self)
        own = self._frame_digests()
        future = self._future_dependencies(own)
        keys: list[str] = []
        previous = _digest(PLAN_VERSION + self.settings.pixel_digest())
        for i in range(n):
            previous = _digest(f"{previous}|{own[i]}|{future[i]}")
            keys.append(previous)
        return keys

    def _future_dependencies(self, own: list[str]) -> list[str]:
        """For each frame, a digest of the later frames its pixels depend on ('' if none)."""
        n = len(own)
        future = [""] * n
        blend = self.columns["loop_blend"]
        looping = np.flatnonzero(blend > 0)
        if looping.size:
            # the loop anchor is warped by the camera motion still to come
            motion = (np.round(np.stack([self.columns[c] for c in CAMERA_COLUMNS], axis=1), 6) + 0.0).tolist()
            tail = ""
            for i in range(n - 1, int(looping[0]) - 1, -1):
                if blend[i] > 0:
                    future[i] = tail
                tail = _digest(tail + repr(motion[i]))
        # An in-between is a blend of the next diffused frame (with all that frame depends on
        # later) carried back by the cameras of the frames after the in-between in its segment.
        segment_rest = "tail"
        for i in range(n - 1, -1, -1):
            if self.diffuse[i]:
                segment_rest = _digest(f"{own[i]}|{future[i]}")
            else:
                future[i] += "|" + segment_rest
                segment_rest = _digest(f"{own[i]}|{segment_rest}")
        return future

    # -- output -------------------------------------------------------------

    def to_json(self, start: int = 0, stop: int | None = None) -> dict:
        s = self.settings
        return {
            "version": PLAN_VERSION,
            "title": s.title,
            "fps": s.fps,
            "width": s.width,
            "height": s.height,
            "length": s.length,
            "engine": s.engine,
            "model": s.model,
            "scheduler": s.scheduler,
            "adapter": asdict(s.adapter) if s.adapter else None,
            "init": s.init,
            "color_match": {"reference": s.color_match, "space": s.color_space, "amount": s.color_amount},
            "cadence": s.cadence,
            "border": s.border,
            "loop": {"mode": s.loop, "frames": s.loop_frames},
            "reverse": s.reverse,
            "output": s.output,
            "audio": s.audio,
            "random_seed": s.random_seed,
            "frames": [f.to_json() for f in self.frames(start, stop)],
        }


def _round(x: float) -> float:
    """Six decimals: stable JSON and keys, far below anything visible."""
    r = round(x, 6)
    return 0.0 if r == 0 else r


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


FRAME_FIELDS = tuple(f.name for f in fields(FramePlan))
