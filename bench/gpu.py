"""ride's render time against a bare diffusers img2img loop, on full-size SD 1.5 and SDXL built from their
configs with random weights (nothing is downloaded), on whatever device is there.

    .venv/bin/python bench/gpu.py                      # SD 1.5 at 512 and SDXL at 1024, on the best device
    .venv/bin/python bench/gpu.py --family sd15 --size 128 --frames 3 --steps 8 --device cpu   # CPU-sized

Per family and size it renders the same feedback scene (a slow zoom, one prompt, --steps 20, strength 0.5,
guidance 7) twice over:
  ride   the renderer's own loop (feedback_frames: warp, colour match, noise, the engine);
  bare   the same pipeline object called as a user would: init as a float array, `strength`, `output_type="np"`,
         each output fed back (no warp, no colour match), the same number of UNet steps per frame.
Random weights paint noise, but the arithmetic per frame is the real model's. The first frame (txt2img, and
torch's warm-up) is left out of both timings. Goal on a GPU: ride / bare <= 1.03.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import builders as B  # noqa: E402
import numpy as np  # noqa: E402
import tiny_sd as T  # noqa: E402
import torch  # noqa: E402
from diffusers import (  # noqa: E402
    AutoencoderKL,
    StableDiffusionPipeline,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection  # noqa: E402

from ride.engines.diffusion import DiffusersEngine  # noqa: E402
from ride.renderer.loop import feedback_frames  # noqa: E402

# The shipped configs (unet/config.json, vae/config.json, text_encoder*/config.json), abridged to what differs
# from diffusers' and transformers' defaults.
SD15_UNET = dict(sample_size=64, cross_attention_dim=768, attention_head_dim=8,
                 block_out_channels=(320, 640, 1280, 1280), layers_per_block=2)
SDXL_UNET = dict(sample_size=128, cross_attention_dim=2048, attention_head_dim=(5, 10, 20),
                 block_out_channels=(320, 640, 1280), layers_per_block=2, transformer_layers_per_block=(1, 2, 10),
                 down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
                 up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
                 use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=256,
                 projection_class_embeddings_input_dim=2816)
VAE = dict(block_out_channels=(128, 256, 512, 512), down_block_types=("DownEncoderBlock2D",) * 4,
           up_block_types=("UpDecoderBlock2D",) * 4, latent_channels=4, layers_per_block=2, sample_size=512)
CLIP_L = dict(hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12,
              vocab_size=49408, max_position_embeddings=77, hidden_act="quick_gelu")
CLIP_G = dict(hidden_size=1280, intermediate_size=5120, num_attention_heads=20, num_hidden_layers=32,
              vocab_size=49408, max_position_embeddings=77, hidden_act="gelu", projection_dim=1280)
SIZES = {"sd15": 512, "sdxl": 1024}


def build(family: str, dtype: torch.dtype):
    """A full-size pipeline with random weights (the tokenizer is the tests' byte-level one)."""
    tokenizer = T.tiny_tokenizer()
    ids = dict(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
               pad_token_id=tokenizer.pad_token_id)
    with torch.device("cpu"):
        if family == "sd15":
            return StableDiffusionPipeline(
                unet=UNet2DConditionModel(**SD15_UNET), vae=AutoencoderKL(**VAE, scaling_factor=0.18215),
                text_encoder=CLIPTextModel(CLIPTextConfig(**CLIP_L, **ids)), tokenizer=tokenizer,
                scheduler=T.family_scheduler("sd15"), safety_checker=None, feature_extractor=None,
                requires_safety_checker=False).to(dtype=dtype)
        return StableDiffusionXLPipeline(
            unet=UNet2DConditionModel(**SDXL_UNET), vae=AutoencoderKL(**VAE, scaling_factor=0.13025, force_upcast=True),
            text_encoder=CLIPTextModel(CLIPTextConfig(**CLIP_L, **ids)), tokenizer=tokenizer,
            text_encoder_2=CLIPTextModelWithProjection(CLIPTextConfig(**CLIP_G, **ids)), tokenizer_2=T.tiny_tokenizer(),
            scheduler=T.family_scheduler("sdxl")).to(dtype=dtype)


def scene(family: str, size: int, frames: int, steps: int, folder: str):
    text = B.scene_text("a road in the countryside", length=frames, size=size, model=family, seed="7 iter",
                        steps=steps, strength=0.5, guidance=7, noise=0.02, camera={"zoom": 1.01})
    return B.compile_scene(text, folder)


def bare_loop(pipe, plan, first: np.ndarray, steps: list[int]) -> float:
    """Frames 1.. as a hand-written diffusers loop: the same UNet steps per frame as ride ran."""
    from diffusers import AutoPipelineForImage2Image

    img2img = AutoPipelineForImage2Image.from_pipe(pipe)
    img2img.set_progress_bar_config(disable=True)
    image, started = first, time.perf_counter()
    for frame, ran in zip(plan.frames(1), steps, strict=False):
        n = max(1, round(ran / frame.strength))
        out = img2img(prompt="a road in the countryside", negative_prompt="", image=image[None] / 255.0,
                      strength=min(1.0, (ran + 0.5) / n), num_inference_steps=n, guidance_scale=frame.guidance,
                      output_type="np", generator=torch.Generator("cpu").manual_seed(frame.seed)).images[0]
        image = (np.clip(out, 0, 1) * 255).round().astype(np.uint8)
    _sync()
    return time.perf_counter() - started


def _sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def run(family: str, size: int, frames: int, steps: int, device: str, dtype: torch.dtype) -> None:
    print(f"{family} {size}x{size}, {frames} frames, steps {steps} x strength 0.5, {device}, {str(dtype)[6:]}:",
          flush=True)
    started = time.perf_counter()
    pipe = build(family, dtype)
    print(f"  built from configs in {time.perf_counter() - started:.0f} s "
          f"({sum(p.numel() for p in pipe.unet.parameters()) / 1e6:.0f} M UNet parameters)", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        pipe.save_pretrained(Path(folder) / family)
        del pipe
        plan = scene(family, size, frames, steps, folder)
        engine = DiffusersEngine(device=device, dtype=str(dtype)[6:])
        engine.prepare(plan)
        unet_steps: list[int] = []
        hook = engine.pipeline.unet.register_forward_pre_hook(lambda m, a: unet_steps.append(1))
        times: list[float] = []
        last = [time.perf_counter()]

        def timed(plan_, engine_):
            for index, image in feedback_frames(plan_, engine_, None, 0, len(plan_)):
                _sync()
                now = time.perf_counter()
                times.append(now - last[0])
                last[0] = now
                yield index, image

        rendered = list(timed(plan, engine))
        hook.remove()
        ride_s = sum(times[1:])
        per_frame = (len(unet_steps) - steps) // max(1, frames - 1)  # after frame 0's txt2img steps
        bare_s = bare_loop(engine.pipeline, plan, rendered[0][1], [per_frame] * (frames - 1))
        engine.close()
    n = frames - 1
    print(f"  ride  {1000 * ride_s / n:8.0f} ms/frame  (the renderer: warp, colour match, noise, engine)")
    print(f"  bare  {1000 * bare_s / n:8.0f} ms/frame  (diffusers img2img by hand, {per_frame} UNet steps a frame)")
    print(f"  ride / bare = {ride_s / bare_s:.3f}  (goal on a GPU: <= 1.03)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=("sd15", "sdxl", "both"), default="both")
    parser.add_argument("--size", type=int, help="frame size (default: 512 for SD 1.5, 1024 for SDXL)")
    parser.add_argument("--frames", type=int, default=8, help="frames per run, the first (txt2img) not timed")
    parser.add_argument("--steps", type=int, default=20, help="steps (strength is 0.5: half of them run a frame)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--dtype", choices=("float16", "bfloat16", "float32"))
    options = parser.parse_args()
    dtype = getattr(torch, options.dtype or ("float16" if options.device.startswith("cuda") else "float32"))
    for family in (("sd15", "sdxl") if options.family == "both" else (options.family,)):
        run(family, options.size or SIZES[family], options.frames, options.steps, options.device, dtype)


if __name__ == "__main__":
    main()
