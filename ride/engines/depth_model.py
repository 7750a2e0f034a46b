"""A depth model (transformers' depth estimation) for the 3D camera's `depth auto` with diffusers, and
for `depth "model id or folder"` with any engine.

    model = DepthModel("depth-anything/Depth-Anything-V2-Small-hf", device=None, base_dir=".")
    depth = model.depth(image)  # float32 HxW, larger is farther, its median 100

Any depth-estimation checkpoint AutoModelForDepthEstimation loads: a hub id (from the local hub cache when
offline) or a folder (relative to the script's). Relative models (Depth Anything, DPT/MiDaS) predict a
disparity (larger is nearer) and are turned into depth (ride.camera.depth_from_disparity); metric ones
(Depth Anything's metric checkpoints, ZoeDepth, GLPN) predict depth. The model runs on the diffusion
engine's device (its `device`, as `--device` chose), loads on first use and is freed by `close()`.
torch and transformers are imported here only, when a model is loaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..camera import depth_from_disparity, scaled_depth
from ..errors import Problem, RideRenderError

DEFAULT_DEPTH_MODEL = "depth-anything/Depth-Anything-V2-Small-hf"
# model types whose prediction is a depth (the rest predict a disparity)
_METRIC_TYPES = ("zoedepth", "glpn")


class DepthModel:
    """One depth-estimation model, loaded on first use."""

    def __init__(self, name: str = DEFAULT_DEPTH_MODEL, device: str | None = None, base_dir: str | Path = "."):
        self.name, self.device = name, device
        folder = Path(base_dir) / name
        self.location = str(folder) if folder.is_dir() else name
        self._model = None
        self._processor = None
        self._metric = False

    def depth(self, image: np.ndarray) -> np.ndarray:
        """float32 (H, W) for a uint8 (H, W, 3) image: larger is farther, scaled to a median of 100."""
        import torch

        self.load()
        height, width = image.shape[:2]
        inputs = self._processor(images=image, return_tensors="pt")
        inputs = {name: value.to(self._model.device, self._model.dtype) if value.is_floating_point()
                  else value.to(self._model.device) for name, value in inputs.items()}
        with torch.inference_mode():
            predicted = self._model(**inputs).predicted_depth
        if predicted.dim() == 3:
            predicted = predicted[:, None]
        resized = torch.nn.functional.interpolate(predicted.float(), size=(height, width), mode="bilinear",
                                                  align_corners=False)
        values = resized[0, 0].cpu().numpy().astype(np.float32)
        return scaled_depth(values) if self._metric else depth_from_disparity(values)

    def load(self) -> None:
        """Load the model (once); R680 if it cannot be."""
        if self._model is not None:
            return
        from transformers import AutoImageProcessor, AutoModelForDepthEstimation

        from .diffusion.loading import choose_device

        device = choose_device(self.device)
        try:
            processor = AutoImageProcessor.from_pretrained(self.location)
            model = AutoModelForDepthEstimation.from_pretrained(self.location)
        except (OSError, ValueError, KeyError) as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise RideRenderError(Problem(
                f"cannot load the depth model '{self.name}': {first}", code="R680",
                hint="name a depth-estimation model on the Hugging Face hub (downloaded once, e.g. "
                     f"`depth \"{DEFAULT_DEPTH_MODEL}\"`) or a folder saved with save_pretrained; "
                     "or use `depth none` or a depth map image")) from None
        model.to(device).eval()
        config = model.config
        self._metric = getattr(config, "depth_estimation_type", "relative") == "metric" or \
            config.model_type in _METRIC_TYPES
        self._model, self._processor = model, processor

    def close(self) -> None:
        self._model = None
        self._processor = None
