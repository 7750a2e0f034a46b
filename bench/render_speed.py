"""Preview render + encode speed, and peak memory of a long render.

    .venv/bin/python bench/render_speed.py [--frames 240] [--long 2000]

1. scenes/giro.ride at 512x512 through `ride.render` into an mp4, first 240 frames: frames per
   second with the frame cache (the default) and with --no-cache. Target >= 30 fps, goal 60.
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


def render_speed(frames: int) -> None:
    import ride

    with tempfile.TemporaryDirectory() as folder:
        scene = Path(folder) / "giro.ride"
        shutil.copy(ROOT / "scenes" / "giro.ride", scene)
        for label, options in (("with the frame cache", {}), ("with --no-cache", {"use_cache": False})):
            began = time.perf_counter()
            result = ride.render(scene, Path(folder) / f"giro-{len(options)}.mp4", engine="preview",
                                 frames=(0, frames), **options)
            seconds = time.perf_counter() - began
            print(f"render + encode, {frames} frames at 512x512, {label}: {seconds:.2f} s = "
                  f"{frames / seconds:.1f} fps  (target >= 30, goal 60; {result.rendered} rendered)")


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
    args = parser.parse_args()
    render_speed(args.frames)
    if args.long:
        peak_memory(args.long)


if __name__ == "__main__":
    main()
