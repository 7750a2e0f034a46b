"""How fast the preview path runs: warp, colour match and preview generate, feeding back.

    .venv/bin/python bench/preview_speed.py [--size 512] [--frames 240] [--still docs/img/preview_still.png]

Renders the Giro d'Italia timeline (DESIGN.md) with the preview engine and prints milliseconds per
frame for each stage and frames per second of the three together (video encoding is not included).
--still also writes the docs' sample: a road by the sea beside a mountain road, 40 frames in.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from PIL import Image

from ride.camera import warp
from ride.engines.preview import PreviewEngine
from ride.plan import CAMERA_COLUMNS, NUMERIC_COLUMNS, Conditioning, Morph, Plan, Settings, Source, Weighted
from ride.renderer.color import ColorReference

GIRO = [  # (key frame, prompt, morph frames)
    (0, "a wide street in a rural town in Tuscany, springtime", 0),
    (25, "a road in the countryside, in Tuscany, springtime", 10),
    (50, "a road by the sea, trees on the right, sunny day, Italy", 10),
    (100, "a road going up a mountain, Dolomites, sunny day", 0),
    (150, "a road descending a mountain, Dolomites, Italy", 0),
    (175, "a road in the countryside, cypress trees, Tuscany", 0),
    (225, "a narrow road through a medieval town in Tuscany, sunny day", 0),
]


def giro_plan(size: int, frames: int) -> Plan:
    conditioning = []
    for i in range(frames):
        index = max(k for k, (key, _, _) in enumerate(GIRO) if key <= i)
        sources = (Weighted(Source("prompt", GIRO[index][1]), 1.0),)
        morph = None
        if index + 1 < len(GIRO) and GIRO[index + 1][2] and i >= GIRO[index + 1][0] - GIRO[index + 1][2]:
            key, text, length = GIRO[index + 1]
            morph = Morph(sources, 1 - (key - i) / length, "slerp")
            sources = (Weighted(Source("prompt", text), 1.0),)
        conditioning.append(Conditioning(sources, morph))
    columns = {name: np.zeros(frames) for name in NUMERIC_COLUMNS + CAMERA_COLUMNS}
    seconds = np.arange(frames) / 12
    columns.update(seed=1234 + np.arange(frames), strength=np.full(frames, 0.35), steps=np.full(frames, 30),
                   zoom=np.full(frames, 1.01), focus_x=np.full(frames, 0.5), focus_y=np.full(frames, 0.62),
                   pan_y=0.3 * np.sin(2 * np.pi * seconds / 8))
    settings = Settings(width=size, height=size, length=frames, fps=12)
    return Plan(settings, columns, conditioning, [""] * frames, np.ones(frames, dtype=bool))


def still(prompt: str, size: int, frames: int = 40) -> np.ndarray:
    plan = giro_plan(size, frames)
    plan.conditioning = [Conditioning((Weighted(Source("prompt", prompt), 1.0),))] * frames
    engine = PreviewEngine()
    engine.prepare(plan)
    image = None
    for frame in plan.frames():
        image = engine.generate(frame, None if image is None else warp(image, frame.camera))
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--frames", type=int, default=240)
    parser.add_argument("--still", help="also write the sea road / mountain road sample here")
    args = parser.parse_args()
    if args.still:
        pair = [still(GIRO[2][1], args.size), still(GIRO[3][1], args.size)]
        Image.fromarray(np.concatenate(pair, axis=1)).save(args.still)
    plan = giro_plan(args.size, args.frames)
    engine = PreviewEngine()
    started = time.perf_counter()
    engine.prepare(plan)
    prepare = time.perf_counter() - started
    stages = ("warp", "colour match", "preview generate")
    wall, cpu = {name: [] for name in stages}, {name: [] for name in stages}
    previous, reference = None, None
    for frame in plan.frames():
        marks = [(time.perf_counter(), time.thread_time())]
        init = None if previous is None else warp(previous, frame.camera)
        marks.append((time.perf_counter(), time.thread_time()))
        image = engine.generate(frame, init)
        marks.append((time.perf_counter(), time.thread_time()))
        if reference is None:
            reference = ColorReference(image, "lab")
        else:
            image = reference.match(image)
        marks.append((time.perf_counter(), time.thread_time()))
        previous = image
        if frame.index > 0:  # frame 0 has no warp and builds the colour reference
            for name, (start, end) in zip(("warp", "preview generate", "colour match"), zip(marks, marks[1:])):
                wall[name].append(end[0] - start[0])
                cpu[name].append(end[1] - start[1])
    print(f"preview path, {args.size}x{args.size}, {args.frames} frames fed back (prepare {prepare * 1000:.0f} ms)")
    print("  wall ms/frame: mean, median, p95; CPU ms/frame (what a busy machine cannot inflate)")
    for name in stages:
        ms, cpu_ms = np.array(wall[name]) * 1000, np.array(cpu[name]) * 1000
        print(f"  {name:<17} {ms.mean():6.2f} {np.median(ms):6.2f} {np.percentile(ms, 95):6.2f}   cpu {cpu_ms.mean():6.2f}")
    total, total_cpu = (sum(np.mean(t[name]) for name in stages) for t in (wall, cpu))
    print(f"  together          {total * 1000:6.2f} ms = {1 / total:.0f} fps"
          f"   cpu {total_cpu * 1000:6.2f} ms = {1 / total_cpu:.0f} fps")


if __name__ == "__main__":
    main()
