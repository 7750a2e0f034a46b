"""`ride import deforum`: a Deforum settings file or Parseq manifest becomes a ride scene.

The steps, each a module: source (read the file, say which format it is), schedules (Deforum's
keyframe strings, parsed by Deforum's own rules), numbers (their expressions as ride expressions,
and Deforum's semantics evaluated over the frames), prompts (the per-frame prompt and negative),
features (what ride cannot do: comments and warnings), scene (the settings as ride values) and
writer (the lines of the scene, in `ride fmt`'s layout).
"""

from __future__ import annotations

from .scene import Imported, import_deforum

__all__ = ["Imported", "import_deforum"]
