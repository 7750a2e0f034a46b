"""The preview engine: a deterministic procedural painter, no weights, fast enough for real time.

Each conditioning source becomes a scene vector (words.py), so ride/engines/morph.py mixes and morphs
them exactly as it does text embeddings. A vector describes a world (world.py: sky, ground, sea, road,
ranges of land; passing.py: trees, house fronts, road dashes), painted in world coordinates. Each frame
looks at that world through its camera: frame 0's view, then every frame's motion composed (view.py).
So the painting a frame is pulled toward moves exactly as the renderer's warp moves the previous frame,
and what the user sees is the camera they wrote. The view is painted at low resolution (canvas.py),
smeared into strokes, upscaled, given a brush texture (brush.py) and blended into the warped previous
frame by `strength`, as img2img would. docs/preview.md lists the words it understands.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict

import numpy as np
from PIL import Image

from ...camera import warp
from ...conditioning import Source
from ...errors import RideRenderError
from ...plan import FramePlan, Plan
from ..morph import mix_conditioning
from .brush import MARGIN, brush_texture, smear, texture_for
from .canvas import Canvas
from .passing import paint_street, tree_items
from .view import View, Views, before, closing_views, frame_for, to_screen_coefficients
from .words import encode_image, encode_prompt, read_features
from .world import Palette, grade, paint_ground, paint_lights, paint_sky, range_items

VERSION = "preview-4"  # 4: frame 0 settles with the frame's noise; loops close toward frame 0's view
# A painting straight from nothing is crisper than any frame after it, which have been warped and
# repainted many times: frame 0 is settled by this many such steps, as if the camera had been moving
# the same way before it, so the first cut (and a closed loop's last one) looks like every other cut.
SETTLE_STEPS = 8
# With noise from ride (`seed N flow`, `loop circle`) the texture is that noise, on cells of NOISE_CELL
# pixels, as strong as the brush texture it replaces.
NOISE_CELL = 2
NOISE_LEVELS = 6.5


class PreviewEngine:
    name = "preview"

    def __init__(self) -> None:
        self._plan: Plan | None = None
        self._vectors: dict[tuple[Source, str | None], np.ndarray] = {}
        self._palettes: OrderedDict[str, tuple] = OrderedDict()
        self._views: Views | None = None
        self._texture = np.zeros((0, 0, 3), dtype=np.int16)
        self._noise: np.ndarray | None = None
        self._closing: dict[int, View] = {}

    def identity(self) -> dict[str, str]:
        return {"engine": "preview", "version": VERSION}

    def prepare(self, plan: Plan) -> None:
        """Encodes every distinct source once (an unreadable image fails here, before frame 0) and
        composes every frame's view."""
        self._plan = plan
        for conditioning in dict(zip(map(id, plan.conditioning), plan.conditioning)).values():  # (C-speed)
            for source in conditioning.all_sources():
                self._encode(source)
        self._views = Views(plan, self._views)  # lazily; the last plan's, up to its first changed camera
        self._closing = closing_views(plan, self._views[0]) if len(plan) else {}
        s = plan.settings
        side = max(s.width, s.height)
        low = min(128, max(64, side // 5))
        self._scale = side / low  # full pixels per canvas pixel
        self._low = (max(8, round(s.width / self._scale)), max(8, round(s.height / self._scale)))
        first = plan.camera(0) if len(plan) else None
        horizon = (first.focus_y if first else 0.5) * s.height
        # frame 0's geometry, in full pixels: camera height (horizon to bottom edge), road half-width, sky
        self._geometry = (max(s.height - horizon, 4 * self._scale), 0.42 * s.width, max(horizon, self._scale))
        if self._texture.shape[:2] != (s.height + MARGIN, s.width + MARGIN):
            self._texture = brush_texture(s.width, s.height)

    def close(self) -> None:
        """Lets go of what prepare() made (nothing here holds a device or a file); safe to call twice."""
        self._plan = None  # generate() after close() asks for prepare() again
        self._vectors.clear()
        self._palettes.clear()
        self._views = None
        self._closing = {}

    def noise_shape(self, plan: Plan) -> tuple[int, int, int]:
        """The noise ride may hand generate() (channels, height, width): its texture, in cells of
        NOISE_CELL pixels."""
        s = plan.settings
        return 3, -(-s.height // NOISE_CELL), -(-s.width // NOISE_CELL)

    def scene_vector(self, frame: FramePlan) -> np.ndarray:
        return mix_conditioning(frame.conditioning, self._encode)

    def generate(self, frame: FramePlan, init: np.ndarray | None, noise: np.ndarray | None = None) -> np.ndarray:
        """`noise` (optional, of noise_shape): the texture, instead of the seed's shifted brush texture."""
        if self._plan is None:
            raise RideRenderError("the preview engine was not prepared with a plan")
        if init is not None and frame.strength <= 0:
            return init.copy()
        self._noise = None if noise is None else np.transpose(noise, (1, 2, 0))  # to (height, width, 3)
        view = self._view(frame)
        target = self._textured(frame, view, frame.index)
        if init is not None:
            return _repaint(init, target, frame.strength)
        if frame.strength <= 0:
            return target
        # settle: the same camera for SETTLE_STEPS frames before this one, each repainting the last
        s = self._plan.settings
        image = self._textured(frame, before(view, frame.camera, s.width, s.height, SETTLE_STEPS), -SETTLE_STEPS)
        # each settling step gets the frame's noise, as the renderer gives every later frame: without it
        # frame 0 would hold half the grain of the frames after it, and a closed loop would end that soft
        grain = np.random.default_rng(frame.seed).standard_normal((s.height, s.width, 3), dtype=np.float32)
        grain *= np.float32(frame.noise * 255)
        for step in range(SETTLE_STEPS - 1, -1, -1):
            earlier = before(view, frame.camera, s.width, s.height, step) if step else view
            pulled = target if not step else self._textured(frame, earlier, -step)
            moved = warp(image, frame.camera)
            if frame.noise > 0 and step:
                moved = np.clip(moved + np.roll(grain, 7 * step, axis=(0, 1)) + 0.5, 0, 255).astype(np.uint8)
            image = _repaint(moved, pulled, frame.strength)
        return image

    def target(self, frame: FramePlan) -> np.ndarray:
        """The world as this frame's camera sees it, at full size, before texture (uint8 HxWx3)."""
        return self._target(frame, self._view(frame))

    def depth(self, frame: FramePlan) -> np.ndarray:
        """How far away what this frame shows is, in camera heights (float32 HxW; the sky is FAR)."""
        if self._plan is None:
            raise RideRenderError("the preview engine was not prepared with a plan")
        canvas = self._paint(frame, self._view(frame), depth=True)[1]
        s = self._plan.settings
        low = Image.fromarray(canvas.depth, mode="F")
        if canvas.frame.turn:
            low = low.transform(self._low, Image.Transform.AFFINE, to_screen_coefficients(canvas.frame),
                                resample=Image.Resampling.NEAREST)
        return np.asarray(low.resize((s.width, s.height), Image.Resampling.BILINEAR), dtype=np.float32)

    def _view(self, frame: FramePlan) -> View:
        return self._views[frame.index] if frame.index < len(self._views) else self._views[-1]

    def _textured(self, frame: FramePlan, view: View, index: int) -> np.ndarray:
        s = self._plan.settings
        if self._noise is not None:  # ride's noise, moving with the camera or round a circle
            cells = np.repeat(np.repeat(self._noise, NOISE_CELL, axis=0), NOISE_CELL, axis=1)[:s.height, :s.width]
            texture = np.rint(cells * np.float32(NOISE_LEVELS)).astype(np.int16)
        else:
            texture = texture_for(self._texture, frame.seed, index + frame.index, s.height, s.width)
        painted = self._target(frame, view)
        closing = self._closing.get(frame.index) if index == frame.index else None
        if closing is not None:  # a loop closing: the painting returns to frame 0's view, as the prompt does
            painted = np.array(Image.blend(Image.fromarray(painted), Image.fromarray(self._target(frame, closing)),
                                           frame.loop_blend))
        painted = painted.astype(np.int16)
        painted += texture
        np.clip(painted, 0, 255, out=painted)
        return painted.astype(np.uint8)

    def _target(self, frame: FramePlan, view: View) -> np.ndarray:
        image, canvas = self._paint(frame, view)
        low = Image.fromarray(image)
        if canvas.frame.turn:
            low = low.transform(self._low, Image.Transform.AFFINE, to_screen_coefficients(canvas.frame),
                                resample=Image.Resampling.BILINEAR)
        s = self._plan.settings
        return np.asarray(low.resize((s.width, s.height), Image.Resampling.BILINEAR))  # a third cheaper than bicubic, as soft

    def _paint(self, frame: FramePlan, view: View, depth: bool = False) -> tuple[np.ndarray, Canvas]:
        """The view painted on its low-resolution canvas (uint8), and the canvas."""
        vector = self.scene_vector(frame)
        f, share, palette, (matrix, offset) = self._palette(vector)
        c = Canvas(frame_for(view, self._low, self._scale), view.travel, *self._geometry, depth=depth)
        image = np.empty((c.h, c.w, 3), dtype=np.float32)
        paint_sky(image, f, c, palette)
        paint_ground(image, f, c, palette)
        opacity = 1 - share
        # far to near: ranges stand beyond the street (the road's valley is wider than it), trees by it
        for _, paint in sorted(range_items(image, f, c, palette), key=lambda item: item[0]):
            paint()
        paint_street(image, f, c, palette.tinted, opacity)
        for _, paint in sorted(tree_items(image, f, c, palette.tinted, opacity), key=lambda item: item[0]):
            paint()
        shift = offset + palette.shift
        if not (np.array_equal(matrix, np.eye(3, dtype=np.float32)) and not shift.any()):  # a plain day: no grade
            image = image @ matrix + shift
        paint_lights(image, c, palette)
        image = smear(image, 0.35 + 0.45 * f["paint"])
        image *= np.float32(255)
        image += np.float32(0.5)
        np.clip(image, 0, 255, out=image)
        return image.astype(np.uint8), c

    def _palette(self, vector: np.ndarray) -> tuple:
        """The features, image share, palette and grade of a vector (kept: 64 at most)."""
        key = hashlib.sha1(vector.tobytes()).hexdigest()
        if key not in self._palettes:
            f, share = read_features(vector)
            self._palettes[key] = (f, share, Palette(f, vector, share), grade(f))
            while len(self._palettes) > 64:
                self._palettes.popitem(last=False)
        self._palettes.move_to_end(key)
        return self._palettes[key]

    def _encode(self, source: Source) -> np.ndarray:
        # An image is known by its content's digest too: in watch mode an edited picture keeps its path.
        digest = self._plan.settings.assets.get(source.value) if self._plan and source.kind == "image" else None
        key = (source, digest)
        if key not in self._vectors:
            if source.kind == "image":
                base = self._plan.settings.base_dir if self._plan else "."
                self._vectors[key] = encode_image(os.path.join(base, source.value))
            else:
                self._vectors[key] = encode_prompt(source.value)
        return self._vectors[key]


def _repaint(init: np.ndarray, target: np.ndarray, strength: float) -> np.ndarray:
    """img2img's dynamics, in miniature: `strength` of the way from the init toward the painting."""
    return np.array(Image.blend(Image.fromarray(init), Image.fromarray(target), min(1.0, strength)))
