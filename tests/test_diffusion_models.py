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


def plan_for(folder, timeline="a road", *, length: int = 1, extra: str = "", **settings):
    values = {"model": "sd15", "seed": "7 iter", "strength": 0.6, "guidance": 3, "steps": 4, "noise": 0}
    values.update(settings)
    values = {name: value for name, value in values.items() if value is not None}
    return B.compile_scene(B.scene_text(timeline, length=length, size=32, extra=extra, **values), folder, "test.ride")


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


# -- VAE, LoRA, embeddings, clip skip -------------------------------------------------------------------


@pytest.fixture(scope="module")
def parts(families) -> Path:
    from diffusers import UNet2DConditionModel

    T.save_vae(families / "vae")
    T.save_vae(families / "vae16", latent_channels=16)
    T.save_lora(families / "ink.safetensors", UNet2DConditionModel.from_pretrained(families / "sd15" / "unet"))
    T.save_embedding(families / "ink-style.safetensors")
    return families


def test_another_vae_changes_the_frames_and_one_that_does_not_fit_is_a_positioned_error(parts):
    engine = DiffusersEngine()
    plain = B.feedback_render(plan_for(parts, length=2), engine)
    other = B.feedback_render(plan_for(parts, length=2, vae='"vae"'), engine)
    assert other[1].tobytes() != plain[1].tobytes()
    assert B.feedback_render(plan_for(parts, length=2), engine)[1].tobytes() == plain[1].tobytes()  # swapped back
    for value, words in (("vae16", "16-channel latents"), ("nowhere/vae.safetensors", "not found"),
                         ("someone/vae", "neither a folder here nor in the local Hugging Face cache")):
        with pytest.raises(RideRenderError) as caught:
            engine.prepare(plan_for(parts, vae=f'"{value}"'))
        problem = caught.value.problems[0]
        assert words in problem.message and problem.span.line == 8 and problem.hint, problem  # the vae line


def test_a_lora_with_a_tracked_weight(parts):
    engine = DiffusersEngine()
    plain = B.feedback_render(plan_for(parts, length=3), engine)
    text = B.scene_text("a road", length=3, size=32, model="sd15", seed="7 iter", strength=0.6, guidance=3,
                        steps=4, noise=0, tracks={"lora_scale": ["0 0", "2 1"]}, extra='lora "ink.safetensors" 0.8')
    plan = B.compile_scene(text, parts, "test.ride")
    assert [f.lora_scale for f in plan.frames()] == [0.0, 0.5, 1.0]
    weights = []
    engine.prepare(plan)
    set_adapters = engine.pipeline.unet.set_adapters
    engine.pipeline.unet.set_adapters = lambda names, w: (weights.append(list(w)), set_adapters(names, w))
    frames = B.feedback_render(plan, engine)
    assert weights == [[0.0], [0.4], [0.8]]  # each frame's weight, set once
    assert frames[0].tobytes() == plain[0].tobytes()  # weight 0: the model alone
    assert frames[2].tobytes() != plain[2].tobytes()
    assert plan.keys()[1] != plan_for(parts, length=3).keys()[1]
    bad = B.compile_scene(text.replace("ink.safetensors", "vae16/config.json"), parts, "test.ride")
    with pytest.raises(RideRenderError) as caught:
        DiffusersEngine().prepare(bad)
    assert caught.value.problems[0].code == "R662" and caught.value.problems[0].span.line > 0


def test_an_embedding_is_a_word_of_the_prompt(parts):
    engine = DiffusersEngine()
    plan = plan_for(parts, "a road, ink-style", extra='embedding "ink-style.safetensors"')
    engine.prepare(plan)
    with_embedding = engine._conditioner.text("a road, ink-style").windows
    assert "ink-style" in engine.pipeline.tokenizer.get_vocab()
    engine.prepare(plan_for(parts, "a road, ink-style"))  # the line removed: the word is letters again
    assert "ink-style" not in engine.pipeline.tokenizer.get_vocab()
    assert not np.array_equal(engine._conditioner.text("a road, ink-style").windows, with_embedding)


def test_clip_skip_reads_an_earlier_layer(parts):
    engine = DiffusersEngine()
    engine.prepare(plan_for(parts))
    last = engine._conditioner.text("a road").windows
    engine.prepare(plan_for(parts, clip_skip=1))
    skipped = engine._conditioner.text("a road").windows
    assert skipped.shape == last.shape and not np.array_equal(skipped, last)
    encoder = engine.pipeline.text_encoder
    ids = engine.pipeline.tokenizer("a road", padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad():  # as diffusers' encode_prompt(clip_skip=1): the penultimate layer, normed
        expected = encoder.final_layer_norm(encoder(ids, output_hidden_states=True).hidden_states[-2])
    assert np.allclose(skipped, expected.numpy(), atol=1e-5)


# -- SDXL: the vit-h IP-Adapters, the refiner --------------------------------------------------------


@pytest.fixture(scope="module")
def sdxl_parts(families) -> Path:
    """h94/IP-Adapter's layout: sdxl_models/image_encoder is ViT-bigG (here 48 wide), models/image_encoder
    ViT-H (32 wide), and sdxl_models/ip-adapter_sdxl_vit-h.safetensors reads the ViT-H one."""
    from diffusers import UNet2DConditionModel

    unet = UNet2DConditionModel.from_pretrained(families / "sdxl" / "unet")
    ip = families / "ip"
    T.save_ip_adapter(ip, unet, "sdxl_models", "ip-adapter_sdxl.safetensors", image_dim=48)
    T.save_ip_adapter(ip, unet, "models", "unused.safetensors", image_dim=32)  # the ViT-H encoder
    T.save_ip_adapter(ip, unet, "sdxl_models", "ip-adapter_sdxl_vit-h.safetensors", image_dim=32)
    T.save_image(families / "still.png")
    T.save_sdxl_refiner(families / "refiner")
    return families


@pytest.mark.parametrize("weights", ["ip-adapter_sdxl.safetensors", "ip-adapter_sdxl_vit-h.safetensors"])
def test_sdxl_ip_adapters_find_their_image_encoder(sdxl_parts, weights):
    timeline = ['0 "a road" * 0.5 + image "still.png" * 0.5']
    plan = plan_for(sdxl_parts, timeline, length=2, model="sdxl", adapter=f'"ip" "{weights}" "sdxl_models"')
    engine = DiffusersEngine()
    frames = B.feedback_render(plan, engine)
    width = 32 if "vit-h" in weights else 48
    assert engine.pipeline.image_encoder.config.projection_dim == width and frames[1].shape == (32, 32, 3)


def test_an_adapter_of_another_family_is_an_error_at_the_adapter_line(sdxl_parts):
    plan = plan_for(sdxl_parts, ['0 image "still.png"'], model="sd15", adapter='"ip" "ip-adapter_sdxl.safetensors" '
                    '"sdxl_models"')
    with pytest.raises(RideRenderError) as caught:
        DiffusersEngine().prepare(plan)
    problem = caught.value.problems[0]
    assert problem.code == "R609" and problem.span.line == 8 and "SDXL" in problem.hint


def test_the_sdxl_refiner_makes_frame_0_and_repaints(sdxl_parts):
    engine = DiffusersEngine()
    frames = B.feedback_render(plan_for(sdxl_parts, length=3, model="refiner", negative="blurry"), engine)
    assert type(engine.pipeline).__name__ == "StableDiffusionXLImg2ImgPipeline"
    assert engine.pipeline.config.requires_aesthetics_score and len({f.tobytes() for f in frames}) == 3


# -- single files ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(families) -> Path:
    from diffusers import StableDiffusionPipeline
    from safetensors.torch import load_file, save_file

    sd = StableDiffusionPipeline.from_pretrained(families / "sd15")
    T.save_single_file(sd, families / "sd15.safetensors")
    torch.save({"state_dict": load_file(families / "sd15.safetensors")}, families / "sd15.ckpt")
    # headers that diffusers' model-type inference reads: a refiner's OpenCLIP-bigG, an SD 2 UNet's 1024 width
    save_file({"conditioner.embedders.0.model.transformer.resblocks.9.mlp.c_proj.bias": torch.zeros(4)},
              families / "refiner.safetensors")
    save_file({"model.diffusion_model.input_blocks.2.1.transformer_blocks.0.attn2.to_k.weight": torch.zeros(8, 1024)},
              families / "sd2.safetensors")
    (families / "broken.safetensors").write_bytes(b"not a checkpoint")
    return families


def test_single_file_types_are_diffusers_own(files):
    from ride.engines.diffusion.loading import single_file_type

    assert single_file_type(str(files / "refiner.safetensors")) == "xl_refiner"
    assert single_file_type(str(files / "sd2.safetensors")) == "v2"
    assert single_file_type(str(files / "sd15.ckpt")) == "v1"


def test_a_ckpt_file_renders_like_its_safetensors(files):
    engine = DiffusersEngine(single_file_config=str(files / "sd15"))
    a = B.feedback_render(plan_for(files, length=2, model="sd15.safetensors"), engine)
    b = B.feedback_render(plan_for(files, length=2, model="sd15.ckpt"), DiffusersEngine(
        single_file_config=str(files / "sd15")))
    assert [f.tobytes() for f in a] == [f.tobytes() for f in b]


@pytest.mark.parametrize(("model", "code", "words"), [
    ("sd2.safetensors", "R664", "Stable Diffusion 2 file"),
    ("broken.safetensors", "R604", "cannot read 'broken.safetensors' as a checkpoint"),
])
def test_single_files_that_cannot_load_say_why_at_the_model_line(files, model, code, words):
    with pytest.raises(RideRenderError) as caught:
        DiffusersEngine().prepare(plan_for(files, model=model))
    problem = caught.value.problems[0]
    assert problem.code == code and words in problem.message and problem.span.line == 2 and problem.hint


# -- a quiet engine; errors mid-render; compile --------------------------------------------------------


def test_loading_is_quiet_unless_verbose(families, capfd):
    DiffusersEngine().prepare(plan_for(families, model="sdxl"))
    quiet = capfd.readouterr()
    assert "Loading pipeline components" not in quiet.err + quiet.out
    DiffusersEngine(verbose=True).prepare(plan_for(families, model="sdxl"))
    loud = capfd.readouterr()
    assert "Loading pipeline components" in loud.err + loud.out


def test_a_failure_inside_diffusers_mid_render_is_a_ride_error(families):
    engine = DiffusersEngine()
    plan = plan_for(families, length=2)
    engine.prepare(plan)

    def broken(*args, **kwargs):
        raise ValueError("something deep inside")

    engine.pipeline.unet.forward = broken
    with pytest.raises(RideRenderError) as caught:
        engine.generate(plan.frame(1), INIT)
    problem = caught.value.problems[0]
    assert problem.code == "R665" and "frame 1" in problem.message and "something deep" in problem.message
    assert "--verbose" in problem.hint
    engine.verbose = True
    with pytest.raises(ValueError):
        engine.generate(plan.frame(1), INIT)


def test_compile_compiles_the_unet_once_in_place(families, monkeypatch):
    calls = []
    monkeypatch.setattr(torch.nn.Module, "compile", lambda self, **kw: calls.append((type(self).__name__, kw)))
    engine = DiffusersEngine(compile=True)
    engine.prepare(plan_for(families))
    engine.prepare(plan_for(families, "another prompt", scheduler="ddim"))
    assert calls == [("UNet2DConditionModel", {"dynamic": False})] and engine.identity()["compile"] == "True"


def test_sdxl_in_float16_keeps_its_vae_in_float32_without_casts_per_frame(families):
    engine = DiffusersEngine(dtype="float16")
    plan = plan_for(families, length=2, model="sdxl", guidance=1)
    engine.prepare(plan)
    pipe = engine.pipeline
    assert pipe.vae.config.force_upcast and pipe.vae.dtype == torch.float32 and pipe.unet.dtype == torch.float16
    casts = []
    original = pipe.vae.to
    pipe.vae.to = lambda *a, **kw: (casts.append((a, kw)), original(*a, **kw))[1]
    frames = B.feedback_render(plan, engine)
    assert casts == [] and frames[1].dtype == np.uint8 and frames[1].shape == (32, 32, 3)


def test_ride_check_knows_lcm_step_limit(tmp_path):
    from ride.engines import check_engine_options

    plan = B.compile_scene(B.scene_text("a road", length=2, size=32, scheduler="lcm", steps=60), tmp_path)
    (problem,) = check_engine_options(plan)
    assert problem.code == "R660" and problem.span.line == 3 and "at most 50" in problem.hint
