"""Noise that moves with the camera (`seed N flow`), round a circle (`loop circle`), and `mode walk`."""

from __future__ import annotations

import builders as B
import numpy as np
import pytest

from ride.camera import camera_matrix
from ride.engines.preview import PreviewEngine
from ride.plan import Camera
from ride.renderer.frame_noise import ENGINE, PIXELS, FrameNoise
from ride.renderer.noise_warp import bilinear_warp_noise, gaussian, neighbour_correlation, warp_noise


def _zoom_and_turn(frames: int, warp) -> np.ndarray:
    matrix = camera_matrix(Camera(zoom=1.02, rotate=0.7, focus_x=0.45, focus_y=0.6), 64, 64)
    noise = gaussian(1, 0, (64, 64, 4))
    for _ in range(frames):
        noise = warp(noise, matrix)
    return noise


def test_warped_noise_stays_gaussian_after_300_frames_of_zoom_and_rotation():
    rng = np.random.default_rng(5)
    noise = _zoom_and_turn(300, lambda z, m: warp_noise(z, m, rng))
    assert abs(float(noise.mean())) < 0.03
    assert abs(float(noise.std()) - 1) < 0.02
    assert abs(neighbour_correlation(noise)) < 0.03


def test_bilinear_warping_is_the_failing_control():
    noise = _zoom_and_turn(300, bilinear_warp_noise)
    assert float(noise.std()) < 0.9  # blurred: the variance has drained away
    assert neighbour_correlation(noise) > 0.3


@pytest.mark.parametrize("pan", [(3, -2), (-1, 4), (0, 1)])
def test_a_whole_pixel_pan_shifts_the_noise_exactly(pan):
    dx, dy = pan
    noise = gaussian(2, 0, (40, 48, 3))
    moved = warp_noise(noise, camera_matrix(Camera(pan_x=dx, pan_y=dy), 48, 40), np.random.default_rng(0))
    h, w = noise.shape[:2]
    new = moved[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)]
    old = noise[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    np.testing.assert_allclose(new, old, atol=1e-5)  # k * (x / k) summed in float32


def test_a_small_zoom_keeps_most_of_the_noise_where_the_picture_took_it():
    noise = gaussian(3, 0, (64, 64, 1))
    matrix = camera_matrix(Camera(zoom=1.01), 64, 64)
    moved = warp_noise(noise, matrix, np.random.default_rng(1))
    back = bilinear_warp_noise(moved, np.linalg.inv(matrix))  # looked up where each pixel went
    inner = (slice(8, 56), slice(8, 56))
    assert np.corrcoef(back[inner].ravel(), noise[inner].ravel())[0, 1] > 0.5


def _plan(**options):
    values = {"seed": "7 flow", "strength": 0.4, "noise": 0.02}
    values.update(options)
    return B.make_plan("a road", length=12, size=48, camera={"zoom": 1.03, "rotate": 0.5}, **values)


def test_flow_noise_is_the_same_resumed_or_in_one_go():
    plan = _plan(cadence=2)
    whole = FrameNoise(plan)
    whole.add_shape(ENGINE, (6, 6, 4))
    noises = {d: whole.at(d) for d in range(0, 12, 2)}
    resumed = FrameNoise(plan)
    resumed.at(4)
    resumed.add_shape(ENGINE, (6, 6, 4))  # the engine's grid, known only once it is prepared
    for d in (6, 8):
        for name in (PIXELS, ENGINE):
            np.testing.assert_array_equal(resumed.at(d)[name], noises[d][name])


def test_circle_noise_returns_to_frame_0_and_stays_gaussian():
    plan = B.make_plan("a road", length=9, size=64, seed=3, extra="loop circle 8")
    path = FrameNoise(plan)
    np.testing.assert_allclose(path.at(8)[PIXELS], path.at(0)[PIXELS], atol=1e-5)
    assert abs(float(path.at(3)[PIXELS].std()) - 1) < 0.03
    assert not np.allclose(path.at(1)[PIXELS], path.at(0)[PIXELS])


def test_flow_renders_with_the_preview_and_follows_the_camera():
    frames = B.feedback_render(_plan(), PreviewEngine())
    assert len(frames) == 12 and all(f.shape == (48, 48, 3) for f in frames)
    fixed = B.feedback_render(_plan(seed=7), PreviewEngine())
    assert any(not np.array_equal(a, b) for a, b in zip(frames[1:], fixed[1:]))
    assert np.array_equal(frames[0], B.feedback_render(_plan(), PreviewEngine(), stop=1)[0])


def test_walk_with_a_circle_comes_back_to_frame_0_on_the_preview():
    plan = B.make_plan(['0 "a road"', '3 "the sea" morph 2', '7 "a road" morph 3'], length=9, size=48, seed=2,
                       mode="walk", extra="loop circle 8")
    frames = B.feedback_render(plan, PreviewEngine())
    assert np.array_equal(frames[8], frames[0])
    assert not np.array_equal(frames[4], frames[0])


def test_the_noise_path_is_in_the_frame_keys():
    plain = B.make_plan("a road", length=4, seed=7)
    assert plain.keys() != B.make_plan("a road", length=4, seed="7 flow").keys()
    assert plain.keys() != B.make_plan("a road", length=4, seed=7, mode="walk").keys()
    circle = B.make_plan("a road", length=4, seed=7, extra="loop circle").keys()
    assert circle != plain.keys() != B.make_plan("a road", length=4, seed=7, extra="loop circle 3").keys()
    assert plain.keys() == B.make_plan("a road", length=4, seed=7, mode="feedback").keys()


def test_the_forms_read_back_and_format():
    plan = B.make_plan("a road", length=4, seed="7 flow", mode="walk")
    assert (plan.settings.seed_mode, plan.settings.mode) == ("flow", "walk")
    again = type(plan).from_json(plan.to_json())
    assert again.settings == plan.settings and again.keys() == plan.keys()
    circle = B.make_plan("a road", length=10, seed="7 iter", extra="loop circle")
    assert (circle.settings.loop, circle.settings.loop_frames) == ("circle", 10)
    assert set(circle.columns["seed"]) == {7}  # one circle, from frame 0's seed
