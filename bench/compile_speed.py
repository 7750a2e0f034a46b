"""Compile speed: a 100,000-frame scene with 10 expression tracks and 200 timeline keys.

Prints the compile time (target < 0.5 s, goal 0.2 s), the time to evaluate the same tracks
frame by frame in a Python loop (a small AST interpreter), their ratio, and the wall time of
`ride check scenes/giro.ride` (target < 0.5 s).   Run: python bench/compile_speed.py
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ride.compile.compiler import compile_text
from ride.compile.curves import ease
from ride.language import nodes as n
from ride.language.syntax import parse

FRAMES = 100_000
TRACKS = ["strength", "guidance", "noise", "adapter_scale", "zoom", "pan_x", "pan_y", "rotate", "focus_x", "focus_y"]
VALUES = {"strength": "0.3 + 0.1*sin(2*pi*sec/{k})", "guidance": "7 + 0.5*cos(t/{k})",
          "noise": "0.02 + 0.01*abs(sin(u*{k}))", "adapter_scale": "0.5 + 0.2*sin(beat/{k})",
          "zoom": "1 + 0.01*where(sin(sec/{k}) > 0, 1, 0.5)", "pan_x": "2*sin(2*pi*sec/{k})",
          "pan_y": "clip(t/{k}, -1, 1)", "rotate": "0.2*sin(t/{k})", "focus_x": "0.5 + 0.05*sin(sec/{k})",
          "focus_y": "0.6 + 0.02*cos(sec/{k})"}


def scene() -> str:
    lines = ["fps 24", "bpm 100", "size 512x512"]
    for name in TRACKS:
        keys = [f"  {pct}% {VALUES[name].format(k=i + 3)} {tr}"
                for i, (pct, tr) in enumerate([(0, ""), (25, "ease"), (50, "cubic"), (75, "ease in"), (100, "linear")])]
        lines += [f"track {name} {{", *keys, "}"]
    lines.append("timeline {")
    for i in range(200):
        morph = " morph 24 slerp" if i % 2 else ""
        lines.append(f'  {i * 500} "prompt number {i}, a road, trees"{morph}')
    lines += [f"  {FRAMES} end", "}", "loop close 48"]
    return "\n".join(lines) + "\n"


def python_loop(text: str) -> float:
    """The same tracks, one frame at a time, as a per-frame renderer would do without arrays."""
    script = parse(text)
    tracks = [s for s in script.statements if isinstance(s, n.Track)]
    began = time.perf_counter()
    fps, bpm, last = 24.0, 100.0, FRAMES - 1
    for t in range(FRAMES):
        env = {"t": t, "sec": t / fps, "u": t / last, "n": FRAMES, "fps": fps, "beat": t / fps * bpm / 60}
        for track in tracks:
            keys = track.block.keys
            frames = [k.time.amount / 100 * last for k in keys]
            i = max(j for j in range(len(keys)) if frames[j] <= t)
            if i == len(keys) - 1:
                _eval(keys[i].value, env)
                continue
            p = (t - frames[i]) / (frames[i + 1] - frames[i])
            w = float(ease(keys[i + 1].transition, np.array([p]))[0])
            (1 - w) * _eval(keys[i].value, env) + w * _eval(keys[i + 1].value, env)
    return time.perf_counter() - began


_FUNCS = {"sin": math.sin, "cos": math.cos, "abs": abs, "where": lambda c, a, b: a if c else b,
          "clip": lambda x, lo, hi: min(max(x, lo), hi)}
_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
        ">": lambda a, b: a > b}


def _eval(e, env):
    if isinstance(e, n.Num):
        return e.value
    if isinstance(e, n.Name):
        return {"pi": math.pi, "e": math.e}.get(e.id, env.get(e.id))
    if isinstance(e, n.Call):
        return _FUNCS[e.func](*(_eval(a, env) for a in e.args))
    if isinstance(e, n.Unary):
        return -_eval(e.operand, env)
    return _OPS[e.op](_eval(e.left, env), _eval(e.right, env))


def main() -> None:
    text = scene()
    compile_text(text)  # warm the parser cache, as a long-running process (watch mode) has it
    runs = []
    for _ in range(5):
        began = time.perf_counter()
        plan = compile_text(text)
        runs.append(time.perf_counter() - began)
    best = min(runs)
    print(f"compile {FRAMES:,} frames, {len(TRACKS)} expression tracks, 200 timeline keys: "
          f"best {best:.3f} s, median {sorted(runs)[2]:.3f} s  (target < 0.5 s, goal 0.2 s)")
    assert len(plan) == FRAMES
    loop = python_loop(text)
    print(f"same tracks frame by frame in a Python loop: {loop:.2f} s  -> arrays are {loop / best:.0f}x faster")
    began = time.perf_counter()
    keys = plan.keys()
    print(f"(chained frame keys for all frames, computed lazily at render time: {time.perf_counter() - began:.2f} s,"
          f" {len(keys):,} keys)")
    giro = Path(__file__).resolve().parent.parent / "scenes" / "giro.ride"
    walls = []
    for _ in range(5):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ride.cli", "check", str(giro)], check=True, capture_output=True)
        walls.append(time.perf_counter() - began)
    print(f"`ride check scenes/giro.ride` wall time: best {min(walls):.3f} s, median {sorted(walls)[2]:.3f} s"
          "  (target < 0.5 s)")


if __name__ == "__main__":
    main()
