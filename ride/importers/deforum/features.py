"""What a Deforum file turns on that ride cannot do: each kept as a comment and one warning line.

Only what is switched on is reported (a file lists every setting of the UI, most of them off):
nothing the file asks for is dropped silently.
"""

from __future__ import annotations

from ...engines.checkpoints import scheduler_name
from ...errors import RideError
from .tracks import Value


def check(file, parts, schedule) -> None:
    get = file.get
    on = []
    if str(get("hybrid_motion", "None")) != "None" or str(get("hybrid_composite", "None")) not in ("None", "False"):
        on.append(f"hybrid video (hybrid_motion {get('hybrid_motion')}, hybrid_composite {get('hybrid_composite')})")
    enabled = sorted({k.split("_")[1] for k, v in file.data.items() if k.startswith("cn_") and k.endswith("_enabled")
                      and v is True})
    if enabled:
        on.append("ControlNet unit(s) " + ", ".join(enabled))
    if get("controlnet_enabled") is True:
        on.append("ControlNet")
    for key, what in (("use_mask", "a mask (use_mask)"), ("use_mask_video", "a video mask (use_mask_video)"),
                      ("use_noise_mask", "a noise mask (use_noise_mask)"), ("use_looper", "guided images (use_looper)"),
                      ("enable_perspective_flip", "perspective flip"), ("flip_2d_perspective", "perspective flip"),
                      ("enable_checkpoint_scheduling", "checkpoint scheduling"),
                      ("enable_subseed_scheduling", "subseed scheduling"),
                      ("enable_sampler_scheduling", "sampler scheduling"),
                      ("enable_clipskip_scheduling", "CLIP skip scheduling"),
                      ("enable_noise_multiplier_scheduling", "noise multiplier scheduling"),
                      ("color_force_grayscale", "grayscale (color_force_grayscale)"),
                      ("frame_interpolation_engine", None)):
        if what and get(key) is True and what not in on:
            on.append(what)
    if str(get("frame_interpolation_engine", "None")) != "None":
        on.append(f"frame interpolation ({get('frame_interpolation_engine')})")
    if str(get("optical_flow_cadence", "None")) != "None" and _int(get("diffusion_cadence", 1)) > 1:
        on.append(f"optical flow cadence ({get('optical_flow_cadence')}): ride blends in-betweens")
    if _int(get("diffusion_redo", 0)) > 0:
        on.append("diffusion_redo")
    if isinstance(get("parseq_manifest"), str) and get("parseq_manifest").strip():
        on.append("a Parseq manifest inside the settings (import the manifest itself with `ride import deforum`)")
    if isinstance(get("amount_schedule"), str) and not _is_zero(file, schedule, "amount_schedule"):
        on.append("anti-blur (amount_schedule)")
    if "contrast_schedule" in file.data and not _is(file, schedule, "contrast_schedule", 1.0):
        on.append("contrast_schedule (ride has no contrast setting)")
    if get("use_init") is True and get("init_image"):
        on.append(f'the init image "{get("init_image")}": copy it beside the scene and write `init "name.png"`')
    for what in on:
        parts.unsupported(f"not imported: {what}")
    model = get("sd_model_name")
    if isinstance(model, str) and model:
        parts.notes.append(f'the model was "{model}": name it with `model "..."` (a hub id, folder or file)')
    sampler = get("sampler_name") or get("sampler")
    if isinstance(sampler, str) and sampler:
        try:
            name = scheduler_name(sampler.replace(" a", "_a") if sampler.endswith(" a") else sampler)
        except RideError:
            name = None
        if name:
            parts.settings.append(("scheduler", Value(name), f"Deforum's sampler {sampler}"))
        else:
            parts.notes.append(f'the sampler was "{sampler}": `scheduler` names ride\'s (see docs/engines.md)')


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _is(file, schedule, name: str, expected: float) -> bool:
    try:
        s = schedule(name)
    except RideError:  # a schedule ride does not use is only reported, never an error
        return False
    return s.is_constant and s.keys[0].number == expected


def _is_zero(file, schedule, name: str) -> bool:
    return _is(file, schedule, name, 0.0)
