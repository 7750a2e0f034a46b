"""Engines turn (init image, frame parameters, conditioning) into an image.

Everything else (warping, colour matching, noise, loop blending, cadence) lives in
ride/renderer/, once, for every engine. An engine implements this small protocol:

    name: str
    identity() -> dict[str, str]      what the frame cache keys on (model, revision, dtype...)
    prepare(plan) -> None             load weights, encode every distinct source once; raise
                                      RideRenderError here, before frame 0, for any setup problem
    generate(frame, init) -> image    init is None for a frame made from nothing (txt2img),
                                      else the uint8 HxWx3 image to re-diffuse (img2img);
                                      returns uint8 HxWx3 of the plan's size
    close() -> None                   free the model and its (GPU) memory; idempotent. A closed
                                      engine may be prepared again (it loads again)

Optional: an engine that knows how far away what it painted is may also provide

    depth(frame) -> float32 HxW       for the frame it made (after generate), larger is farther, in
                                      the engine's own units (preview: camera heights, the sky 1e4);
                                      a consumer (the 3D camera) rescales it, e.g. to a median of 100

and callers test for it with `getattr(engine, "depth", None)`. The preview engine has it.

Optional: an engine that starts each frame from latent noise may let the caller give that noise:

    noise_shape(plan) -> (C, H, W)    the shape of a frame's noise (diffusers: 4, height/8, width/8)
    generate(frame, init, noise=arr)  arr: float32 unit Gaussian of that shape, used instead of the
                                      noise the frame's seed would draw: img2img's forward noise at
                                      the first timestep, or the starting latents of a frame made
                                      from nothing. Same noise, same frame.

and callers test for it with `getattr(engine, "noise_shape", None)`. ride gives it when the script says
where the noise goes (`seed N flow`, `loop circle`, ride/renderer/frame_noise.py); the preview engine
takes it too, as its brush texture (its shape: 3, height/2, width/2).

Images are numpy uint8 arrays (height, width, 3). torch lives only in diffusion/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..errors import NO_SPAN, Problem, RideError, RideRenderError
from ..plan import FramePlan, Plan

ENGINES = ("preview", "diffusers")


class Engine(Protocol):
    name: str

    def identity(self) -> dict[str, str]: ...

    def prepare(self, plan: Plan) -> None: ...

    def generate(self, frame: FramePlan, init: np.ndarray | None) -> np.ndarray: ...

    def close(self) -> None: ...


def choose_engine_name(plan: Plan, engine: str | None = None, model: str | None = None) -> str:
    """The engine a render uses: the command line wins, then the script, then 'preview'
    unless a model is named (a model means the user wants Stable Diffusion)."""
    name = engine or plan.settings.engine
    if name in (None, "", "auto"):
        name = "diffusers" if (model or plan.settings.model) else "preview"
    if name not in ENGINES:
        raise RideRenderError(f"unknown engine '{name}'; expected one of: {', '.join(ENGINES)}")
    return name


@dataclass(frozen=True)
class EngineChoice:
    """What a render's engine is: equal choices can share one engine (and its loaded model)."""

    name: str
    model: str | None
    device: str | None


def choose_engine(plan: Plan, engine: str | None = None, model: str | None = None,
                  device: str | None = None) -> EngineChoice:
    """The engine, model and device a render uses: the command line's, else the script's."""
    return EngineChoice(choose_engine_name(plan, engine, model), model or plan.settings.model, device)


def make_engine(plan: Plan, engine: str | None = None, model: str | None = None,
                device: str | None = None, **options) -> Engine:
    """The engine for a plan. `options` go to the diffusers engine (dtype, attention_slicing,
    vae_tiling, cpu_offload, single_file_config); the preview engine needs none."""
    choice = choose_engine(plan, engine, model, device)
    if choice.name == "preview":
        from .preview import PreviewEngine

        return PreviewEngine()
    try:
        from .diffusion import DiffusersEngine
    except ImportError as error:
        raise RideRenderError(
            f"the diffusers engine needs torch and diffusers ({error.name} is not installed)",
        ) from None
    return DiffusersEngine(model=choice.model, device=choice.device, base_dir=plan.settings.base_dir, **options)


def check_engine_options(plan: Plan) -> list[Problem]:
    """The engines' own checks of a plan's options, for `ride check` (no torch is imported):
    each problem points at the setting's line in the script."""
    from .checkpoints import distilled_steps_problem, scheduler_name

    problems = []
    try:
        name = scheduler_name(plan.settings.scheduler)
    except RideError as error:
        problem = error.problems[0]
        problems.append(Problem(problem.message, plan.settings.spans.get("scheduler", NO_SPAN), problem.hint,
                                code="R601"))
    else:
        problems += [p for p in [distilled_steps_problem(plan, name)] if p]
    return problems
