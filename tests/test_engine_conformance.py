"""What every engine promises the renderer (ride.engines.Engine), checked the same way for each.

Parametrized over the preview engine and the diffusers engine on the tiny random pipeline of
tests/tiny_sd.py. A new engine joins by adding an EngineKind to KINDS: it must be deterministic,
return uint8 HxWx3 images of the plan's size, have an identity that changes with whatever changes
its pixels (the frame cache keys on it), and close() idempotently.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import builders as B
import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

WIDTH, HEIGHT = 48, 32  # not square: a swapped height and width shows


@dataclass
class EngineKind:
    """How to make one engine, and which of its options must show in its identity."""

    name: str
    engine_class: type
    make: Callable[..., object]  # (**options) -> engine
    model: str | None  # the script's `model`, for the plan
    # label -> (options for make, or a change to the environment), each giving a different identity
    variants: dict[str, Callable[[pytest.MonkeyPatch], object]]


def preview_kind(folder: Path) -> EngineKind:
    from ride.engines.preview import PreviewEngine
    from ride.engines.preview import engine as preview

    # The preview has no options: what changes its pixels is the painter itself, named by its version.
    return EngineKind("preview", PreviewEngine, lambda **options: PreviewEngine(**options), None,
                      {"painter version": lambda mp: (mp.setattr(preview, "VERSION", "preview-test"),
                                                      PreviewEngine())[1]})


def diffusers_kind(folder: Path) -> EngineKind:
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    import torch

    from ride.engines.diffusion import DiffusersEngine

    torch.set_num_threads(1)  # tiny models on a shared machine: thread hand-offs cost more than the arithmetic

    def make(**options):
        return DiffusersEngine(model="sd", base_dir=str(folder), **options)

    return EngineKind("diffusers", DiffusersEngine, make, "sd", {
        "dtype": lambda mp: make(dtype="bfloat16"),
        "scheduler": lambda mp: make(scheduler="ddim"),
        "vae tiling": lambda mp: make(vae_tiling=True),
        "model": lambda mp: DiffusersEngine(model="other", base_dir=str(folder)),
    })


KINDS = {"preview": preview_kind, "diffusers": diffusers_kind}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A scene folder; the diffusers kind adds its tiny model when first asked for."""
    return tmp_path_factory.mktemp("conformance")


# The diffusers kind loads torch and a model folder: slow on a CPU (`pytest -m "not slow"` skips it).
@pytest.fixture(scope="module", params=["preview", pytest.param("diffusers", marks=pytest.mark.slow)])
def kind(request, folder) -> EngineKind:
    kind = KINDS[request.param](folder)
    if kind.model and not (folder / kind.model).exists():
        import tiny_sd

        tiny_sd.save_sd(folder / kind.model)
    return kind


@pytest.fixture(scope="module")
def plan(kind, folder):
    timeline = ['0 "a road by the sea"', '4 "a mountain pass, snow" morph 2']
    model = {"model": kind.model} if kind.model else {}
    return B.make_plan(timeline, length=5, size=(WIDTH, HEIGHT), folder=folder, seed="3 iter", steps=2,
                       strength=0.6, guidance=3, camera={"zoom": 1.02}, **model)


def made(kind: EngineKind, plan, frames: int = 3) -> list[np.ndarray]:
    """The first frames, through the renderer's loop (txt2img, then img2img of warped frames)."""
    return B.feedback_render(plan, kind.make(), stop=frames)


def test_same_frame_twice_gives_the_same_pixels(kind, plan):
    engine = kind.make()
    engine.prepare(plan)
    init = np.random.default_rng(1).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    for frame, start in ((plan.frame(0), None), (plan.frame(1), init)):  # txt2img, then img2img
        assert engine.generate(frame, start).tobytes() == engine.generate(frame, start).tobytes()


def test_a_fresh_engine_renders_the_same_frames(kind, plan):
    assert [f.tobytes() for f in made(kind, plan)] == [f.tobytes() for f in made(kind, plan)]


def test_images_are_uint8_of_the_plans_size(kind, plan):
    engine = kind.make()
    engine.prepare(plan)
    init = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)
    for image in (engine.generate(plan.frame(0), None), engine.generate(plan.frame(3), init)):
        assert image.shape == (HEIGHT, WIDTH, 3) and image.dtype == np.uint8


def test_identity_is_text_and_the_same_before_and_after_prepare(kind, plan):
    engine = kind.make()
    before = engine.identity()
    assert before and all(isinstance(k, str) and isinstance(v, str) for k, v in before.items())
    engine.prepare(plan)
    assert engine.identity() == before == kind.make().identity()


def test_identity_changes_with_what_changes_pixels(kind, monkeypatch):
    default = kind.make().identity()
    for label, variant in kind.variants.items():
        with monkeypatch.context() as mp:
            assert variant(mp).identity() != default, f"{kind.name}: identity ignores the {label}"


def test_close_is_idempotent(kind, plan):
    if not hasattr(kind.engine_class, "close"):
        pytest.skip("close() lands with the render-session branch")
    engine = kind.make()
    assert engine.close() is None  # before prepare: nothing to free
    engine.prepare(plan)
    engine.generate(plan.frame(0), None)
    for _ in range(2):  # watch mode may close an engine the session closes again on exit
        assert engine.close() is None
