"""Silky motion (issue 13): flicker, seams, detail and colour drift, configurations side by side.

    .venv/bin/python bench/silky_motion.py [--quick] [--no-diffusers]

Every figure comes from the renderer's own loop (tests/builders.py: feedback_render) and
ride/renderer/motion_metrics.py, which knows the camera exactly (no flow is estimated):
- E_warp: the temporal warping error of Lai et al. (ECCV 2018) with the camera's motion as the flow:
  mean |frame k moved by the camera - frame k+1| (levels) over the pixels that stay in view. Lower is
  steadier; note that a softer picture also scores lower, so read it with the detail column.
- detail: mean |Laplacian| of the luma; `closing`/`in-between` ratios are against the scene's median
  frame or the two diffused neighbours.
- seam: the cut from the last frame to the first over the median cut, both after the camera's motion.
- drift: distance of the last tenth's mean colour from frame 0's (levels).
Sections: 1. the noise itself (warped vs bilinear); 2. seed fixed / iter / flow; 3. loop close old vs
new; 4. cadence plain vs aligned; each on the preview and (unless --no-diffusers) a tiny diffusers
pipeline built in code (tests/tiny_sd.py: random weights, so its pictures mean nothing, but the
pipeline's noise, scheduler and VAE are real); 5. mode walk + loop circle: frame n against frame 0.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import builders as B  # noqa: E402

import ride  # noqa: E402
from ride.camera import camera_matrix, warp_by  # noqa: E402
from ride.engines.preview import PreviewEngine  # noqa: E402
from ride.plan import Camera  # noqa: E402
from ride.renderer import feedback as F  # noqa: E402
from ride.renderer import loop as L  # noqa: E402
from ride.renderer import motion_metrics as M  # noqa: E402
from ride.renderer.noise_warp import bilinear_warp_noise, gaussian, neighbour_correlation, warp_noise  # noqa: E402


def noise_section() -> None:
    print("1. the noise after 300 frames of zoom 1.02 + rotate 0.7 deg (64x64x4; white noise: std 1, corr 0)")
    matrix = camera_matrix(Camera(zoom=1.02, rotate=0.7, focus_x=0.45, focus_y=0.6), 64, 64)
    rng = np.random.default_rng(5)
    warped = bilinear = gaussian(1, 0, (64, 64, 4))
    began = time.perf_counter()
    for _ in range(300):
        warped = warp_noise(warped, matrix, rng)
    spent = (time.perf_counter() - began) / 300
    for _ in range(300):
        bilinear = bilinear_warp_noise(bilinear, matrix)
    for name, noise in (("integral warp (ride)", warped), ("bilinear (control)", bilinear)):
        print(f"   {name:22} std {noise.std():.3f}  mean {noise.mean():+.3f}  neighbour corr "
              f"{neighbour_correlation(noise):+.3f}")
    noise = gaussian(2, 0, (64, 64, 4))
    moved = warp_noise(noise, camera_matrix(Camera(pan_x=3, pan_y=-2), 64, 64), rng)
    print(f"   whole-pixel pan (3, -2): max |frame k - frame k-1 shifted| = {np.abs(moved[:-2, 3:] - noise[2:, :-3]).max():.1e}"
          f"; {spent * 1000:.1f} ms a frame at 64x64x4")
    for size in (128, 256):
        big = gaussian(3, 0, (size, size, 3))
        began = time.perf_counter()
        warp_noise(big, camera_matrix(Camera(zoom=1.01, rotate=0.3), size, size), rng)
        print(f"   {size}x{size}x3 (the preview's noise grid for {2 * size}x{2 * size}): "
              f"{(time.perf_counter() - began) * 1000:.0f} ms a frame")


def measure(frames: list[np.ndarray], plan: ride.Plan) -> str:
    details = [M.detail(f) for f in frames]
    return (f"E_warp {M.warp_error(frames, plan):5.2f}  detail {np.median(details):5.2f}  "
            f"drift {M.colour_drift(frames):5.2f}")


def seeds_section(engine_factory, scene: str, frames: int, size: int | None, label: str) -> None:
    print(f"2. seed modes on {label}: {scene} (first {frames} frames)")
    text = (ROOT / "scenes" / scene).read_text()
    for mode in ("fixed", "iter", "flow"):
        plan = ride.compile_text(_with_seed(text, mode, size), str(ROOT / "scenes" / scene))
        out = B.feedback_render(plan, engine_factory(), stop=min(frames, len(plan)))
        print(f"   seed {mode:5}  {measure(out, plan)}")


def _with_seed(text: str, mode: str, size: int | None) -> str:
    lines = []
    for line in text.splitlines():
        if line.startswith("seed"):
            line = "seed 1234" + ("" if mode == "fixed" else f" {mode}")
        if size and line.startswith("size"):
            line = f"size {size}x{size}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _old_diffuse(loop, index, previous, previous_image):
    """The loop closure before issue 13: pixels cross-dissolved with the reflect-padded anchor, the
    noise added first, strength and noise eased down by (1 - loop_blend)."""
    plan = loop.plan
    frame = plan.frame(index)
    if frame.loop_blend > 0:
        keep = 1.0 - frame.loop_blend
        frame = replace(frame, strength=frame.strength * keep, noise=frame.noise * keep)
    cameras = [plan.camera(k) for k in range(previous + 1, index + 1)]
    image = warp_by(previous_image, F.motion(cameras, plan), plan.settings.border)
    if loop.reference is not None:
        image = loop.reference.match(image, plan.settings.color_amount)
    image = F.add_noise(image, frame, loop.noise)
    if frame.loop_blend > 0:
        anchor, _ = F.loop_anchor(loop.first, loop.remaining(index), plan.settings.border)
        image = F.blend(image, anchor, frame.loop_blend)
    return loop.generate(frame, image)


class _OldPreview(PreviewEngine):
    """The preview without closing views: its painting kept going forward while the loop closed."""

    def prepare(self, plan):
        super().prepare(plan)
        self._closing = {}


def closing_figures(frames: list[np.ndarray], plan: ride.Plan, opened: list[np.ndarray]) -> str:
    """The closing frames' detail and motion (the change into each) against the scene's median frame, and
    against the same frames rendered without `loop close` (what the scene would have had there)."""
    n, closing = len(frames), plan.settings.loop_frames
    details = np.array([M.detail(f) for f in frames])
    changes = np.array([M.change(frames[k - 1], frames[k]) for k in range(1, n)])
    d = details[n - closing:] / np.median(details)
    c = changes[n - closing - 1:] / np.median(changes)
    open_d = details[n - closing:] / np.array([M.detail(f) for f in opened[n - closing:]])
    open_c = changes[n - closing - 1:] / np.array([M.change(opened[k - 1], opened[k]) for k in range(n - closing, n)])
    plain = M.change(frames[-1], frames[0]) / np.median(changes)
    return (f"detail min {d.min():.2f} mean {d.mean():.2f} (vs open {open_d.min():.2f}/{open_d.mean():.2f}) | "
            f"motion min {c.min():.2f} mean {c.mean():.2f} (vs open {open_c.min():.2f}/{open_c.mean():.2f}) | "
            f"seam {M.seam(frames, plan):.2f} (plain difference {plain:.2f})")


def loop_section(scenes: list[str], engine_factory, old_engine_factory, label: str, size: int | None) -> None:
    print(f"3. loop close, old vs new, on {label}: the closing frames' detail and motion against the median frame "
          "(and against the same frames rendered open); the seam after the camera's motion")
    for scene in scenes:
        path = ROOT / "scenes" / scene if not scene.startswith("/") else Path(scene)
        text = path.read_text()
        if size:
            text = "\n".join(f"size {size}x{size}" if line.startswith("size") else line for line in text.splitlines())
        plan = ride.compile_text(text, str(path))
        opened_plan = ride.compile_text("\n".join(line for line in text.splitlines() if not line.startswith("loop")),
                                        str(path))
        opened = B.feedback_render(opened_plan, engine_factory())
        for name, diffuse, factory in (("old", _old_diffuse, old_engine_factory), ("new", L._diffuse, engine_factory)):
            kept, L._diffuse = L._diffuse, diffuse
            try:
                frames = B.feedback_render(plan, factory())
            finally:
                L._diffuse = kept
            print(f"   {path.name:10} {name}: {closing_figures(frames, plan, opened)}")


def cadence_section(scene: str, frames: int, engine_factory, label: str, size: int | None) -> None:
    print(f"4. cadence in-betweens, plain vs aligned, on {label}: {scene} (first {frames} frames)")
    path = ROOT / "scenes" / scene
    text = path.read_text()
    if size:
        text = "\n".join(f"size {size}x{size}" if line.startswith("size") else line for line in text.splitlines())
    plan = ride.compile_text(text, str(path))
    stop = min(frames, len(plan))
    for aligned in (False, True):
        kept = L.in_between
        L.in_between = lambda *args, _aligned=aligned: F.in_between(*args, aligned=_aligned)
        try:
            out = B.feedback_render(plan, engine_factory(), stop=stop)
        finally:
            L.in_between = kept
        details = [M.detail(f) for f in out]
        diffused = [int(d) for d in np.flatnonzero(plan.diffuse[:stop])]
        ratios = [details[k] / ((details[a] + details[b]) / 2) for a, b in zip(diffused, diffused[1:])
                  for k in range(a + 1, b)]
        print(f"   {'aligned' if aligned else 'plain':7}  in-between detail / keyframes min {min(ratios):.2f} "
              f"mean {np.mean(ratios):.2f}  E_warp {M.warp_error(out, plan):.2f}")
    every = ride.compile_text(text.replace("cadence  3", "cadence  1"), str(path))
    out = B.feedback_render(every, engine_factory(), stop=stop)
    print(f"   cadence 1 (every frame diffused, for reference)  E_warp {M.warp_error(out, every):.2f}")


def walk_section(folder: Path, engine_factory) -> None:
    print("5. mode walk + loop circle 8 on the tiny diffusers pipeline, 9 frames (a morph there and back)")
    timeline = ['0 "a road"', '3 "a mountain" morph 2', '7 "a road" morph 3']
    values = {"model": "sd", "seed": "7", "guidance": 3, "steps": 4, "noise": 0, "mode": "walk"}
    plan = B.compile_scene(B.scene_text(timeline, length=9, size=32, extra="loop circle 8", **values), folder, "w.ride")
    frames = B.feedback_render(plan, engine_factory())
    print(f"   max |frame 8 - frame 0| = {int(np.abs(frames[8].astype(int) - frames[0]).max())} levels; "
          f"frames 1..7 differ from frame 0 by {min(int(np.abs(f.astype(int) - frames[0]).max()) for f in frames[1:8])}"
          " levels or more")


def tiny_scene(folder: Path, name: str, *, length: int, extra: str = "", **values) -> Path:
    settings = {"model": "sd", "seed": "7", "strength": 0.5, "guidance": 3, "steps": 4, "noise": 0.02, **values}
    text = B.scene_text(['0 "a road"', f'{length // 2} "a mountain" morph {length // 4}'], length=length, size=64,
                        camera={"zoom": 1.02, "pan": "0.7*sin(2*pi*t/n), 0"}, extra=extra, **settings)
    path = folder / name
    path.write_text(text)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames, smaller frames")
    parser.add_argument("--no-diffusers", action="store_true", help="the preview only")
    args = parser.parse_args()
    quick = args.quick
    preview = PreviewEngine
    noise_section()
    seeds_section(preview, "giro.ride", 48 if quick else 120, 256 if quick else None, "the preview")
    loop_section(["loop.ride", "giro.ride"], preview, _OldPreview, "the preview", 256 if quick else None)
    cadence_section("pass.ride", 48 if quick else 216, preview, "the preview", None)
    if args.no_diffusers:
        return
    import tiny_sd as T
    import torch

    from ride.engines.diffusion import DiffusersEngine

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        T.save_sd(folder / "sd")
        engine = DiffusersEngine()  # one pipeline for every run, as watch mode keeps it
        print("-- the tiny diffusers pipeline (64x64, random weights) --")
        for mode in ("fixed", "iter", "flow"):
            path = tiny_scene(folder, f"seed_{mode}.ride", length=24, seed="1234" + ("" if mode == "fixed" else " " + mode))
            plan = ride.load(path)
            print(f"2. seed {mode:5}  {measure(B.feedback_render(plan, engine), plan)}")
        tiny_scene(folder, "close.ride", length=24, extra="loop close 8")
        loop_section([str(folder / "close.ride")], lambda: engine, lambda: engine, "the tiny pipeline", None)
        path = tiny_scene(folder, "cadence.ride", length=24, cadence=3)
        text = path.read_text().replace("cadence 3", "cadence  3")
        path.write_text(text)
        plan = ride.load(path)
        for aligned in (False, True):
            kept = L.in_between
            L.in_between = lambda *a, _aligned=aligned: F.in_between(*a, aligned=_aligned)
            try:
                out = B.feedback_render(plan, engine)
            finally:
                L.in_between = kept
            det = [M.detail(f) for f in out]
            ratios = [det[k] / ((det[k - k % 3] + det[min(k - k % 3 + 3, 23)]) / 2) for k in range(1, 23) if k % 3]
            print(f"4. cadence {'aligned' if aligned else 'plain':7} in-between detail / keyframes min "
                  f"{min(ratios):.2f} mean {np.mean(ratios):.2f}  E_warp {M.warp_error(out, plan):.2f}")
        walk_section(folder, lambda: engine)


if __name__ == "__main__":
    main()
