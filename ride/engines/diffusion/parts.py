"""What a script loads into a model besides its weights: another VAE, LoRAs, textual-inversion embeddings.

Each is loaded in prepare() (a problem is an error before frame 0, at the script's line), kept while the
script keeps it, and swapped back out when it goes. A frame only sets the LoRAs' UNet weights
(`lora_scale`, a trackable column, times each line's weight); a LoRA's text-encoder layers, if it has any,
stay at the line's weight, since every prompt is encoded once.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ...errors import NO_SPAN, Problem, RideRenderError
from ...plan import Embedding, Lora, Plan
from ..checkpoints import Weights, locate, require_cached


def _located(plan: Plan, span_name: str, name: str, what: str, needs: str | None = None) -> Weights:
    """locate() (and, for a hub id, require_cached(needs)), an error placed at the script's line."""
    try:
        weights = locate(name, Path(plan.settings.base_dir), what)
        if needs:
            require_cached(weights, needs, "a local folder or .safetensors file")
        return weights
    except RideRenderError as error:
        problem = error.problems[0]
        raise _error(plan, span_name, problem.message, problem.hint, code=problem.code) from None


def _error(plan: Plan, span_name: str, message: str, hint: str, *, code: str) -> RideRenderError:
    return RideRenderError(Problem(message, plan.settings.spans.get(span_name, NO_SPAN), hint, code=code))


def _first_line(error: Exception) -> str:
    return (str(error).strip() or type(error).__name__).splitlines()[0]


class Parts:
    """The VAE, LoRAs and embeddings loaded into one pipeline."""

    def __init__(self, pipe, dtype: torch.dtype, base_dir: Path):
        self.pipe, self.dtype, self.base_dir = pipe, dtype, base_dir
        self.model_vae = pipe.vae
        self.vae: str | None = None
        self.loras: tuple[Lora, ...] = ()
        self.embeddings: tuple[Embedding, ...] = ()
        self._unet_weights: tuple[float, ...] | None = None

    # -- the VAE -------------------------------------------------------------------------------

    def use_vae(self, plan: Plan, name: str | None) -> bool:
        """Load `name` (None: the model's own); True when the VAE changed."""
        if name == self.vae:
            return False
        vae = self.model_vae if name is None else self._load_vae(plan, name)
        latent = self.pipe.unet.config.in_channels
        if vae.config.latent_channels != latent:
            raise _error(plan, "vae", f"VAE '{name}' makes {vae.config.latent_channels}-channel latents; this "
                         f"model's UNet takes {latent}", "use a VAE of the model's family (SD 1.x/2.x and SDXL "
                         "VAEs have 4 channels)", code="R661")
        self.pipe.vae, self.vae = vae.to(self.pipe.unet.device, vae_dtype(vae, self.dtype)), name
        return True

    def _load_vae(self, plan: Plan, name: str):
        from diffusers import AutoencoderKL

        weights = _located(plan, "vae", name, "VAE", needs="config.json")
        try:
            if weights.kind == "file":
                return AutoencoderKL.from_single_file(weights.location, torch_dtype=self.dtype)
            sub = "vae" if (Path(weights.location) / "vae" / "config.json").is_file() else None
            return AutoencoderKL.from_pretrained(weights.location, subfolder=sub, torch_dtype=self.dtype)
        except Exception as error:
            raise _error(plan, "vae", f"could not load VAE '{name}': {_first_line(error)}",
                         "a VAE is a hub id (madebyollin/sdxl-vae-fp16-fix), a diffusers folder (its own, or a "
                         "model's with vae/ inside) or a .safetensors file", code="R661") from None

    # -- LoRAs ---------------------------------------------------------------------------------

    def use_loras(self, plan: Plan, loras: tuple[Lora, ...]) -> bool:
        """Load the script's LoRAs (all again when the list changes); True when they changed."""
        if loras == self.loras:
            return False
        if self.loras:
            self.pipe.unload_lora_weights()
        self.loras, self._unet_weights = (), None
        for i, lora in enumerate(loras):
            self._load_lora(plan, i, lora)
        if loras:  # text encoders at the lines' weights, for the encoding that follows
            self.pipe.set_adapters(_names(loras), [lora.weight for lora in loras])
        self.loras = loras
        return True

    def _load_lora(self, plan: Plan, i: int, lora: Lora) -> None:
        weights = _located(plan, f"lora {i}", lora.path, "LoRA")
        try:
            location = _location(weights)
            self.pipe.load_lora_weights(location.pop("pretrained_model_name_or_path"), adapter_name=f"lora{i}",
                                        **location)
        except Exception as error:
            hint = ("install peft (`pip install peft`): diffusers loads LoRAs through it"
                    if "peft" in str(error).lower() else
                    "a LoRA of the model's family (an SD 1.5 LoRA does not fit SDXL), as a .safetensors file, "
                    "a folder holding one, or a hub id")
            raise _error(plan, f"lora {i}", f"could not load LoRA '{lora.path}': {_first_line(error)}", hint,
                         code="R662") from None

    def set_lora_scale(self, scale: float) -> None:
        """The frame's UNet LoRA weights: each line's weight times `scale` (set only when they change)."""
        if not self.loras:
            return
        weights = tuple(lora.weight * scale for lora in self.loras)
        if weights != self._unet_weights:
            self.pipe.unet.set_adapters(_names(self.loras), list(weights))
            self._unet_weights = weights

    # -- textual inversion ------------------------------------------------------------------------

    def use_embeddings(self, plan: Plan, embeddings: tuple[Embedding, ...]) -> bool:
        if embeddings == self.embeddings:
            return False
        if self.embeddings:
            self.pipe.unload_textual_inversion()
        self.embeddings = ()
        for i, embedding in enumerate(embeddings):
            self._load_embedding(plan, i, embedding)
        self.embeddings = embeddings
        return True

    def _load_embedding(self, plan: Plan, i: int, embedding: Embedding) -> None:
        weights = _located(plan, f"embedding {i}", embedding.path, "embedding")
        token = embedding.token or Path(embedding.path).stem  # as A1111: the file's name is the word
        pipe = self.pipe
        try:
            if getattr(pipe, "text_encoder_2", None) is not None and weights.kind == "file":
                state = _read_state(weights.location)  # SDXL embeddings hold one vector set per encoder
                if "clip_g" not in state:
                    raise ValueError("not an SDXL embedding (no clip_g / clip_l vectors)")
                pipe.load_textual_inversion(state["clip_g"], token=token, text_encoder=pipe.text_encoder_2,
                                            tokenizer=pipe.tokenizer_2)
                if pipe.text_encoder is not None:
                    pipe.load_textual_inversion(state["clip_l"], token=token, text_encoder=pipe.text_encoder,
                                                tokenizer=pipe.tokenizer)
            else:
                location = _location(weights)
                pipe.load_textual_inversion(location.pop("pretrained_model_name_or_path"), token=token, **location)
        except Exception as error:
            raise _error(plan, f"embedding {i}", f"could not load embedding '{embedding.path}': "
                         f"{_first_line(error)}", "a textual-inversion file of the model's family "
                         "(.safetensors, .pt or .bin); give a token that is not already a word: "
                         f'embedding "{embedding.path}" "<my-style>"', code="R663") from None


def vae_dtype(vae, dtype: torch.dtype) -> torch.dtype:
    """float32 for a VAE that overflows in float16 (SDXL's, config force_upcast), once at load instead of
    diffusers' upcast and cast back around every decode; else the model's dtype."""
    return torch.float32 if dtype == torch.float16 and vae.config.force_upcast else dtype


def _names(loras) -> list[str]:
    return [f"lora{i}" for i in range(len(loras))]


def _location(weights: Weights) -> dict:
    """load_*_weights arguments: a file is its folder and weight_name; a folder or hub id as it is."""
    if weights.kind == "file":
        path = Path(weights.location)
        return {"pretrained_model_name_or_path": str(path.parent), "weight_name": path.name}
    return {"pretrained_model_name_or_path": weights.location}


def _read_state(path: str) -> dict:
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(path)
    return torch.load(path, map_location="cpu", weights_only=True)
