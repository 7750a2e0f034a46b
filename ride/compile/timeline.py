"""The timeline: keys of conditioning -> every frame's Conditioning and negative prompt.

A prompt holds from its key until the next key. `morph N` on a key makes its conditioning
arrive over the N frames before the key (position 0 at key-N, 1 at the key). Loop closure
then pulls the last frames' conditioning back to frame 0's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..conditioning import Conditioning, Mix, Morph, Source, Weighted
from ..errors import Diagnostics
from ..language import nodes as n
from .curves import check_transition, ease
from .timing import Clock

MORPH_METHODS = ("lerp", "slerp")
DEFAULT_MORPH = "lerp"


@dataclass
class ResolvedKey:
    frame: int
    mix: Mix
    morph_frames: int
    morph_method: str
    morph_transition: n.Transition | None
    negative: str | None
    node: n.TimelineKey


def scene_length(timeline: n.Timeline, clock: Clock, diagnostics: Diagnostics) -> int | None:
    """The length set by the timeline's last line `N end` (frames 0..N-1)."""
    ends = [e for e in timeline.entries if isinstance(e, n.TimelineEnd)]
    if not ends:
        diagnostics.error("R402", "the timeline has no end", timeline.span,
                                "finish the timeline with a line like `275 end` (the scene's length)")
        return None
    if len(ends) > 1 or timeline.entries[-1] is not ends[0]:
        diagnostics.error("R403", "`end` must be the timeline's last line", ends[0].span,
                                "keys after the end would never be shown")
        return None
    previous = None
    for entry in timeline.entries:
        if entry.time.unit in ("%", "end"):
            if entry is ends[0]:
                diagnostics.error("R404", "the end of the timeline must be a time in frames, seconds or beats",
                                        entry.time.span, "write e.g. `275 end` or `+50 end`")
                return None
            continue  # percent keys before the end cannot shift it (relative ends use the last fixed key)
        # A key's own mistakes are resolve_keys' to report; here they only leave the length unknown.
        frame = clock.frame(entry.time, previous, diagnostics if entry is ends[0] else Diagnostics())
        if frame is None:
            return None
        previous = frame
    return _nearest_frame(previous)


def resolve_keys(timeline: n.Timeline, clock: Clock, diagnostics: Diagnostics) -> list[ResolvedKey]:
    keys: list[ResolvedKey] = []
    previous: float | None = None
    for entry in timeline.entries:
        if isinstance(entry, n.TimelineEnd):
            break
        exact = clock.frame(entry.time, previous, diagnostics)
        if exact is None:
            continue
        frame = _nearest_frame(exact)
        if keys and frame <= keys[-1].frame:
            diagnostics.error("R406", f"this key (frame {frame}) is not after the previous key (frame {keys[-1].frame})",
                                    entry.time.span, "timeline keys must be in increasing time order")
            continue
        if clock.length is not None and frame >= clock.length:
            diagnostics.error("R407", f"this key (frame {frame}) is at or after the end (frame {clock.length})",
                                    entry.time.span, "move the key before the end, or move the end later")
            continue
        previous = exact
        mix = _mix(entry.mix, diagnostics)
        morph_frames, method, transition = 0, DEFAULT_MORPH, None
        if entry.morph is not None:
            morph_frames = _nearest_frame(clock.duration(entry.morph.duration, before=exact))
            method = entry.morph.method or DEFAULT_MORPH
            transition = entry.morph.transition
            check_transition(transition, diagnostics, blend=True)
        keys.append(ResolvedKey(frame, mix, morph_frames, method, transition, entry.negative, entry))
    if not diagnostics and not any(isinstance(entry, n.TimelineKey) for entry in timeline.entries):
        # (only when nothing else is reported: a key the parser dropped already has its error)
        where = timeline.entries[0].span if timeline.entries else timeline.span
        diagnostics.error("R408", "the timeline has no key: nothing says what the frames show", where,
                          "add a line like `0 \"a prompt\"` before the end")
    if keys and keys[0].node.morph is not None:
        diagnostics.error("R414", "the first key has nothing to morph from", keys[0].node.morph.span,
                          "`morph` blends from the previous key's sources; remove it here, or put a key before")
    if keys and keys[0].frame != 0:
        diagnostics.error("R408", "missing frame 0 key", keys[0].node.time.span,
                                "the timeline must say what frame 0 shows: add a line like `0 \"a prompt\"`")
    return keys


def _nearest_frame(exact: float) -> int:
    """Halves round up (2.5 -> 3), as a person counting frames expects; Python's round would give 2."""
    return int(np.floor(exact + 0.5))


def _mix(terms: tuple[n.Term, ...], diagnostics: Diagnostics) -> Mix:
    """Weights are relative: missing weights count 1, then all are scaled to sum to 1."""
    weights = [1.0 if t.weight is None else t.weight for t in terms]
    total = sum(weights)
    if total <= 0:
        diagnostics.error("R318", "the weights of this mix add up to 0", terms[0].span,
                                "give at least one source a positive weight")
        total = 1.0
    out = []
    for term, weight in zip(terms, weights):
        source = (Source("prompt", term.source.text) if isinstance(term.source, n.Prompt)
                  else Source("image", term.source.path))
        out.append(Weighted(source, weight / total))
    return tuple(out)


def conditioning_per_frame(keys: list[ResolvedKey], length: int, default_negative: str,
                           ) -> tuple[list[Conditioning], list[str]]:
    conditioning: list[Conditioning] = []
    negatives: list[str] = []
    for i, key in enumerate(keys):
        stop = keys[i + 1].frame if i + 1 < len(keys) else length
        held = Conditioning(key.mix)
        negative = key.negative if key.negative is not None else default_negative
        nxt = keys[i + 1] if i + 1 < len(keys) else None
        morph_start = stop
        if nxt is not None and nxt.morph_frames > 0:
            # The next key's morph arrives over the frames before it; a morph longer than the gap
            # starts right after this key and is spread over the frames there are (no jump).
            morph_start = max(key.frame + 1, nxt.frame - nxt.morph_frames)
        conditioning.extend([held] * (morph_start - key.frame))
        negatives.extend([negative] * (morph_start - key.frame))
        if morph_start < stop:
            frames = np.arange(morph_start, stop, dtype=np.float64)
            p = (frames - morph_start) / (nxt.frame - morph_start)
            for position in ease(nxt.morph_transition, p):
                conditioning.append(Conditioning(nxt.mix, Morph(key.mix, float(position), nxt.morph_method)))
                negatives.append(negative)
    return conditioning, negatives


def close_loop(conditioning: list[Conditioning], loop_blend: np.ndarray) -> list[Conditioning]:
    """Pull each frame with loop_blend > 0 toward frame 0's conditioning, by lerp."""
    target = conditioning[0].sources
    out = list(conditioning)
    for i in np.flatnonzero(loop_blend > 0):
        out[i] = Conditioning(target, Morph(_flatten(conditioning[i]), float(loop_blend[i]), "lerp"))
    return out


def _flatten(cond: Conditioning) -> Mix:
    """A conditioning as one weighted mix (a morph in progress becomes its lerp weights)."""
    if cond.morph is None:
        return cond.sources
    p = cond.morph.position
    weights: dict[Source, float] = {}
    for w in cond.morph.start:
        weights[w.source] = weights.get(w.source, 0.0) + (1 - p) * w.weight
    for w in cond.sources:
        weights[w.source] = weights.get(w.source, 0.0) + p * w.weight
    return tuple(Weighted(s, w) for s, w in weights.items() if w > 0)
