"""Tiny random Stable Diffusion pipelines, built in code, for tests and the overhead bench.

Nothing is downloaded: the models follow diffusers' own tests (`get_dummy_components`), the
tokenizer is a byte-level CLIP vocabulary with no merges (one token per character, so a
76-character prompt already needs two 77-token windows), and everything is saved with
`save_pretrained` so the engine loads it exactly as it would load a real checkpoint folder.
"""

from __future__ import annotations

from pathlib import Path

import diffusers
import numpy as np
import torch
from diffusers import (
    AutoencoderKL,
    DDPMPipeline,
    DDPMScheduler,
    EulerDiscreteScheduler,
    StableDiffusionPipeline,
    StableDiffusionXLImg2ImgPipeline,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
    UNet2DModel,
)
from safetensors.torch import save_file
from tokenizers import pre_tokenizers
from transformers import (
    CLIPTextConfig,
    CLIPTextModel,
    CLIPTextModelWithProjection,
    CLIPTokenizer,
    CLIPVisionConfig,
    CLIPVisionModelWithProjection,
)

from ride.conditioning import Conditioning, Morph, Source, Weighted

TEXT_DIM = 32  # hidden size of each tiny text encoder
IMAGE_DIM = 32  # projection size of the tiny CLIP vision encoder
IP_WEIGHTS = "ip-adapter_tiny.safetensors"


# The scheduler configs the real checkpoints ship (scheduler/scheduler_config.json), so that tests see
# their timestep spacing, offsets and prediction types: SD 1.5, SD 2.1 (768, v-prediction), SDXL base
# and refiner, SDXL-Turbo, LCM Dreamshaper v7.
_SD_BETAS = {"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "num_train_timesteps": 1000,
             "trained_betas": None, "clip_sample": False, "set_alpha_to_one": False, "steps_offset": 1}
FAMILY_SCHEDULERS = {
    "sd15": ("PNDMScheduler", {**_SD_BETAS, "skip_prk_steps": True}),
    "sd2": ("DDIMScheduler", {**_SD_BETAS, "prediction_type": "v_prediction"}),
    "sdxl": ("EulerDiscreteScheduler", {**_SD_BETAS, "interpolation_type": "linear", "prediction_type": "epsilon",
                                        "timestep_spacing": "leading", "use_karras_sigmas": False}),
    "sdxl_turbo": ("EulerAncestralDiscreteScheduler", {**_SD_BETAS, "timestep_spacing": "trailing"}),
    "lcm": ("LCMScheduler", {**_SD_BETAS, "set_alpha_to_one": True, "original_inference_steps": 50,
                             "timestep_spacing": "leading", "rescale_betas_zero_snr": False}),
}


def family_scheduler(family: str):
    class_name, config = FAMILY_SCHEDULERS[family]
    return getattr(diffusers, class_name).from_config(config)


# -- components ----------------------------------------------------------------


def tiny_tokenizer() -> CLIPTokenizer:
    chars = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {c: i for i, c in enumerate(chars)}
    vocab.update({c + "</w>": len(chars) + i for i, c in enumerate(chars)})
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def _text_config(tokenizer: CLIPTokenizer, **extra) -> CLIPTextConfig:
    return CLIPTextConfig(
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, vocab_size=len(tokenizer), hidden_size=TEXT_DIM,
        intermediate_size=37, num_attention_heads=4, num_hidden_layers=2, layer_norm_eps=1e-5, **extra,
    )


def _vae() -> AutoencoderKL:
    return AutoencoderKL(
        block_out_channels=(8, 16), norm_num_groups=4, in_channels=3, out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
        latent_channels=4, sample_size=32,
    )


def tiny_sd_components() -> dict:
    torch.manual_seed(0)
    tokenizer = tiny_tokenizer()
    unet = UNet2DConditionModel(
        block_out_channels=(16, 32), layers_per_block=1, norm_num_groups=4, sample_size=16,
        in_channels=4, out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=TEXT_DIM,
        attention_head_dim=4,
    )
    return {
        "unet": unet, "vae": _vae(), "text_encoder": CLIPTextModel(_text_config(tokenizer)),
        "tokenizer": tokenizer, "scheduler": EulerDiscreteScheduler(),
        "safety_checker": None, "feature_extractor": None, "image_encoder": None,
        "requires_safety_checker": False,
    }


def tiny_sdxl_components() -> dict:
    torch.manual_seed(0)
    tokenizer = tiny_tokenizer()
    unet = UNet2DConditionModel(
        block_out_channels=(16, 32), layers_per_block=1, norm_num_groups=4, sample_size=16,
        in_channels=4, out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), attention_head_dim=(2, 4),
        use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=8,
        transformer_layers_per_block=(1, 2),
        projection_class_embeddings_input_dim=6 * 8 + TEXT_DIM,  # 6 time ids + pooled text
        cross_attention_dim=2 * TEXT_DIM,  # both text encoders, concatenated
    )
    return {
        "unet": unet, "vae": _vae(), "scheduler": EulerDiscreteScheduler(),
        "text_encoder": CLIPTextModel(_text_config(tokenizer)), "tokenizer": tokenizer,
        "text_encoder_2": CLIPTextModelWithProjection(_text_config(tokenizer, projection_dim=TEXT_DIM)),
        "tokenizer_2": tiny_tokenizer(), "image_encoder": None, "feature_extractor": None,
    }


def save_sd(folder: Path, family: str | None = None) -> Path:
    """SD 1.x; family "sd2" is SD 2's structure (linear projections, v-prediction); a family names the
    real scheduler config (FAMILY_SCHEDULERS), else a default Euler."""
    components = tiny_sd_components()
    if family == "sd2":
        torch.manual_seed(0)
        components["unet"] = UNet2DConditionModel(**dict(components["unet"].config, use_linear_projection=True,
                                                         attention_head_dim=(2, 4)))
    if family:
        components["scheduler"] = family_scheduler(family)
    StableDiffusionPipeline(**components).save_pretrained(folder)
    return folder


def save_sdxl(folder: Path, family: str | None = None) -> Path:
    components = tiny_sdxl_components()
    if family:
        components["scheduler"] = family_scheduler(family)
    StableDiffusionXLPipeline(**components).save_pretrained(folder)
    return folder


def save_sdxl_refiner(folder: Path) -> Path:
    """As stabilityai/stable-diffusion-xl-refiner-1.0: the second text encoder only, an img2img pipeline
    class, and 5 time ids (sizes, crop and an aesthetic score) instead of 6."""
    components = tiny_sdxl_components()
    torch.manual_seed(0)
    components["unet"] = UNet2DConditionModel(**dict(components["unet"].config, cross_attention_dim=TEXT_DIM,
                                                     projection_class_embeddings_input_dim=5 * 8 + TEXT_DIM))
    components.update(text_encoder=None, tokenizer=None, scheduler=family_scheduler("sdxl"))
    StableDiffusionXLImg2ImgPipeline(**components, requires_aesthetics_score=True,
                                     force_zeros_for_empty_prompt=False).save_pretrained(folder)
    return folder


def save_unconditional(folder: Path) -> Path:
    """A pipeline that cannot do img2img from text (DDPM, unconditional)."""
    torch.manual_seed(0)
    unet = UNet2DModel(block_out_channels=(8, 16), norm_num_groups=8, layers_per_block=1, sample_size=8,
                       in_channels=3, out_channels=3, down_block_types=("DownBlock2D", "DownBlock2D"),
                       up_block_types=("UpBlock2D", "UpBlock2D"))
    DDPMPipeline(unet=unet, scheduler=DDPMScheduler()).save_pretrained(folder)
    return folder


def save_ip_adapter(folder: Path, unet: UNet2DConditionModel, subfolder: str = "models",
                    weights: str = IP_WEIGHTS, image_dim: int = IMAGE_DIM) -> Path:
    """An IP-Adapter laid out like h94/IP-Adapter: <subfolder>/<weights> and <subfolder>/image_encoder,
    whose projection is `image_dim` wide (h94's sdxl_models/image_encoder is ViT-bigG, 1280 wide; the
    "vit-h" SDXL adapters there read models/image_encoder, ViT-H, 1024 wide)."""
    torch.manual_seed(1)
    cross = unet.config.cross_attention_dim
    tensors = {
        "image_proj.proj.weight": torch.randn(4 * cross, image_dim) * 0.1,  # 4 image tokens
        "image_proj.proj.bias": torch.zeros(4 * cross),
        "image_proj.norm.weight": torch.ones(cross),
        "image_proj.norm.bias": torch.zeros(cross),
    }
    # IP-Adapter files number the cross-attention processors 1, 3, 5... (self-attention takes the evens).
    cross_names = [name for name in unet.attn_processors if name.endswith("attn2.processor")]
    for number, name in zip(range(1, 2 * len(cross_names), 2), cross_names, strict=True):
        hidden = _hidden_size(unet, name)
        tensors[f"ip_adapter.{number}.to_k_ip.weight"] = torch.randn(hidden, cross) * 0.1
        tensors[f"ip_adapter.{number}.to_v_ip.weight"] = torch.randn(hidden, cross) * 0.1
    (folder / subfolder).mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / subfolder / weights))
    encoder = folder / subfolder / "image_encoder"
    if not encoder.exists():
        vision = CLIPVisionConfig(hidden_size=32, projection_dim=image_dim, num_hidden_layers=2,
                                  num_attention_heads=4, intermediate_size=37, image_size=32, patch_size=8)
        CLIPVisionModelWithProjection(vision).save_pretrained(encoder)
    return folder


def _hidden_size(unet: UNet2DConditionModel, name: str) -> int:
    channels = unet.config.block_out_channels
    if name.startswith("mid_block"):
        return channels[-1]
    block = int(name.split(".")[1])
    return list(reversed(channels))[block] if name.startswith("up_blocks") else channels[block]


def save_image(path: Path, seed: int = 0, size: int = 48) -> Path:
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


# -- single-file export (diffusers layout -> original LDM checkpoint keys) ------------------
# The inverse of what `from_single_file` converts, for the 2-level SD layout above only.

_RESNET = (("norm1", "in_layers.0"), ("conv1", "in_layers.2"), ("norm2", "out_layers.0"),
           ("conv2", "out_layers.3"), ("time_emb_proj", "emb_layers.1"), ("conv_shortcut", "skip_connection"))


def _unet_prefixes(config) -> list[tuple[str, str]]:
    per = config.layers_per_block
    out = [("conv_in.", "input_blocks.0.0."), ("time_embedding.linear_1.", "time_embed.0."),
           ("time_embedding.linear_2.", "time_embed.2."), ("conv_norm_out.", "out.0."), ("conv_out.", "out.2."),
           ("mid_block.resnets.0.", "middle_block.0."), ("mid_block.attentions.0.", "middle_block.1."),
           ("mid_block.resnets.1.", "middle_block.2.")]
    levels = len(config.block_out_channels)
    for i in range(levels):
        for j in range(per):
            out += [(f"down_blocks.{i}.resnets.{j}.", f"input_blocks.{i * (per + 1) + j + 1}.0."),
                    (f"down_blocks.{i}.attentions.{j}.", f"input_blocks.{i * (per + 1) + j + 1}.1.")]
        if i < levels - 1:
            out.append((f"down_blocks.{i}.downsamplers.0.conv.", f"input_blocks.{(i + 1) * (per + 1)}.0.op."))
        attention = config.up_block_types[i].startswith("CrossAttn")
        for j in range(per + 1):
            out += [(f"up_blocks.{i}.resnets.{j}.", f"output_blocks.{i * (per + 1) + j}.0."),
                    (f"up_blocks.{i}.attentions.{j}.", f"output_blocks.{i * (per + 1) + j}.1.")]
        if i < levels - 1:
            out.append((f"up_blocks.{i}.upsamplers.0.", f"output_blocks.{i * (per + 1) + per}.{2 if attention else 1}."))
    return out


def _vae_prefixes(levels: int) -> list[tuple[str, str]]:
    out = [(f"{part}.{ours}", f"{part}.{theirs}") for part in ("encoder", "decoder") for ours, theirs in
           (("mid_block.resnets.0.", "mid.block_1."), ("mid_block.resnets.1.", "mid.block_2."),
            ("mid_block.attentions.0.", "mid.attn_1."))]
    for i in range(levels):
        out += [(f"encoder.down_blocks.{i}.resnets.{j}.", f"encoder.down.{i}.block.{j}.") for j in range(2)]
        out += [(f"decoder.up_blocks.{i}.resnets.{j}.", f"decoder.up.{levels - 1 - i}.block.{j}.") for j in range(3)]
        out += [(f"encoder.down_blocks.{i}.downsamplers.0.", f"encoder.down.{i}.downsample."),
                (f"decoder.up_blocks.{i}.upsamplers.0.", f"decoder.up.{levels - 1 - i}.upsample.")]
    return out


def _rename(key: str, prefixes: list[tuple[str, str]], inner: tuple) -> str:
    for ours, theirs in prefixes:
        if key.startswith(ours):
            rest = key[len(ours):]
            for a, b in inner:
                rest = rest.replace(a, b) if "resnets" in ours else rest
            return theirs + rest
    return key


def save_single_file(pipe: StableDiffusionPipeline, path: Path) -> Path:
    """The pipeline as one original-layout .safetensors (UNet, VAE, text encoder), as A1111 ships them."""
    state = {}
    unet = _unet_prefixes(pipe.unet.config)
    for key, value in pipe.unet.state_dict().items():
        state["model.diffusion_model." + _rename(key, unet, _RESNET)] = value
    vae = _vae_prefixes(len(pipe.vae.config.block_out_channels))
    attention = {"group_norm.": "norm.", "to_q.": "q.", "to_k.": "k.", "to_v.": "v.", "to_out.0.": "proj_out."}
    for key, value in pipe.vae.state_dict().items():
        key = _rename(key.replace("conv_norm_out", "norm_out"), vae, (("conv_shortcut", "nin_shortcut"),))
        if ".attn_1." in key:
            head, tail = key.split(".attn_1.")
            name = next(n for n in attention if tail.startswith(n))
            key = f"{head}.attn_1.{attention[name]}{tail[len(name):]}"
            value = value[..., None, None] if value.ndim == 2 else value  # 1x1 convolutions there
        state["first_stage_model." + key] = value
    for key, value in pipe.text_encoder.state_dict().items():  # transformers >= 5.6 drops `text_model.`
        state["cond_stage_model.transformer." + ("" if key.startswith("text_model.") else "text_model.") + key] = value
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    return path


# -- conditioning (plans come from script text: tests/builders.py) ---------------------


def prompt(text: str, weight: float = 1.0) -> Weighted:
    return Weighted(Source("prompt", text), weight)


def image(path: str, weight: float = 1.0) -> Weighted:
    return Weighted(Source("image", path), weight)


def cond(*sources: Weighted, start: tuple[Weighted, ...] | None = None, position: float = 0.0,
         method: str = "lerp") -> Conditioning:
    morph = Morph(tuple(start), position, method) if start is not None else None
    return Conditioning(tuple(sources), morph)


# -- what a script loads besides the model: a VAE, a LoRA, an embedding ------------------------------------


def save_vae(folder: Path, latent_channels: int = 4, seed: int = 5) -> Path:
    """A VAE of its own (another seed), as a diffusers folder like madebyollin/sdxl-vae-fp16-fix."""
    torch.manual_seed(seed)
    vae = AutoencoderKL(**dict(_vae().config, latent_channels=latent_channels))
    vae.save_pretrained(folder)
    return folder


def save_lora(path: Path, unet: UNet2DConditionModel, rank: int = 4) -> Path:
    """A LoRA of the UNet's attention projections, saved as diffusers' save_lora_weights writes it."""
    from peft import LoraConfig, get_peft_model_state_dict

    torch.manual_seed(2)
    unet = UNet2DConditionModel.from_config(unet.config)
    unet.load_state_dict(unet.state_dict())
    unet.add_adapter(LoraConfig(r=rank, lora_alpha=rank, init_lora_weights=False,
                                target_modules=["to_k", "to_q", "to_v", "to_out.0"]))
    StableDiffusionPipeline.save_lora_weights(path.parent, unet_lora_layers=get_peft_model_state_dict(unet),
                                              weight_name=path.name, safe_serialization=True)
    return path


def save_embedding(path: Path, vectors: int = 2, dim: int = TEXT_DIM) -> Path:
    """A textual-inversion embedding of `vectors` tokens (the `emb_params` layout)."""
    torch.manual_seed(4)
    save_file({"emb_params": torch.randn(vectors, dim)}, str(path))
    return path
