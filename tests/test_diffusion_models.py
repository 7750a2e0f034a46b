"""The diffusers engine on tiny pipelines built with the structure and scheduler configs of real
checkpoints (tests/tiny_sd.py): SD 1.5, SD 2 v-prediction, SDXL base, refiner and Turbo, LCM; strength,
the caller's noise, adapters, VAEs, LoRAs and single files. Nothing is downloaded."""

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytestmark = pytest.mark.slow

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

import builders as B  # noqa: E402
import tiny_sd as T  # noqa: E402

torch.set_num_threads(1)

from ride.engines.diffusion import DiffusersEngine  # noqa: E402
from ride.errors import RideRenderError  # noqa: E402

FAMILIES = {"sd15": T.save_sd, "sd2": T.save_sd, "sdxl": T.save_sdxl, "sdxl_turbo": T.save_sdxl, "lcm": T.save_sd}
# (steps, strength): the docs' settings, the issue's cases, and the low strengths of a closing loop
GRID = [(20, 0.5), (30, 0.35), (4, 0.5), (2, 0.5), (4, 0.1), (2, 0.7), (4, 0.6), (30, 0.05), (4, 0.02)]


@pytest.fixture(scope="module")
def families(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("families")
    for family, save in FAMILIES.items():
        save(base / family, family)
    return base


def plan_for(folder, timeline="a road", *, length: int = 1, **settings):
    values = {"model": "sd15", "seed": "7 iter", "strength": 0.6, "guidance": 3, "steps": 4, "noise": 0}
    values.update(settings)
    values = {name: value for name, value in values.items() if value is not None}
    return B.compile_scene(B.scene_text(timeline, length=length, size=32, **values), folder, "test.ride")


def first_timesteps(pipe, call) -> list[float]:
    """The timestep of every UNet call `call()` makes."""
    seen = []
    handle = pipe.unet.register_forward_pre_hook(lambda m, a, kw: seen.append(float(a[1])), with_kwargs=True)
    try:
        call()
    finally:
        handle.remove()
    return seen


INIT = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)


def diffusers_first_timestep(pipe, steps, strength) -> float:
    """What a bare diffusers img2img call starts at (the figures before the fix); nan: no step at all."""
    embeds = torch.zeros(1, 77, pipe.unet.config.cross_attention_dim)
    seen = first_timesteps(pipe, lambda: pipe(prompt_embeds=embeds, image=INIT[None] / 255.0, strength=strength,
                                              num_inference_steps=steps, guidance_scale=1, output_type="latent",
                                              **_xl_args(pipe)))
    return seen[0] if seen else float("nan")


def _xl_args(pipe):
    if "XL" not in type(pipe).__name__:
        return {}
    return {"pooled_prompt_embeds": torch.zeros(1, pipe.text_encoder_2.config.projection_dim)}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_first_unet_timestep_lands_at_strength(families, family):
    """Recorded, for every family's shipped scheduler: the first UNet timestep of an img2img frame is at
    least 0.8 x strength x 1000 (and not far above), where diffusers' own img2img is far below."""
    engine, bare = DiffusersEngine(), _bare(families / family)
    rows = []
    for steps, strength in GRID:
        plan = plan_for(families, model=family, steps=steps, strength=strength, guidance=1)
        engine.prepare(plan)
        after = first_timesteps(engine.pipeline, lambda p=plan: engine.generate(p.frame(0), INIT))
        before = diffusers_first_timestep(bare, steps, strength)
        rows.append((steps, strength, before, after[0], len(after)))
        target = strength * 1000
        assert 0.8 * target <= after[0] <= 1.25 * target, (family, steps, strength, after)
        assert len(after) <= max(1, int(steps * strength)) + 2  # about the steps asked for, not a stretch
    print(f"\n{family}: steps x strength: diffusers' first t -> ride's first t (UNet calls)")
    for steps, strength, before, after, calls in rows:
        print(f"  {steps:2d} x {strength:<4}: {before:6.0f} -> {after:6.0f} ({calls})")
    if family == "sdxl":  # the recorded figures (leading spacing), for the record
        figures = {(s, st): b for s, st, b, _, _ in rows}
        assert figures[(20, 0.5)] == 451 and figures[(4, 0.5)] == 251 and figures[(2, 0.5)] == 1


def _bare(folder: Path):
    """A plain diffusers img2img pipeline of the folder, with its shipped scheduler."""
    from diffusers import AutoPipelineForImage2Image

    bare = AutoPipelineForImage2Image.from_pretrained(folder)
    bare.set_progress_bar_config(disable=True)
    return bare


@pytest.mark.parametrize("scheduler", ["lcm", "tcd"])
def test_lcm_and_tcd_close_a_loop_at_low_strength(families, scheduler):
    """The docs' LCM settings with `loop close 30`: strengths down to a few hundredths, no crash."""
    text = B.scene_text("a road", length=40, size=32, model="lcm", scheduler=scheduler, steps=4, strength=0.5,
                        guidance=1, noise=0, seed="7 iter", extra="loop close 30")
    plan = B.compile_scene(text, families, "test.ride")
    frames = B.feedback_render(plan, DiffusersEngine())
    assert len(frames) == 40 and all(f.shape == (32, 32, 3) for f in frames)


def test_lcm_with_more_steps_than_its_distillation_is_a_positioned_error(families):
    plan = plan_for(families, model="lcm", steps=60)
    with pytest.raises(RideRenderError) as caught:
        DiffusersEngine().prepare(plan)
    problem = caught.value.problems[0]
    assert problem.code == "R660" and "50" in problem.message and problem.span.line > 0 and problem.hint


# -- the caller's noise (seed flow, noise walks: issue 13) ------------------------------------------------


def test_the_caller_gives_the_frames_latent_noise(families):
    engine = DiffusersEngine()
    plan = plan_for(families, strength=0.5)
    engine.prepare(plan)
    shape = engine.noise_shape(plan)
    assert shape == (4, 16, 16)  # the tiny VAE scales by 2
    noise = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    frame = plan.frame(0)
    given = engine.generate(frame, INIT, noise=noise)
    assert np.array_equal(engine.generate(frame, INIT, noise=noise), given)  # the noise decides
    assert not np.array_equal(engine.generate(frame, INIT), given)  # not the seed's
    other = engine.generate(frame, INIT, noise=-noise)
    assert not np.array_equal(other, given)
    # a frame made from nothing starts from the given noise too
    assert np.array_equal(engine.generate(frame, None, noise=noise), engine.generate(frame, None, noise=noise))
    assert not np.array_equal(engine.generate(frame, None, noise=noise), engine.generate(frame, None))
