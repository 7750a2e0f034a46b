"""Embedding arithmetic for conditioning: weighted mixes, lerp and slerp. Engine-agnostic.

Engines encode each distinct Source once (a prompt's text embedding, an image's CLIP image
embedding, the preview engine's scene vector) and hand `encode` to `mix_conditioning`,
which builds the frame's embedding. Works on numpy arrays of any shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from ..conditioning import Conditioning, Mix, Source, Weighted

# Below this angle two embeddings are treated as parallel and lerped (slerp divides by sin).
_PARALLEL = 1e-4
# A mix without prompts conditions on the empty prompt (what diffusers does for no prompt).
_EMPTY_PROMPT: Mix = (Weighted(Source("prompt", ""), 1.0),)


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


# -- prompts and images apart, for an engine that conditions on them in different spaces ------------


def _part(mix: Mix, kind: str) -> tuple[Mix, float]:
    """The sources of one kind, weights renormalised among themselves, and their share of the mix."""
    chosen = [w for w in mix if w.source.kind == kind]
    share = sum(w.weight for w in chosen)
    if share <= 0:
        return (), 0.0
    return tuple(Weighted(w.source, w.weight / share) for w in chosen), share


def prompt_conditioning(cond: Conditioning) -> Conditioning:
    """The frame's prompts alone; a side without prompts is the empty prompt."""
    target = _part(cond.sources, "prompt")[0] or _EMPTY_PROMPT
    if cond.morph is None:
        return Conditioning(target)
    start = _part(cond.morph.start, "prompt")[0] or _EMPTY_PROMPT
    return Conditioning(target, replace(cond.morph, start=start))


def image_conditioning(cond: Conditioning) -> tuple[Conditioning | None, float]:
    """The frame's images alone (None without any) and their share of the weights, morphed linearly."""
    target, share = _part(cond.sources, "image")
    if cond.morph is None:
        return (Conditioning(target) if target else None), share
    start, start_share = _part(cond.morph.start, "image")
    position = cond.morph.position
    if not (start or target):
        return None, 0.0
    share = (1 - position) * start_share + position * share
    return Conditioning(target or start, replace(cond.morph, start=start or target)), share
