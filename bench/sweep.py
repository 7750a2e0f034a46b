"""A 4-job sweep on this machine: one after another, `--jobs 2`, and a local Ray (`--ray local`).

    .venv/bin/python bench/sweep.py [--frames 96] [--size 256]

The sweep is `--set seed=1,2 --set late=0.35,0.55` over a scene whose `late` is keyed at half
its length: the two seeds share nothing, the two `late`s of a seed share their first half, so
4 jobs make 3 x frames (not 4 x) and the shared halves are rendered once whatever the runner.
Each runner starts from an empty cache, through the `ride` command in a fresh process (the
time includes starting the workers, and Ray). The frames of every runner are compared.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENE = """size {size}x{size}
let late = 0.45
track strength {{
  0 0.35
  {half} late hold
}}
camera {{ zoom 1.01; focus 0.5, 0.62 }}
timeline {{
  0 "a road in the countryside, in Tuscany, springtime"
  {half} "a road by the sea, trees on the right, sunny day" morph 12
  {frames} end
}}
"""
RUNNERS = (("one after another", []), ("--jobs 2", ["--jobs", "2"]), ("--ray local", ["--ray", "local"]))


def run(folder: Path, name: str, options: list[str]) -> tuple[float, str, dict[str, bytes]]:
    cache = folder / f"cache-{name}"
    command = [sys.executable, "-m", "ride.cli", "render", str(folder / "sweep.ride"), "--set", "seed=1,2",
               "--set", "late=0.35,0.55", "--cache", str(cache), "-o", f"{folder}/{name}/", *options]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0"}
    began = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode:
        raise SystemExit(f"{name} failed:\n{done.stdout}\n{done.stderr}")
    frames = {p.name: p.read_bytes() for p in cache.rglob("*.frame")}
    return seconds, done.stdout, frames


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=96)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "sweep.ride").write_text(SCENE.format(size=args.size, frames=args.frames, half=args.frames // 2))
        print(f"4-job sweep (seed=1,2 x late=0.35,0.55), {args.frames} frames each at {args.size}x{args.size}, "
              f"preview engine, {os.cpu_count()} CPUs; frames to make: {3 * args.frames} (not {4 * args.frames})")
        reference = None
        for label, options in RUNNERS:
            seconds, out, frames = run(folder, label.split()[0].strip("-"), options)
            rendered = sum(int(line.split(" rendered)")[0].rsplit(", ", 1)[1]) for line in out.splitlines()
                           if " rendered)" in line)
            same = "reference" if reference is None else ("same frames" if frames == reference else "FRAMES DIFFER")
            reference = reference or frames
            print(f"  {label:<18} {seconds:6.1f} s   {rendered} frames rendered, {len(frames)} in the cache, "
                  f"{rendered / seconds:5.1f} frames/s   ({same})")


if __name__ == "__main__":
    main()
