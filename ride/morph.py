"""Embedding arithmetic for conditioning: weighted mixes, lerp and slerp. Engine-agnostic.

Engines encode each distinct Source once (a prompt's text embedding, an image's CLIP image
embedding, the preview engine's scene vector) and hand `encode` to `mix_conditioning`,
which builds the frame's embedding. Works on numpy arrays of any shape.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .plan import Conditioning, Mix, Source

# Below this angle two embeddings are treated as parallel and lerped (slerp divides by sin).
_PARALLEL = 1e-4


def lerp(a: np.ndarray, b: np.ndarray, p: float) -> np.ndarray:
    return (1.0 - p) * a + p * b


def slerp(a: np.ndarray, b: np.ndarray, p: float) -> np.ndarray:
    """Spherical interpolation along the last axis (per token for a 77xD prompt embedding).

    Rows that are nearly parallel fall back to lerp; norms are interpolated linearly so a
    morph between embeddings of different length keeps a sensible magnitude.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    na = np.linalg.norm(a, axis=-1, keepdims=True)
    nb = np.linalg.norm(b, axis=-1, keepdims=True)
    ua = a / np.where(na == 0, 1, na)
    ub = b / np.where(nb == 0, 1, nb)
    dot = np.clip(np.sum(ua * ub, axis=-1, keepdims=True), -1.0, 1.0)
    omega = np.arccos(dot)
    sin = np.sin(omega)
    safe = sin > _PARALLEL
    wa = np.where(safe, np.sin((1 - p) * omega) / np.where(safe, sin, 1), 1 - p)
    wb = np.where(safe, np.sin(p * omega) / np.where(safe, sin, 1), p)
    direction = wa * ua + wb * ub
    spherical = direction * ((1 - p) * na + p * nb)
    return np.where(safe, spherical, lerp(a, b, p))


def mix(weighted: Mix, encode: Callable[[Source], np.ndarray]) -> np.ndarray:
    """Sum of embeddings by weight (weights are used as written, not renormalised)."""
    total = None
    for w in weighted:
        term = w.weight * np.asarray(encode(w.source), dtype=np.float64)
        total = term if total is None else total + term
    if total is None:
        raise ValueError("empty conditioning mix")
    return total


def mix_conditioning(cond: Conditioning, encode: Callable[[Source], np.ndarray]) -> np.ndarray:
    """The frame's embedding: its mix, or the morph from the previous mix toward it."""
    target = mix(cond.sources, encode)
    if cond.morph is None:
        return target
    start = mix(cond.morph.start, encode)
    interpolate = slerp if cond.morph.method == "slerp" else lerp
    return interpolate(start, target, cond.morph.position)
