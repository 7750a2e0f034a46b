"""Chained frame keys, computed a chunk of frames at a time with whole-column numpy work.

A frame's key names its whole history: key(k) = chain(key(k-1), digest(k)), where digest(k) hashes
frame k's parameters (every plan column, its conditioning, negative prompt, whether it is diffused)
and the later frames its pixels depend on. Change frame k and every key from k on changes, and
nothing before.

How it scales with the scene (a million frames must cost less than a frame's render):
- digests hash columns, not per-frame strings: each column's 64 bits are mixed into two 64-bit
  lanes with array operations, so a frame costs a few nanoseconds and no Python object;
- the chain is a polynomial hash in four lanes modulo the prime p = 2^31 - 1,
  K(k) = B*K(k-1) + digest(k) mod p, which a cumulative sum computes for a whole chunk at once
  (K(k) = B^k * (B*K(-1) + sum_j digest(j) * B^-j)). It is chained exactly, not only very
  probably: a changed digest(k) changes K(k) and, B being invertible, every K after it;
- keys are made lazily, a chunk at a time up to the frame asked for (`ride render --frames 0:1` of
  a million frames computes one chunk), and kept as numbers: the hex text of a key is made when it
  is read;
- watch mode compares a new plan's digests with the last plan's (`changed_from`) and takes over
  the chained chunks of the unchanged prefix, so a pass computes keys only from the edit on.

Two kinds of frame depend on later ones and hash those too: a cadence in-between (a blend toward
the next diffused frame, carried back by the cameras in between) hashes the frames up to that next
diffused frame; a loop-closure frame (its anchor is frame 0 warped by the motion still to come)
hashes the motion columns of every later frame.

This module imports nothing of ride; the Plan hands it columns and conditioning.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np

DIGEST_BYTES = 12  # 24 hex digits, as a key is written
CHUNK = 65_536  # frames whose keys are made at once
TEXT_BLOCK = 1024  # keys written as text at once when read one by one
P = 2**31 - 1  # the chain's prime: products of two residues fit in 64 bits
_BASES = (1_000_003, 2_147_483_629, 48_271, 16_807)  # one multiplier per lane (nonzero mod P)
_U64 = np.uint64
_MIX = (_U64(0x9E3779B97F4A7C15), _U64(0xC2B2AE3D27D4EB4F))  # per lane: odd multipliers
_FMIX = (_U64(0xFF51AFD7ED558CCD), _U64(0xC4CEB9FE1A85EC53))


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _raw(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()[:DIGEST_BYTES]


class FrameKeys(Sequence):
    """Every frame's key, made on demand: `keys[i]`, `keys[a:b]` (hex strings), `raw(a, b)` (bytes,
    as the frame store indexes them), `changed_from(previous)` (watch mode)."""

    def __init__(self, seed_text: str, columns: Mapping[str, np.ndarray], motion: Sequence[str],
                 conditioning: Sequence, negative: Sequence[str], diffuse: np.ndarray, assets: Mapping[str, str]):
        self.seed_text = seed_text
        self.n = len(diffuse)
        self.columns = {name: columns[name] for name in sorted(columns)}  # every column, by name
        self.motion = tuple(motion)
        self.conditioning, self.negative = conditioning, negative
        self.diffuse = np.asarray(diffuse, dtype=bool)
        self._described = _Described(assets)
        self._diffused = np.flatnonzero(self.diffuse)
        chunks = -(-self.n // CHUNK)
        self._digests: list[np.ndarray | None] = [None] * chunks  # (m, 4) uint32 residues per chunk
        self._chains: list[tuple[np.ndarray, tuple[int, ...]] | None] = [None] * chunks  # K and the sum after
        self._loop: tuple[int, np.ndarray] | None = None  # first loop frame, the motion to come (residues)
        self._looping: int | None = None  # the first frame the loop closure pulls on (n: none)
        self._text: tuple[int, list[str]] | None = None  # the last block read a key at a time, as text
        seed = hashlib.sha256(seed_text.encode()).digest()
        self._seed = tuple(int.from_bytes(seed[4 * i:4 * i + 4], "little") % P for i in range(4))

    # -- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(self.n)
            keys = self.hex(start, stop) if step == 1 else [self[i] for i in range(start, stop, step)]
            return keys
        if index < 0:
            index += self.n
        if not 0 <= index < self.n:
            raise IndexError(index)
        block = index // TEXT_BLOCK  # frames are read in order: a block's text is made at once
        if self._text is None or self._text[0] != block:
            self._text = (block, self.hex(block * TEXT_BLOCK, min(self.n, (block + 1) * TEXT_BLOCK)))
        return self._text[1][index - block * TEXT_BLOCK]

    def hex(self, start: int, stop: int) -> list[str]:
        text = self.raw(start, stop).tobytes().hex()
        width = 2 * DIGEST_BYTES
        return [text[i:i + width] for i in range(0, len(text), width)]

    def raw(self, start: int, stop: int) -> np.ndarray:
        """Keys start..stop-1 as a (stop - start, 12) uint8 array: the chain's four lanes, mixed."""
        chain = self._lanes(start, stop).astype(np.uint64)
        words = np.stack([chain[:, 0] << _U64(31) | chain[:, 1], chain[:, 2] << _U64(31) | chain[:, 3]], axis=1)
        for lane in range(2):  # a bijection: spreads keys evenly over the store's folders
            _fmix(words[:, lane])
        out = np.ascontiguousarray(words.astype(">u8")).view(np.uint8).reshape(-1, 16)
        return out[:, :DIGEST_BYTES]

    def changed_from(self, previous: FrameKeys | None) -> int | None:
        """The first frame whose key differs from `previous`'s (None: no previous plan); the keys
        before it are taken over from `previous`, so they are not chained again."""
        if previous is None:
            return None
        if previous.seed_text != self.seed_text:
            return 0
        common = min(self.n, previous.n)
        for c in range(-(-common // CHUNK)):
            lo, hi = c * CHUNK, min(common, (c + 1) * CHUNK)
            differs = np.flatnonzero(np.any(self._digests_of(lo, hi) != previous._digests_of(lo, hi), axis=1))
            if differs.size:
                return lo + int(differs[0])
            if hi - lo == CHUNK and previous._chains[c] is not None and self._chains[c] is None:
                self._chains[c] = previous._chains[c]  # the same digests from frame 0: the same keys
        return common

    # -- the chain ----------------------------------------------------------------------------

    def _lanes(self, start: int, stop: int) -> np.ndarray:
        """K(start..stop-1) as (m, 4) residues."""
        if start >= stop:
            return np.empty((0, 4), dtype=np.uint32)
        first, last = start // CHUNK, (stop - 1) // CHUNK
        parts = [self._chain(c)[0] for c in range(first, last + 1)]
        lanes = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return lanes[start - first * CHUNK:stop - first * CHUNK]

    def _chain(self, c: int) -> tuple[np.ndarray, tuple[int, ...]]:
        if self._chains[c] is None:
            for earlier in range(c):  # in order: each chunk starts from the sum the one before ended with
                if self._chains[earlier] is None:
                    self._chain(earlier)
            before = self._chains[c - 1][1] if c else tuple(b * s % P for b, s in zip(_BASES, self._seed))
            lo = c * CHUNK
            digests = self._digests_of(lo, min(self.n, lo + CHUNK))
            m = len(digests)
            lanes, sums = np.empty((m, 4), dtype=np.uint32), []
            for i, base in enumerate(_BASES):
                inverse = pow(base, P - 2, P)
                # sum_j digest(j) * B^-j, from lo (B^-lo folded in after the sum: it stays below 2^63)
                terms = digests[:, i].astype(np.uint64) * _powers(inverse, m) % _U64(P)
                total = (np.cumsum(terms) % _U64(P)) * _U64(pow(inverse, lo, P)) % _U64(P)
                total = (total + _U64(before[i])) % _U64(P)
                lanes[:, i] = total * (_powers(base, m) * _U64(pow(base, lo, P)) % _U64(P)) % _U64(P)
                sums.append(int(total[-1]))
            self._chains[c] = (lanes, tuple(sums))
        return self._chains[c]

    # -- digests ------------------------------------------------------------------------------

    def _digests_of(self, start: int, stop: int) -> np.ndarray:
        first, last = start // CHUNK, (stop - 1) // CHUNK
        for c in range(first, last + 1):
            if self._digests[c] is None:
                self._digests[c] = self._chunk_digests(c * CHUNK, min(self.n, (c + 1) * CHUNK))
        parts = self._digests[first:last + 1]
        whole = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return whole[start - first * CHUNK:stop - first * CHUNK]

    def _chunk_digests(self, lo: int, hi: int) -> np.ndarray:
        """Frames lo..hi-1: each frame's own parameters and the later frames it depends on."""
        following = self._next_diffused(hi - 1)  # an in-between near hi depends on frames up to it
        reach = min(self.n, max(hi, following + 1))
        own = self._own(lo, reach)
        later = np.zeros((hi - lo, 4), dtype=np.uint64)
        self._in_betweens(lo, hi, own, later)
        if self._loop_start() < hi:
            start, to_come = self._loop_future()
            a = max(lo, start)
            later[a - lo:] = (later[a - lo:] * _U64(3) + to_come[a - start:hi - start]) % _U64(P)
        return ((own[:hi - lo] + later * _U64(7)) % _U64(P)).astype(np.uint32)

    def _own(self, lo: int, hi: int) -> np.ndarray:
        """(hi - lo, 4) residues of each frame's index, columns, conditioning, negative prompt, diffuse."""
        words = [np.arange(lo, hi, dtype=np.int64).view(np.uint64)]
        words += [_words(values[lo:hi]) for values in self.columns.values()]
        described = self._described
        for digests in (described.each(self.conditioning, lo, hi, described.conditioning),
                        described.each(self.negative, lo, hi, described.text)):
            padded = np.zeros((hi - lo, 16), dtype=np.uint8)
            padded[:, :DIGEST_BYTES] = digests.view(np.uint8).reshape(-1, DIGEST_BYTES)
            words += [padded.view(np.uint64)[:, 0], padded.view(np.uint64)[:, 1]]
        words.append(self.diffuse[lo:hi].astype(np.uint64))
        return _residues(words)

    def _next_diffused(self, index: int) -> int:
        """The first diffused frame after `index` (the last frame if none is)."""
        at = int(np.searchsorted(self._diffused, index, side="right"))
        return int(self._diffused[at]) if at < self._diffused.size else self.n - 1

    def _in_betweens(self, lo: int, hi: int, own: np.ndarray, later: np.ndarray) -> None:
        """An in-between i hashes frames i+1..e (e: its next diffused frame) and what e depends on
        later: the hash of that run of `own` is a difference of prefix hashes, for all i at once."""
        between = np.flatnonzero(~self.diffuse[lo:hi])
        if not between.size:
            return
        ends = np.full(between.size, self.n - 1)
        if self._diffused.size:
            at = np.searchsorted(self._diffused, lo + between, side="right")
            found = at < self._diffused.size
            ends[found] = self._diffused[at[found]]
        local = ends - lo  # e, counted from lo (own reaches it)
        gaps = local - between
        for lane, base in enumerate(_BASES):
            prefix = _prefix_hash(own[:, lane], base)
            span = (prefix[local] + _U64(P) * _U64(P) - prefix[between] * _powers(base, int(gaps.max()) + 1)[gaps]) % _U64(P)
            later[between, lane] = (span * _U64(base) + _U64(1)) % _U64(P)
        if self._loop_start() < self.n:  # the next diffused frame's own loop dependency
            start, to_come = self._loop_future()
            looped = ends >= start
            later[between[looped]] = (later[between[looped]] + to_come[ends[looped] - start]) % _U64(P)

    def _loop_start(self) -> int:
        if self._looping is None:
            blend = self.columns.get("loop_blend")
            looping = np.flatnonzero(blend > 0) if blend is not None else np.zeros(0, dtype=np.intp)
            self._looping = int(looping[0]) if looping.size else self.n
        return self._looping

    def _loop_future(self) -> tuple[int, np.ndarray]:
        """For each frame from the loop's first on, the motion of every later frame: (first, residues)."""
        if self._loop is None:
            start = self._loop_start()
            moves = _residues([_words(self.columns[c][start:]) for c in self.motion])
            to_come = np.zeros((self.n - start, 4), dtype=np.uint64)
            for lane, base in enumerate(_BASES):  # suffix hashes: the reversed prefix hash, shifted by one
                suffix = _prefix_hash(moves[::-1, lane].copy(), base)[::-1]
                to_come[:-1, lane] = suffix[1:]
            blend = self.columns["loop_blend"][start:]
            to_come[blend <= 0] = 0
            to_come[blend > 0] = (to_come[blend > 0] + _U64(11)) % _U64(P)  # "loop": the last frame too
            self._loop = (start, to_come)
        return self._loop


# -- hashing with arrays --------------------------------------------------------------------------

def _fmix(h: np.ndarray) -> None:
    """murmur3's 64-bit finaliser, in place (a bijection)."""
    h ^= h >> _U64(33)
    h *= _FMIX[0]
    h ^= h >> _U64(33)
    h *= _FMIX[1]
    h ^= h >> _U64(33)


def _residues(words: list[np.ndarray]) -> np.ndarray:
    """Words (uint64 arrays, one value a frame) hashed into four residues mod P a frame. Each step
    of a lane (xor a word, multiply by an odd number, xor-shift) is a bijection of the lane, so a
    frame whose words differ in one place always gets a different lane."""
    lanes = []
    for salt, multiplier in enumerate(_MIX):
        h = np.full(len(words[0]), _U64(0x243F6A8885A308D3 + salt), dtype=np.uint64)
        for word in words:
            h ^= word
            h *= multiplier
            h ^= h >> _U64(29)
        _fmix(h)
        lanes += [(h >> _U64(33)) % _U64(P), (h & _U64(0x7FFFFFFF)) % _U64(P)]
    return np.stack(lanes, axis=1)


def _prefix_hash(values: np.ndarray, base: int) -> np.ndarray:
    """H(k) = sum_{j<=k} values[j] * base^(k-j) mod P, for every k (uint64 residues)."""
    m = len(values)
    if not m:
        return np.zeros(0, dtype=np.uint64)
    inverse = pow(base, P - 2, P)
    total = np.cumsum(values.astype(np.uint64) * _powers(inverse, m) % _U64(P)) % _U64(P)
    return total * _powers(base, m) % _U64(P)


def _words(values: np.ndarray) -> np.ndarray:
    """A column's values as their 64 bits (whole numbers as int64, the rest as float64)."""
    kind = np.int64 if values.dtype.kind in "iub" else np.float64
    return np.ascontiguousarray(values, dtype=kind).view(np.uint64)


_TABLE = 65_536  # powers kept per base


@lru_cache(maxsize=16)
def _power_table(base: int) -> np.ndarray:
    out = np.ones(1, dtype=np.uint64)
    while len(out) < _TABLE:  # doubling: [1, b, ..., b^(k-1)] then the same times b^k
        out = np.concatenate([out, out * _U64(pow(base, len(out), P)) % _U64(P)])
    out.setflags(write=False)
    return out


def _powers(base: int, m: int) -> np.ndarray:
    """[1, base, base^2, ..., base^(m-1)] mod P."""
    table = _power_table(base)
    if m <= _TABLE:
        return table[:m]
    parts = [table * _U64(pow(base, k * _TABLE, P)) % _U64(P) for k in range(-(-m // _TABLE))]
    return np.concatenate(parts)[:m]


class _Described:
    """Digests of a plan's conditioning, each distinct object (and each distinct prompt) hashed
    once: frames share them, so this is the size of the script, not of the scene."""

    def __init__(self, assets: Mapping[str, str]):
        self.assets = assets
        self.sources: dict[tuple[str, str], bytes] = {}
        self.texts: dict[str, bytes] = {}  # negative prompts
        self.mixes: dict[int, tuple[object, bytes]] = {}  # id -> (the mix, kept alive; its digest)

    def each(self, items: Sequence, lo: int, hi: int, describe) -> np.ndarray:
        """One digest per item of items[lo:hi]. Frames share objects in runs (a held key's
        conditioning), so a run is described once (a long morph has an object a frame)."""
        part = items[lo:hi]
        ids = np.fromiter(map(id, part), dtype=np.int64, count=hi - lo)  # (items are kept alive by `items`)
        starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
        described = np.array([describe(part[i]) for i in starts.tolist()], dtype=f"S{DIGEST_BYTES}")
        return np.repeat(described, np.diff(np.append(starts, hi - lo)))

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
