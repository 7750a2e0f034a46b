"""The execution plan: every frame's parameters, fully resolved. The contract between stages.

The compiler fills a Plan column by column (numpy arrays, one value per frame) so a
100,000-frame scene costs no per-frame Python work; `plan.frame(i)` materialises one
FramePlan when the renderer or `ride plan` asks for it.

A Plan is a value: frozen, its columns read-only, its numbers held to six decimals (the
precision of its JSON), so `Plan.from_json(plan.to_json())` is the same plan, keys included.
Frame keys are computed in ride/frame_keys.py. The per-frame columns come from the settings
table (ride/settings.py).

This module imports nothing of ride but the contract (settings, errors), nor torch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from types import MappingProxyType
from typing import TextIO

import numpy as np

from .conditioning import Conditioning, six_decimals
from .errors import Problem, Span
from .frame_keys import FrameKeys, digest
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
    # the 3D camera, applied before the 2D motion above (ride/camera/, docs/camera.md)
    move_x: float = 0.0
    move_y: float = 0.0
    move_z: float = 0.0
    turn_x: float = 0.0
    turn_y: float = 0.0
    turn_z: float = 0.0
    fov: float = 40.0

    @property
    def is_identity(self) -> bool:
        return self.is_flat and self.zoom == 1.0 and self.pan_x == 0.0 and self.pan_y == 0.0 and self.rotate == 0.0

    @property
    def is_flat(self) -> bool:
        """No 3D motion: the frame's motion is its 2D zoom, pan and rotation alone."""
        return not (self.move_x or self.move_y or self.move_z or self.turn_x or self.turn_y or self.turn_z)


_CAMERA_FIELDS = tuple(f.name for f in fields(Camera))


@dataclass(frozen=True)
class FramePlan:
    """One frame's parameters. Its numeric fields are the plan's columns (NUMERIC_COLUMNS, camera)."""

    index: int
    time: float
    seed: int
    strength: float
    guidance: float
    steps: int
    noise: float
    adapter_scale: float
    lora_scale: float
    camera: Camera
    conditioning: Conditioning
    negative: str
    loop_blend: float
    diffuse: bool  # False for cadence in-betweens, which are blended, not diffused
    key: str

    def to_json(self) -> dict:
        out: dict = {"index": self.index, "time": six_decimals(self.time)}
        for name in FRAME_COLUMNS:
            value = getattr(self, name)
            out[name] = value if name in INTEGER_COLUMNS else six_decimals(value)
        out["camera"] = {name: six_decimals(getattr(self.camera, name)) for name in _CAMERA_FIELDS}  # (asdict is slow)
        out["conditioning"] = self.conditioning.to_json()
        out["negative"] = self.negative
        out["loop_blend"] = six_decimals(self.loop_blend)
        out["diffuse"] = self.diffuse
        out["key"] = self.key
        return out


@dataclass(frozen=True)
class Adapter:
    """An IP-Adapter for image keys: where it lives and which weights to load."""

    repo: str
    weight_name: str = "ip-adapter_sd15.safetensors"
    subfolder: str = "models"


@dataclass(frozen=True)
class Lora:
    """A LoRA: where it lives (hub id, folder or file) and its weight (times the frame's lora_scale)."""

    path: str
    weight: float = 1.0


@dataclass(frozen=True)
class Embedding:
    """A textual-inversion embedding, and the token prompts write it as (None: the file's own)."""

    path: str
    token: str | None = None


@dataclass(frozen=True)
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
    vae: str | None = None  # another VAE than the model's
    model_config: str | None = None  # a single-file model's configs (a diffusers folder or hub id)
    loras: tuple[Lora, ...] = ()
    embeddings: tuple[Embedding, ...] = ()
    clip_skip: int = 0
    init: str | None = None
    color_match: str = "frame0"  # "frame0" | "off"
    color_space: str = "lab"  # "lab" | "rgb" | "hsv"
    color_amount: float = 1.0  # how far each frame's colours move toward the reference
    cadence: int = 1
    border: str = "reflect"  # what the camera shows beyond the previous frame's edge: "reflect" | "replicate"
    # what the 3D camera takes for depth: "auto" (the engine's), "none" (a flat wall at 100), "flat" (a wall
    # `depth` away), "map" (an image file, relative to base_dir) or "model" (a depth model id or folder)
    depth_kind: str = "auto"
    depth: str = ""  # the number, the map's path or the model's name
    loop: str = "none"  # "none" | "close" | "circle" | "pingpong"
    loop_frames: int = 0  # close: the closing frames; circle: the frames once around the circle
    mode: str = "feedback"  # "feedback": each frame repaints the last; "walk": each frame from its own noise
    seed_mode: str = "fixed"  # "fixed" | "iter" | "random" | "flow" (the noise moves with the camera)
    reverse: bool = False
    output: str = ""
    audio: str | None = None
    bpm: float = 120.0
    script: str = ""  # the script's path, as given
    base_dir: str = "."  # folder that relative paths resolve against
    random_seed: int | None = None  # the seed `seed random` drew, recorded so a render can be repeated
    assets: Mapping[str, str] = field(default_factory=dict)  # relative path -> content digest (read-only)
    # where each setting is written in the script (name -> Span), for checks made after compiling
    # (an engine's own options); not part of the plan's value, nor of its JSON
    spans: Mapping[str, Span] = field(default_factory=dict, compare=False, repr=False)
    # what compiling warned about (silent audio), for the front ends to show; not part of the plan's value
    warnings: tuple[Problem, ...] = field(default=(), compare=False, repr=False)

    # Settings that change pixels; the rest (title, output, audio, reverse...) only change the video.
    _PIXEL_FIELDS = ("width", "height", "model", "scheduler", "adapter", "init", "color_match",
                     "color_space", "color_amount", "cadence", "border", "depth_kind", "depth", "vae", "model_config",
                     "loras", "embeddings", "clip_skip")

    def __post_init__(self):
        object.__setattr__(self, "assets", MappingProxyType(dict(self.assets)))
        object.__setattr__(self, "spans", MappingProxyType(dict(self.spans)))
        object.__setattr__(self, "loras", tuple(self.loras))
        object.__setattr__(self, "embeddings", tuple(self.embeddings))

    def pixel_digest(self) -> str:
        parts = {name: getattr(self, name) for name in self._PIXEL_FIELDS}
        parts["adapter"] = asdict(self.adapter) if self.adapter else None
        parts["loras"] = [asdict(lora) for lora in self.loras]
        parts["embeddings"] = [asdict(e) for e in self.embeddings]
        for name in ("vae", "model_config", "loras", "embeddings", "clip_skip"):  # unused: as before they were
            if not parts[name]:
                del parts[name]
        parts["init"] = self.assets.get(self.init) if self.init else None
        # the noise's path (issue 13): named only when not the default, so older scenes keep their keys
        if self.mode != "feedback":
            parts["mode"] = self.mode
        if self.seed_mode == "flow":
            parts["seed_mode"] = self.seed_mode
        if self.loop == "circle":
            parts["loop"] = [self.loop, self.loop_frames]
        if self.depth_kind == "map":  # the map's pixels, not its name
            parts["depth"] = self.assets.get(self.depth)
        return digest(json.dumps(parts, sort_keys=True, default=str))

    def to_json(self) -> dict:
        return {
            "version": PLAN_VERSION,
            "title": self.title,
            "fps": self.fps,
            "width": self.width,
            "height": self.height,
            "length": self.length,
            "engine": self.engine,
            "model": self.model,
            "scheduler": self.scheduler,
            "adapter": asdict(self.adapter) if self.adapter else None,
            "vae": self.vae,
            "model_config": self.model_config,
            "loras": [asdict(lora) for lora in self.loras],
            "embeddings": [asdict(e) for e in self.embeddings],
            "clip_skip": self.clip_skip,
            "init": self.init,
            "color_match": {"reference": self.color_match, "space": self.color_space, "amount": self.color_amount},
            "cadence": self.cadence,
            "border": self.border,
            "depth": {"kind": self.depth_kind, "value": self.depth},
            "loop": {"mode": self.loop, "frames": self.loop_frames},
            "mode": self.mode,
            "seed_mode": self.seed_mode,
            "reverse": self.reverse,
            "output": self.output,
            "audio": self.audio,
            "random_seed": self.random_seed,
            "bpm": self.bpm,
            "assets": dict(sorted(self.assets.items())),
            # where the plan came from: machine-specific, so kept apart from the values
            "source": {"script": self.script, "base_dir": self.base_dir},
        }

    @staticmethod
    def from_json(data: dict) -> Settings:
        color, loop, source = data["color_match"], data["loop"], data.get("source", {})
        depth = data.get("depth", {"kind": "auto", "value": ""})
        return Settings(
            title=data["title"], fps=data["fps"], width=data["width"], height=data["height"],
            length=data["length"], engine=data["engine"], model=data["model"], scheduler=data["scheduler"],
            adapter=Adapter(**data["adapter"]) if data["adapter"] else None, init=data["init"],
            vae=data.get("vae"), model_config=data.get("model_config"),
            loras=tuple(Lora(**lora) for lora in data.get("loras", ())),
            embeddings=tuple(Embedding(**e) for e in data.get("embeddings", ())), clip_skip=data.get("clip_skip", 0),
            color_match=color["reference"], color_space=color["space"], color_amount=color["amount"],
            cadence=data["cadence"], border=data["border"], depth_kind=depth["kind"], depth=depth["value"], loop=loop["mode"], loop_frames=loop["frames"],
            reverse=data["reverse"], output=data["output"], audio=data["audio"],
            mode=data.get("mode", "feedback"), seed_mode=data.get("seed_mode", "fixed"),
            random_seed=data["random_seed"], bpm=data.get("bpm", 120.0), assets=data.get("assets", {}),
            script=source.get("script", ""), base_dir=source.get("base_dir", "."))


@dataclass(frozen=True, eq=False)
class Plan:
    """Every frame's parameters. Columns are read-only numpy arrays of length `settings.length`."""

    settings: Settings
    columns: Mapping[str, np.ndarray]
    conditioning: tuple[Conditioning, ...]
    negative: tuple[str, ...]
    diffuse: np.ndarray  # bool per frame

    def __post_init__(self):
        # Held at the JSON's precision, so a plan read back from its JSON is this plan.
        columns = {name: _column(name, values) for name, values in self.columns.items()}
        object.__setattr__(self, "columns", MappingProxyType(columns))
        object.__setattr__(self, "conditioning", tuple(self.conditioning))  # (Weighted, Morph round themselves)
        object.__setattr__(self, "negative", tuple(self.negative))
        diffuse = np.array(self.diffuse, dtype=bool)
        diffuse.setflags(write=False)
        object.__setattr__(self, "diffuse", diffuse)

    def __len__(self) -> int:
        return self.settings.length

    @property
    def fps(self) -> float:
        return self.settings.fps

    def frame(self, i: int) -> FramePlan:
        c = self.columns
        numbers = {name: int(c[name][i]) if name in INTEGER_COLUMNS else float(c[name][i]) for name in FRAME_COLUMNS}
        return FramePlan(
            index=i,
            time=i / self.settings.fps,
            **numbers,
            camera=self.camera(i),
            conditioning=self.conditioning[i],
            negative=self.negative[i],
            loop_blend=float(c["loop_blend"][i]),
            diffuse=bool(self.diffuse[i]),
            key=self.frame_keys[i],
        )

    def camera(self, i: int) -> Camera:
        return Camera(**{name: float(self.columns[name][i]) for name in CAMERA_COLUMNS})

    def frames(self, start: int = 0, stop: int | None = None):
        stop = len(self) if stop is None else min(stop, len(self))
        for i in range(max(0, start), stop):
            yield self.frame(i)

    def keys(self) -> list[str]:
        """Every frame's key, as a list (a million frames: 100 MB; the renderer reads `frame_keys`)."""
        return self.frame_keys[:]

    @cached_property
    def frame_keys(self) -> FrameKeys:
        """The keys, made a chunk at a time when first read (`ride check` never needs them)."""
        s = self.settings
        return FrameKeys(PLAN_VERSION + s.pixel_digest(), self.columns, CAMERA_COLUMNS, self.conditioning,
                         self.negative, self.diffuse, s.assets)

    # -- JSON ---------------------------------------------------------------

    def to_json(self, start: int = 0, stop: int | None = None) -> dict:
        return {**self.settings.to_json(), "frames": [f.to_json() for f in self.frames(start, stop)]}

    def write_json(self, out: TextIO, start: int = 0, stop: int | None = None) -> None:
        """`to_json(start, stop)` as text, written a frame at a time (so a million frames never
        stand in memory as dicts or as one string): the settings indented, then a frame a line."""
        head = json.dumps({**self.settings.to_json(), "frames": []}, indent=1)  # ends '"frames": []\n}'
        lines = (json.dumps(frame.to_json()) for frame in self.frames(start, stop))
        first = next(lines, None)
        if first is None:
            out.write(head)
            return
        out.write(head[:-len("]\n}")] + "\n  " + first)
        for line in lines:
            out.write(",\n  " + line)
        out.write("\n ]\n}")

    @staticmethod
    def from_json(data: dict) -> Plan:
        """The plan that `to_json()` wrote (all frames of it)."""
        settings = Settings.from_json(data)
        frames = data["frames"]
        if len(frames) != settings.length:
            raise ValueError(f"a plan of {settings.length} frames holds {len(frames)}: write it whole to read it back")
        columns = {name: np.array([f[name] for f in frames], dtype=np.float64) for name in NUMERIC_COLUMNS}
        columns.update({name: np.array([f["camera"][name] for f in frames], dtype=np.float64)
                        for name in CAMERA_COLUMNS})
        shared: dict[str, Conditioning] = {}  # equal conditionings shared, as the compiler shares them
        conditioning = []
        for f in frames:
            text = json.dumps(f["conditioning"], sort_keys=True)
            if text not in shared:
                shared[text] = Conditioning.from_json(f["conditioning"])
            conditioning.append(shared[text])
        return Plan(settings, columns, conditioning, [f["negative"] for f in frames],
                    np.array([f["diffuse"] for f in frames], dtype=bool))


def _column(name: str, values) -> np.ndarray:
    """A read-only column at the plan's precision. A constant column (most are: a script sets `strength
    0.35` once) is one value broadcast over the frames, so an hour-long scene holds 8 bytes for it."""
    values = np.asarray(values, dtype=np.int64 if name == "seed" else np.float64)
    if is_constant(values):
        return np.broadcast_to(_held(values[:1]), values.shape)
    out = _held(values)
    out.setflags(write=False)
    return out


def _held(values: np.ndarray) -> np.ndarray:
    # a seed is a whole number below 2**32; other integer columns (steps) are rounded floats; + 0.0: no -0.0
    return values.copy() if values.dtype == np.int64 else np.round(values, 6) + 0.0


def is_constant(values: np.ndarray) -> bool:
    """One value over every frame (a broadcast column, or one whose values are all equal)."""
    return len(values) > 1 and (values.strides == (0,) or bool((values == values[0]).all()))


def compact(values: np.ndarray) -> np.ndarray:
    """`values` as a broadcast of its one value when constant: the compiler compacts each column as it
    makes it, so compiling a million frames never holds more than one full column of a constant."""
    return np.broadcast_to(values[:1], values.shape) if is_constant(values) else values


FRAME_FIELDS = tuple(f.name for f in fields(FramePlan))
