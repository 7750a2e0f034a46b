"""Every frame's prompt and negative prompt, as Deforum works them out (render.py, prompt.py).

Prompts are keyed by frame; a frame shows the last prompt keyed at or before it, and the frames
before the first key show the first one (forward- then back-filled). In the A1111 extension the
global positive and negative prompts are merged into every prompt once, when a run starts (a
run's saved settings already hold them merged); `--neg` splits a prompt into positive and
negative; a `...` in backticks is evaluated at each frame with `t` the frame (Deforum replaces
every letter t in it, so `sqrt(t)` breaks there: an error here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ...language import nodes as n
from . import numbers
from .source import COLAB, DeforumFile

_BACKTICKS = re.compile(r"`.*?`")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_FLOAT_LITERAL = re.compile(r"(\d*\.\d+|\d+\.\d*|\d+[eE])")
_INT_FUNCTIONS = {"where", "abs", "minimum", "maximum"}


@dataclass(frozen=True)
class FramePrompt:
    positive: str
    negative: str


def file_prompts(context: numbers.Context) -> tuple[list[FramePrompt], str]:
    """Every frame's prompt, and the key the prompts were under."""
    file = context.file
    if file.format == COLAB:
        if isinstance(file.get("cond_prompts"), dict):  # the notebook's split positive/negative dicts
            positives = filled(context, "cond_prompts", _table(file, "cond_prompts"))
            uncond = file.get("uncond_prompts")
            negatives = filled(context, "uncond_prompts", uncond) if isinstance(uncond, dict) and uncond else None
            return [FramePrompt(p, negatives[i] if negatives else "") for i, p in enumerate(positives)], "cond_prompts"
        # the notebook sends a prompt as written: no `--neg`, no backticks
        return [FramePrompt(p, "") for p in filled(context, "animation_prompts", _table(file, "animation_prompts"))], \
            "animation_prompts"
    name = "prompts" if isinstance(file.get("prompts"), dict) else "animation_prompts"
    table = _table(file, name)
    if not file.run_saved:  # args.py process_args: the global prompts merged into every prompt
        positive = _text(file, "animation_prompts_positive")
        negative = _text(file, "animation_prompts_negative").replace("--neg", "")
        table = {k: f"{positive} {v} {'' if '--neg' in v else '--neg'} {negative}" for k, v in table.items()}
    per_frame = filled(context, name, table)
    cache: dict[str, list[FramePrompt]] = {}
    out = []
    for frame, prompt in enumerate(per_frame):
        if prompt not in cache:
            cache[prompt] = _evaluated(context, name, prompt)
        out.append(cache[prompt][frame])
    return out, name


def _table(file: DeforumFile, name: str) -> dict:
    table = file.get(name)
    if not isinstance(table, dict) or not table:
        raise file.fail(name if name in file.data else "prompts", f"{name}: no prompts keyed by frame",
                        'Deforum\'s prompts look like {"0": "a forest", "30": "a lake"}', "R395")
    for key, value in table.items():
        if not isinstance(value, str):
            raise file.fail(name, f'{name}: "{key}": {value!r} is not a prompt', "a prompt is a text", "R395")
    return table


def _text(file: DeforumFile, key: str) -> str:
    value = file.get(key, "")
    return value if isinstance(value, str) else ""


def filled(context: numbers.Context, name: str, table: dict) -> list[str]:
    """render.py's prompt series: each key's prompt at its frame, forward- then back-filled. A key
    outside the frames is a label pandas adds after the last frame (so it can still back-fill)."""
    length = context.length
    placed: list[str | None] = [None] * length
    beyond: dict[int, str] = {}
    for key, prompt in table.items():
        frame = _frame(context, name, str(key))
        if 0 <= frame < length:
            placed[frame] = prompt
        else:
            beyond[frame] = prompt  # a second key at the same label replaces the first, in its place
    series = placed + list(beyond.values())
    last = None
    for i, value in enumerate(series):  # ffill
        if value is None:
            series[i] = last
        else:
            last = value
    first = next(v for v in series if v is not None)
    return [v if v is not None else first for v in series[:length]]  # bfill


def _frame(context: numbers.Context, name: str, key: str) -> int:
    if key.isdigit():
        return int(key)
    return numbers.key_frame(context, key, name, f'{name}: "{key}"')


def _evaluated(context: numbers.Context, name: str, prompt: str) -> list[FramePrompt]:
    """The prompt at every frame, its backtick expressions evaluated there (Deforum's prepare_prompt)."""
    matches = list(dict.fromkeys(m.group(0) for m in _BACKTICKS.finditer(prompt)))
    texts: dict[str, list[str]] = {}
    frames = np.arange(context.length)
    for match in matches:
        texts[match] = _backtick_values(context, name, prompt, match, frames)
    out = []
    for frame in range(context.length):
        text = prompt
        for match in matches:
            text = text.replace(match, texts[match][frame])
        positive, *after = text.strip().split("--neg")
        out.append(FramePrompt(positive.strip(), "".join(after).strip()))
    return out


def _backtick_values(context, name: str, prompt: str, match: str, frames: np.ndarray) -> list[str]:
    inner = match[1:-1]
    show = f'{name}: "{_short(prompt)}"'
    for word in _IDENTIFIER.findall(inner):
        if "t" in word and word not in ("t",):
            raise context.file.fail(name, f"{show}: Deforum replaces every 't' in {match}, so '{word}' becomes "
                                    f"'{word.replace('t', '0')}' at frame 0", "write the expression without that "
                                    "function (Deforum cannot evaluate it)", "R396")
    expr = numbers.translate(context, inner, name, show)
    values = numbers.values_one_by_one(expr, frames, context.length)
    if _top_is_comparison(expr):
        return ["True" if v else "False" for v in values]
    if _integer_result(inner):
        return [str(int(v)) for v in values]
    return [repr(float(v)) for v in values]


def _top_is_comparison(e: n.Expr) -> bool:
    return isinstance(e, n.Binary) and e.op in ("<", "<=", ">", ">=", "==", "!=")


def _integer_result(text: str) -> bool:
    """numexpr keeps integers integer (t is an int in Deforum): no '/', no float literal, no float function."""
    if "/" in text or _FLOAT_LITERAL.search(text):
        return False
    calls = re.findall(r"([A-Za-z_][A-Za-z_0-9]*)\s*\(", text)
    return all(c in _INT_FUNCTIONS for c in calls)


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def a1111_syntax(prompts: list[FramePrompt]) -> list[str]:
    """What the A1111 web UI reads in a prompt and ride passes on as plain text."""
    found = []
    texts = {p.positive for p in prompts} | {p.negative for p in prompts}
    joined = "\n".join(texts)
    if re.search(r"\([^()]*:\s*[-+]?[\d.]+\s*\)", joined) or re.search(r"\(\(|\[\[", joined):
        found.append("A1111 attention weights `(word:1.2)`, `((word))`: ride sends them as plain text")
    if " AND " in joined:
        found.append("A1111 composable prompts `AND`: ride sends them as plain text")
    if re.search(r"<(lora|lyco|hypernet):[^>]*>", joined):
        found.append("`<lora:...>` tags: ride loads no LoRA; the tag stays in the prompt as text")
    return found
