"""Loading a Stable Diffusion pipeline: device, dtype, and the pipeline class for the weights;
freeing it again."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

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


# diffusers' single-file model types (infer_diffusers_model_type) -> ride's family; others cannot img2img
_FILE_FAMILIES = {"v1": "sd", "v2": "sd", "xl_base": "sdxl", "xl_refiner": "sdxl", "playground-v2-5": "sdxl"}
# the hub repository diffusers reads a single SD 2 file's configs from: gone from the hub
_SD2_CONFIGS = "stabilityai/stable-diffusion-2-1"


def load_img2img(weights: Weights, dtype: torch.dtype, single_file_config: str | None = None):
    """(img2img pipeline, family) from a hub id, folder or single file; refuses what cannot do img2img."""
    if weights.kind == "file":
        family = single_file_family(weights, single_file_config)
        load = PIPELINES[family][0].from_single_file
        pipe = load(weights.location, config=single_file_config, **{DTYPE_ARG: dtype}, **LOAD_ARGS[family])
        return pipe, family
    class_name = DiffusionPipeline.load_config(weights.location).get("_class_name", "?")
    family = pipeline_family(weights, class_name)
    load = PIPELINES[family][0].from_pretrained
    variant = {"variant": "fp16"} if dtype == torch.float16 and has_fp16_variant(weights) else {}
    return load(weights.location, **{DTYPE_ARG: dtype}, **LOAD_ARGS[family], **variant), family


def single_file_family(weights: Weights, config: str | None) -> str:
    """The family of an A1111-style file, by diffusers' own model-type inference (refiners, .ckpt files and
    SD 2 included); a file that cannot be read, or is of another kind, is an error before loading."""
    try:
        model_type = single_file_type(weights.location)
    except Exception as error:
        raise setup_error(f"cannot read '{weights.name}' as a checkpoint: {_first_line(error)}",
                          "the file is damaged or incomplete (download it again), or it is not a Stable "
                          "Diffusion checkpoint", code="R604") from None
    family = _FILE_FAMILIES.get(model_type)
    if family is None:
        raise setup_error(f"model '{weights.name}' is a {model_type} checkpoint, which ride cannot use for img2img",
                          "use a Stable Diffusion 1.x/2.x, SDXL, Turbo or LCM checkpoint", code="R603")
    if model_type == "v2" and config is None and not cached(_SD2_CONFIGS):
        raise setup_error(f"'{weights.name}' is a Stable Diffusion 2 file, and the configs diffusers reads for "
                          f"one ({_SD2_CONFIGS}) are no longer on the hub",
                          'give a diffusers folder of an SD 2 model for its configs: `model_config "models/sd2"` '
                          "(768 v-prediction models need a v-prediction scheduler config)", code="R664")
    return family


def single_file_type(path: str) -> str:
    """diffusers' model type of a single file; a .safetensors is read lazily (a few tensors, not the file)."""
    from diffusers.loaders.single_file_utils import infer_diffusers_model_type, load_single_file_checkpoint

    if path.endswith(".safetensors"):
        from safetensors import safe_open

        with safe_open(path, framework="pt") as checkpoint:
            return infer_diffusers_model_type(_Lazy(checkpoint))
    checkpoint = load_single_file_checkpoint(path)
    while isinstance(checkpoint.get("state_dict"), dict):  # .ckpt files nest their weights
        checkpoint = checkpoint["state_dict"]
    return infer_diffusers_model_type(checkpoint)


class _Lazy(Mapping):
    """A safetensors file as the dict of tensors model-type inference reads, loading only what it looks at."""

    def __init__(self, checkpoint):
        self.checkpoint, self.names = checkpoint, set(checkpoint.keys())

    def __getitem__(self, key):
        if key not in self.names:
            raise KeyError(key)
        return self.checkpoint.get_tensor(key)

    def __iter__(self):
        return iter(self.names)

    def __len__(self):
        return len(self.names)

    def __contains__(self, key):
        return key in self.names


def has_fp16_variant(weights: Weights) -> bool:
    """Whether a folder or hub model ships float16 weights (`*.fp16.safetensors`): half the download."""
    name = "unet/diffusion_pytorch_model.fp16.safetensors"
    if weights.kind == "folder":
        return (Path(weights.location) / name).is_file()
    if cached(weights.location, name):
        return True
    from huggingface_hub import constants, file_exists

    if constants.HF_HUB_OFFLINE or cached(weights.location):  # a cached model without them: as it is
        return False
    try:
        return file_exists(weights.location, name)
    except Exception:
        return False


def cached(repo: str, filename: str = "model_index.json") -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(repo, filename), str)
    except Exception:
        return False


def _first_line(error: Exception) -> str:
    return (str(error).strip() or type(error).__name__).splitlines()[0]


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


@contextmanager
def third_party_quiet(verbose: bool = False):
    """diffusers' and transformers' warnings, config dumps and progress bars hidden while models load (a
    render's own progress is ride's); everything as it was afterwards. `verbose` lets them through."""
    if verbose:
        yield
        return
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    libraries = (diffusers_logging, transformers_logging)
    levels = [library.get_verbosity() for library in libraries]
    bars = [library.is_progress_bar_enabled() for library in libraries]
    for library in libraries:
        library.set_verbosity_error()
        library.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for library, level, bar in zip(libraries, levels, bars, strict=True):
            library.set_verbosity(level)
            if bar:
                library.enable_progress_bar()
