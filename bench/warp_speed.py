"""How fast the camera's warp runs, 2D and 3D, and what its kernel does to detail over many frames.

    .venv/bin/python bench/warp_speed.py [--size 512] [--repeats 60]

Times, at size x size (default 512x512), on uint8 RGB frames:
- the 2D warp (zoom and pan; zoom and rotation), as the renderer warps a frame each diffused frame;
- the 3D warp with a depth map (a street's depth: near at the bottom, far at the horizon, with bumps):
  the sampling map (ride.camera.sampling_map) and the whole warp (map + remap);
- the 3D warp with a flat depth.
Each figure is per frame: CPU milliseconds on one core (OpenCV held to one thread; steady on a busy
machine) and the wall-clock minimum and median with OpenCV's own threads. Then the detail kept by the
kernel: a textured frame panned by a third of a pixel 30 times (mean absolute step between neighbours,
before and after; bicubic alone grows it, bilinear alone loses it).
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from ride.camera import DETAIL, LINEAR, frame_motion, sampling_map, scaled_depth, warp, warp_by
from ride.plan import Camera


def timed(work, repeats: int) -> tuple[float, float, float]:
    """(CPU ms on one thread, wall min ms, wall median ms) per call."""
    work()
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    cpu = []
    for _ in range(repeats):
        began = time.process_time()
        work()
        cpu.append(time.process_time() - began)
    cv2.setNumThreads(threads)
    wall = []
    for _ in range(repeats):
        began = time.perf_counter()
        work()
        wall.append(time.perf_counter() - began)
    return 1000 * float(np.median(cpu)), 1000 * min(wall), 1000 * float(np.median(wall))


def street_depth(size: int) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size] / size
    raw = np.where(y > 0.45, 2.0 / np.maximum(y - 0.45, 0.01), 1e4) * (1 + 0.2 * np.sin(20 * x))
    return scaled_depth(raw.astype(np.float32))


def detail(image: np.ndarray) -> float:
    grey = image.astype(np.float32).mean(axis=2)
    return float(np.abs(np.diff(grey, axis=1)).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args()
    size, repeats = args.size, args.repeats
    rng = np.random.default_rng(0)
    image = cv2.resize(rng.integers(0, 256, (size // 4, size // 4, 3), dtype=np.uint8), (size, size),
                       interpolation=cv2.INTER_CUBIC)
    depth = street_depth(size)
    three_d = Camera(move_x=0.3, move_z=2.0, turn_y=0.4, zoom=1.005, rotate=0.2)
    motion = frame_motion(three_d, size, size)
    cases = [
        ("2D warp: zoom 1.01, pan", lambda: warp(image, Camera(zoom=1.01, pan_x=0.3, pan_y=-0.2))),
        ("2D warp: zoom 1.01, rotate 0.5", lambda: warp(image, Camera(zoom=1.01, rotate=0.5))),
        ("2D warp, bilinear: zoom 1.01, rotate 0.5",
         lambda: warp_by(image, frame_motion(Camera(zoom=1.01, rotate=0.5), size, size), interpolation=LINEAR)),
        ("3D sampling map, depth map", lambda: sampling_map(motion, size, size, depth)),
        ("3D warp, depth map (map + remap)", lambda: warp(image, three_d, depth=depth)),
        ("3D warp, depth map, bilinear", lambda: warp_by(image, motion, depth=depth, interpolation=LINEAR)),
        ("3D warp, flat depth 100", lambda: warp(image, three_d, depth=100.0)),
    ]
    print(f"warp at {size}x{size}, uint8 RGB; ms per frame: CPU (one thread), wall min, wall median")
    for name, work in cases:
        cpu, low, middle = timed(work, repeats)
        print(f"  {name:44s} {cpu:6.2f} {low:6.2f} {middle:6.2f}")
    print("the 3D map's depth steps: distance to the surface found by 60 steps, mean and 99th percentile (px)")
    from ride.camera import sampling

    steps = sampling.DEPTH_STEPS
    for camera in (Camera(move_z=2.0), Camera(move_x=1.0, move_z=1.0, turn_y=0.5)):
        moving = frame_motion(camera, size, size)
        sampling.DEPTH_STEPS = 60
        settled = sampling_map(moving, size, size, depth)
        sampling.DEPTH_STEPS = steps
        found = sampling_map(moving, size, size, depth)
        miss = np.hypot(found[0] - settled[0], found[1] - settled[1])
        print(f"  move {camera.move_x:g}, 0, {camera.move_z:g}, turn 0, {camera.turn_y:g}, 0 after {steps} steps"
              f"{'':13s} {miss.mean():6.3f} {np.percentile(miss, 99):6.2f}")
    print("detail kept: a third of a pixel's pan, 30 times (mean step between neighbours)")
    pan = frame_motion(Camera(pan_x=1 / 3, pan_y=0.21), size, size)
    for name, kernel in (("detail (2/3 bicubic + 1/3 bilinear)", DETAIL), ("bilinear", LINEAR), ("bicubic", "cubic")):
        out = image
        for _ in range(30):
            out = cv2.warpAffine(out, np.linalg.inv(pan.affine)[:2], (size, size),
                                 flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT) \
                if kernel == "cubic" else warp_by(out, pan, interpolation=kernel)
        print(f"  {name:44s} {detail(image):6.2f} -> {detail(out):6.2f}")


if __name__ == "__main__":
    main()
