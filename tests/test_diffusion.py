"""The diffusers engine on tiny random pipelines built in code (tests/tiny_sd.py); nothing is downloaded."""

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before huggingface_hub is imported

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytestmark = pytest.mark.slow  # a model per test; conftest.py does not even collect this file under -m "not slow"

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

import builders as B  # noqa: E402
import tiny_sd as T  # noqa: E402

# Tiny models on a shared 2-core machine: thread hand-offs cost ten times the arithmetic.
torch.set_num_threads(1)

from ride.engines.checkpoints import SCHEDULERS  # noqa: E402
from ride.engines.diffusion import DiffusersEngine  # noqa: E402
from ride.engines.morph import image_conditioning, lerp, prompt_conditioning, slerp  # noqa: E402
from ride.errors import RideRenderError  # noqa: E402

ADAPTER = f'"ip" "{T.IP_WEIGHTS}"'  # the `adapter` line's value: repo (a folder here), weights
LONG = "ab " * 80  # 160 tokens with the tiny one-token-per-character vocabulary: 3 windows of 75


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Path:
    """A scene folder: tiny SD and SDXL checkpoints, an IP-Adapter, two stills, an unconditional model."""
    from diffusers import StableDiffusionPipeline

    base = tmp_path_factory.mktemp("models")
    T.save_sd(base / "sd")
    T.save_sdxl(base / "sdxl")
    T.save_unconditional(base / "ddpm")
    sd = StableDiffusionPipeline.from_pretrained(base / "sd")
    T.save_ip_adapter(base / "ip", sd.unet)
    T.save_single_file(sd, base / "sd.safetensors")
    T.save_image(base / "still.png", seed=1)
    T.save_image(base / "other.png", seed=2)
    return base


@pytest.fixture(scope="session")
def engine() -> DiffusersEngine:
    """One engine shared by the tests: each prepares it with its own plan, as `ride render --watch` would."""
    return DiffusersEngine()


def plan_for(models, timeline="a road", *, length: int = 1, **settings):
    """A 32x32 scene in the models folder (`model "sd"` unless told; model=None: no model line)."""
    values = {"model": "sd", "seed": "7 iter", "strength": 0.6, "guidance": 3, "steps": 4, "noise": 0}
    values.update(settings)
    values = {name: value for name, value in values.items() if value is not None}
    return B.compile_scene(B.scene_text(timeline, length=length, size=32, **values), models, "test.ride")


def render(engine, plan):
    return B.feedback_render(plan, engine)


def morphing(plan):
    return [frame for frame in plan.frames() if frame.conditioning.morph is not None]


@contextmanager
def unet_calls(pipe):
    """Capture the keyword arguments of every UNet call."""
    calls = []
    handle = pipe.unet.register_forward_pre_hook(lambda m, a, kw: calls.append(kw), with_kwargs=True)
    try:
        yield calls
    finally:
        handle.remove()


# two prompts, a slerp morph between them, a prompt + image mix, an image key, a lerp morph back
SCENE = ['0 "a wide street in a rural town"',
         '5 "a road in the countryside" morph 4 slerp',
         '6 "a road in the countryside" * 0.7 + image "still.png" * 0.3',
         '8 image "other.png"',
         '10 "a wide street in a rural town" morph 2 lerp']
SCENE_LENGTH = 11


# -- a scene, end to end -------------------------------------------------------------


def test_scene_renders_with_morph_and_image_keys_byte_identically(models, engine):
    plan = plan_for(models, SCENE, length=SCENE_LENGTH, adapter=ADAPTER)
    first = render(engine, plan)
    assert len(first) == SCENE_LENGTH
    assert all(f.shape == (32, 32, 3) and f.dtype == np.uint8 for f in first)
    assert len({f.tobytes() for f in first}) == SCENE_LENGTH  # every frame was repainted
    again = render(DiffusersEngine(), plan)  # a fresh engine, as in a new process, loading the folder again
    assert [f.tobytes() for f in again] == [f.tobytes() for f in first]
    reused = render(engine, plan)  # the same engine: cached embeddings, adapter scale already set
    assert [f.tobytes() for f in reused] == [f.tobytes() for f in first]


def test_prepare_reloads_only_what_changed(models, engine):
    plan = plan_for(models, "a")
    engine.prepare(plan)
    pipe = engine.pipeline
    engine.prepare(plan_for(models, "b", scheduler="ddim"))
    assert engine.pipeline is pipe and type(pipe.scheduler).__name__ == "DDIMScheduler"
    engine.prepare(plan_for(models, "b", model="sdxl"))
    assert engine.pipeline is not pipe and type(engine.pipeline).__name__ == "StableDiffusionXLImg2ImgPipeline"


# -- conditioning ----------------------------------------------------------------------


def test_text_encoder_runs_once_per_distinct_source(models):
    engine = DiffusersEngine()
    engine.prepare(plan_for(models, "warm up"))  # load, so the hook can go on the encoder
    plan = plan_for(models, SCENE, length=SCENE_LENGTH, adapter=ADAPTER, negative="blurry")
    texts = []
    handle = engine.pipeline.text_encoder.register_forward_hook(lambda m, a, out: texts.append(a[0].shape))
    render(engine, plan)
    engine.prepare(plan)  # a re-render (watch mode) encodes nothing again
    engine.generate(plan.frame(9), None)
    handle.remove()
    # two prompts and the negative (the empty prompt, for the image-only key, was encoded while warming up)
    assert len(texts) == 3


@pytest.mark.parametrize("method", ["slerp", "lerp"])
def test_morph_sends_the_interpolated_embeddings_to_the_unet(models, engine, method):
    a, b = "a road by the sea", "a mountain pass"
    timeline = [f'0 "{a}"', f'5 "{b}" morph 4 {method}']
    plan = plan_for(models, timeline, length=6, guidance=1)  # no classifier-free guidance: the UNet sees the prompt only
    engine.prepare(plan)
    pipe = engine.pipeline
    with torch.no_grad():  # diffusers' own encoding is the reference
        ref_a, ref_b = (pipe.encode_prompt(t, "cpu", 1, False)[0].numpy() for t in (a, b))
    init = np.full((32, 32, 3), 128, np.uint8)
    interpolate = slerp if method == "slerp" else lerp
    for frame in morphing(plan):
        with unet_calls(pipe) as calls:
            engine.generate(frame, init)
        sent = calls[0]["encoder_hidden_states"].numpy()
        np.testing.assert_allclose(sent, interpolate(ref_a, ref_b, frame.conditioning.morph.position), atol=1e-5)


def test_sdxl_blends_pooled_embeddings(models, engine):
    a, b = "a road by the sea", "a mountain pass"
    plan = plan_for(models, [f'0 "{a}"', f'5 "{b}" morph 4 slerp'], length=6, model="sdxl", guidance=1)
    frame = morphing(plan)[2]
    position = frame.conditioning.morph.position
    engine.prepare(plan)
    pipe = engine.pipeline
    with torch.no_grad():
        (emb_a, _, pool_a, _), (emb_b, _, pool_b, _) = (
            pipe.encode_prompt(t, device="cpu", do_classifier_free_guidance=False) for t in (a, b))
    with unet_calls(pipe) as calls:
        image = engine.generate(frame, None)  # no init: txt2img
    assert image.shape == (32, 32, 3) and 0 < position < 1
    sent = calls[0]
    np.testing.assert_allclose(sent["encoder_hidden_states"].numpy(),
                               slerp(emb_a.numpy(), emb_b.numpy(), position), atol=1e-5)
    np.testing.assert_allclose(sent["added_cond_kwargs"]["text_embeds"].numpy(),
                               slerp(pool_a.numpy(), pool_b.numpy(), position), atol=1e-5)


def test_sdxl_empty_negative_is_zeros_as_in_diffusers(models, engine):
    plan = plan_for(models, "a road", model="sdxl", guidance=5)
    engine.prepare(plan)
    with unet_calls(engine.pipeline) as calls:
        engine.generate(plan.frame(0), np.zeros((32, 32, 3), np.uint8))
    negative, positive = calls[0]["encoder_hidden_states"]
    assert not negative.any() and positive.any()
    assert not calls[0]["added_cond_kwargs"]["text_embeds"][0].any()


def test_long_prompts_are_windowed_not_truncated(models, engine):
    plan = plan_for(models, [f'0 "{LONG}"', '2 "x" morph 2'], length=3, negative="blurry")
    engine.prepare(plan)
    with unet_calls(engine.pipeline) as calls:
        engine.generate(morphing(plan)[0], np.zeros((32, 32, 3), np.uint8))
    assert calls[0]["encoder_hidden_states"].shape == (2, 3 * 77, T.TEXT_DIM)  # negative padded to 3 windows


def test_image_share_sets_the_adapter_scale(models, engine):
    timeline = ['0 "a road" * 0.75 + image "still.png" * 0.25', '1 image "still.png"', '2 "a road"',
                '7 image "still.png" morph 4']  # frame 5: halfway from "a road" to the image
    plan = plan_for(models, timeline, length=8, adapter=ADAPTER, adapter_scale=0.8)
    engine.prepare(plan)
    init = np.zeros((32, 32, 3), np.uint8)
    scales = []
    for index in (0, 1, 2, 5):
        engine.generate(plan.frame(index), init)
        processor = next(p for p in engine.pipeline.unet.attn_processors.values() if hasattr(p, "scale"))
        scales.append(processor.scale[0])
    assert plan.frame(5).conditioning.morph.position == 0.5
    assert scales == pytest.approx([0.2, 0.8, 0.0, 0.4])


def test_text_and_image_sources_are_split_and_renormalised():
    c = T.cond(T.prompt("a", 0.35), T.prompt("b", 0.35), T.image("x.png", 0.3))
    assert [w.weight for w in prompt_conditioning(c).sources] == pytest.approx([0.5, 0.5])
    images, share = image_conditioning(c)
    assert images.sources[0].weight == 1.0 and share == pytest.approx(0.3)
    # morphing from a prompt to an image: the image is borrowed, its share moves, the prompt goes to ""
    m = T.cond(T.image("x.png"), start=(T.prompt("a"),), position=0.25)
    assert prompt_conditioning(m).sources[0].source.value == ""
    images, share = image_conditioning(m)
    assert images.morph.start == images.sources and share == pytest.approx(0.25)


# -- schedulers and steps -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_every_named_scheduler_renders(models, engine, name):
    plan = plan_for(models, length=2, scheduler=name, steps=3, strength=0.7)
    frames = render(engine, plan)
    assert type(engine.pipeline.scheduler).__name__ == SCHEDULERS[name][0] and frames[1].shape == (32, 32, 3)


def test_low_strength_runs_one_step_at_that_strength_and_zero_strength_keeps_the_image(models, engine):
    plan = plan_for(models, strength=0.1, steps=4, guidance=1)
    engine.prepare(plan)
    init = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    with unet_calls(engine.pipeline) as calls:
        out = engine.generate(plan.frame(0), init)
    assert len(calls) == 1 and not np.array_equal(out, init)
    zero = plan_for(models, strength=0)
    assert np.array_equal(engine.generate(zero.frame(0), init), init)


# -- loading and identity -------------------------------------------------------------------


def test_hub_id_loads_from_the_offline_cache_with_its_commit(models, tmp_path, monkeypatch):
    from huggingface_hub import constants

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "models--ride--tiny-sd"
    shutil.copytree(models / "sd", repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    engine = DiffusersEngine(model="ride/tiny-sd")
    before = engine.identity()  # the renderer reads it before it knows whether the model must load
    assert before | {"diffusers": ""} == {
        "engine": "diffusers", "model": "ride/tiny-sd", "revision": commit, "dtype": "float32",
        "device": "cpu", "scheduler": "", "vae_tiling": "False", "config": "", "diffusers": "",
        "engine_version": before["engine_version"]}
    render(engine, plan_for(models, model=None))
    assert engine.identity() == before


def test_single_file_checkpoint_renders_like_its_folder(models, engine):
    plan = plan_for(models, length=2)
    from_folder = render(engine, plan)
    single = DiffusersEngine(model="sd.safetensors", single_file_config=str(models / "sd"))
    assert [f.tobytes() for f in render(single, plan)] == [f.tobytes() for f in from_folder]


def test_single_file_without_its_configs_offline(models):
    text = error_text(DiffusersEngine(model="sd.safetensors"), plan_for(models, "a"))
    assert "could not load model 'sd.safetensors'" in text and "config files, fetched from the hub once" in text


def test_single_file_and_folder_identities_follow_their_files(models, tmp_path):
    folder = shutil.copytree(models / "sd", tmp_path / "sd")
    shutil.copy(models / "sd.safetensors", tmp_path / "sd.safetensors")
    plan = B.make_plan("a", model="sd", size=32, folder=tmp_path)
    engine = DiffusersEngine(model="sd", base_dir=str(tmp_path))
    before = engine.identity()["revision"]
    engine.prepare(plan)
    assert engine.identity()["revision"] == before and before.startswith("files:")
    os.utime(next((folder / "unet").glob("*.safetensors")), ns=(1, 1))
    assert DiffusersEngine(model="sd", base_dir=str(tmp_path)).identity()["revision"] != before
    single = DiffusersEngine(model="sd.safetensors", base_dir=str(tmp_path)).identity()["revision"]
    assert single.startswith("files:") and single != before
    assert DiffusersEngine(model="gone/sd.ckpt").identity()["revision"] == "missing"


def test_import_ride_engines_does_not_import_torch():
    code = "import sys, ride.engines; assert 'torch' not in sys.modules and 'diffusers' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


# -- errors, before frame 0 -------------------------------------------------------------------


def error_text(engine, plan) -> str:
    with pytest.raises(RideRenderError) as caught:
        engine.prepare(plan)
    return str(caught.value)


def test_missing_model_folder_or_file(models):
    text = error_text(DiffusersEngine(), plan_for(models, "a", model="./nowhere/sd15"))
    assert text.startswith(f"{models / 'test.ride'}: error: model './nowhere/sd15' not found: no such file or folder")
    text = error_text(DiffusersEngine(model="sd15.safetensors"), plan_for(models, "a"))
    assert "model 'sd15.safetensors' not found" in text and "hint:" in text


def test_hub_model_not_in_cache_while_offline(models, tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    text = error_text(DiffusersEngine(), plan_for(models, "a", model="runwayml/sd-nothing"))
    assert ("'runwayml/sd-nothing' is neither a folder here nor in the local Hugging Face cache, and downloads "
            "are off (HF_HUB_OFFLINE)") in text
    assert "`hf download runwayml/sd-nothing`" in text


def test_model_that_cannot_do_img2img(models):
    text = error_text(DiffusersEngine(), plan_for(models, "a", model="ddpm"))
    assert "model 'ddpm' is a DDPMPipeline, which ride cannot use for img2img" in text
    assert "Stable Diffusion 1.x/2.x, SDXL, Turbo or LCM" in text


def test_image_keys_without_an_adapter_use_the_familys_default(models):
    # No `adapter` line: the SD 1.5 reference IP-Adapter is looked for (offline here, so not found).
    text = error_text(DiffusersEngine(), plan_for(models, ['0 image "still.png"']))
    assert "'h94/IP-Adapter' is neither a folder here nor in the local Hugging Face cache" in text
    assert 'adapter "h94/IP-Adapter" "ip-adapter_sd15.safetensors"' in text


def test_missing_image_and_missing_adapter_weights(models, engine):
    shutil.copy(models / "still.png", models / "gone.png")  # there when the script is checked,
    plan = plan_for(models, ['0 image "gone.png"'], adapter=ADAPTER)
    (models / "gone.png").unlink()  # gone when the render starts
    text = error_text(engine, plan)
    assert "image key 'gone.png': no such file" in text
    text = error_text(engine, plan_for(models, ['0 image "still.png"'], adapter='"ip" "nope.bin"'))
    assert "could not load IP-Adapter 'ip' models/nope.bin" in text


def test_unknown_scheduler(models):
    # the compiler refuses the name too; the engine must when it is handed one
    text = error_text(DiffusersEngine(), B.with_settings(plan_for(models, "a"), scheduler="eulr_a"))
    assert "unknown scheduler 'eulr_a'" in text and "did you mean 'euler_a'" in text


def test_cuda_asked_for_but_unavailable(models):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    text = error_text(DiffusersEngine(device="cuda"), plan_for(models, "a"))
    assert "device 'cuda' asked for, but torch" in text and "sees no CUDA GPU" in text
    assert "install the CUDA build of torch" in text


def test_size_must_be_a_multiple_of_8(models):
    plan = B.with_settings(plan_for(models, "a"), width=30, height=30)  # the compiler refuses it too
    assert "size 30x30: Stable Diffusion needs multiples of 8" in error_text(DiffusersEngine(), plan)


def test_out_of_memory_becomes_a_render_error(models, engine, monkeypatch):
    plan = plan_for(models)
    engine.prepare(plan)

    def exhausted(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(type(engine.pipeline), "__call__", exhausted)
    with pytest.raises(RideRenderError) as caught:
        engine.generate(plan.frame(0), np.zeros((32, 32, 3), np.uint8))
    text = str(caught.value)
    assert "out of GPU memory: frame 0 (32x32, float32)" in text and "attention slicing and VAE tiling" in text


def test_close_frees_the_model_and_a_later_prepare_loads_it_again(models):
    import weakref

    engine = DiffusersEngine()
    plan = plan_for(models, ['0 "a road"', '1 "a road, snow"'], length=2)
    first = render(engine, plan)
    pipeline = weakref.ref(engine.pipeline)
    engine.close()
    engine.close()  # idempotent
    assert engine.pipeline is None and pipeline() is None  # nothing holds the model: its memory is free
    assert [f.tobytes() for f in render(engine, plan)] == [f.tobytes() for f in first]
