import numpy as np
import pytest

from ride.camera import camera_matrix, compose, invert, warp, warp_by
from ride.plan import Camera

SIZE = 64


def marker(x: int, y: int, size: int = SIZE) -> np.ndarray:
    image = np.zeros((size, size, 3), dtype=np.uint8)
    image[y - 1:y + 2, x - 1:x + 2] = 255
    return image


def centroid(image: np.ndarray) -> tuple[float, float]:
    weight = image[..., 0].astype(float)
    ys, xs = np.mgrid[0:image.shape[0], 0:image.shape[1]] + 0.5
    return float((xs * weight).sum() / weight.sum()), float((ys * weight).sum() / weight.sum())


def smooth_image(size: int = SIZE) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size] / size
    return np.stack([128 + 100 * np.sin(6 * x), 128 + 100 * np.cos(5 * y), 128 + 80 * np.sin(4 * (x + y))],
                    axis=-1).astype(np.uint8)


def test_identity_camera_returns_the_input_itself():
    image = smooth_image()
    assert warp(image, Camera()) is image
    assert warp(image, Camera(focus_x=0.2, focus_y=0.9)) is image
    assert warp_by(image, np.eye(3)) is image


def test_zoom_moves_content_away_from_the_focus_point():
    image = marker(44, 20)  # centre at (44.5, 20.5); focus at (32, 32)
    x, y = centroid(warp(image, Camera(zoom=1.2)))
    assert x == pytest.approx(32 + 1.2 * 12.5, abs=0.3)
    assert y == pytest.approx(32 - 1.2 * 11.5, abs=0.3)


def test_zoom_keeps_the_focus_point_still():
    image = marker(16, 40)
    x, y = centroid(warp(image, Camera(zoom=1.3, focus_x=16.5 / SIZE, focus_y=40.5 / SIZE)))
    assert (x, y) == pytest.approx((16.5, 40.5), abs=0.05)


def test_positive_pan_moves_content_right_and_down():
    image = smooth_image()
    moved = warp(image, Camera(pan_x=5, pan_y=3)).astype(int)
    assert np.abs(moved[3:, 5:] - image[:-3, :-5]).max() <= 1


def test_rotate_turns_content_counter_clockwise():
    image = marker(48, 32)  # centre (48.5, 32.5): 16.5 right of the frame's centre, 0.5 below
    x, y = centroid(warp(image, Camera(rotate=90)))
    assert (x, y) == pytest.approx((32.5, 15.5), abs=0.3)  # now 16.5 above it, 0.5 right


def test_rotating_a_symmetric_pattern_by_90_degrees_leaves_it_alone():
    y, x = np.mgrid[0:SIZE, 0:SIZE] + 0.5 - SIZE / 2
    rings = (128 + 120 * np.cos(np.hypot(x, y) / 2)).astype(np.uint8)
    image = np.repeat(rings[..., None], 3, axis=2)
    turned = warp(image, Camera(rotate=90)).astype(int)
    assert np.abs(turned - image).max() <= 1


def test_composed_warp_matches_warping_twice():
    image = smooth_image(128)
    first, second = Camera(zoom=1.05, pan_x=1.5, rotate=2), Camera(zoom=1.03, pan_y=-2, focus_x=0.4)
    twice = warp(warp(image, first), second).astype(int)
    once = warp_by(image, compose([first, second], 128, 128)).astype(int)
    assert np.abs(once - twice)[8:-8, 8:-8].mean() < 1.0


def test_compose_applies_the_first_camera_first():
    a, b = Camera(zoom=2.0), Camera(pan_x=10)
    point = np.array([40.0, 32.0, 1.0])
    expected = camera_matrix(b, 64, 64) @ (camera_matrix(a, 64, 64) @ point)
    assert compose([a, b], 64, 64) @ point == pytest.approx(expected)
    assert compose([], 64, 64) == pytest.approx(np.eye(3))


def test_invert_undoes_a_motion():
    matrix = compose([Camera(zoom=1.1, rotate=5, pan_x=3, focus_y=0.62)] * 4, 512, 512)
    assert invert(matrix) @ matrix == pytest.approx(np.eye(3))


@pytest.mark.parametrize("camera", [Camera(zoom=0.8), Camera(pan_x=20), Camera(rotate=30)])
def test_borders_fill_from_the_frame_not_black(camera):
    image = np.full((SIZE, SIZE, 3), 200, dtype=np.uint8)
    for border in ("reflect", "replicate"):
        assert warp(image, camera, border).min() >= 199


def test_replicate_repeats_the_edge_and_reflect_mirrors():
    image = np.zeros((SIZE, SIZE, 3), dtype=np.uint8)
    image[:, 0] = 255  # a bright left edge column
    image[:, 1:4] = 100
    replicated = warp(image, Camera(pan_x=6), "replicate")
    reflected = warp(image, Camera(pan_x=6), "reflect")
    assert replicated[10, :6, 0].tolist() == [255] * 6
    assert reflected[10, :6, 0].tolist() == [0, 0, 100, 100, 100, 255]  # mirrored about the edge


def test_zoom_must_be_positive():
    with pytest.raises(ValueError, match="camera zoom must be positive, got 0.0"):
        warp(smooth_image(), Camera(zoom=0.0))


def test_an_extreme_zoom_out_stays_bounded():
    out = warp(smooth_image(), Camera(zoom=0.001))
    assert out.shape == (SIZE, SIZE, 3)


def test_unknown_border_is_an_error():
    with pytest.raises(ValueError, match="unknown border 'wrap'"):
        warp(smooth_image(), Camera(zoom=1.1), "wrap")


def test_warp_keeps_shape_and_dtype_for_non_square_frames():
    image = np.zeros((48, 80, 3), dtype=np.uint8)
    for camera in (Camera(zoom=1.02), Camera(rotate=3), Camera(zoom=0.9, pan_y=2)):
        out = warp(image, camera)
        assert out.shape == (48, 80, 3) and out.dtype == np.uint8 and out.flags.writeable
