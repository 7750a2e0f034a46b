"""Deforum's semantics, written from its source, independent of ride's importer.

A reference for the tests: what Deforum computes for every frame of a settings file, transcribed
from deforum-art/sd-webui-deforum (animation_key_frames.py FrameInterpolater, render.py's prompt
series, prompt.py prepare_prompt, seed.py next_seed, args.py process_args) and the Colab notebook
(deforum-stable-diffusion helpers/animation.py parse_key_frames, get_inbetweens). It calls
numexpr as Deforum does (pandas' Series.interpolate('linear') is np.interp over the valid points).
Nothing here imports ride.
"""

from __future__ import annotations

import re

import numexpr
import numpy as np

_NUMBER = r"^(?=.)([+-]?([0-9]*)(\.([0-9]+))?)$"


def check_is_number(value: str):
    return re.match(_NUMBER, value)


def sanitize_value(value: str) -> str:
    return value.replace("'", "").replace('"', "").replace("(", "").replace(")", "")


def parse_key_frames_webui(string: str, max_frames: int, seed: int) -> dict:
    frames = {}
    for match_object in string.split(","):
        frame_param = match_object.split(":")
        scope = {"max_f": max_frames - 1, "s": seed}
        key = frame_param[0]
        if check_is_number(sanitize_value(key.strip())):
            frame = int(sanitize_value(key))
        else:
            text = key.strip().replace("'", "", 1).replace('"', "", 1)[::-1].replace("'", "", 1).replace('"', "", 1)[::-1]
            frame = int(numexpr.evaluate(text, local_dict=scope))
        frames[frame] = frame_param[1].strip()
    return frames


def parse_key_frames_colab(string: str) -> dict:
    pattern = r"((?P<frame>[0-9]+):[\s]*\((?P<param>[\S\s]*?)\)([,][\s]?|[\s]?$))"
    return {int(m.group("frame")): m.group("param") for m in re.finditer(pattern, string)}


def get_inbetweens(key_frames: dict, max_frames: int, seed: int, webui: bool = True) -> np.ndarray:
    series = np.full(max_frames, np.nan)
    value_is_number = None
    value = None
    for i in range(max_frames):
        if i in key_frames:
            value = key_frames[i]
            sanitized = sanitize_value(value) if webui else value
            value_is_number = check_is_number(sanitized)
            if value_is_number:
                series[i] = float(sanitized)
        if not value_is_number:
            scope = {"t": i, "max_f": max_frames - 1, "s": seed, "i": i} if webui else {"t": i}
            series[i] = float(numexpr.evaluate(value, local_dict=scope))
    valid = np.flatnonzero(~np.isnan(series))
    series[0] = series[valid[0]]
    series[max_frames - 1] = series[valid[-1]]
    valid = np.flatnonzero(~np.isnan(series))
    return np.interp(np.arange(max_frames), valid, series[valid])


def schedule(settings: dict, name: str, seed: int = -1) -> np.ndarray:
    webui = not is_colab(settings)
    raw = settings[name]
    keys = parse_key_frames_webui(raw, settings["max_frames"], seed) if webui else parse_key_frames_colab(raw)
    return get_inbetweens(keys, int(settings["max_frames"]), seed, webui)


def is_colab(settings: dict) -> bool:
    return not isinstance(settings.get("prompts"), dict) and "animation_prompts_positive" not in settings \
        and "deforum_git_commit_id" not in settings and "sd_model_name" not in settings


def prompts(settings: dict) -> list[tuple[str, str]]:
    """Each frame's (positive, negative) as Deforum sends them to A1111 (both stripped)."""
    max_frames = int(settings["max_frames"])
    if is_colab(settings):  # the notebook's render.py sends the prompt as written, with no negative
        return [(p, "") for p in prompt_series(settings["animation_prompts"], max_frames)]
    table = settings["prompts"] if isinstance(settings.get("prompts"), dict) else settings["animation_prompts"]
    run_saved = isinstance(settings.get("positive_prompts"), str) and "animation_prompts_positive" not in settings
    if not run_saved:
        positive = settings.get("animation_prompts_positive", "")
        negative = settings.get("animation_prompts_negative", "").replace("--neg", "")
        table = {k: f"{positive} {v} {'' if '--neg' in v else '--neg'} {negative}" for k, v in table.items()}
    values = prompt_series(table, max_frames)
    return [prepare_prompt(values[f], max_frames, f) for f in range(max_frames)]


def prompt_series(table: dict, max_frames: int) -> list[str]:
    series: dict = {i: None for i in range(max_frames)}  # a dict keeps pandas' positions: new labels go last
    for i, prompt in table.items():
        series[int(i) if str(i).isdigit() else int(numexpr.evaluate(i))] = prompt
    values = list(series.values())
    for i in range(1, len(values)):  # ffill
        if values[i] is None:
            values[i] = values[i - 1]
    for i in range(len(values) - 2, -1, -1):  # bfill
        if values[i] is None:
            values[i] = values[i + 1]
    return values


def prepare_prompt(prompt: str, max_frames: int, frame_idx: int) -> tuple[str, str]:
    max_f = max_frames - 1
    parsed = prompt
    for match in re.compile(r"`.*?`").finditer(parsed):
        matched = match.group(0)
        text = matched.replace("t", f"{frame_idx}").replace("max_f", f"{max_f}").replace("`", "")
        parsed = parsed.replace(matched, str(numexpr.evaluate(text)))
    positive, *after_neg = parsed.strip().split("--neg")
    return positive.strip(), "".join(after_neg).strip()


def seeds(settings: dict, seed: int) -> dict[int, int]:
    """The seed of each diffused frame (0, cadence, 2 cadence, ...), by seed.py's next_seed."""
    max_frames = int(settings["max_frames"])
    cadence = int(settings.get("diffusion_cadence", 1))
    behavior = settings.get("seed_behavior", "iter")
    every = int(settings.get("seed_iter_N", 1))
    out, internal = {}, 0
    series = schedule(settings, "seed_schedule", seed) if behavior == "schedule" else None
    for frame in range(0, max_frames, cadence):
        if series is not None:
            seed = int(series[frame])
        out[frame] = seed
        if behavior == "iter":
            seed += 1 if internal % every == 0 else 0
            internal += 1
        elif behavior == "ladder":
            seed += 2 if internal == 0 else -1
            internal = 1 if internal == 0 else 0
        elif behavior == "alternate":
            seed += 1 if internal == 0 else -1
            internal = 1 if internal == 0 else 0
    return out
