"""Preview render + encode speed, and peak memory of a long render.

    .venv/bin/python bench/render_speed.py [--frames 240] [--long 2000]

1. scenes/giro.ride at 512x512 through `ride.render` into an mp4, first 240 frames: frames per
   second with the frame cache (the default) and with --no-cache, then a bare encode of the same
   frames (already made, held in memory) through the same video writer, in the same run: ride's
   share of that ceiling (issue 20: at least 0.5; 120 fps on a quiet machine). Each is the best
   of --repeat runs (the machine is shared: the best is the least disturbed); CPU ms per frame
   of this process and of ffmpeg say what a busy machine cannot inflate.
2. A 2000-frame preview render at 512x512 in a fresh process: its peak resident memory.
   Target < 1 GB.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LONG_SCENE = """size 512x512
seed 5 iter
camera {{ zoom 1.01; focus 0.5, 0.62 }}
timeline {{
  0    "a road in the countryside, in Tuscany, springtime"
  500  "a road by the sea, trees on the right, sunny day"   morph 24
  1000 "a road going up a mountain, Dolomites"             morph 24
  1500 "a narrow road through a medieval town at night"    morph 24
  {n} end
}}
loop close 48
"""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(work, frames: int, repeat: int) -> tuple[float, float, float]:
    """Best frames per second of `work()` over `repeat` runs, and that run's CPU ms per frame
    (this process, ffmpeg)."""
    best = (0.0, 0.0, 0.0)
    for _ in range(repeat):
        began, cpu, child = time.perf_counter(), own_cpu(), children_cpu()
        work()
        fps = frames / (time.perf_counter() - began)
        if fps > best[0]:
            best = (fps, (own_cpu() - cpu) * 1000 / frames, (children_cpu() - child) * 1000 / frames)
    return best


def render_speed(frames: int, repeat: int) -> None:
    import ride
    from ride.api import load_plan
    from ride.engines.preview import PreviewEngine
    from ride.outputs.video import VideoWriter
    from ride.renderer.request import RenderRequest
    from ride.renderer.store import DEFAULT_FOLDER, FrameStore

    with tempfile.TemporaryDirectory() as folder:
        scene = Path(folder) / "giro.ride"
        shutil.copy(ROOT / "scenes" / "giro.ride", scene)
        cache = Path(folder) / DEFAULT_FOLDER
        rows = {}
        for label, options in (("with the frame cache", {}), ("with --no-cache", {"use_cache": False})):
            def work(options=options):
                shutil.rmtree(cache, ignore_errors=True)  # every run renders every frame
                ride.render(scene, Path(folder) / "giro.mp4", engine="preview", frames=(0, frames), **options)
            rows[label] = timed(work, frames, repeat)
        # the same frames, read back from the cache the first row filled, encoded bare
        ride.render(scene, engine="preview", frames=(0, frames), write_video=False)
        plan = load_plan(RenderRequest(scene))
        store = FrameStore(cache, PreviewEngine().identity())
        images = [store.get(key) for key in plan.keys()[:frames]]
        size = (plan.settings.width, plan.settings.height)

        def bare():
            writer = VideoWriter(str(Path(folder) / "bare.mp4"), plan.fps, size)
            for image in images:
                writer.write(image)
            writer.close()
        rows["bare encode of the same frames"] = timed(bare, frames, repeat)
        ceiling = rows["bare encode of the same frames"][0]
        print(f"render + encode, {frames} frames of scenes/giro.ride at 512x512, best of {repeat}:")
        for label, (fps, cpu, ffmpeg) in rows.items():
            print(f"  {label:<32} {fps:6.1f} fps  {fps / ceiling:5.2f} of the bare encode   "
                  f"CPU ms/frame: ride {cpu:5.1f}, ffmpeg {ffmpeg:4.1f}")


def peak_memory(frames: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        scene = Path(folder) / "long.ride"
        scene.write_text(LONG_SCENE.format(n=frames))
        code = ("import resource, ride; r = ride.render(%r, engine='preview'); "
                "print(r.frames, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)") % str(scene)
        began = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        count, peak_kb = out.split()
        print(f"{count} preview frames at 512x512 rendered and encoded in {time.perf_counter() - began:.1f} s; "
              f"peak resident memory {int(peak_kb) / 1024:.0f} MB  (target < 1 GB)")
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"(largest child process, ffmpeg included: {children:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=240)
    parser.add_argument("--long", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    render_speed(args.frames, args.repeat)
    if args.long:
        peak_memory(args.long)


if __name__ == "__main__":
    main()
