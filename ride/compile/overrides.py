"""`--set NAME=VALUE[,VALUE...]`: the command line's values put over a script's.

A value is written exactly as after the setting's name in a script (`0.5`, `1 + 0.1*sin(t)`,
`1234 iter`, `close 24`, `lab`), a text with or without its quotes. It is parsed as a statement
of its own and replaces what the script says for that name (a line, a `camera { }` line, or a
`track`), so the compiler checks it like any line and the plan and frame keys follow it.

The statement is parsed on lines past the script's end: a problem found on those lines is the
flag's, and is reported as `--set strength=5: strength must be between 0 and 1...`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import NO_SPAN, Diagnostics, Problem, Span, did_you_mean
from ..language.syntax import parse
from ..settings import BY_NAME, CAMERA, PAIR, SETTINGS, TEXT, TRACK
from .statements import Statements, gather

LINES_PER_OVERRIDE = 4  # the most lines a statement of one --set takes (`camera {`, the line, `}`)


@dataclass(frozen=True)
class SettingOverride:
    """One `--set NAME=VALUE` (one value of a sweep)."""

    name: str
    value: str

    @property
    def flag(self) -> str:
        return f"--set {self.name}={self.value}"


def statement_text(override: SettingOverride) -> str:
    """The script line an override stands for."""
    name, value = override.name, override.value
    setting = BY_NAME.get(name)
    if setting is None:
        return f"let {name} = {value}"
    if setting.kind == TEXT and value[:1] not in ("'", '"'):
        value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if name == "reverse":
        return "reverse" if value == "on" else ""
    if setting.where == (TRACK,):  # the halves of a pair (pan_x): a track of one key holds it
        return f"track {name} {{\n0 {value}\n}}"
    if CAMERA in setting.where:
        return f"camera {{\n{name} {value}\n}}"
    return f"{name} {value}"


def apply_overrides(g: Statements, overrides: tuple[SettingOverride, ...], first_line: int,
                    path: str, diagnostics: Diagnostics) -> None:
    """Put each override over the script's statements `g`. Its statement is parsed from line
    `first_line + LINES_PER_OVERRIDE * i` on, so that `relabel` can tell its problems."""
    for i, override in enumerate(overrides):
        line = first_line + LINES_PER_OVERRIDE * i
        if override.name == "reverse" and override.value not in ("on", "off"):
            diagnostics.error("R344", "reverse is on or off", _at(line), "--set reverse=on plays the frames backward")
            continue
        if override.name not in BY_NAME and not any(let.name == override.name for let in g.lets):
            names = [s.name for s in SETTINGS if s.kind != PAIR] + [let.name for let in g.lets]
            diagnostics.error("R241", f"unknown setting '{override.name}'", _at(line),
                              did_you_mean(override.name, names) or "--set takes a setting or a `let` of the script")
            continue
        script = parse("\n" * (line - 1) + statement_text(override), path, diagnostics)
        if script is not None:
            _merge(g, gather(script, diagnostics), override.name)


def _at(line: int) -> Span:
    return Span.point(line, 1)


def _merge(g: Statements, given: Statements, name: str) -> None:
    """The override's statement `given` replaces whatever the script said for `name`."""
    g.seen.pop(name, None)  # so a later check does not point at the script's line
    if name not in BY_NAME:
        g.lets = [next(iter(given.lets), let) if let.name == name else let for let in g.lets]
    elif name == "seed":  # a `seed` line or a seed track: one setting either way
        g.seed = given.seed
        g.values.pop("seed", None)
        if "seed" in given.values:
            g.values["seed"] = given.values["seed"]
    elif name in ("size", "scheduler", "loop", "adapter", "depth"):
        setattr(g, name, getattr(given, name))
    elif name == "reverse":
        g.reverse = given.reverse
    else:
        for part in BY_NAME[name].parts or (name,):  # `move` is move_x, move_y and move_z
            for table in (g.values, g.texts, g.words):
                table.pop(part, None)
            for mine, theirs in ((g.values, given.values), (g.texts, given.texts), (g.words, given.words)):
                if part in theirs:
                    mine[part] = theirs[part]


def relabel(problems: list[Problem], overrides: tuple[SettingOverride, ...], first_line: int) -> list[Problem]:
    """Problems on an override's lines become the flag's: `--set NAME=VALUE: message`, no position."""
    out = []
    for problem in problems:
        i = (problem.span.line - first_line) // LINES_PER_OVERRIDE
        if problem.span.line >= first_line and i < len(overrides):
            problem = replace(problem, message=f"{overrides[i].flag}: {problem.message}", span=NO_SPAN)
        out.append(problem)
    return out
