"""Each diffused frame's depth, for the 3D camera's warp: made once, kept beside the frame in the store.

Where it comes from is the scene's `depth` (Settings.depth_kind):
- `auto`: the engine's own depth for the frame it made (the preview engine's world), else a depth model
  (ride.engines.depth_model, Depth Anything V2 Small by default) on the frame;
- `"model id or folder"`: that depth model on the frame, with any engine;
- `"map.png"`: one fixed map for every frame (white is near, as a depth model's picture);
- a number: a flat wall that far; `none`: a flat wall at 100.
Maps are scaled so their median is 100 (ride.camera.depth). A scene without 3D motion needs none of it.
A map made for a frame goes to the store (`put_depth`), so resume and watch mode warp by the depth the
first run did, without the model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..camera import MIDDLE, depth_from_disparity, scaled_depth
from ..engines import Engine
from ..errors import Problem, RideRenderError
from ..plan import Plan
from .store import FrameStore

_3D_COLUMNS = ("move_x", "move_y", "move_z", "turn_x", "turn_y", "turn_z")


def has_3d_motion(plan: Plan) -> bool:
    return any(np.any(plan.columns[name]) for name in _3D_COLUMNS)


class FrameDepths:
    """`of(index, image)`: the depth the 3D camera warps frame `index` (that image) by."""

    def __init__(self, plan: Plan, engine: Engine, store: FrameStore | None, prepare=None):
        self.plan, self.engine, self.store = plan, engine, store
        self.prepare = prepare  # makes sure the engine is prepared before asking it for a depth
        self.needed = has_3d_motion(plan)
        self._fixed: np.ndarray | float | None = None
        self._model = None
        self._made: dict[int, np.ndarray] = {}  # the last few, as cadence and loop closure ask again

    def of(self, index: int, image: np.ndarray) -> np.ndarray | float | None:
        s = self.plan.settings
        if not self.needed:
            return None
        kind = s.depth_kind
        if kind == "none":
            return MIDDLE
        if kind == "flat":
            return float(s.depth)
        if kind == "map":
            if self._fixed is None:
                self._fixed = _load_map(Path(s.base_dir) / s.depth, s.width, s.height)
            return self._fixed
        if index in self._made:
            return self._made[index]
        key = self.plan.frame_keys[index]  # (keys() would copy every frame's key)
        depth = self.store.get_depth(key) if self.store is not None else None
        if depth is None or depth.shape != image.shape[:2]:
            depth = self._estimate(index, image)
            if self.store is not None:
                self.store.put_depth(key, depth)
        self._made = {k: v for k, v in self._made.items() if k >= index - 2 * s.cadence}
        self._made[index] = depth
        return depth

    def load(self) -> None:
        """Load the depth model now, if the render will need one: a model that cannot load stops the
        render before its first frame (as an engine's setup does), not after it."""
        s = self.plan.settings
        uses_model = s.depth_kind == "model" or (s.depth_kind == "auto" and getattr(self.engine, "depth", None) is None)
        if self.needed and uses_model and self._model is None:
            from ..engines.depth_model import DEFAULT_DEPTH_MODEL, DepthModel

            name = s.depth if s.depth_kind == "model" else DEFAULT_DEPTH_MODEL
            self._model = DepthModel(name, getattr(self.engine, "device", None), s.base_dir)
            self._model.load()

    def _estimate(self, index: int, image: np.ndarray) -> np.ndarray:
        own = getattr(self.engine, "depth", None)
        if self.plan.settings.depth_kind == "auto" and own is not None:
            if self.prepare is not None:
                self.prepare()
            return scaled_depth(own(self.plan.frame(index)))
        self.load()
        return self._model.depth(image)

    def close(self) -> None:
        if self._model is not None:
            self._model.close()
            self._model = None


def _load_map(path: Path, width: int, height: int) -> np.ndarray:
    """A depth map picture: white is near, black far (as depth models draw them), any size."""
    try:
        with Image.open(path) as picture:
            deep = picture.mode.startswith("I") or picture.mode == "F"  # 16-bit and float maps keep their levels
            values = np.asarray(picture if deep else picture.convert("L"), dtype=np.float32)
        values = Image.fromarray(values, mode="F").resize((width, height), Image.Resampling.BILINEAR)
        return depth_from_disparity(np.asarray(values, dtype=np.float32))
    except (OSError, Image.DecompressionBombError) as error:
        raise RideRenderError(Problem(f"cannot read the depth map {path.name}: {error}", code="R681",
                                      hint="a PNG, JPEG or WebP picture, white near and black far")) from None
