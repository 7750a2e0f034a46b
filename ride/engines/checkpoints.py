"""What the diffusers engine decides without torch: which weights a name means (a folder, a file or a hub
id), their revision (part of the frame cache's key) and family, the scheduler a name means, which file an
image key means, how a prompt is cut into 77-token windows and how many steps img2img is asked for. Kept
apart so that these rules read, and test, without loading a model; ride/engines/diffusion/ owns torch.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import NO_SPAN, Problem, RideRenderError, did_you_mean
from ..plan import Adapter

# name -> (diffusers class, overrides of the model's own scheduler config)
SCHEDULERS = {
    "euler": ("EulerDiscreteScheduler", {}), "euler_a": ("EulerAncestralDiscreteScheduler", {}),
    "heun": ("HeunDiscreteScheduler", {}), "dpm++": ("DPMSolverMultistepScheduler", {}),
    "dpm++_karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    "dpm++_sde": ("DPMSolverMultistepScheduler", {"algorithm_type": "sde-dpmsolver++"}),
    "dpm2": ("KDPM2DiscreteScheduler", {}), "dpm2_a": ("KDPM2AncestralDiscreteScheduler", {}),
    "ddim": ("DDIMScheduler", {}), "ddpm": ("DDPMScheduler", {}), "deis": ("DEISMultistepScheduler", {}),
    "unipc": ("UniPCMultistepScheduler", {}), "lms": ("LMSDiscreteScheduler", {}),
    "pndm": ("PNDMScheduler", {"skip_prk_steps": True}),  # as SD ships it: PRK steps break img2img
    "lcm": ("LCMScheduler", {}), "tcd": ("TCDScheduler", {}),
}
_ALIASES = {"euler_ancestral": "euler_a", "dpm++_2m": "dpm++", "dpm++_2m_karras": "dpm++_karras",
            "dpmsolver": "dpm++", "k_euler": "euler", "k_euler_a": "euler_a", "k_lms": "lms"}
MODEL_HINT = "a model is a hub id, a local diffusers folder or a .safetensors/.ckpt file"
ADAPTER_FORM = 'adapter "h94/IP-Adapter" "ip-adapter_sd15.safetensors"'
# The IP-Adapter image keys use when the script names none: the reference weights for the family.
DEFAULT_ADAPTERS = {"sd": Adapter("h94/IP-Adapter", "ip-adapter_sd15.safetensors", "models"),
                    "sdxl": Adapter("h94/IP-Adapter", "ip-adapter_sdxl.safetensors", "sdxl_models")}
# model_index.json class -> family; a family is one set of weights that img2img and txt2img share.
_FAMILY_OF = {"StableDiffusionPipeline": "sd", "StableDiffusionImg2ImgPipeline": "sd",
              "LatentConsistencyModelPipeline": "sd", "LatentConsistencyModelImg2ImgPipeline": "sd",
              "StableDiffusionXLPipeline": "sdxl", "StableDiffusionXLImg2ImgPipeline": "sdxl"}
# Video repaints every frame: a safety checker would black frames out and a watermark would add noise.
LOAD_ARGS = {"sd": {"safety_checker": None, "requires_safety_checker": False},
             "sdxl": {"add_watermarker": False}}


def setup_error(message: str, hint: str = "", *, code: str) -> RideRenderError:
    """A problem found in prepare(), before frame 0, with a hint at the fix and its code (docs/errors.md)."""
    return RideRenderError(Problem(message, hint=hint, code=code))


@dataclass(frozen=True)
class Weights:
    name: str  # as the user wrote it
    kind: str  # "hub" | "folder" | "file"
    location: str  # the hub id or an absolute path


def scheduler_name(name: str | None) -> str | None:
    """The canonical scheduler name, None for the model's own; an unknown name is an error."""
    if name is None or name.strip().lower() in ("", "default"):
        return None
    key = name.strip().lower().replace("-", "_").replace(" ", "_").replace("dpmpp", "dpm++")
    key = _ALIASES.get(key, key)
    if key not in SCHEDULERS:
        raise setup_error(f"unknown scheduler '{name}'", did_you_mean(key, SCHEDULERS), code="R601")
    return key


def locate(name: str, base_dir: Path, what: str) -> Weights:
    """A path (from the script's folder, then the working folder) if one exists, else a hub id."""
    for root in (base_dir, Path.cwd()):
        path = root / Path(name).expanduser()
        if path.exists():
            return Weights(name, "file" if path.is_file() else "folder", str(path.resolve()))
    suffixes = (".safetensors", ".ckpt", ".pt", ".pth", ".bin")
    if name.lower().endswith(suffixes) or name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise setup_error(f"{what} '{name}' not found: no such file or folder (from {base_dir})", MODEL_HINT, code="R602")
    return Weights(name, "hub", name)


def require_cached(weights: Weights, filename: str, alternative: str) -> None:
    """A hub id that is not cached must be downloadable: say so at once, not after the hub
    client's minute of retries."""
    from huggingface_hub import constants

    if weights.kind != "hub" or _hub_commit(weights.name, filename) is not None:
        return
    why = "downloads are off (HF_HUB_OFFLINE)" if constants.HF_HUB_OFFLINE else (
        None if hub_reachable() else f"{constants.ENDPOINT} cannot be reached")
    if why:
        raise setup_error(f"'{weights.name}' is neither a folder here nor in the local Hugging Face cache, "
                          f"and {why}",
                          f"download it once, with network access (`hf download {weights.name}`), or use "
                          f"{alternative}", code="R602")


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the hub answers a connection at all (behind a proxy, assume it does)."""
    import os
    import socket
    from urllib.parse import urlparse

    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    if any(os.environ.get(name) for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True
    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def revision(weights: Weights, filename: str) -> str:
    """The hub commit; for a folder or file, a digest of file names, sizes and mtimes (nothing is read)."""
    if weights.kind == "hub":
        return _hub_commit(weights.name, filename, fetch=True) or "unknown"
    root = Path(weights.location)
    files = [root] if root.is_file() else sorted(
        p for p in root.rglob("*") if p.is_file() and ".cache" not in p.relative_to(root).parts)
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path.relative_to(root.parent)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return "files:" + digest.hexdigest()[:16]


def _hub_commit(repo: str, filename: str, fetch: bool = False) -> str | None:
    """The commit of a cached hub file; with `fetch`, online, that small file is fetched first (the load needs
    it anyway), so a first render keys its frames on the same commit as every later one."""
    from huggingface_hub import hf_hub_download, try_to_load_from_cache

    try:
        found = try_to_load_from_cache(repo, filename)
        if not isinstance(found, str) and fetch and hub_reachable():
            found = hf_hub_download(repo, filename)
    except Exception:  # not a repo id, no network...: prepare() reports what matters
        return None
    if not isinstance(found, str):
        return None
    parts = Path(found).parts
    return parts[parts.index("snapshots") + 1] if "snapshots" in parts else "unknown"


def model_revision(model: str | None, base_dir: Path) -> str:
    """The identity's revision of a model: "" without one, "missing" for a path that is not there."""
    try:
        weights = locate(model, base_dir, "model") if model else None
        return revision(weights, "model_index.json") if weights else ""
    except RideRenderError:  # no such path: prepare() will say so
        return "missing"


def pipeline_family(weights: Weights, class_name: str) -> str:
    """The family of a diffusers folder's pipeline class (model_index.json); refuses what cannot img2img."""
    family = _FAMILY_OF.get(class_name)
    if family is None:
        raise setup_error(f"model '{weights.name}' is a {class_name}, which ride cannot use for img2img",
                          "use a Stable Diffusion 1.x/2.x, SDXL, Turbo or LCM checkpoint", code="R603")
    return family


def image_file(base_dir: Path, value: str) -> tuple[Path, tuple]:
    """An image key's file, and the key its encoding is kept under: an edited image is encoded again."""
    path = base_dir / value
    if not path.is_file():
        raise setup_error(f"image key '{value}': no such file ({path})", "paths are relative to the script",
                          code="R610")
    stat = path.stat()
    return path, (str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def token_windows(tokenizer, text: str) -> list[list[int]]:
    """Ids in 77-token windows: BOS, up to 75 tokens, EOS, padding (for one window, diffusers' exact row)."""
    size = min(tokenizer.model_max_length, 77) - 2
    ids = tokenizer(text, add_special_tokens=False, truncation=False, verbose=False).input_ids
    chunks = [ids[i:i + size] for i in range(0, len(ids), size)] or [[]]
    bos, eos, pad = tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id
    return [[bos, *chunk, eos] + [pad] * (size - len(chunk)) for chunk in chunks]


# Schedulers distilled on a fixed grid of timesteps: at most that many steps (their original_inference_steps).
DISTILLED = {"LCMScheduler": "lcm", "TCDScheduler": "tcd"}
DISTILLED_STEPS = 50


def distilled_steps_problem(plan, scheduler: str | None, limit: int = DISTILLED_STEPS) -> Problem | None:
    """LCM and TCD run at most `limit` steps (their distillation's grid); more is a mistake of the script,
    at its `steps` line."""
    most = int(plan.columns["steps"].max()) if len(plan) else 0
    if scheduler not in DISTILLED.values() or most <= limit:
        return None
    return Problem(f"{scheduler.upper()} runs at most {limit} steps, and this scene asks for {most}",
                   plan.settings.spans.get("steps", NO_SPAN),
                   f"LCM and TCD are distilled for few steps: use steps 4 to 8 (at most {limit})", code="R660")
