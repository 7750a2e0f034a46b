"""The diffusers engine (the only part of ride that imports torch): engine.py runs frames,
loading.py picks device and dtype and loads pipelines."""

from .engine import DiffusersEngine

__all__ = ["DiffusersEngine"]
