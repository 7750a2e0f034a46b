"""The diffusers engine: Stable Diffusion img2img driven by interpolated prompt embeddings.

prepare(plan), before frame 0 (every setup problem is a RideRenderError raised here):
  1. device and dtype: cuda, then mps, then cpu; float16 on a GPU
  2. the pipeline: hub id, folder or single file; loaded again only when the model changes
  3. the scheduler, by name, from the model's own scheduler config
  4. the IP-Adapter, for image keys
  5. every distinct prompt, negative and image, encoded once and kept (conditioning.py)
generate(frame, init, noise=None):
  6. the frame's embeddings, mixed and morphed from that cache by ride.morph
  7. the starting latents: init encoded on the device (latents.py), noised with the frame's noise
  8. one pipeline call on the img2img schedule that puts the first step at `strength` (schedule.py);
     a frame made from nothing (init None) starts from the noise alone, on the model's own schedule
  9. decoded and quantised to uint8 on the device: one transfer back

Decisions a user sees (docs/engines.md says the same):
- strength is the fraction of the noise the first step starts from, on every scheduler; the steps run
  are int(steps * strength), at least one (schedule.py). Below one training timestep: the init, unchanged.
- The frame's latent noise is the caller's (`noise`, shape noise_shape(plan)) or drawn from the frame's
  seed on the CPU; the same script, model and seed give the same frames.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

import diffusers
import numpy as np
import torch

from ...errors import Problem, RideRenderError
from ...plan import Adapter, FramePlan, Plan
from ..checkpoints import (
    ADAPTER_FORM,
    DEFAULT_ADAPTERS,
    DISTILLED,
    MODEL_HINT,
    SCHEDULERS,
    Weights,
    distilled_steps_problem,
    locate,
    model_revision,
    require_cached,
    scheduler_name,
    setup_error,
)
from .conditioning import Conditioner
from .latents import Start, decode, encode, frame_noise, give_start, latent_shape
from .loading import choose_device, choose_dtype, dtype_name, free_memory, load_img2img
from .schedule import Schedules

# Bumped when the engine's pixels change for the same plan, model and diffusers (part of identity()).
ENGINE_VERSION = "2"  # 2: strength-true schedules, the engine's own VAE encode (the mean) and decode


class DiffusersEngine:
    """One pipeline and the embeddings of every source seen, reused across renders (no global state)."""

    name = "diffusers"

    def __init__(self, model: str | None = None, device: str | None = None, *, scheduler: str | None = None,
                 dtype: str | None = None, attention_slicing: bool = False, vae_tiling: bool = False,
                 cpu_offload: bool = False, single_file_config: str | None = None,
                 base_dir: str | None = None):
        self.model, self.device, self.scheduler, self.dtype = model, device, scheduler, dtype
        self.attention_slicing, self.vae_tiling, self.cpu_offload = attention_slicing, vae_tiling, cpu_offload
        self.single_file_config = single_file_config  # diffusers folder or hub id with the file's configs
        self._pipe = self._model_key = self._adapter = self._identity = self._scheduler_name = None
        self._base_scheduler = self._model_scheduler = self._schedules = None
        self._device, self._dtype, self._family, self._script = torch.device("cpu"), torch.float32, "", ""
        self._conditioner = Conditioner()
        self._base_dir, self._size = Path(base_dir or "."), (512, 512)  # the script's folder, for paths

    @property
    def pipeline(self):
        """The img2img pipeline (None before prepare); frames made from nothing use it too."""
        return self._pipe

    def identity(self) -> dict[str, str]:
        """What the frame cache keys on besides the plan (whose keys hold the script's model, scheduler and
        adapter names): the constructor's model and its revision, dtype, device. Known without loading
        weights, and the same before and after prepare(): the renderer reads it once, first."""
        if self._identity is None:
            try:
                device = choose_device(self.device)
                device, dtype = device.type, dtype_name(choose_dtype(device, self.dtype))
            except RideRenderError:  # prepare() will say what is wrong
                device, dtype = str(self.device), str(self.dtype)
            self._identity = {"engine": self.name, "model": self.model or "",
                              "revision": model_revision(self.model, self._base_dir),
                              "dtype": dtype, "device": device, "scheduler": self.scheduler or "",
                              # tiled VAE decoding and a single file's configs can change pixels too
                              "vae_tiling": str(self.vae_tiling), "config": self.single_file_config or "",
                              "diffusers": diffusers.__version__, "engine_version": ENGINE_VERSION}
        return self._identity

    def noise_shape(self, plan: Plan) -> tuple[int, int, int]:
        """The shape of the latent noise generate() takes: (channels, height / 8, width / 8)."""
        s = plan.settings
        if self._pipe is None:
            return (4, s.height // 8, s.width // 8)
        return latent_shape(self._pipe, s.width, s.height)

    def prepare(self, plan: Plan) -> None:
        try:
            self._prepare(plan)
        except RideRenderError as error:
            error.problems = [problem.at_path(plan.settings.script) for problem in error.problems]
            raise
        except RuntimeError as error:
            if not _out_of_memory(error):
                raise
            raise self._memory_error("loading the model and encoding the sources") from None

    def generate(self, frame: FramePlan, init: np.ndarray | None, noise: np.ndarray | None = None) -> np.ndarray:
        """The frame: `init` repainted by frame.strength, or made from nothing when init is None. `noise`,
        if given, is the frame's unit Gaussian latent noise, float32 of noise_shape(plan): the img2img
        forward noise at the first timestep, or the starting latents of a frame made from nothing
        (ancestral schedulers still draw their per-step noise from the frame's seed)."""
        if self._pipe is None:
            raise RuntimeError("DiffusersEngine.generate() before prepare(plan)")
        pipe = self._pipe
        generator = torch.Generator("cpu").manual_seed(frame.seed % 2**64)
        start = Start(None, frame_noise(noise, latent_shape(pipe, *self._size), frame.seed, generator))
        args = {"guidance_scale": frame.guidance, "output_type": "latent", "generator": generator}
        if init is None:
            pipe.scheduler = self._base_scheduler
            args.update(strength=1.0, num_inference_steps=max(1, frame.steps))
        else:
            strength = min(max(frame.strength, 0.0), 1.0)
            if strength * self._base_scheduler.config.num_train_timesteps < 1:
                return init.copy()  # not one timestep of noise: nothing would be repainted
            schedule = self._schedules.img2img(frame.steps, strength)
            pipe.scheduler = self._schedules.scheduler
            args.update(strength=schedule.strength, num_inference_steps=schedule.steps,
                        timesteps=list(schedule.timesteps) if schedule.timesteps else None)
            start.clean = encode(pipe.vae, init, self._device)
        args.update(self._conditioner.arguments(frame, self._adapter is not None))
        try:
            with _quiet():
                pipe.ride_start = start
                latents = pipe(image=torch.zeros((1, *start.noise.shape[1:])) if start.clean is None
                               else start.clean, **args).images
                image = decode(pipe.vae, latents)
        except RuntimeError as error:
            if not _out_of_memory(error):
                raise
            raise self._memory_error(f"frame {frame.index}") from None
        finally:
            pipe.ride_start = None
        if image.dtype != torch.uint8:
            raise RideRenderError(Problem(f"the model produced NaNs (a black frame) at frame {frame.index}",
                                          hint="float16 overflowed: use dtype float32 or an fp16-safe VAE "
                                               "(SDXL: madebyollin/sdxl-vae-fp16-fix)", code="R612"),
                                  path=self._script)
        return image.cpu().numpy()

    def close(self) -> None:
        """Drops the pipeline and cached embeddings, giving GPU memory back (idempotent); prepare() loads again."""
        loaded = self._pipe is not None
        self._pipe = self._base_scheduler = self._schedules = self._model_key = None  # _load() resets the rest
        self._conditioner.clear()
        if loaded:
            free_memory()

    # -- prepare: steps 1 to 5 ---------------------------------------------------------

    def _prepare(self, plan: Plan) -> None:
        s = plan.settings
        self._script, self._base_dir, self._size = s.script, Path(s.base_dir), (s.width, s.height)
        if s.width % 8 or s.height % 8:
            raise setup_error(f"size {s.width}x{s.height}: Stable Diffusion needs multiples of 8",
                              "try 512x512", code="R606")
        scheduler = scheduler_name(self.scheduler or s.scheduler)
        sources = {src for cond in set(plan.conditioning) for src in cond.all_sources()}
        images = sorted({src.value for src in sources if src.kind == "image"})
        device = choose_device(self.device)
        dtype = choose_dtype(device, self.dtype)
        if not (self.model or s.model):
            raise setup_error("the diffusers engine needs a model", f'add `model "..."`; {MODEL_HINT}', code="R605")
        weights = locate(self.model or s.model, self._base_dir, "model")
        key = (weights, device, dtype, self.single_file_config)
        if key != self._model_key:
            self._load(weights, device, dtype)
            self._model_key = key
        self._use_scheduler(scheduler)
        distilled = DISTILLED.get(type(self._base_scheduler).__name__)
        if distilled:
            limit = self._base_scheduler.config.original_inference_steps
            problem = distilled_steps_problem(plan, distilled, limit)
            if problem:
                raise RideRenderError(problem)
        conditioner = self._conditioner
        conditioner.use(self._pipe, self._family == "sdxl", device, dtype)
        # Image keys without an `adapter` line use the family's reference IP-Adapter.
        self._use_adapter(s.adapter or (DEFAULT_ADAPTERS.get(self._family) if images else None), images)
        for text in sorted({src.value for src in sources if src.kind == "prompt"} | set(plan.negative) | {""}):
            conditioner.text(text)
        for value in images:
            conditioner.encode_image(self._base_dir, value)

    def _load(self, weights: Weights, device: torch.device, dtype: torch.dtype) -> None:
        self._pipe = self._model_key = self._adapter = self._scheduler_name = None
        self._conditioner.clear()
        self._device, self._dtype = device, dtype
        require_cached(weights, "model_index.json",
                       "a local folder or .safetensors file (or preview the scene without weights: --engine preview)")
        try:
            pipe, self._family = load_img2img(weights, dtype, self.single_file_config)
        except RideRenderError:
            raise
        except Exception as error:  # a bad checkpoint, a network failure, a missing config...
            raise setup_error(f"could not load model '{weights.name}': {_first_line(error)}",
                              f"{MODEL_HINT}; a single file also needs its architecture's config files, "
                              "fetched from the hub once "
                              "(or a matching diffusers folder: single_file_config)", code="R604",
                              ) from error
        if pipe.unet.config.in_channels != 4:
            raise setup_error(f"model '{weights.name}' is an inpainting or instruct model, "
                              "not img2img-capable",
                              "use a text-to-image checkpoint (SD 1.x/2.x, SDXL, Turbo, LCM)", code="R603")
        pipe.set_progress_bar_config(disable=True)
        give_start(pipe)
        self._pipe, self._model_scheduler, self._schedules = pipe, pipe.scheduler, None
        self._place()

    def _place(self) -> None:
        """Memory switches and device placement (again whenever an adapter swaps attention processors)."""
        pipe = self._pipe
        if self.attention_slicing and self._adapter is None:  # sliced processors would replace IP-Adapter's
            pipe.enable_attention_slicing()
        if self.vae_tiling:
            pipe.vae.enable_tiling()
        if self.cpu_offload and self._device.type != "cpu":
            pipe.enable_model_cpu_offload(device=self._device)
        else:
            pipe.to(self._device)

    def _use_scheduler(self, name: str | None) -> None:
        if name == self._scheduler_name and self._schedules is not None:
            return
        scheduler = self._model_scheduler
        if name is not None:
            class_name, overrides = SCHEDULERS[name]
            try:
                scheduler = getattr(diffusers, class_name).from_config(scheduler.config, **overrides)
            except ImportError as error:  # LMS needs scipy
                raise setup_error(f"scheduler '{name}' needs a missing package: {_first_line(error)}",
                                  "pip install scipy, or choose another scheduler", code="R607") from None
        self._pipe.scheduler = self._base_scheduler = scheduler
        self._schedules, self._scheduler_name = Schedules(scheduler), name

    def _use_adapter(self, adapter: Adapter | None, images: list[str]) -> None:
        if adapter is None and images:
            raise setup_error(f'image keys (image "{images[0]}") need an IP-Adapter, and there is no '
                              f"default one for this model ({self._family})",
                              f"add an `adapter` line for this model; the SD 1.5 form is `{ADAPTER_FORM}`",
                              code="R608")
        if adapter == self._adapter:
            return
        pipe = self._pipe
        if self._adapter is not None:
            pipe.unload_ip_adapter()
        self._adapter = None
        self._conditioner.forget_images()
        if adapter is None:
            return self._place()
        weights = locate(adapter.repo, self._base_dir, "IP-Adapter")
        weight_file = f"{adapter.subfolder}/{adapter.weight_name}".lstrip("/")
        require_cached(weights, weight_file, f"a local folder; the script form is `{ADAPTER_FORM}`")
        if self.attention_slicing:
            pipe.disable_attention_slicing()  # IP-Adapter cannot wrap sliced attention processors
        try:
            pipe.load_ip_adapter(weights.location, adapter.subfolder, adapter.weight_name)
        except Exception as error:
            raise setup_error(f"could not load IP-Adapter '{adapter.repo}' {weight_file}: "
                              f"{_first_line(error)}",
                              f'the script form is `{ADAPTER_FORM}` ["subfolder", default "models"]; '
                              'SDXL needs an SDXL adapter ("ip-adapter_sdxl.safetensors" "sdxl_models")',
                              code="R609") from error
        self._adapter = adapter
        self._place()
        self._conditioner.encode_no_image()  # the pipeline's own "no image" embedding

    def _memory_error(self, doing: str) -> RideRenderError:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        return RideRenderError(Problem(
            f"out of GPU memory: {doing} ({self._size[0]}x{self._size[1]}, {dtype_name(self._dtype)})",
            hint="render smaller (size 512x512), turn on attention slicing and VAE tiling or CPU offload "
                 "(docs/engines.md, 'Memory'), or close other programs using the GPU", code="R611"), path=self._script)


@contextmanager
def _quiet():
    """diffusers warns on every call of SDXL's VAE upcast (ModelMixin.to): it would flood the progress."""
    logger = logging.getLogger("diffusers.models.modeling_utils")
    was, logger.disabled = logger.disabled, True  # cheap, unlike set_verbosity, which clears logging's caches
    try:
        yield
    finally:
        logger.disabled = was


def _out_of_memory(error: RuntimeError) -> bool:
    """torch.OutOfMemoryError is a RuntimeError; MPS raises a plain one with the same words."""
    return "out of memory" in str(error).lower()


def _first_line(error: Exception) -> str:
    return (str(error).strip() or type(error).__name__).splitlines()[0]
