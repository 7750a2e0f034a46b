"""Chained frame keys: equal keys mean equal pixels for the same engine.

key(k) = hash(frame k's parameters, key(k-1), the scene settings that shape pixels). A frame
whose result also depends on later frames (a cadence in-between, a loop-closure frame whose
anchor is warped by the motion still to come) hashes those later parameters too.

Plain functions over a plan's parts (numpy only), so the Plan stays data and this can be read,
tested and changed alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

import numpy as np


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def chain_keys(seed_text: str, columns: Mapping[str, np.ndarray], numeric: Sequence[str], motion: Sequence[str],
               conditioning: Sequence, negative: Sequence[str], diffuse: np.ndarray,
               assets: Mapping[str, str]) -> list[str]:
    """Every frame's key. `seed_text` names the plan version and its pixel-shaping settings;
    `numeric` and `motion` are the column names, in the order they are hashed."""
    own = _frame_digests(columns, tuple(numeric) + tuple(motion), conditioning, negative, diffuse, assets)
    future = _future_dependencies(own, columns, motion, diffuse)
    keys: list[str] = []
    previous = digest(seed_text)
    for i in range(len(own)):
        previous = digest(f"{previous}|{own[i]}|{future[i]}")
        keys.append(previous)
    return keys


def _frame_digests(columns, names, conditioning, negative, diffuse, assets) -> list[str]:
    """Each frame's own parameters as text (conditioning is shared between frames: text it once)."""
    numbers = np.round(np.stack([columns[name] for name in names], axis=1), 6) + 0.0
    conditioning_text: dict[int, str] = {}
    out = []
    for i, row in enumerate(numbers.tolist()):
        cond = conditioning[i]
        text = conditioning_text.get(id(cond))
        if text is None:
            images = [assets.get(s.value, "") for s in cond.all_sources() if s.kind == "image"]
            text = json.dumps(cond.to_json(), sort_keys=True) + repr(images)
            conditioning_text[id(cond)] = text
        out.append(f"{i}|{row!r}|{text}|{negative[i]}|{bool(diffuse[i])}")
    return out


def _future_dependencies(own: list[str], columns, motion, diffuse) -> list[str]:
    """For each frame, a digest of the later frames its pixels depend on ('' if none)."""
    n = len(own)
    future = [""] * n
    blend = columns["loop_blend"]
    looping = np.flatnonzero(blend > 0)
    if looping.size:
        # the loop anchor is warped by the camera motion still to come
        moves = (np.round(np.stack([columns[c] for c in motion], axis=1), 6) + 0.0).tolist()
        tail = ""
        for i in range(n - 1, int(looping[0]) - 1, -1):
            if blend[i] > 0:
                future[i] = tail
            tail = digest(tail + repr(moves[i]))
    # An in-between is a blend of the next diffused frame (with all that frame depends on
    # later) carried back by the cameras of the frames after the in-between in its segment.
    segment_rest = "tail"
    for i in range(n - 1, -1, -1):
        if diffuse[i]:
            segment_rest = digest(f"{own[i]}|{future[i]}")
        else:
            future[i] += "|" + segment_rest
            segment_rest = digest(f"{own[i]}|{segment_rest}")
    return future
