"""What a script may set: names, defaults, ranges and where each setting belongs."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class NumericSetting:
    """A per-frame number: a constant, an expression of time, or a track."""

    name: str
    default: float
    low: float = -math.inf
    high: float = math.inf
    integer: bool = False
    hint: str = ""

    def range_text(self) -> str:
        if self.high == math.inf:
            return f"at least {self.low:g}"
        return f"between {self.low:g} and {self.high:g}"


NUMERIC = {s.name: s for s in (
    NumericSetting("strength", 0.35, 0.0, 1.0, hint="0 keeps the warped previous frame, 1 repaints it"),
    NumericSetting("guidance", 7.5, 0.0, 100.0, hint="typical values are 5 to 12; 0 for Turbo models"),
    NumericSetting("steps", 30, 1, 1000, integer=True, hint="denoising steps, e.g. 30 (2-4 for Turbo/LCM)"),
    NumericSetting("noise", 0.02, 0.0, 1.0, hint="noise added before each frame is re-diffused, e.g. 0.02"),
    NumericSetting("adapter_scale", 1.0, 0.0, 10.0, hint="IP-Adapter strength for image keys, e.g. 0.6"),
    NumericSetting("zoom", 1.0, 0.01, 100.0, hint="a factor per frame: 1.01 moves forward, 0.99 back"),
    NumericSetting("pan_x", 0.0, hint="pixels per frame"),
    NumericSetting("pan_y", 0.0, hint="pixels per frame"),
    NumericSetting("rotate", 0.0, hint="degrees per frame"),
    NumericSetting("focus_x", 0.5, hint="0 is the left edge, 1 the right"),
    NumericSetting("focus_y", 0.5, hint="0 is the top edge, 1 the bottom"),
)}

TRACKABLE = tuple(NUMERIC) + ("seed",)
CAMERA_SETTINGS = ("zoom", "focus", "pan", "rotate")
TEXT_SETTINGS = ("title", "model", "negative", "init", "output", "audio")
WORD_SETTINGS = {
    "engine": ("preview", "diffusers"),
    "color": ("match", "frame0", "off", "lab", "rgb", "hsv"),
    "border": ("reflect", "replicate"),
}
TOP_LEVEL_SETTINGS = TEXT_SETTINGS + tuple(WORD_SETTINGS) + (
    "size", "fps", "bpm", "seed", "steps", "guidance", "strength", "noise", "cadence", "adapter",
    "adapter_scale", "scheduler", "loop", "reverse", "let", "track", "camera", "timeline",
)
