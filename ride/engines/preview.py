"""The preview engine: a deterministic procedural painter, no weights, fast enough for real time.

Each conditioning source becomes a scene vector (preview_words.py), so ride/morph.py mixes and morphs
them exactly as it does text embeddings. A vector is painted at low resolution (preview_canvas.py): a
backdrop (preview_backdrop.py: sky, sun, mountains, hills, sea, fields, road) kept per vector and focus
point, and, per frame, what the camera passes (preview_passing.py: trees, house fronts, road dashes),
placed by how far the camera has zoomed since frame 0 so they stream past a forward-moving camera in step
with the warp. The painting is upscaled, given a seeded brush texture (preview_brush.py) and blended into
the warped previous frame by `strength`, as img2img would. docs/preview.md lists the words it understands.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict

import numpy as np
from PIL import Image

from ..camera import warp
from ..errors import RideRenderError
from ..plan import FramePlan, Plan, Source
from .morph import mix_conditioning
from .preview_backdrop import paint_graded
from .preview_brush import MARGIN, brush_texture, smear, texture_for_seed
from .preview_canvas import Canvas
from .preview_passing import paint_passing
from .preview_words import FEATURES, encode_image, encode_prompt, read_features

__all__ = ["FEATURES", "VERSION", "PreviewEngine", "encode_image", "encode_prompt", "read_features"]

VERSION = "preview-2"
# A painting straight from nothing is crisper than any frame after it, which have been warped and
# repainted many times: frame 0 is settled by this many such steps, so the first cut (and a closed
# loop's last one) looks like every other cut.
SETTLE_STEPS = 8


class PreviewEngine:
    name = "preview"

    def __init__(self) -> None:
        self._plan: Plan | None = None
        self._vectors: dict[tuple[Source, str | None], np.ndarray] = {}
        self._backdrops: OrderedDict[str, tuple] = OrderedDict()
        self._canvases: OrderedDict[tuple, Canvas] = OrderedDict()
        self._travel = np.zeros(0)
        self._texture = np.zeros((0, 0, 3), dtype=np.int16)

    def identity(self) -> dict[str, str]:
        return {"engine": "preview", "version": VERSION}

    def prepare(self, plan: Plan) -> None:
        """Encodes every distinct source once (an unreadable image fails here, before frame 0)."""
        self._plan = plan
        for conditioning in {id(c): c for c in plan.conditioning}.values():
            for source in conditioning.all_sources():
                self._encode(source)
        # log of the zoom so far: how far down the road each frame is
        self._travel = np.cumsum(np.log(np.clip(np.asarray(plan.columns["zoom"], dtype=float), 1e-3, None)))
        s = plan.settings
        scale = max(s.width, s.height) / min(160, max(48, max(s.width, s.height) // 4))
        self._low = (max(8, round(s.width / scale)), max(8, round(s.height / scale)))
        if self._texture.shape[:2] != (s.height + MARGIN, s.width + MARGIN):
            self._texture = brush_texture(s.width, s.height)

    def close(self) -> None:
        """Drops the encoded sources and painted backdrops (idempotent); prepare() starts afresh."""
        self._plan = None
        self._vectors.clear()
        self._backdrops.clear()
        self._canvases.clear()
        self._travel = np.zeros(0)
        self._texture = np.zeros((0, 0, 3), dtype=np.int16)

    def scene_vector(self, frame: FramePlan) -> np.ndarray:
        return mix_conditioning(frame.conditioning, self._encode)

    def generate(self, frame: FramePlan, init: np.ndarray | None) -> np.ndarray:
        if self._plan is None:
            raise RideRenderError("the preview engine was not prepared with a plan")
        if init is not None and frame.strength <= 0:
            return init.copy()
        s = self._plan.settings
        texture = texture_for_seed(self._texture, frame.seed, s.height, s.width)
        target = np.clip(self.target(frame) + texture, 0, 255).astype(np.uint8)
        if init is not None:
            return _repaint(init, target, frame.strength)
        image = target
        for _ in range(SETTLE_STEPS if frame.strength > 0 else 0):
            image = _repaint(warp(image, frame.camera), target, frame.strength)
        return image

    def target(self, frame: FramePlan) -> np.ndarray:
        """The frame's painting at full size, before texture (uint8 HxWx3)."""
        vector = self.scene_vector(frame)
        f, image_share = read_features(vector)
        c, backdrop, matrix, offset = self._backdrop(vector, f, image_share, frame)
        canvas = backdrop.copy()
        travel = float(self._travel[frame.index]) if frame.index < len(self._travel) else 0.0
        paint_passing(canvas, f, c, travel, matrix, offset, 1 - image_share)
        canvas = smear(canvas, c, 0.35 + 0.45 * f["paint"])
        low = Image.fromarray(np.clip(canvas * 255 + 0.5, 0, 255).astype(np.uint8))
        s = self._plan.settings
        return np.array(low.resize((s.width, s.height), Image.Resampling.BICUBIC))

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

    def _backdrop(self, vector: np.ndarray, f: dict, image_share: float, frame: FramePlan) -> tuple:
        """The graded backdrop for a vector and focus point, painted once and kept (64 at most)."""
        w, h = self._low
        where = (w, h, round(frame.camera.focus_x * w, 1), round(frame.camera.focus_y * h, 1))
        c = _remember(self._canvases, where, lambda: Canvas(*where), 8)
        key = hashlib.sha1(vector.tobytes() + repr(where).encode()).hexdigest()
        return _remember(self._backdrops, key, lambda: (c, *paint_graded(vector, f, image_share, c)), 64)


def _repaint(init: np.ndarray, target: np.ndarray, strength: float) -> np.ndarray:
    """img2img's dynamics, in miniature: `strength` of the way from the init toward the painting."""
    return np.array(Image.blend(Image.fromarray(init), Image.fromarray(target), min(1.0, strength)))


def _remember(cache: OrderedDict, key, make, limit: int):
    """cache[key], made on first use; the least recently used entries go beyond `limit`."""
    if key not in cache:
        cache[key] = make()
        while len(cache) > limit:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return cache[key]
