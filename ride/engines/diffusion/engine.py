"""The diffusers engine: Stable Diffusion img2img driven by interpolated prompt embeddings.

prepare(plan), before frame 0 (every setup problem is a RideRenderError raised here):
  1. device and dtype: cuda, then mps, then cpu; float16 on a GPU
  2. the pipeline: hub id, folder or single file; loaded again only when the model changes
  3. the scheduler, by name, from the model's own scheduler config
  4. the IP-Adapter, for image keys
  5. every distinct prompt and image, encoded once and kept on the engine
generate(frame, init):
  6. the frame's embeddings, mixed and morphed from that cache by ride.morph
  7. one pipeline call: txt2img when init is None, else img2img; a CPU generator seeded per frame

Decisions a user sees (docs/engines.md says the same):
- Prompts and images live in different spaces. A frame's prompts are mixed among themselves (weights
  renormalised) into prompt_embeds and SDXL's pooled embeddings; its images likewise into the IP-Adapter
  image embedding, whose scale is the images' share of the weights times the frame's adapter_scale. A mix
  without prompts conditions on the empty prompt; in a morph, a side without images borrows the other
  side's, so only the scale moves. No image: scale 0, the adapter stays loaded.
- Prompts over 77 tokens are cut into 77-token windows, encoded and concatenated (as A1111 does); in a
  frame, shorter embeddings are padded with empty windows to match. Nothing is truncated.
- img2img runs int(steps * strength) steps; when that is 0 the schedule is stretched so that one step
  runs at that strength. A strength below one training timestep returns the init unchanged.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import diffusers
import numpy as np
import torch
from diffusers.models.embeddings import ImageProjection

from ...errors import Problem, RideRenderError
from ...plan import Adapter, Conditioning, FramePlan, Mix, Plan
from ..checkpoints import (
    ADAPTER_FORM,
    DEFAULT_ADAPTERS,
    MODEL_HINT,
    SCHEDULERS,
    Weights,
    image_file,
    img2img_steps,
    locate,
    model_revision,
    require_cached,
    scheduler_name,
    setup_error,
    token_windows,
)
from ..morph import image_conditioning, mix_conditioning, prompt_conditioning
from .loading import DTYPE_ARG, PIPELINES, choose_device, choose_dtype, dtype_name, free_memory, load_img2img


@dataclass(frozen=True)
class TextEmbedding:
    windows: np.ndarray  # (windows, 77, dim): the token embeddings of each 77-token window
    pooled: np.ndarray | None  # (1, dim): SDXL's pooled embedding, of the first window


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
        self._img2img = self._txt2img = self._model_key = self._adapter = self._identity = None
        self._scheduler_name = self._ip_scale = self._no_image = None
        self._device, self._dtype, self._family, self._script = torch.device("cpu"), torch.float32, "", ""
        self._texts: dict[str, TextEmbedding] = {}
        self._images: dict[tuple, np.ndarray] = {}  # (path, mtime, size) -> image embedding
        self._image_keys: dict[str, tuple] = {}  # image source -> its key in _images
        self._base_dir, self._size = Path(base_dir or "."), (512, 512)  # the script's folder, for paths

    @property
    def pipeline(self):
        """The img2img pipeline (None before prepare); the txt2img one shares its modules."""
        return self._img2img

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
                              "diffusers": diffusers.__version__}
        return self._identity

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

    def noise_shape(self, plan: Plan) -> tuple[int, int, int] | None:
        """The initial latent noise's grid (height, width, channels), once prepared: ride may hand
        generate() this noise (`seed N flow`, `loop circle`) instead of drawing it from the seed."""
        if self._img2img is None:
            return None
        factor = self._img2img.vae_scale_factor
        return plan.settings.height // factor, plan.settings.width // factor, self._img2img.unet.config.in_channels

    def generate(self, frame: FramePlan, init: np.ndarray | None, noise: np.ndarray | None = None) -> np.ndarray:
        """`noise` (optional, of noise_shape, unit Gaussian): the initial latent noise, instead of the seed's."""
        if self._img2img is None:
            raise RuntimeError("DiffusersEngine.generate() before prepare(plan)")
        args = {"guidance_scale": frame.guidance, "output_type": "np",
                "generator": torch.Generator("cpu").manual_seed(frame.seed % 2**64)}
        latent_noise = None if noise is None else self._tensor(np.transpose(noise, (2, 0, 1))[None])
        if init is None:
            pipe = self._text_to_image()
            args.update(width=self._size[0], height=self._size[1], num_inference_steps=max(1, frame.steps))
            if latent_noise is not None:
                args["latents"] = latent_noise  # the pipeline scales it by the scheduler's initial sigma
        else:
            strength = min(max(frame.strength, 0.0), 1.0)
            if strength * self._img2img.scheduler.config.num_train_timesteps < 1:
                return init.copy()  # not one timestep of noise: nothing would be repainted
            pipe = self._img2img
            args.update(image=init[None].astype(np.float32) / 255, strength=strength,
                        num_inference_steps=img2img_steps(frame.steps, strength))
        args.update(self._conditioning_args(frame))
        try:
            with _quiet(), _given_noise(pipe.scheduler, latent_noise if init is not None else None):
                image = pipe(**args).images[0]
        except RuntimeError as error:
            if not _out_of_memory(error):
                raise
            raise self._memory_error(f"frame {frame.index}") from None
        if not np.isfinite(image).all():
            raise RideRenderError(Problem(f"the model produced NaNs (a black frame) at frame {frame.index}",
                                          hint="float16 overflowed: use dtype float32 or an fp16-safe VAE "
                                               "(SDXL: madebyollin/sdxl-vae-fp16-fix)", code="R612"),
                                  path=self._script)
        return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)

    def close(self) -> None:
        """Drops the pipelines and cached embeddings, giving GPU memory back (idempotent); prepare() loads again."""
        loaded = self._img2img is not None
        self._img2img = self._txt2img = self._base_scheduler = self._model_key = None  # _load() resets the rest
        for cache in (self._texts, self._images, self._image_keys):
            cache.clear()
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
        # Image keys without an `adapter` line use the family's reference IP-Adapter.
        self._use_adapter(s.adapter or (DEFAULT_ADAPTERS.get(self._family) if images else None), images)
        for text in sorted({src.value for src in sources if src.kind == "prompt"}):
            self._text(text)
        for value in images:
            self._encode_image(value)

    def _load(self, weights: Weights, device: torch.device, dtype: torch.dtype) -> None:
        self._img2img = self._txt2img = self._model_key = self._adapter = self._scheduler_name = None
        self._texts.clear()
        self._images.clear()
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
        self._img2img, self._base_scheduler = pipe, pipe.scheduler
        self._place()

    def _place(self) -> None:
        """Memory switches and device placement (again whenever an adapter swaps attention processors)."""
        pipe = self._img2img
        if self.attention_slicing and self._adapter is None:  # sliced processors would replace IP-Adapter's
            pipe.enable_attention_slicing()
        if self.vae_tiling:
            pipe.vae.enable_tiling()
        if self.cpu_offload and self._device.type != "cpu":
            pipe.enable_model_cpu_offload(device=self._device)
        else:
            pipe.to(self._device)

    def _use_scheduler(self, name: str | None) -> None:
        if name == self._scheduler_name:
            return
        scheduler = self._base_scheduler
        if name is not None:
            class_name, overrides = SCHEDULERS[name]
            try:
                scheduler = getattr(diffusers, class_name).from_config(scheduler.config, **overrides)
            except ImportError as error:  # LMS needs scipy
                raise setup_error(f"scheduler '{name}' needs a missing package: {_first_line(error)}",
                                  "pip install scipy, or choose another scheduler", code="R607") from None
        self._img2img.scheduler = scheduler
        self._txt2img, self._scheduler_name = None, name

    def _use_adapter(self, adapter: Adapter | None, images: list[str]) -> None:
        if adapter is None and images:
            raise setup_error(f'image keys (image "{images[0]}") need an IP-Adapter, and there is no '
                              f"default one for this model ({self._family})",
                              f"add an `adapter` line for this model; the SD 1.5 form is `{ADAPTER_FORM}`",
                              code="R608")
        if adapter == self._adapter:
            return
        pipe = self._img2img
        if self._adapter is not None:
            pipe.unload_ip_adapter()
        self._adapter = self._txt2img = self._ip_scale = None
        self._images.clear()
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
        _, self._no_image = self._image_embedding(_blank_image())  # the pipeline's own "no image" embedding

    # -- encoding, once per distinct source ------------------------------------------------

    def _text(self, text: str) -> TextEmbedding:
        if text not in self._texts:
            self._texts[text] = self._encode_text(text)
        return self._texts[text]

    def _encode_text(self, text: str) -> TextEmbedding:
        """Each text encoder called once, on all the text's windows; as diffusers' encode_prompt otherwise."""
        pipe, xl = self._img2img, self._family == "sdxl"
        both = ((pipe.tokenizer, pipe.text_encoder), (getattr(pipe, "tokenizer_2", None),
                                                      getattr(pipe, "text_encoder_2", None)))
        pairs = [(tok, enc) for tok, enc in both if enc is not None]  # an SDXL refiner has only the second
        rows = [token_windows(tok, text) for tok, _ in pairs]
        count = max(len(r) for r in rows)
        hidden, pooled = [], None
        with torch.no_grad():
            for (tok, enc), ids in zip(pairs, rows, strict=True):
                ids = ids + token_windows(tok, "") * (count - len(ids))
                out = enc(torch.tensor(ids, device=self._device), output_hidden_states=xl)
                if xl:  # SDXL reads the penultimate layer, and the projection's pooled output
                    hidden.append(out.hidden_states[-2])
                    pooled = out[0][:1] if out[0].ndim == 2 else pooled
                else:
                    hidden.append(out[0])
        windows = torch.cat(hidden, dim=-1).float().cpu().numpy()
        return TextEmbedding(windows, None if pooled is None else pooled.float().cpu().numpy())

    def _encode_image(self, value: str) -> None:
        from PIL import Image, UnidentifiedImageError

        path, key = image_file(self._base_dir, value)
        if key not in self._images:
            try:
                with Image.open(path) as opened:
                    self._images[key] = self._image_embedding(opened.convert("RGB"))[0]
            except (OSError, UnidentifiedImageError) as error:
                raise setup_error(f"image key '{value}': cannot read {path}: {error}", code="R610") from None
        self._image_keys[value] = key

    def _image_embedding(self, picture) -> tuple[np.ndarray, np.ndarray]:
        """(embedding, the pipeline's embedding for no image); Plus adapters read hidden states."""
        pipe = self._img2img
        plus = not isinstance(pipe.unet.encoder_hid_proj.image_projection_layers[0], ImageProjection)
        with torch.no_grad():
            embeds, uncond = pipe.encode_image(picture, self._device, 1, plus)
        return embeds.float().cpu().numpy(), uncond.float().cpu().numpy()

    # -- generate: step 6 --------------------------------------------------------------------

    def _conditioning_args(self, frame: FramePlan) -> dict:
        xl = self._family == "sdxl"
        cfg = frame.guidance > 1 and self._img2img.unet.config.time_cond_proj_dim is None  # as the pipeline
        # SDXL's pipeline conditions an empty negative on zeros, not on the empty prompt
        zeros = xl and not frame.negative and self._img2img.config.force_zeros_for_empty_prompt
        texts = prompt_conditioning(frame.conditioning)
        values = {w.source.value for mix in _mixes(texts) for w in mix}
        values |= {frame.negative} if cfg and not zeros else set()
        count = max(len(self._text(v).windows) for v in values)
        prompt = mix_conditioning(texts, lambda s: self._padded(s.value, count))
        args = {"prompt_embeds": self._tensor(prompt)}
        if xl:
            pooled = mix_conditioning(texts, lambda s: self._text(s.value).pooled)
            args["pooled_prompt_embeds"] = self._tensor(pooled)
        if cfg:
            negative = np.zeros_like(prompt) if zeros else self._padded(frame.negative, count)
            args["negative_prompt_embeds"] = self._tensor(negative)
            if xl:
                pooled = np.zeros_like(pooled) if zeros else self._text(frame.negative).pooled
                args["negative_pooled_prompt_embeds"] = self._tensor(pooled)
        if self._adapter is not None:
            images, share = image_conditioning(frame.conditioning)
            embeds = self._no_image if images is None else mix_conditioning(
                images, lambda s: self._images[self._image_keys[s.value]])
            stacked = np.stack([self._no_image, embeds]) if cfg else embeds[None]  # (negative,) positive
            args["ip_adapter_image_embeds"] = [self._tensor(stacked)]
            self._set_ip_scale(share * frame.adapter_scale)
        return args

    def _padded(self, text: str, count: int) -> np.ndarray:
        windows = self._text(text).windows
        if len(windows) < count:
            windows = np.concatenate([windows] + [self._text("").windows] * (count - len(windows)))
        return windows.reshape(1, -1, windows.shape[-1])

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).to(self._device, self._dtype)

    def _set_ip_scale(self, scale: float) -> None:
        if scale != self._ip_scale:
            self._img2img.set_ip_adapter_scale(scale)  # the unet is shared, so txt2img follows
            self._ip_scale = scale

    def _text_to_image(self):
        if self._txt2img is None:  # the same modules as img2img: from_pipe allocates nothing
            self._txt2img = PIPELINES[self._family][1].from_pipe(self._img2img, **{DTYPE_ARG: self._dtype})
            self._txt2img.set_progress_bar_config(disable=True)
        return self._txt2img

    def _memory_error(self, doing: str) -> RideRenderError:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        return RideRenderError(Problem(
            f"out of GPU memory: {doing} ({self._size[0]}x{self._size[1]}, {dtype_name(self._dtype)})",
            hint="render smaller (size 512x512), turn on attention slicing and VAE tiling or CPU offload "
                 "(docs/engines.md, 'Memory'), or close other programs using the GPU", code="R611"), path=self._script)


def _mixes(cond: Conditioning) -> list[Mix]:
    return [cond.sources] + ([cond.morph.start] if cond.morph else [])


# -- loading -----------------------------------------------------------------------------------


@contextmanager
def _quiet():
    """diffusers warns on every call of SDXL's VAE upcast (ModelMixin.to): it would flood the progress."""
    logger = logging.getLogger("diffusers.models.modeling_utils")
    was, logger.disabled = logger.disabled, True  # cheap, unlike set_verbosity, which clears logging's caches
    try:
        yield
    finally:
        logger.disabled = was


@contextmanager
def _given_noise(scheduler, noise):
    """img2img noises the encoded init with `noise` instead of the generator's draw: the pipeline calls
    scheduler.add_noise(latents, drawn, timestep) once; this instance's add_noise swaps the draw."""
    if noise is None:
        yield
        return
    original = scheduler.add_noise
    scheduler.add_noise = lambda latents, _drawn, timesteps: original(latents, noise.to(latents.dtype), timesteps)
    try:
        yield
    finally:
        del scheduler.add_noise  # the class's method again


def _out_of_memory(error: RuntimeError) -> bool:
    """torch.OutOfMemoryError is a RuntimeError; MPS raises a plain one with the same words."""
    return "out of memory" in str(error).lower()


def _blank_image():
    from PIL import Image

    return Image.new("RGB", (224, 224))


def _first_line(error: Exception) -> str:
    return (str(error).strip() or type(error).__name__).splitlines()[0]
