"""Chained frame keys: equal keys mean equal pixels for the same engine.

key(k) = hash(frame k's parameters, key(k-1), the scene settings that shape pixels). A frame
whose result also depends on later frames (a cadence in-between, a loop-closure frame whose
anchor is warped by the motion still to come) hashes those later parameters too.

Memory is bounded by the plan's sources plus its frame count, never their product: a prompt
is hashed once and each frame refers to it by a fixed-size digest, and a frame's numbers are
hashed as the bytes of its row of the (rounded) columns, so no frame is ever written as text.

Plain functions over a plan's parts (numpy only), so the Plan stays data and this can be read,
tested and changed alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

import numpy as np

DIGEST_BYTES = 12  # 24 hex digits, as a key is written
CHUNK = 65_536  # frames whose records are built at once


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _raw(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()[:DIGEST_BYTES]


def chain_keys(seed_text: str, columns: Mapping[str, np.ndarray], numeric: Sequence[str], motion: Sequence[str],
               conditioning: Sequence, negative: Sequence[str], diffuse: np.ndarray,
               assets: Mapping[str, str]) -> list[str]:
    """Every frame's key. `seed_text` names the plan version and its pixel-shaping settings;
    `numeric` and `motion` are the column names, in the order they are hashed."""
    own = _frame_digests(columns, tuple(numeric) + tuple(motion), conditioning, negative, diffuse, assets)
    future = _future_dependencies(own, columns, motion, diffuse)
    keys: list[str] = []
    previous = hashlib.sha256(seed_text.encode()).digest()[:DIGEST_BYTES]
    for mine, later in zip(own, future):
        previous = _raw(previous + mine + later)
        keys.append(previous.hex())
    return keys


def _frame_digests(columns, names, conditioning, negative, diffuse, assets) -> list[bytes]:
    """Each frame's own parameters as one digest: its index, its numbers' bytes, the digests of
    its conditioning and negative prompt (each distinct one hashed once), whether it is diffused.
    Built a chunk of frames at a time, so a million frames never stand as records at once."""
    n = len(diffuse)
    described = _Described(assets)
    conditions = described.each(conditioning, described.conditioning)
    negatives = described.each(negative, described.text)
    records = np.empty(min(n, CHUNK), dtype=[
        ("index", "<i8"), ("numbers", "<f8", (len(names),)), ("conditioning", f"S{DIGEST_BYTES}"),
        ("negative", f"S{DIGEST_BYTES}"), ("diffuse", "u1")])
    size = records.itemsize
    out: list[bytes] = []
    for lo in range(0, n, CHUNK):
        hi = min(lo + CHUNK, n)
        part = records[:hi - lo]
        part["index"] = np.arange(lo, hi)
        part["numbers"] = np.stack([columns[name][lo:hi] for name in names], axis=1)  # rounded by the Plan
        part["conditioning"] = conditions[lo:hi]
        part["negative"] = negatives[lo:hi]
        part["diffuse"] = np.asarray(diffuse[lo:hi], dtype=bool)
        data = memoryview(part.tobytes())
        out.extend(_raw(data[i * size:(i + 1) * size]) for i in range(hi - lo))
    return out


class _Described:
    """Digests of a plan's conditioning, each distinct object (and each distinct prompt) hashed
    once: frames share them, so this is the size of the script, not of the scene."""

    def __init__(self, assets: Mapping[str, str]):
        self.assets = assets
        self.sources: dict[tuple[str, str], bytes] = {}
        self.texts: dict[str, bytes] = {}  # negative prompts
        self.mixes: dict[int, tuple[object, bytes]] = {}  # id -> (the mix, kept alive; its digest)

    def each(self, items: Sequence, describe) -> np.ndarray:
        """One digest per item. Frames share objects in runs (a held key's conditioning), so a
        run is described once; no table a frame long is built (a long morph has an object a frame)."""
        out = np.empty(len(items), dtype=f"S{DIGEST_BYTES}")
        previous, known = None, b""
        for i, item in enumerate(items):
            if item is not previous:
                previous, known = item, describe(item)
            out[i] = known
        return out

    def text(self, text: str) -> bytes:
        if text not in self.texts:
            self.texts[text] = _raw(text.encode())
        return self.texts[text]

    def conditioning(self, cond) -> bytes:
        morph = cond.morph
        parts = [self.mix(cond.sources), b"" if morph is None else self.mix(morph.start)]
        text = "none" if morph is None else json.dumps([morph.position, morph.method])
        return _raw(b"|".join(parts) + text.encode())

    def mix(self, mix) -> bytes:
        known = self.mixes.get(id(mix))
        if known is None:
            parts = [self.source(w.source) + repr(w.weight).encode() for w in mix]
            known = self.mixes[id(mix)] = (mix, _raw(b"|".join(parts)))
        return known[1]

    def source(self, source) -> bytes:
        key = (source.kind, source.value)
        if key not in self.sources:
            image = self.assets.get(source.value, "") if source.kind == "image" else ""
            self.sources[key] = _raw(json.dumps([source.kind, source.value, image]).encode())
        return self.sources[key]


def _future_dependencies(own: list[bytes], columns, motion, diffuse) -> list[bytes]:
    """For each frame, a digest of the later frames its pixels depend on (b'' if none)."""
    n = len(own)
    future = [b""] * n
    blend = columns["loop_blend"]
    looping = np.flatnonzero(blend > 0)
    if looping.size:
        # the loop anchor is warped by the camera motion still to come
        first = int(looping[0])
        moves = np.stack([columns[c][first:] for c in motion], axis=1)
        tail = b"loop"
        for i in range(n - 1, first - 1, -1):
            if blend[i] > 0:
                future[i] = tail
            tail = _raw(tail + moves[i - first].tobytes())
    # An in-between is a blend of the next diffused frame (with all that frame depends on
    # later) carried back by the cameras of the frames after the in-between in its segment.
    # Only the in-betweens are visited: a scene without cadence costs nothing here.
    rest = b"tail"
    for i in reversed(np.flatnonzero(~np.asarray(diffuse, dtype=bool)).tolist()):
        if i + 1 < n:  # what frame i+1 is, and depends on; `rest` is still what frame i+1 was given
            rest = _raw(own[i + 1] + b"|" + (future[i + 1] if diffuse[i + 1] else rest))
        future[i] = future[i] + b"|" + rest
    return future
