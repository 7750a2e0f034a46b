"""The preview engine: a procedural world the camera moves through (see engine.py and docs/preview.md)."""

from .engine import SETTLE_STEPS, VERSION, PreviewEngine
from .words import FEATURES, encode_image, encode_prompt, read_features

__all__ = ["FEATURES", "SETTLE_STEPS", "VERSION", "PreviewEngine", "encode_image", "encode_prompt", "read_features"]
