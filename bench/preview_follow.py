"""How much of the camera's motion the preview engine's videos show (issue 11's *follow*).

    .venv/bin/python bench/preview_follow.py [--frames 48] [--size 512] [--scenes [--scene-frames 0]]

Renders through the real renderer (warp, colour match, noise, engine) and measures each pair of
consecutive frames against the plan's camera (ride/engines/preview/follow.py): 1 means the picture moves
exactly as the camera says. First three test motions at default strength (0.35) and noise (0.02): a pan
of 6 px/frame, a rotation of 1 deg/frame and a zoom of 1.01/frame (target >= 0.9 each); with --scenes,
every scene of scenes/ (its first --frames frames, at the scene's own size).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import ride
from ride.engines.preview.follow import measure_follow, phase_shift

ROOT = Path(__file__).resolve().parent.parent
MOTIONS = {  # name -> camera block
    "pan 6 px/frame": "pan 6, 0",
    "rotate 1 deg/frame": "rotate 1",
    "zoom 1.01/frame": "zoom 1.01",
}
TEST_SCENE = """size {size}x{size}
seed {seed}
camera {{ {camera}; focus 0.5, 0.62 }}
timeline {{
  0 "a road in the countryside, trees, hills, sunny day"
  {frames} end
}}
"""


def render_frames(scene: Path, frames: int, engine: str = "preview") -> tuple[list[np.ndarray], ride.Plan]:
    plan = ride.load(scene)
    stop = min(frames, len(plan))
    out: dict[int, np.ndarray] = {}
    ride.render(scene, frames=(0, stop), engine=engine, write_video=False, use_cache=False,
                on_frame=lambda event: out.setdefault(event.index, event.image))
    return [out[i] for i in range(stop)], plan


def follow_of(scene: Path, frames: int, engine: str = "preview"):
    images, plan = render_frames(scene, frames, engine)
    return measure_follow(images, [plan.camera(i) for i in range(len(images))]), images


def test_motions(size: int, frames: int, seed: str = "1234") -> dict[str, float]:
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, camera in MOTIONS.items():
            scene = Path(folder) / "motion.ride"
            scene.write_text(TEST_SCENE.format(size=size, seed=seed, camera=camera, frames=frames))
            follow, images = follow_of(scene, frames)
            figures[name] = follow.follow
            extra = ""
            if name.startswith("pan"):
                shifts = [phase_shift(a, b)[0] for a, b in zip(images, images[1:])]
                extra = f"; phase correlation finds {np.mean(shifts):.2f} px/frame"
            part = {"pan": follow.pan, "rotate": follow.rotate, "zoom": follow.zoom}[name.split()[0]]
            print(f"  {name:<20} follow {follow.follow:5.2f}  (share of its {name.split()[0]}: {part:.2f}{extra})")
    return figures


def calibration(size: int) -> None:
    """What the measure reads for exact warps of one frame: the ceiling of what an engine can score."""
    from ride.camera import warp
    from ride.engines.preview.follow import fit_motion
    from ride.plan import Camera

    with tempfile.TemporaryDirectory() as folder:
        scene = Path(folder) / "still.ride"
        scene.write_text(TEST_SCENE.format(size=size, seed="1234", camera="zoom 1", frames=2))
        image = render_frames(scene, 1)[0][0]
    cameras = {"pan": Camera(pan_x=6, focus_y=0.62), "rotate": Camera(rotate=1, focus_y=0.62),
               "zoom": Camera(zoom=1.01, focus_y=0.62)}
    found = {name: fit_motion(image, warp(image, camera), (0.5, 0.62)) for name, camera in cameras.items()}
    print(f"  calibration, exact warps of one frame read: pan {found['pan'].pan_x / 6:.2f}, "
          f"rotate {found['rotate'].rotate:.2f}, zoom {np.log(found['zoom'].zoom) / np.log(1.01):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--scenes", action="store_true", help="also every scene in scenes/")
    parser.add_argument("--scene-frames", type=int, help="frames per scene (default --frames; 0: all)")
    parser.add_argument("--engine", default="preview")
    args = parser.parse_args()
    began = time.perf_counter()
    calibration(args.size)
    for seed in ("1234", "1234 iter"):
        print(f"test motions, {args.size}x{args.size}, {args.frames} frames, strength 0.35, noise 0.02, seed {seed}:")
        test_motions(args.size, args.frames, seed)
    if args.scenes:
        count = args.frames if args.scene_frames is None else args.scene_frames or 10 ** 6
        print(f"scenes, first {count} frames each:" if count < 10 ** 6 else "scenes, every frame:")
        for scene in sorted((ROOT / "scenes").glob("*.ride")):
            follow, _ = follow_of(scene, count, args.engine)
            parts = ", ".join(f"{name} {value:.2f}" for name, value in
                              (("zoom", follow.zoom), ("rotate", follow.rotate), ("pan", follow.pan)) if value is not None)
            print(f"  {scene.stem:<10} follow {follow.follow:5.2f}  ({parts})")
    print(f"({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
