"""A frame's conditioning: a weighted mix of prompts and images, possibly mid-morph (part of the plan).

Numbers are held at six decimals, the precision of a plan's JSON, so a plan read back is the same plan.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """One conditioning source: a prompt's text, or an image's path (relative to the script)."""

    kind: str  # "prompt" | "image"
    value: str

    def to_json(self) -> dict:
        return {self.kind: self.value}

    @staticmethod
    def from_json(data: dict) -> Source:
        kind = "image" if "image" in data else "prompt"
        return Source(kind, data[kind])


@dataclass(frozen=True)
class Weighted:
    source: Source
    weight: float  # held at the JSON's six decimals, as every number of a plan

    def __post_init__(self):
        object.__setattr__(self, "weight", six_decimals(self.weight))

    def to_json(self) -> dict:
        return {**self.source.to_json(), "weight": six_decimals(self.weight)}

    @staticmethod
    def from_json(data: dict) -> Weighted:
        return Weighted(Source.from_json(data), data["weight"])


Mix = tuple[Weighted, ...]


@dataclass(frozen=True, slots=True)  # slots: a long morph has one of these a frame
class Morph:
    """An embedding interpolation in progress: from `start` toward the frame's `sources`."""

    start: Mix
    position: float  # 0 = all `start`, 1 = all `sources` (already eased), at six decimals
    method: str  # "lerp" | "slerp"

    def __post_init__(self):
        object.__setattr__(self, "position", six_decimals(self.position))


@dataclass(frozen=True, slots=True)
class Conditioning:
    """What the engine conditions on: a weighted mix of sources, possibly mid-morph."""

    sources: Mix
    morph: Morph | None = None

    def to_json(self) -> dict:
        out: dict = {"sources": [w.to_json() for w in self.sources], "morph": None}
        if self.morph is not None:
            out["morph"] = {
                "from": [w.to_json() for w in self.morph.start],
                "position": six_decimals(self.morph.position),
                "method": self.morph.method,
            }
        return out

    @staticmethod
    def from_json(data: dict) -> Conditioning:
        sources = tuple(Weighted.from_json(w) for w in data["sources"])
        morph = data.get("morph")
        if morph is None:
            return Conditioning(sources)
        start = tuple(Weighted.from_json(w) for w in morph["from"])
        return Conditioning(sources, Morph(start, morph["position"], morph["method"]))

    def all_sources(self) -> list[Source]:
        mixes = [self.sources] + ([self.morph.start] if self.morph else [])
        return [w.source for mix in mixes for w in mix]


def six_decimals(x: float) -> float:
    """Six decimals: stable JSON and keys, far below anything visible."""
    r = round(x, 6)
    return 0.0 if r == 0 else r
