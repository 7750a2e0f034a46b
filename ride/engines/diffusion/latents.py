"""Pixels to latents and back, on the engine's device, and the frame's starting latents.

The engine, not the pipeline, encodes the init image and decodes the result: the frame crosses to the
device once as uint8 and comes back once as uint8 (quantised there, so a frame read back from the cache
is the same bytes), and the VAE runs in one dtype chosen at load (no per-frame upcasts and casts back).
The pipeline is handed clean latents as its `image` and its `prepare_latents` is replaced, on this one
pipeline object, by one that noises them with the frame's own noise (given by the caller, or drawn from
the frame's seed): what diffusers does, with the noise ride chose.
"""

from __future__ import annotations

import types
from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Start:
    """The latents a pipeline call starts from: clean latents to noise at the first timestep (img2img),
    or None to start from the noise alone (text to image)."""

    clean: torch.Tensor | None
    noise: torch.Tensor


def give_start(pipe) -> None:
    """Replace pipe.prepare_latents (this object only) by one that uses `pipe.ride_start`."""

    def prepare_latents(self, image, timestep, batch_size, num_images_per_prompt, dtype, device, *args, **kwargs):
        start: Start = self.ride_start
        noise = start.noise.to(device=device, dtype=dtype)
        if start.clean is None:
            return noise * self.scheduler.init_noise_sigma
        return self.scheduler.add_noise(start.clean.to(device=device, dtype=dtype), noise, timestep)

    pipe.ride_start = None
    pipe.prepare_latents = types.MethodType(prepare_latents, pipe)


def latent_shape(pipe, width: int, height: int) -> tuple[int, int, int]:
    return (pipe.unet.config.in_channels, height // pipe.vae_scale_factor, width // pipe.vae_scale_factor)


def encode(vae, image: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 (H, W, 3) -> scaled latents (1, 4, H/8, W/8) on the device, in the VAE's dtype. The
    distribution's mean, not a sample: no randomness beyond the frame's noise."""
    pixels = torch.from_numpy(np.ascontiguousarray(image)).to(device, non_blocking=True)
    pixels = pixels.permute(2, 0, 1)[None].to(vae.dtype).div_(127.5).sub_(1.0)
    with torch.no_grad():
        latents = vae.encode(pixels).latent_dist.mode()
    return _scaled(vae, latents)


def decode(vae, latents: torch.Tensor) -> torch.Tensor:
    """Latents -> uint8 (H, W, 3), still on the device; NaNs (float16 overflow) are left for the caller."""
    config = vae.config
    latents = latents.to(vae.dtype) / config.scaling_factor
    if getattr(config, "shift_factor", None):
        latents = latents + config.shift_factor
    with torch.no_grad():
        pixels = vae.decode(latents).sample[0].float()
    if not torch.isfinite(pixels).all():
        return pixels  # float: the engine reports it
    return pixels.add_(1.0).mul_(127.5).clamp_(0, 255).round_().to(torch.uint8).permute(1, 2, 0)


def _scaled(vae, latents: torch.Tensor) -> torch.Tensor:
    shift = getattr(vae.config, "shift_factor", None) or 0.0
    return (latents - shift) * vae.config.scaling_factor


def frame_noise(noise: np.ndarray | None, shape: tuple[int, int, int], seed: int,
                generator: torch.Generator) -> torch.Tensor:
    """The frame's unit Gaussian latent noise (1, C, H, W): the caller's, else drawn from the frame's seed
    on the CPU (the same on every device)."""
    if noise is None:
        return torch.randn((1, *shape), generator=generator, dtype=torch.float32)
    array = np.asarray(noise, dtype=np.float32)
    if array.shape != shape:
        raise ValueError(f"noise of shape {array.shape} for latents of shape {shape}")
    return torch.from_numpy(np.ascontiguousarray(array))[None]
