"""Loading a Stable Diffusion pipeline: device, dtype, and the pipeline class for the weights;
freeing it again."""

from __future__ import annotations

import gc

import torch
from diffusers import (
    DiffusionPipeline,
    StableDiffusionImg2ImgPipeline,
    StableDiffusionPipeline,
    StableDiffusionXLImg2ImgPipeline,
    StableDiffusionXLPipeline,
)

from ..checkpoints import LOAD_ARGS, Weights, pipeline_family, setup_error

try:  # newer diffusers renamed `torch_dtype` to `dtype` (the old name only warns there, the new fails before)
    from diffusers.utils.deprecation_utils import _resolve_dtype  # noqa: F401

    DTYPE_ARG = "dtype"
except ImportError:
    DTYPE_ARG = "torch_dtype"


# a family is (img2img class, txt2img class) over one set of weights (checkpoints.pipeline_family)
PIPELINES = {"sd": (StableDiffusionImg2ImgPipeline, StableDiffusionPipeline),
              "sdxl": (StableDiffusionXLImg2ImgPipeline, StableDiffusionXLPipeline)}


def load_img2img(weights: Weights, dtype: torch.dtype, single_file_config: str | None = None):
    """(img2img pipeline, family) from a hub id, folder or single file; refuses what cannot do img2img."""
    if weights.kind == "file":
        family = "sdxl" if single_file_is_xl(weights.location) else "sd"
        load = PIPELINES[family][0].from_single_file
        pipe = load(weights.location, config=single_file_config, **{DTYPE_ARG: dtype}, **LOAD_ARGS[family])
        return pipe, family
    class_name = DiffusionPipeline.load_config(weights.location).get("_class_name", "?")
    family = pipeline_family(weights, class_name)
    load = PIPELINES[family][0].from_pretrained
    return load(weights.location, **{DTYPE_ARG: dtype}, **LOAD_ARGS[family]), family


def single_file_is_xl(path: str) -> bool:
    """SDXL files hold a second text encoder (a .safetensors header is cheap to read; SDXL .ckpt is rare)."""
    if not path.endswith(".safetensors"):
        return False
    from safetensors import safe_open

    with safe_open(path, framework="pt") as checkpoint:
        return any(k.startswith("conditioner.embedders.1.") for k in checkpoint.keys())


def choose_device(requested: str | None) -> torch.device:
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if requested in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if mps else "cpu")
    try:
        device = torch.device(requested)
    except RuntimeError:
        raise setup_error(f"unknown device '{requested}'", "use cuda, cuda:1, mps or cpu", code="R613") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise setup_error(f"device '{requested}' asked for, but torch {torch.__version__} sees no CUDA GPU",
                          "install the CUDA build of torch for your GPU (docs/engines.md, 'Install'), check "
                          "nvidia-smi, or render on the cpu (slow)", code="R613")
    if device.type == "mps" and not mps:
        raise setup_error("device 'mps' asked for, but Apple's Metal backend is not available",
                          "use Apple silicon with macOS 12.3+ and a recent torch, or render on the cpu", code="R613")
    if device.type not in ("cuda", "mps", "cpu"):
        raise setup_error(f"unsupported device '{requested}'", "use cuda, mps or cpu", code="R613")
    return device


def choose_dtype(device: torch.device, requested: str | None) -> torch.dtype:
    if requested and requested not in ("float16", "bfloat16", "float32"):
        raise setup_error(f"unknown dtype '{requested}'", "use float16, bfloat16 or float32", code="R614")
    if requested:
        return getattr(torch, requested)
    return torch.float16 if device.type in ("cuda", "mps") else torch.float32


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def free_memory() -> None:
    """Frees the tensors of pipelines let go of, and returns their GPU memory to the driver."""
    gc.collect()  # a pipeline's modules hold reference cycles: free their tensors now, not someday
    if torch.cuda.is_available():
        torch.cuda.empty_cache()  # hand the freed blocks back, for the next model or other programs
