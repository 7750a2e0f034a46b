"""The one table of what a script may set. Everything reads it.

Adding a numeric setting (the recipe):
  1. Add a row to SETTINGS below: `Setting("eta", NUMBER, 0.0, 0.0, 1.0, "", TOP, trackable=True,
     column=FRAME, help="...")`. That row alone makes it a keyword of the grammar, a compiled
     per-frame column (default, range check, track), a Plan column (JSON, CSV, hashed into frame
     keys), a name `did you mean` knows, and a line of docs/language.md's settings reference
     (regenerate it: `python -m ride.settings > /tmp/ref.md` and paste between the markers; a test
     says when it differs).
  2. Its use: a field of the same name on `FramePlan` (ride/plan.py; a test says when it is
     missing) and the engine that reads it.
A setting that is not a number per frame (a word, a text) is a row too (kind WORD or TEXT); its
meaning is a `Settings` field and a line of the compiler's `settings()` step.

This module imports nothing of ride: it sits under every stage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# kinds: what a setting's value is written as
NUMBER = "number"  # a per-frame value (a constant, an expression of time or a track), or a plain number
INTEGER = "integer"  # as NUMBER, rounded to a whole number per frame
PAIR = "pair"  # two numbers, x then y: each is a setting of its own (`pan` -> pan_x, pan_y)
VECTOR = "vector"  # three numbers, x, y then z: each is a setting of its own (`move` -> move_x, move_y, move_z)
SEED = "seed"  # a number, `iter`, or `random`
WORD = "word"  # one or more words from a list
TEXT = "text"  # a quoted string
SIZE = "size"  # WxH
OTHER = "other"  # a statement of its own shape (scheduler, loop, adapter, reverse)

# where a setting may be written
TOP = "top level"
CAMERA = "camera"
TRACK = "track"  # only as `track NAME { }` (the two halves of a PAIR)

# which group of the plan's per-frame columns a setting fills
FRAME = "frame"
MOTION = "camera"


@dataclass(frozen=True)
class Setting:
    """One row of the table."""

    name: str
    kind: str
    default: float | str | None = None
    low: float = -math.inf
    high: float = math.inf
    unit: str = ""
    where: tuple[str, ...] = (TOP,)
    trackable: bool = False
    column: str = ""  # FRAME or MOTION: a per-frame column of the plan; "" for a scene-wide setting
    help: str = ""
    short: str = ""  # its heading in `ride plan`'s table ("" = not shown there)
    optional: bool = False  # left out of `ride plan`'s table first when the terminal is narrow
    words: tuple[str, ...] = ()  # WORD: the words it takes
    parts: tuple[str, ...] = ()  # PAIR, VECTOR: the settings its values set, in order

    @property
    def integer(self) -> bool:
        return self.kind in (INTEGER, SEED)

    def range_text(self) -> str:
        if self.high == math.inf:
            return f"at least {self.low:g}"
        return f"between {self.low:g} and {self.high:g}"


# A pan per frame beyond ten of the largest frame's sides moves every pixel out of the picture
# many times over; bounding it keeps the renderer's composed motions finite (compile/motion.py).
MAX_PAN = 10 * 8192.0
# The 3D camera's bounds per frame: a move of a million depth units (a depth map's median is 100) or a turn
# of ten whole turns is far past any picture; bounded so composed motions stay finite.
MAX_MOVE = 1.0e6
MAX_TURN = 3600.0

_T = (TOP,)
_C = (CAMERA,)
_K = (TRACK,)

SETTINGS: tuple[Setting, ...] = (
    Setting("title", TEXT, "", help="shown in `ride plan` and the progress bar"),
    Setting("size", SIZE, "512x512", 8, 8192, "pixels", help="frame size; each side a multiple of 8"),
    Setting("fps", NUMBER, 12.0, 0, 240, "frames/s", help="frames per second (a plain number)"),
    Setting("bpm", NUMBER, 120.0, 1, 1000, "beats/min", help="tempo of beat times (`4b`) and `beat`; `bpm auto`: the beats of the `audio`"),
    Setting("seed", SEED, 0, trackable=True, column=FRAME, short="seed",
            help="the engine's seed per frame (floored, modulo 2^32); `N iter` adds the frame number, `N flow` moves "
                 "the noise with the camera, `random` draws one"),
    Setting("strength", NUMBER, 0.35, 0.0, 1.0, "", trackable=True, column=FRAME, short="str",
            help="0 keeps the warped previous frame, 1 repaints it"),
    Setting("guidance", NUMBER, 7.5, 0.0, 100.0, "", trackable=True, column=FRAME, short="guid", optional=True,
            help="typical values are 5 to 12; 0 for Turbo models"),
    Setting("steps", INTEGER, 30, 1, 1000, "", trackable=True, column=FRAME, short="steps", optional=True,
            help="denoising steps, e.g. 30 (2-4 for Turbo/LCM)"),
    Setting("noise", NUMBER, 0.02, 0.0, 1.0, "", trackable=True, column=FRAME, short="noise", optional=True,
            help="noise added before each frame is re-diffused, e.g. 0.02"),
    Setting("adapter_scale", NUMBER, 1.0, 0.0, 10.0, "", trackable=True, column=FRAME,
            help="IP-Adapter strength for image keys, e.g. 0.6"),
    Setting("negative", TEXT, "", help="the negative prompt of every frame (a key may override it)"),
    Setting("engine", WORD, "auto", words=("preview", "diffusers"),
            help="which engine renders (default: diffusers when a model is named, else preview)"),
    Setting("model", TEXT, None, help="a diffusers checkpoint: hub id, folder or .safetensors/.ckpt file"),
    Setting("scheduler", OTHER, None, help="the diffusers scheduler, e.g. euler, euler_a, dpm++, ddim, lcm"),
    Setting("adapter", OTHER, None, help="the IP-Adapter for image keys: \"repo\" [\"weights\"] [\"subfolder\"]"),
    Setting("vae", TEXT, None, help="another VAE: hub id, folder or .safetensors file, e.g. madebyollin/sdxl-vae-fp16-fix"),
    Setting("model_config", TEXT, None,
            help="a diffusers folder (or hub id) with a single-file model's configs; SD 2 files need one"),
    Setting("lora", OTHER, None, help="a LoRA: \"id, folder or file\" [weight]; a line per LoRA"),
    Setting("lora_scale", NUMBER, 1.0, -10.0, 10.0, "", trackable=True, column=FRAME,
            help="every LoRA's weight times this, per frame: fade a style in and out"),
    Setting("embedding", OTHER, None, help="a textual-inversion embedding: \"file\" [\"token\"]; a line per embedding"),
    Setting("clip_skip", INTEGER, 0, 0, 10, "layers",
            help="read the text encoder this many layers before its last (A1111's clip skip 2 is `clip_skip 1`)"),
    Setting("init", TEXT, None, help="frame 0 is this image (resized), instead of being generated"),
    Setting("color", WORD, "match frame0 lab 1", words=("match", "frame0", "off", "lab", "rgb", "hsv"),
            help="`color match [frame0|off] [lab|rgb|hsv] [amount]`: keep colours from drifting"),
    Setting("mode", WORD, "feedback", words=("feedback", "walk"),
            help="`feedback` repaints each frame from the last; `walk` makes each frame from its own noise"),
    Setting("cadence", INTEGER, 1, 1, 1000, "frames", help="diffuse every Nth frame; the frames between are blended"),
    Setting("border", WORD, "reflect", words=("reflect", "replicate"),
            help="what the camera shows beyond the previous frame's edge"),
    Setting("loop", OTHER, "off", help="`loop close N [transition]`, `loop circle [N]` or `loop pingpong`"),
    Setting("reverse", OTHER, "off", help="the video plays the rendered frames backward"),
    Setting("output", TEXT, None, help="`.mp4`, `.webm`, `.gif`, or `folder/` for PNG frames"),
    Setting("audio", TEXT, None, help="muxed into the video, trimmed to its length; its music can drive values (`level`, `onset`...)"),
    # the camera: motion per frame, about the focus point (rows in `camera { }`'s order; the
    # columns' order, zoom pan_x pan_y rotate focus_x focus_y, is hashed into frame keys)
    Setting("zoom", NUMBER, 1.0, 0.01, 100.0, "factor/frame", _C, trackable=True, column=MOTION, short="zoom",
            help="a factor per frame: 1.01 moves forward, 0.99 back"),
    Setting("focus", PAIR, "0.5, 0.5", where=_C, parts=("focus_x", "focus_y"),
            help="the point the camera heads for, x then y in fractions of the frame (0,0 is top-left)"),
    Setting("pan", PAIR, "0, 0", unit="pixels/frame", where=_C, parts=("pan_x", "pan_y"), short="pan",
            optional=True, help="x then y; positive x moves the picture right, positive y down"),
    Setting("pan_x", NUMBER, 0.0, -MAX_PAN, MAX_PAN, unit="pixels/frame", where=_K, trackable=True, column=MOTION,
            help="pixels per frame"),
    Setting("pan_y", NUMBER, 0.0, -MAX_PAN, MAX_PAN, unit="pixels/frame", where=_K, trackable=True, column=MOTION,
            help="pixels per frame"),
    Setting("rotate", NUMBER, 0.0, -3600.0, 3600.0, unit="degrees/frame", where=_C, trackable=True, column=MOTION, short="rot",
            optional=True, help="degrees per frame, counter-clockwise"),
    Setting("focus_x", NUMBER, 0.5, -10.0, 10.0, where=_K, trackable=True, column=MOTION, help="0 is the left edge, 1 the right"),
    Setting("focus_y", NUMBER, 0.5, -10.0, 10.0, where=_K, trackable=True, column=MOTION, help="0 is the top edge, 1 the bottom"),
    # the 3D camera (docs/camera.md): applied before the 2D motion above, through a pinhole of `fov`
    Setting("move", VECTOR, "0, 0, 0", unit="depth units/frame", where=_C, parts=("move_x", "move_y", "move_z"),
            short="move", optional=True,
            help="the camera's 3D travel per frame, x right, y down, z forward; with `depth D`, "
                 "`move 0, 0, m` is `zoom D/(D-m)`"),
    Setting("move_x", NUMBER, 0.0, -MAX_MOVE, MAX_MOVE, unit="depth units/frame", where=_K, trackable=True,
            column=MOTION, help="right; the picture slides left by f*x/depth pixels"),
    Setting("move_y", NUMBER, 0.0, -MAX_MOVE, MAX_MOVE, unit="depth units/frame", where=_K, trackable=True,
            column=MOTION, help="down; the picture slides up"),
    Setting("move_z", NUMBER, 0.0, -MAX_MOVE, MAX_MOVE, unit="depth units/frame", where=_K, trackable=True,
            column=MOTION, help="forward (negative: back)"),
    Setting("turn", VECTOR, "0, 0, 0", unit="degrees/frame", where=_C, parts=("turn_x", "turn_y", "turn_z"),
            short="turn", optional=True,
            help="the camera's 3D rotation per frame: x tilts down, y turns right, z rolls (as `rotate`)"),
    Setting("turn_x", NUMBER, 0.0, -MAX_TURN, MAX_TURN, unit="degrees/frame", where=_K, trackable=True,
            column=MOTION, help="tilts down (the picture moves up)"),
    Setting("turn_y", NUMBER, 0.0, -MAX_TURN, MAX_TURN, unit="degrees/frame", where=_K, trackable=True,
            column=MOTION, help="turns right (the picture moves left)"),
    Setting("turn_z", NUMBER, 0.0, -MAX_TURN, MAX_TURN, unit="degrees/frame", where=_K, trackable=True,
            column=MOTION, help="rolls, counter-clockwise as `rotate`"),
    Setting("fov", NUMBER, 40.0, 1.0, 170.0, "degrees", _C, trackable=True, column=MOTION, short="fov", optional=True,
            help="the 3D camera's field of view across the frame's width"),
    Setting("depth", OTHER, "auto", where=_C,
            help="`auto` (the engine's depth), `none` (a flat wall at 100), a number (a flat wall that far), "
                 "or \"a depth model id, folder or map.png\""),
)

BY_NAME = {s.name: s for s in SETTINGS}

# Derived views: the rest of ride reads these, never a list of names of its own.
NUMERIC = {s.name: s for s in SETTINGS if s.column and s.kind in (NUMBER, INTEGER)}  # compiled per frame
FRAME_COLUMNS = tuple(s.name for s in SETTINGS if s.column == FRAME)  # seed, strength, ...
MOTION_COLUMNS = tuple(s.name for s in SETTINGS if s.column == MOTION)  # zoom, pan_x, ...
TRACKABLE = tuple(s.name for s in SETTINGS if s.trackable)
CAMERA_SETTINGS = tuple(s.name for s in SETTINGS if CAMERA in s.where)
TEXT_SETTINGS = tuple(s.name for s in SETTINGS if s.kind == TEXT)
WORD_SETTINGS = {s.name: s.words for s in SETTINGS if s.kind == WORD}
# what `name values` lines may set: numbers, pairs, and the scene constants (fps, bpm, cadence)
VALUE_SETTINGS = tuple(s.name for s in SETTINGS if s.kind in (NUMBER, INTEGER, PAIR, VECTOR) and TRACK not in s.where)
STATEMENTS = ("let", "track", "camera", "timeline")  # not settings, but words a line may start with
TOP_LEVEL_SETTINGS = tuple(s.name for s in SETTINGS if TOP in s.where) + STATEMENTS


def grammar_text(template: str) -> str:
    """grammar/ride.lark with its keyword placeholders (`%TEXT_SETTINGS%`...) filled in from the table."""
    for placeholder, names in (("%TEXT_SETTINGS%", TEXT_SETTINGS), ("%VALUE_SETTINGS%", VALUE_SETTINGS),
                               ("%WORD_SETTINGS%", tuple(WORD_SETTINGS))):
        template = template.replace(placeholder, "|".join(names))
    return template


def reference_markdown() -> str:
    """docs/language.md's settings reference, as a Markdown table."""
    rows = ["| setting | kind | default | range | unit | where | track | meaning |",
            "|---|---|---|---|---|---|---|---|"]
    for s in SETTINGS:
        default = "none" if s.default in (None, "") else f"`{s.default:g}`" if isinstance(s.default, float) \
            else f"`{s.default}`"
        if s.words:
            kind = " \\| ".join(s.words) if s.name != "color" else "words, a number"
        else:
            kind = s.kind
        bounded = s.low != -math.inf or s.high != math.inf
        span = f"{s.low:g} to {s.high:g}" if bounded and s.high != math.inf else (
            f"at least {s.low:g}" if bounded else "")
        where = ", ".join(s.where)
        meaning = s.help.replace("|", "\\|")
        rows.append(f"| `{s.name}` | {kind} | {default} | {span} | {s.unit} | {where} | "
                    f"{'yes' if s.trackable else ''} | {meaning} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(reference_markdown(), end="")
