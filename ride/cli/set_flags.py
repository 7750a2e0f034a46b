"""`--set NAME=VALUE[,VALUE...]` on the command line: the flags read, and their sweeps multiplied.

What a value means is the compiler's business (compile/overrides.py); here only the flag's own
shape is checked: NAME=VALUE, values split at commas (not inside quotes or brackets), each name once.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from ..compile.overrides import SettingOverride
from ..errors import Problem, RideError
from ..settings import BY_NAME, PAIR

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class SettingSweep:
    """One `--set NAME=V1,V2,...` as given: a name and its values (one value: a plain override)."""

    name: str
    values: tuple[str, ...]


def parse_set_flags(texts: list[str] | None) -> list[SettingSweep]:
    """The --set flags of a command line; every mistake in them raised at once (R740-R743)."""
    sweeps: list[SettingSweep] = []
    problems: list[Problem] = []
    for text in texts or ():
        name, equals, rest = text.partition("=")
        name = name.strip()
        if not equals or not _NAME.match(name):
            problems.append(Problem(f"--set {text}: expected NAME=VALUE", hint="e.g. --set strength=0.5, or "
                                    "--set seed=1,2,3 for a sweep over three values", code="R740"))
            continue
        values = tuple(dict.fromkeys(v.strip() for v in split_values(rest)))  # a repeated value is one job
        if not all(values):
            problems.append(Problem(f"--set {text}: a value is empty", hint="values are separated by commas: "
                                    f"--set {name}=A,B", code="R740"))
            continue
        setting = BY_NAME.get(name)
        if setting is not None and setting.kind == PAIR:
            x, y = setting.parts
            problems.append(Problem(f"--set {text}: '{name}' is two numbers", code="R742",
                                    hint=f"set each: --set {x}=... --set {y}=..."))
            continue
        if any(s.name == name for s in sweeps):
            problems.append(Problem(f"--set {text}: '{name}' is set twice", code="R743",
                                    hint=f"give every value in one flag: --set {name}=A,B"))
            continue
        sweeps.append(SettingSweep(name, values))
    if problems:
        raise RideError(problems)
    return sweeps


def split_values(text: str) -> list[str]:
    """`a,b,c` -> three values; a comma inside quotes or brackets stays (`"a, b"`, `clip(t, 0, 1)`)."""
    values, depth, quote, start = [], 0, "", 0
    for i, c in enumerate(text):
        if quote:
            quote = "" if c == quote and text[i - 1] != "\\" else quote
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            values.append(text[start:i])
            start = i + 1
    return values + [text[start:]]


def combinations(sweeps: list[SettingSweep]) -> list[tuple[SettingOverride, ...]]:
    """The cartesian product of the sweeps, the first flag's values changing slowest."""
    per_flag = [[SettingOverride(s.name, v) for v in s.values] for s in sweeps]
    return [tuple(c) for c in itertools.product(*per_flag)]
