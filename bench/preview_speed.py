"""How fast the preview path runs: preview generate, warp and colour match, feeding back.

    .venv/bin/python bench/preview_speed.py [--size 512] [--frames 240] [--still docs/img/preview_still.png]

Renders the Giro d'Italia timeline (DESIGN.md) with the preview engine through the renderer's own
feedback loop (tests/builders.py: warp, colour match, noise, engine, as `ride render` does; no
cache, no video) and prints milliseconds per frame: the engine's `generate`, the rest of the loop,
and frames per second of both. Then it times the warp and the LAB colour match alone on the
rendered frames, to show where the loop's share goes.
--still also writes the docs' sample: a road by the sea beside a mountain road, 40 frames in.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the shared plan and loop builders

import builders as B  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from ride.camera import warp  # noqa: E402
from ride.engines.preview import PreviewEngine  # noqa: E402
from ride.renderer.color import ColorReference  # noqa: E402

GIRO = [  # (key frame, prompt, morph frames)
    (0, "a wide street in a rural town in Tuscany, springtime", 0),
    (25, "a road in the countryside, in Tuscany, springtime", 10),
    (50, "a road by the sea, trees on the right, sunny day, Italy", 10),
    (100, "a road going up a mountain, Dolomites, sunny day", 0),
    (150, "a road descending a mountain, Dolomites, Italy", 0),
    (175, "a road in the countryside, cypress trees, Tuscany", 0),
    (225, "a narrow road through a medieval town in Tuscany, sunny day", 0),
]
CAMERA = {"zoom": 1.01, "focus": "0.5, 0.62", "pan": "0, 0.3*sin(2*pi*sec/8)"}


def giro_plan(size: int, frames: int, prompt: str | None = None):
    """The Giro timeline cut to `frames` (or one prompt held throughout)."""
    timeline = prompt or [f'{key} "{text}"' + (f" morph {morph} slerp" if morph else "")
                          for key, text, morph in GIRO if key < frames]
    return B.make_plan(timeline, length=frames, size=size, fps=12, seed="1234 iter", strength=0.35, steps=30,
                       noise=0, camera=CAMERA)


class TimedEngine:
    """The preview engine, timing its own calls (wall and CPU) so the loop's share is the rest."""

    def __init__(self):
        self.engine = PreviewEngine()
        self.prepare_s = 0.0
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def prepare(self, plan) -> None:
        began = time.perf_counter()
        self.engine.prepare(plan)
        self.prepare_s += time.perf_counter() - began

    def generate(self, frame, init):
        wall, cpu = time.perf_counter(), time.thread_time()
        image = self.engine.generate(frame, init)
        self.wall.append(time.perf_counter() - wall)
        self.cpu.append(time.thread_time() - cpu)
        return image

    def __getattr__(self, name):  # identity() and the rest of the protocol, untimed
        return getattr(self.engine, name)


def timed(work, items) -> tuple[np.ndarray, np.ndarray]:
    """Milliseconds per item of `work(item)`: wall and CPU."""
    wall, cpu = [], []
    for item in items:
        w, c = time.perf_counter(), time.thread_time()
        work(item)
        wall.append(time.perf_counter() - w)
        cpu.append(time.thread_time() - c)
    return np.array(wall) * 1000, np.array(cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--frames", type=int, default=240)
    parser.add_argument("--still", help="also write the sea road / mountain road sample here")
    args = parser.parse_args()
    if args.still:
        pair = [B.feedback_render(giro_plan(args.size, 40, GIRO[i][1]), PreviewEngine())[-1] for i in (2, 3)]
        Image.fromarray(np.concatenate(pair, axis=1)).save(args.still)
    plan = giro_plan(args.size, args.frames)
    engine = TimedEngine()
    began, began_cpu = time.perf_counter(), time.thread_time()
    frames = B.feedback_render(plan, engine)
    total = (time.perf_counter() - began - engine.prepare_s) * 1000 / len(frames)
    total_cpu = (time.thread_time() - began_cpu) * 1000 / len(frames)
    generate, generate_cpu = np.array(engine.wall) * 1000, np.array(engine.cpu) * 1000
    print(f"preview path, {args.size}x{args.size}, {args.frames} frames fed back by the renderer's loop "
          f"(prepare {engine.prepare_s * 1000:.0f} ms)")
    print("  wall ms/frame: mean, median, p95; CPU ms/frame (what a busy machine cannot inflate)")
    rows = [("preview generate", generate, generate_cpu)]
    # the stages alone, on the rendered frames (frame 0 has no warp and builds the colour reference)
    reference = ColorReference(frames[0], "lab")
    rows.append(("warp", *timed(lambda i: warp(frames[i - 1], plan.camera(i)), range(1, len(frames)))))
    rows.append(("colour match", *timed(lambda i: reference.match(frames[i]), range(1, len(frames)))))
    for name, ms, cpu_ms in rows:
        print(f"  {name:<17} {ms.mean():6.2f} {np.median(ms):6.2f} {np.percentile(ms, 95):6.2f}   cpu {cpu_ms.mean():6.2f}")
    loop, loop_cpu = total - generate.mean(), total_cpu - generate_cpu.mean()
    print(f"  rest of the loop  {loop:6.2f}                 cpu {loop_cpu:6.2f}   (warp, colour match, noise)")
    print(f"  together          {total:6.2f} ms = {1000 / total:.0f} fps"
          f"   cpu {total_cpu:6.2f} ms = {1000 / total_cpu:.0f} fps")


if __name__ == "__main__":
    main()
