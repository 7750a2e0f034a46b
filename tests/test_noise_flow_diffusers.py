"""`mode walk`, `loop circle` and `seed N flow` on a tiny diffusers pipeline (tests/tiny_sd.py)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

import builders as B  # noqa: E402
import tiny_sd as T  # noqa: E402

from ride.engines.diffusion import DiffusersEngine  # noqa: E402

torch.set_num_threads(1)
VALUES = {"model": "sd", "seed": "7", "strength": 0.6, "guidance": 3, "steps": 4, "noise": 0}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    base = tmp_path_factory.mktemp("sd")
    T.save_sd(base / "sd")
    return base


def _plan(folder, timeline, length, **options):
    return B.compile_scene(B.scene_text(timeline, length=length, size=32, **{**VALUES, **options}), folder, "t.ride")


def test_walk_round_a_circle_gives_frame_n_equal_to_frame_0(folder):
    """n + 1 frames of a circle of n: the frame after the circle's last is frame 0 again."""
    timeline = ['0 "a road"', '3 "a mountain" morph 2', '7 "a road" morph 3']
    plan = _plan(folder, timeline, 9, mode="walk", extra="loop circle 8")
    frames = B.feedback_render(plan, DiffusersEngine())
    assert int(np.abs(frames[8].astype(int) - frames[0]).max()) <= 1
    assert all(int(np.abs(f.astype(int) - frames[0]).max()) > 8 for f in frames[2:7])


def test_flow_noise_reaches_the_pipeline_and_moves_with_the_camera(folder):
    camera = {"pan": "2, 0"}
    engine = DiffusersEngine()
    flow = B.feedback_render(_plan(folder, "a road", 4, camera=camera, seed="7 flow"), engine)
    fixed = B.feedback_render(_plan(folder, "a road", 4, camera=camera), engine)
    assert np.array_equal(flow[0], flow[0]) and not np.array_equal(flow[2], fixed[2])
    again = B.feedback_render(_plan(folder, "a road", 4, camera=camera, seed="7 flow"), engine)
    assert all(np.array_equal(a, b) for a, b in zip(flow, again))


def test_given_noise_is_the_latent_noise(folder):
    engine = DiffusersEngine()
    plan = _plan(folder, "a road", 1)
    engine.prepare(plan)
    shape = engine.noise_shape(plan)
    assert shape[0] == 4 and shape[1] == shape[2]  # (channels, height, width) of the latents
    noise = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    frame = plan.frame(0)
    a, b = engine.generate(frame, None, noise=noise), engine.generate(frame, None, noise=-noise)
    assert np.array_equal(a, engine.generate(frame, None, noise=noise)) and not np.array_equal(a, b)
    init = np.full((32, 32, 3), 128, np.uint8)
    c, d = engine.generate(frame, init, noise=noise), engine.generate(frame, init, noise=-noise)
    assert not np.array_equal(c, d)
    assert np.array_equal(engine.generate(frame, init), engine.generate(frame, init))  # no noise: the seed's
