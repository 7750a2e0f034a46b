"""Cadence in-betweens aligned by the residual flow between their diffused frames, and as sharp as them."""

from __future__ import annotations

import builders as B
import numpy as np

from ride.camera import warp_by
from ride.engines.preview import PreviewEngine
from ride.renderer.feedback import in_between
from ride.renderer.motion_metrics import detail
from ride.renderer.residual_flow import residual_flow


def _texture(seed: int, size=(96, 128)) -> np.ndarray:
    from PIL import Image, ImageFilter

    noise = np.random.default_rng(seed).integers(0, 256, size + (3,), dtype=np.uint8)
    return np.asarray(Image.fromarray(noise).filter(ImageFilter.GaussianBlur(1.5)))


def test_residual_flow_finds_a_shift_the_camera_does_not_explain():
    a = _texture(1)
    b = warp_by(a, np.array([[1, 0, 3.0], [0, 1, -2.0], [0, 0, 1]]))
    flow = residual_flow(a, b)
    inner = flow[24:-24, 24:-24].reshape(-1, 2)
    assert np.allclose(np.median(inner, axis=0), [3, -2], atol=0.5)


def test_residual_flow_of_unrelated_grain_is_small():
    flow = residual_flow(_texture(1), _texture(2))
    assert float(np.median(np.hypot(flow[..., 0], flow[..., 1]))) < 1.0


def test_an_aligned_in_between_meets_both_sides_half_way():
    plan = B.make_plan("a road", length=4, size=(128, 96), cadence=2)
    before = _texture(3)
    after = warp_by(before, np.array([[1, 0, 4.0], [0, 1, 0.0], [0, 0, 1]]))  # moved 4 px right, not by the camera
    middle = in_between(before, after, plan, 0, 1, 2)
    expected = warp_by(before, np.array([[1, 0, 2.0], [0, 1, 0.0], [0, 0, 1]]))
    inner = (slice(20, -20), slice(20, -20))
    aligned_error = np.abs(middle[inner].astype(int) - expected[inner]).mean()
    plain_error = np.abs(in_between(before, after, plan, 0, 1, 2, aligned=False)[inner].astype(int)
                         - expected[inner]).mean()
    assert aligned_error < 0.6 * plain_error
    assert detail(middle) > 0.9 * detail(before)
    assert detail(in_between(before, after, plan, 0, 1, 2, aligned=False)) < 0.8 * detail(before)


def test_cadence_in_betweens_keep_their_keyframes_detail_on_the_preview():
    plan = B.make_plan("a mountain road", length=13, size=96, cadence=3, strength=0.4, camera={"zoom": 1.01})
    frames = B.feedback_render(plan, PreviewEngine())
    sharp = [detail(frames[k]) / ((detail(frames[k - k % 3]) + detail(frames[k - k % 3 + 3])) / 2)
             for k in range(1, 12) if k % 3]
    assert min(sharp) > 0.85
