"""How fast ride.outputs.video encodes: 240 frames at 512x512 into .mp4, .webm, .gif and PNG frames.

Run: python bench/encode_speed.py [frames] [size]
Prints, per output: frames per second counting only the writer's time (write() calls and
close()), the same with the time to make each frame included (a stand-in renderer at ~100
fps, so ffmpeg works while the next frame is made), the CPU the ffmpeg child used per frame
(the renderer shares those cores), the file size; then the peak RSS. Frames are smooth moving
waves plus grain, regenerated each frame and never kept. Other load on the machine skews it.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ride.outputs.video import VideoWriter, probe


def frame_source(size: int):
    """Yields distinct frames: waves drifting over time, with grain like a generated image's."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / (size / 8)
    grain = np.random.default_rng(0).integers(-12, 12, (size + 64, size + 64, 3), dtype=np.int16)
    t = 0
    while True:
        waves = np.stack(
            [
                np.sin(x + t * 0.11) * np.cos(y * 0.7 - t * 0.05),
                np.sin(x * 0.5 + y * 0.9 + t * 0.07),
                np.cos(np.hypot(x - 4, y - 4) - t * 0.13),
            ],
            axis=-1,
        )
        shift = t % 64
        pixels = 127.5 + 100 * waves + grain[shift : shift + size, shift : shift + size]
        yield np.clip(pixels, 0, 255).astype(np.uint8)
        t += 1


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def encode(path: str, count: int, size: int) -> tuple[float, float, float]:
    """(writer frames per second, frames per second with frame making, ffmpeg CPU ms per frame)."""
    frames = frame_source(size)
    spent, cpu, begin = 0.0, children_cpu(), time.perf_counter()
    writer = VideoWriter(path, 24, (size, size))
    for _ in range(count):
        frame = next(frames)
        start = time.perf_counter()
        writer.write(frame)
        spent += time.perf_counter() - start
    start = time.perf_counter()
    writer.close()
    end = time.perf_counter()
    spent += end - start
    assert probe(path).frames == count
    return count / spent, count / (end - begin), (children_cpu() - cpu) / count * 1000


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 240
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 512
    print(f"{count} frames at {size}x{size}")
    with tempfile.TemporaryDirectory() as folder:
        encode(f"{folder}/warm-up.mp4", 2, 16)  # moviepy's first import (~0.4 s) is not timed
        for name in ("out.mp4", "out.webm", "out.gif", "frames/"):
            fps, overall, ffmpeg_ms = encode(f"{folder}/{name}", count, size)
            megabytes = (
                sum(p.stat().st_size for p in Path(folder, name).glob("**/*")) / 1e6
                if name.endswith("/")
                else Path(folder, name).stat().st_size / 1e6
            )
            print(
                f"  {name:9s} writer {fps:6.1f} fps   with frame making {overall:5.1f} fps"
                f"   ffmpeg {ffmpeg_ms:5.1f} ms CPU/frame   {megabytes:6.1f} MB"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  peak RSS {peak:.0f} MB (one frame is {size * size * 3 / 1e6:.1f} MB; all of them {count * size * size * 3 / 1e6:.0f} MB)"
    )


if __name__ == "__main__":
    main()
