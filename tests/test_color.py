import numpy as np
import pytest

from ride.renderer.color import (
    SPACES,
    ColorReference,
    hsv_to_rgb,
    lab_to_rgb,
    match_colors,
    rgb_to_hsv,
    rgb_to_lab,
)


def scene(size: int = 96, seed: int = 0) -> np.ndarray:
    """A smooth, varied image with some noise, like a frame."""
    y, x = np.mgrid[0:size, 0:size] / size
    image = np.stack([200 * x + 30, 160 * y + 50, 220 - 150 * x * y], axis=-1)
    image += np.random.default_rng(seed).normal(0, 6, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def drifted(image: np.ndarray) -> np.ndarray:
    return np.clip(image * np.array([1.15, 0.9, 0.8]) + [12, 0, -8], 0, 255).astype(np.uint8)


def channel_means(image: np.ndarray) -> np.ndarray:
    return image.reshape(-1, 3).mean(axis=0)


@pytest.mark.parametrize("space", SPACES)
def test_matching_an_image_to_itself_changes_nothing(space):
    image = scene()
    assert np.array_equal(ColorReference(image, space).match(image), image)


@pytest.mark.parametrize("space", SPACES)
def test_a_drifted_image_moves_back_to_the_reference_colours(space):
    reference = scene()
    tinted = drifted(scene(seed=1))
    before = np.abs(channel_means(tinted) - channel_means(reference)).max()
    after = np.abs(channel_means(ColorReference(reference, space).match(tinted)) - channel_means(reference)).max()
    assert before > 20
    assert after < 0.35 * before


@pytest.mark.parametrize("space", SPACES)
def test_amount_moves_colours_part_of_the_way(space):
    reference, tinted = scene(), drifted(scene(seed=1))
    ref = ColorReference(reference, space)
    assert np.array_equal(ref.match(tinted, amount=0.0), tinted)
    full, half = (channel_means(ref.match(tinted, amount)) for amount in (1.0, 0.5))
    assert half == pytest.approx((full + channel_means(tinted)) / 2, abs=1.5)


def test_lab_matching_keeps_smooth_gradients_smooth():
    # each pixel takes its colour cell's correction; neighbouring cells must not disagree much
    y, x = np.mgrid[0:128, 0:256] / 256
    gradient = np.stack([255 * x, 300 * y + 30, 255 * (1 - x * y)], axis=-1).astype(np.uint8)
    matched = ColorReference(drifted(gradient), "lab").match(gradient).astype(int)
    assert np.abs(np.diff(matched, axis=1)).max() <= 20


def test_lab_of_known_colours():
    lab = rgb_to_lab(np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0]], dtype=float))
    assert lab[0] == pytest.approx([100, 0, 0], abs=0.01)
    assert lab[1] == pytest.approx([0, 0, 0], abs=0.01)
    assert lab[2] == pytest.approx([53.24, 80.09, 67.20], abs=0.05)


def test_lab_and_hsv_roundtrips_are_lossless():
    colours = np.random.default_rng(2).integers(0, 256, (1000, 3)).astype(float)
    assert np.abs(lab_to_rgb(rgb_to_lab(colours)) - colours).max() < 1e-6
    assert np.abs(hsv_to_rgb(rgb_to_hsv(colours)) - colours).max() < 1e-6


def test_hsv_matches_the_usual_definition():
    hue, saturation, value = rgb_to_hsv(np.array([200.0, 100.0, 50.0]))
    assert (hue, saturation, value) == pytest.approx((1 / 18, 0.75, 200 / 255))


def test_match_colors_is_a_one_off_reference():
    reference, image = scene(), drifted(scene(seed=3))
    assert np.array_equal(match_colors(image, reference), ColorReference(reference).match(image))


def test_matching_is_deterministic_and_keeps_shape():
    reference, image = scene(64), drifted(scene(64, seed=4))[:, :40]
    ref = ColorReference(reference, "lab")
    first, second = ref.match(image), ref.match(image)
    assert np.array_equal(first, second)
    assert first.shape == (64, 40, 3) and first.dtype == np.uint8


def test_unknown_space_is_an_error():
    with pytest.raises(ValueError, match="unknown colour space 'xyz'"):
        ColorReference(scene(), "xyz")
