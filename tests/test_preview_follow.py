"""Issue 11: the preview engine moves through a world, so its videos show the camera the script wrote.
*Follow* (ride/engines/preview/follow.py) is the share of the planned camera motion recovered from the
frames alone; bench/preview_follow.py prints it for the gallery."""

import numpy as np
import pytest
from conftest import write_scene
from PIL import Image

import ride
from ride.camera import warp
from ride.engines.preview import PreviewEngine
from ride.engines.preview.follow import fit_motion, measure_follow, phase_shift
from ride.plan import Camera

SCENE = """size 384x384
seed 1234
camera {{ {camera}; focus 0.5, 0.62 }}
timeline {{
  0 "a road in the countryside, trees, hills, sunny day"
  {frames} end
}}
"""


def render(path, frames: int) -> tuple[list[np.ndarray], ride.Plan]:
    out = {}
    ride.render(path, engine="preview", write_video=False, use_cache=False,
                on_frame=lambda event: out.setdefault(event.index, event.image))
    return [out[i] for i in range(frames)], ride.load(path)


def follow(tmp_path, camera: str, frames: int = 16):
    images, plan = render(write_scene(tmp_path, SCENE.format(camera=camera, frames=frames)), frames)
    return measure_follow(images, [plan.camera(i) for i in range(frames)]), images


@pytest.mark.parametrize("camera", ["pan 6, 0", "rotate 1", "zoom 1.01"])
def test_the_video_moves_as_the_camera_says(tmp_path, camera):
    # default strength (0.35) and noise (0.02), a fixed seed; measured 0.99, 0.99 and 0.92 at 384 px
    assert follow(tmp_path, camera)[0].follow >= 0.9


def test_phase_correlation_finds_the_pan(tmp_path):
    _, images = follow(tmp_path, "pan 6, 0")
    shifts = [phase_shift(a, b) for a, b in zip(images, images[1:])]
    assert np.median([x for x, _ in shifts]) == pytest.approx(6, abs=0.6)
    assert np.median([abs(y) for _, y in shifts]) < 0.6


def test_a_still_camera_shows_a_still_picture(tmp_path):
    result, _ = follow(tmp_path, "zoom 1", frames=6)
    assert all(abs(m.zoom - 1) < 2e-3 and abs(m.pan_x) < 0.3 for m in result.motions)


def test_the_measure_recovers_a_known_warp():
    image = _still()
    for camera in (Camera(pan_x=6), Camera(rotate=1, focus_y=0.62), Camera(zoom=1.01, focus_y=0.62)):
        m = fit_motion(image, warp(image, camera), (camera.focus_x, camera.focus_y))
        assert m.zoom == pytest.approx(camera.zoom, abs=0.002)
        assert m.rotate == pytest.approx(camera.rotate, abs=0.05)
        assert m.pan_x == pytest.approx(camera.pan_x, abs=0.2)


def _still() -> np.ndarray:
    plan = ride.compile_text(SCENE.format(camera="zoom 1", frames=2))
    engine = PreviewEngine()
    engine.prepare(plan)
    return engine.generate(plan.frame(0), None)


def test_frames_are_equal_run_to_run(tmp_path):
    _, first = follow(tmp_path, "zoom 1.01; rotate 0.5; pan 2, 1", frames=5)
    _, second = follow(tmp_path, "zoom 1.01; rotate 0.5; pan 2, 1", frames=5)
    assert [image.tobytes() for image in first] == [image.tobytes() for image in second]


def test_depth_is_near_at_the_bottom_and_far_in_the_sky():
    plan = ride.compile_text(SCENE.format(camera="zoom 1.01", frames=3))
    engine = PreviewEngine()
    engine.prepare(plan)
    depth = engine.depth(plan.frame(2))
    assert depth.shape == (384, 384) and depth.dtype == np.float32
    assert depth[-1].mean() < depth[250].mean() < depth[10].mean()  # ground near, horizon far, sky farthest
    engine.close()
    engine.close()  # idempotent


def test_a_morph_changes_the_world_rather_than_cross_fading_two_pictures():
    # halfway from a bare road to a tree-lined one the trees have grown half way: a cross-fade of the
    # two pictures would show full-size trees at half opacity
    text = SCENE.format(camera="zoom 1", frames=9).replace(
        '0 "a road in the countryside, trees, hills, sunny day"',
        '0 "a road, fields"\n  8 "a road, fields, trees" morph 8')
    plan = ride.compile_text(text)
    engine = PreviewEngine()
    engine.prepare(plan)
    bare, middle, trees = (engine.target(plan.frame(i)).astype(float) for i in (0, 4, 8))
    fade = (bare + trees) / 2
    assert np.abs(middle - fade).mean() > 8  # measured: 18 levels (a cross-fade would be 0)
    assert np.abs(middle - bare).mean() > 3 and np.abs(middle - trees).mean() > 3  # measured: 11 and 29


def test_an_image_key_colours_the_world_from_the_image(tmp_path):
    # a picture with a red top and a blue bottom: the sky turns red, the ground blue
    picture = np.zeros((32, 32, 3), dtype=np.uint8)
    picture[:16], picture[16:] = (220, 40, 30), (30, 60, 220)
    Image.fromarray(picture).save(tmp_path / "key.png")
    text = SCENE.format(camera="pan 4, 0", frames=2).replace(
        '"a road in the countryside, trees, hills, sunny day"', 'image "key.png"')
    plan = ride.load(write_scene(tmp_path, text))
    engine = PreviewEngine()
    engine.prepare(plan)
    image = engine.target(plan.frame(1)).astype(int)
    sky, ground = image[:60].reshape(-1, 3).mean(axis=0), image[-60:].reshape(-1, 3).mean(axis=0)
    assert sky[0] > sky[2] + 40 and ground[2] > ground[0] + 40
