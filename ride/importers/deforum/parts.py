"""What the writer lays out, gathered by scene.py (a settings file) or parseq.py (a manifest)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .prompts import FramePrompt
from .tracks import Value


@dataclass
class Parts:
    """What the writer lays out: settings in order, camera values, tracks, the timeline, notes."""

    header: list[str] = field(default_factory=list)
    settings: list[tuple[str, Value, str]] = field(default_factory=list)  # name, value, comment
    camera: list[tuple[str, Value, str]] = field(default_factory=list)
    prompts: list[FramePrompt] = field(default_factory=list)
    length: int = 0
    notes: list[str] = field(default_factory=list)  # comments at the end: what was not imported
    warnings: list[str] = field(default_factory=list)

    def unsupported(self, comment: str) -> None:
        self.notes.append(comment)
        self.warnings.append(comment)
