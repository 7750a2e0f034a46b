"""Prompts and pictures to the embeddings a frame is conditioned on: each distinct text and image encoded
once (in prepare, negatives included), each frame's mix and morph built from those (ride.engines.morph).

- Prompts over 77 tokens are cut into 77-token windows, encoded and concatenated (as A1111 does); in a
  frame, shorter embeddings are padded with empty windows to match. Nothing is truncated.
- Prompts and pictures live in different spaces: a frame's prompts are mixed among themselves into
  prompt_embeds (and SDXL's pooled embeddings), its pictures into the IP-Adapter image embedding, whose
  scale is the pictures' share of the weights times the frame's adapter_scale.
- clip_skip N reads the text encoder's hidden state N layers before the last (through its final layer
  norm, as diffusers and A1111 do); SDXL reads the penultimate layer already and skips N more.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from diffusers.models.embeddings import ImageProjection

from ...conditioning import Conditioning, Mix
from ...plan import FramePlan
from ..checkpoints import image_file, setup_error, token_windows
from ..morph import image_conditioning, mix_conditioning, prompt_conditioning


@dataclass(frozen=True)
class TextEmbedding:
    windows: np.ndarray  # (windows, 77, dim): the token embeddings of each 77-token window
    pooled: np.ndarray | None  # (1, dim): SDXL's pooled embedding, of the first window


class Conditioner:
    """The encoders of one pipeline and the embeddings of every source seen (cleared when the model,
    its text encoders' weights (LoRA, embeddings) or clip_skip change)."""

    def __init__(self):
        self.pipe, self.xl, self.clip_skip = None, False, 0
        self.device, self.dtype = torch.device("cpu"), torch.float32
        self.texts: dict[str, TextEmbedding] = {}
        self.images: dict[tuple, np.ndarray] = {}  # (path, mtime, size) -> image embedding
        self.image_keys: dict[str, tuple] = {}  # image source -> its key in images
        self.no_image: np.ndarray | None = None  # the pipeline's embedding for "no picture"
        self.ip_scale: float | None = None

    def use(self, pipe, xl: bool, device: torch.device, dtype: torch.dtype, clip_skip: int = 0) -> None:
        if (pipe, clip_skip) != (self.pipe, self.clip_skip):
            self.texts.clear()
        self.pipe, self.xl, self.device, self.dtype, self.clip_skip = pipe, xl, device, dtype, clip_skip

    def forget_texts(self) -> None:
        self.texts.clear()

    def forget_images(self) -> None:
        self.images.clear()
        self.no_image = self.ip_scale = None

    def clear(self) -> None:
        self.pipe = None
        self.forget_texts()
        self.forget_images()
        self.image_keys.clear()

    # -- encoding, once per distinct source ------------------------------------------------

    def text(self, text: str) -> TextEmbedding:
        if text not in self.texts:
            self.texts[text] = self._encode_text(text)
        return self.texts[text]

    def _encode_text(self, text: str) -> TextEmbedding:
        """Each text encoder called once, on all the text's windows; as diffusers' encode_prompt otherwise."""
        pipe, xl = self.pipe, self.xl
        both = ((pipe.tokenizer, pipe.text_encoder), (getattr(pipe, "tokenizer_2", None),
                                                      getattr(pipe, "text_encoder_2", None)))
        pairs = [(tok, enc) for tok, enc in both if enc is not None and tok is not None]  # a refiner: the 2nd
        convert = getattr(pipe, "maybe_convert_prompt", None)  # a multi-vector embedding's token -> its tokens
        rows = [token_windows(tok, convert(text, tok) if convert else text) for tok, _ in pairs]
        count = max(len(r) for r in rows)
        hidden, pooled = [], None
        with torch.no_grad():
            for (tok, enc), ids in zip(pairs, rows, strict=True):
                ids = ids + token_windows(tok, "") * (count - len(ids))
                out = enc(torch.tensor(ids, device=enc.device), output_hidden_states=xl or self.clip_skip > 0)
                if xl:  # SDXL reads the penultimate layer, and the projection's pooled output
                    hidden.append(out.hidden_states[-2 - self.clip_skip])
                    pooled = out[0][:1] if out[0].ndim == 2 else pooled
                elif self.clip_skip:  # as diffusers: that layer through the final layer norm (transformers 5
                    norm = getattr(enc, "text_model", enc).final_layer_norm  # has it on the model itself)
                    hidden.append(norm(out.hidden_states[-1 - self.clip_skip]))
                else:
                    hidden.append(out[0])
        windows = torch.cat(hidden, dim=-1).float().cpu().numpy()
        return TextEmbedding(windows, None if pooled is None else pooled.float().cpu().numpy())

    def encode_image(self, base_dir: Path, value: str) -> None:
        from PIL import Image, UnidentifiedImageError

        path, key = image_file(base_dir, value)
        if key not in self.images:
            try:
                with Image.open(path) as opened:
                    self.images[key] = self._image_embedding(opened.convert("RGB"))[0]
            except (OSError, UnidentifiedImageError) as error:
                raise setup_error(f"image key '{value}': cannot read {path}: {error}", code="R610") from None
        self.image_keys[value] = key

    def encode_no_image(self) -> None:
        from PIL import Image

        _, self.no_image = self._image_embedding(Image.new("RGB", (224, 224)))

    def _image_embedding(self, picture) -> tuple[np.ndarray, np.ndarray]:
        """(embedding, the pipeline's embedding for no image); Plus adapters read hidden states."""
        pipe = self.pipe
        plus = not isinstance(pipe.unet.encoder_hid_proj.image_projection_layers[0], ImageProjection)
        with torch.no_grad():
            embeds, uncond = pipe.encode_image(picture, pipe.image_encoder.device, 1, plus)
        return embeds.float().cpu().numpy(), uncond.float().cpu().numpy()

    # -- a frame's arguments --------------------------------------------------------------------

    def arguments(self, frame: FramePlan, adapter: bool) -> dict:
        pipe, xl = self.pipe, self.xl
        cfg = frame.guidance > 1 and pipe.unet.config.time_cond_proj_dim is None  # as the pipeline
        # SDXL's pipeline conditions an empty negative on zeros, not on the empty prompt
        zeros = xl and not frame.negative and pipe.config.force_zeros_for_empty_prompt
        texts = prompt_conditioning(frame.conditioning)
        values = {w.source.value for mix in _mixes(texts) for w in mix}
        values |= {frame.negative} if cfg and not zeros else set()
        count = max(len(self.text(v).windows) for v in values)
        prompt = mix_conditioning(texts, lambda s: self._padded(s.value, count))
        args = {"prompt_embeds": self._tensor(prompt)}
        if xl:
            pooled = mix_conditioning(texts, lambda s: self.text(s.value).pooled)
            args["pooled_prompt_embeds"] = self._tensor(pooled)
        if cfg:
            negative = np.zeros_like(prompt) if zeros else self._padded(frame.negative, count)
            args["negative_prompt_embeds"] = self._tensor(negative)
            if xl:
                pooled = np.zeros_like(pooled) if zeros else self.text(frame.negative).pooled
                args["negative_pooled_prompt_embeds"] = self._tensor(pooled)
        if adapter:
            images, share = image_conditioning(frame.conditioning)
            embeds = self.no_image if images is None else mix_conditioning(
                images, lambda s: self.images[self.image_keys[s.value]])
            stacked = np.stack([self.no_image, embeds]) if cfg else embeds[None]  # (negative,) positive
            args["ip_adapter_image_embeds"] = [self._tensor(stacked)]
            self._set_ip_scale(share * frame.adapter_scale)
        return args

    def _padded(self, text: str, count: int) -> np.ndarray:
        windows = self.text(text).windows
        if len(windows) < count:
            windows = np.concatenate([windows] + [self.text("").windows] * (count - len(windows)))
        return windows.reshape(1, -1, windows.shape[-1])

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).to(self.device, self.dtype)

    def _set_ip_scale(self, scale: float) -> None:
        if scale != self.ip_scale:
            self.pipe.set_ip_adapter_scale(scale)
            self.ip_scale = scale


def _mixes(cond: Conditioning) -> list[Mix]:
    return [cond.sources] + ([cond.morph.start] if cond.morph else [])
