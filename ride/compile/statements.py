"""Step 1 of compiling: a script's statements gathered by what they set.

Placement is checked here (camera settings inside `camera { }`, the rest outside), as are
names (an unknown setting suggests the closest), duplicates and track names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Diagnostics, Span, did_you_mean
from ..language import nodes as n
from ..settings import BY_NAME, CAMERA_SETTINGS, TOP_LEVEL_SETTINGS, TRACKABLE
from .curves import CONSTANTS, TIME_VARIABLES


def gather(script: n.Script, diagnostics: Diagnostics) -> Statements:
    gatherer = _Gatherer(diagnostics)
    for statement in script.statements:
        gatherer.gather_statement(statement, in_camera=False)
    return gatherer.g


@dataclass
class Statements:
    """A script's statements by what they set."""

    values: dict[str, tuple[object, tuple]] = field(default_factory=dict)  # numeric setting -> (node, values)
    texts: dict[str, n.TextSetting] = field(default_factory=dict)
    words: dict[str, n.WordSetting] = field(default_factory=dict)
    lets: list[n.Let] = field(default_factory=list)
    size: n.SizeSetting | None = None
    seed: n.SeedSetting | None = None
    scheduler: n.SchedulerSetting | None = None
    loop: n.LoopSetting | None = None
    adapter: n.AdapterSetting | None = None
    depth: n.DepthSetting | None = None
    reverse: bool = False
    timeline: n.Timeline | None = None
    seen: dict[str, Span] = field(default_factory=dict)


class _Gatherer:
    def __init__(self, diagnostics: Diagnostics):
        self.error = diagnostics.error
        self.g = Statements()

    def once(self, name: str, span: Span, loop_mode: str | None = None) -> bool:
        if name in self.g.seen:
            first = self.g.seen[name]
            if name == "loop" and self.g.loop is not None and loop_mode is not None \
                    and {self.g.loop.mode.text, loop_mode} == {"close", "pingpong"}:
                self.error("R209", "`loop close` and `loop pingpong` cannot be combined", span,
                           f"a closed loop returns to frame 0; pingpong plays the frames backward: keep one "
                           f"(the other is on line {first.line})")
                return False
            self.error("R204", f"'{name}' is set twice", span, f"it is first set on line {first.line}; keep one")
            return False
        self.g.seen[name] = span
        return True

    def gather_statement(self, st, in_camera: bool) -> None:
        g = self.g
        if isinstance(st, n.Camera):
            if in_camera or not self.once("camera", st.span):
                return
            for inner in st.settings:
                self.gather_statement(inner, in_camera=True)
            return
        name = _setting_name(st)
        if in_camera and name not in CAMERA_SETTINGS and not isinstance(st, n.Unknown):
            self.error("R202", f"'{name}' is not a camera setting", st.span,
                       f"camera {{ }} holds {', '.join(CAMERA_SETTINGS)}; move '{name}' outside the block")
            return
        if not in_camera and name in CAMERA_SETTINGS:
            self.error("R203", f"'{name}' belongs inside camera {{ }}", st.span, f"write `camera {{ {name} ... }}`")
            return
        if isinstance(st, n.Unknown):
            hint = _KEY_WORDS.get(st.name) or _deforum_hint(st.name) or \
                did_you_mean(st.name, CAMERA_SETTINGS if in_camera else CAMERA_SETTINGS + TOP_LEVEL_SETTINGS)
            self.error("R201", f"unknown setting '{st.name}'", st.span, hint)
            return
        if isinstance(st, n.Let):
            if st.name in TIME_VARIABLES or st.name in CONSTANTS:
                self.error("R205", f"'{st.name}' is a built-in name", st.span, "choose another name for your `let`")
            elif any(other.name == st.name for other in g.lets):
                self.error("R206", f"'{st.name}' is defined twice", st.span, "each `let` name is defined once")
            else:
                g.lets.append(st)
            return
        if isinstance(st, n.Track):
            self.gather_track(st)
            return
        if not self.once(name, st.span, st.mode.text if isinstance(st, n.LoopSetting) else None):
            return
        if isinstance(st, n.ValueSetting):
            self.gather_values(st)
        elif isinstance(st, n.TextSetting):
            g.texts[st.name] = st
        elif isinstance(st, n.WordSetting):
            g.words[st.name] = st
        elif isinstance(st, n.ReverseSetting):
            g.reverse = True
        else:  # a statement that is given once and kept whole: size, seed, loop, timeline...
            setattr(g, _SINGLE[type(st)], st)

    def gather_values(self, st: n.ValueSetting) -> None:
        setting = BY_NAME[st.name]
        if setting.parts:
            if len(st.values) != len(setting.parts):
                self.error("R208", f"'{st.name}' takes {_COUNTS[len(setting.parts)]}", st.span,
                           f"write e.g. `{st.name} {_EXAMPLES[st.name]}`")
                return
            for part, value in zip(setting.parts, st.values):
                self.set_value(part, st, (value,))
            return
        if len(st.values) != 1:
            self.error("R208", f"'{st.name}' takes one value, not {len(st.values)}", st.span,
                       "remove the extra values after the comma")
            return
        self.set_value(st.name, st, st.values)

    def set_value(self, name: str, node, values: tuple) -> None:
        """A numeric setting, from a setting line or a track: once, whichever way it is written."""
        if name in self.g.values:
            first = self.g.values[name][0].span.line
            self.error("R204", f"'{name}' is set twice", node.span, f"it is first set on line {first}; keep one")
            return
        self.g.values[name] = (node, values)

    def gather_track(self, st: n.Track) -> None:
        if st.name not in TRACKABLE:
            hint = did_you_mean(st.name, TRACKABLE)
            if st.name in BY_NAME and BY_NAME[st.name].parts:
                parts = [f"`track {part}`" for part in BY_NAME[st.name].parts]
                hint = f"a track holds one number: use {', '.join(parts[:-1])} and {parts[-1]}"
            self.error("R207", f"'{st.name}' cannot be a track", st.span, hint)
            return
        if st.name == "seed":  # `seed` is one setting however it is written (a line or a track)
            if self.once("seed", st.span):
                self.g.values["seed"] = (st, (st.block,))
            return
        self.set_value(st.name, st, (st.block,))


# A setting of several values (pan, focus, move, turn): how many it takes, and an example
_COUNTS = {2: "two values, x then y", 3: "three values, x, y then z"}
_EXAMPLES = {"focus": "0.5, 0.6", "pan": "0, 1.5", "move": "0, 0, 1", "turn": "0, 0.5, 0"}

# Words of a timeline key, written as if they were settings: where they belong instead.
_KEY_WORDS = {
    "morph": 'morph belongs on a timeline key: `25  "a prompt"  morph 10` arrives over the 10 frames before 25',
    "image": 'an image is a timeline key: `25  image "stills/valley.png"`',
    "end": "`end` is the timeline's last line (`275 end`), or a track key's time",
}

def _deforum_hint(name: str) -> str:
    """Deforum's 3D motion names (translation_z, rotation_3d_y): the `move` / `turn` part they are."""
    for prefix, setting, what in (("translation_", "move", "x right, y down, z forward"),
                                  ("rotation_3d_", "turn", "x tilts down, y turns right, z rolls")):
        axis = name[len(prefix):]
        if name.startswith(prefix) and axis in ("x", "y", "z"):
            values = ", ".join("v" if a == axis else "0" for a in "xyz")
            return (f"Deforum's {name} is ride's `{setting}`: write `camera {{ {setting} {values} }}` "
                    f"({what}), or `track {setting}_{axis} {{ ... }}` for keyframes")
    return ""


# Statements kept whole, by the setting's name (also its field in Statements).
_SINGLE = {n.SizeSetting: "size", n.SeedSetting: "seed", n.SchedulerSetting: "scheduler", n.LoopSetting: "loop",
           n.AdapterSetting: "adapter", n.DepthSetting: "depth", n.Timeline: "timeline"}


def _setting_name(st) -> str:
    if isinstance(st, (n.TextSetting, n.ValueSetting, n.WordSetting)):
        return st.name
    others = {n.ReverseSetting: "reverse", n.Let: "let", n.Track: "track", n.Unknown: ""}
    return _SINGLE.get(type(st)) or others[type(st)]
