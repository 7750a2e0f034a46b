"""The 3D camera (move, turn, fov, depth): its exact equalities with the 2D camera, parallax by depth,
composition, and its way through the renderer (frames at strength 0, determinism, cadence, loop
closure, the depth kept in the store)."""

import numpy as np
import pytest
from builders import compile_scene, feedback_render, make_plan, scene_text
from PIL import Image

from ride.camera import (
    compose_motion,
    depth_from_disparity,
    flat_matrix,
    focal_length,
    frame_motion,
    remap,
    sampling_map,
    scaled_depth,
    warp,
    warp_by,
)
from ride.engines.preview import PreviewEngine
from ride.plan import Camera
from ride.renderer.feedback import loop_motions
from ride.renderer.store import FrameStore

W, H = 96, 64
D = 80.0


def textured(width: int = W, height: int = H) -> np.ndarray:
    return np.random.default_rng(3).integers(0, 256, (height, width, 3), dtype=np.uint8)


def assert_same_map(a, b, tolerance=1e-3):
    assert np.abs(a[0] - b[0]).max() < tolerance and np.abs(a[1] - b[1]).max() < tolerance


# -- the equalities of DESIGN.md 1b, on the sampling maps and on warped frames ---------------------

@pytest.mark.parametrize("m", [1.0, 5.0, -7.5])
def test_moving_forward_against_a_flat_wall_is_a_zoom_about_the_centre(m):
    three_d = frame_motion(Camera(move_z=m), W, H)
    zoom = frame_motion(Camera(zoom=D / (D - m)), W, H)
    assert_same_map(sampling_map(three_d, W, H, D), sampling_map(zoom, W, H))
    image = textured()
    assert np.array_equal(warp(image, Camera(move_z=m), depth=D), warp(image, Camera(zoom=D / (D - m))))


@pytest.mark.parametrize("fov", [40.0, 75.0])
def test_moving_right_slides_the_picture_left_by_f_m_over_d(fov):
    m = 3.0
    f = (W / 2) / np.tan(np.radians(fov) / 2)
    assert focal_length(fov, W) == pytest.approx(f)
    three_d = Camera(move_x=m, fov=fov)
    slide = Camera(pan_x=-f * m / D)
    assert_same_map(sampling_map(frame_motion(three_d, W, H), W, H, D), sampling_map(frame_motion(slide, W, H), W, H))
    image = textured()
    assert np.array_equal(warp(image, three_d, depth=D), warp(image, slide))


def test_a_roll_is_a_rotate_about_the_centre_whatever_the_depth():
    image = textured()
    depth = scaled_depth(np.random.default_rng(1).uniform(10, 500, (H, W)).astype(np.float32))
    roll, rotate = Camera(turn_z=7.0), Camera(rotate=7.0)
    assert_same_map(sampling_map(frame_motion(roll, W, H), W, H, depth), sampling_map(frame_motion(rotate, W, H), W, H))
    for d in (D, depth, None):
        assert np.array_equal(warp(image, roll, depth=d), warp(image, rotate))


def test_the_2d_motion_applies_after_the_3d_motion():
    camera = Camera(move_z=4.0, zoom=1.05, rotate=3.0, pan_x=2.0, focus_x=0.3)
    expected = frame_motion(Camera(zoom=1.05, rotate=3.0, pan_x=2.0, focus_x=0.3), W, H).affine \
        @ frame_motion(Camera(zoom=D / (D - 4.0)), W, H).affine
    assert frame_motion(camera, W, H).homography(W, H, D) == pytest.approx(expected)


def test_the_map_with_a_flat_depth_is_the_flat_walls_homography():
    motion = frame_motion(Camera(move_x=1.5, move_z=3.0, turn_x=2.0, turn_y=-3.0, turn_z=1.0, zoom=1.02), W, H)
    inverse = np.linalg.inv(motion.homography(W, H, D))
    xs, ys = np.meshgrid(np.arange(W) + 0.5, np.arange(H) + 0.5)
    points = inverse @ np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
    expected = (points[0] / points[2] - 0.5).reshape(H, W), (points[1] / points[2] - 0.5).reshape(H, W)
    assert_same_map(sampling_map(motion, W, H, D), expected, 2e-3)


# -- directions, parallax ----------------------------------------------------------------------------

def test_turning_right_moves_the_picture_left_and_tilting_down_moves_it_up():
    centre = (np.array([(W - 1) / 2]), np.array([(H - 1) / 2]))
    map_x, map_y = sampling_map(frame_motion(Camera(turn_y=5.0), W, H), W, H, D)
    assert map_x[H // 2, W // 2] > centre[0][0] + 1  # the output centre reads from the right
    map_x, map_y = sampling_map(frame_motion(Camera(turn_x=5.0), W, H), W, H, D)
    assert map_y[H // 2, W // 2] > centre[1][0] + 1  # ... and from below when tilting down


def test_near_things_slide_further_than_far_things():
    depth = np.full((H, W), 100.0, dtype=np.float32)
    depth[H // 2:] = 50.0  # the lower half is twice as near
    map_x, _ = sampling_map(frame_motion(Camera(move_x=1.0), W, H), W, H, depth)
    column = np.arange(W, dtype=np.float32)
    f = focal_length(40.0, W)
    assert map_x[5] - column == pytest.approx(np.full(W, f / 100.0), abs=1e-3)
    assert map_x[H - 5] - column == pytest.approx(np.full(W, f / 50.0), abs=1e-3)


def test_moving_forward_over_a_depth_map_grows_near_things_faster():
    depth = np.full((H, W), 200.0, dtype=np.float32)
    depth[H // 2:] = 20.0
    map_x, _ = sampling_map(frame_motion(Camera(move_z=2.0), W, H), W, H, depth)
    far, near = map_x[5, -1] - map_x[5, 0], map_x[H - 5, -1] - map_x[H - 5, 0]
    assert far == pytest.approx((W - 1) * 198 / 200, abs=0.05)
    assert near == pytest.approx((W - 1) * 18 / 20, abs=0.05)


def test_depth_is_scaled_to_a_median_of_100():
    raw = np.random.default_rng(0).uniform(1, 9, (32, 32)).astype(np.float32)
    assert np.median(scaled_depth(raw)) == pytest.approx(100.0, rel=1e-4)
    disparity = np.linspace(0, 1, 64, dtype=np.float32)[None].repeat(8, 0)
    depth = depth_from_disparity(disparity)
    assert np.median(depth) == pytest.approx(100.0, rel=0.05)
    assert np.all(np.diff(depth[0]) < 0)  # larger disparity is nearer


# -- composition: cadence and loop closure ------------------------------------------------------------

def test_composed_frames_against_a_flat_wall_are_the_frames_one_by_one():
    cameras = [Camera(move_z=2.0, turn_y=1.0), Camera(move_x=1.0, rotate=2.0), Camera(move_z=3.0, turn_x=-0.5)]
    one_by_one = np.eye(3)
    for camera in cameras:
        one_by_one = frame_motion(camera, W, H).homography(W, H, D) @ one_by_one
    total = compose_motion(cameras, W, H)
    assert total.homography(W, H, D) == pytest.approx(one_by_one / one_by_one[2, 2])
    undo = total.inverse().homography(W, H, D) @ total.homography(W, H, D)
    assert undo / undo[2, 2] == pytest.approx(np.eye(3), abs=1e-9)


def test_the_rigid_motion_composes_exactly():
    cameras = [Camera(move_z=2.0, turn_y=1.0), Camera(move_x=1.0, turn_z=2.0)]
    total = compose_motion(cameras, W, H)
    point = np.array([3.0, -2.0, 90.0])
    step = point
    for camera in cameras:
        motion = frame_motion(camera, W, H)
        step = motion.rotation @ (step - motion.translation)
    assert total.rotation @ (point - total.translation) == pytest.approx(step)
    back = total.inverse()
    assert back.rotation @ (step - back.translation) == pytest.approx(point)


def test_loop_closure_carries_the_3d_motion_still_to_come():
    plan = make_plan(length=10, camera={"move": "0, 0, 2"}, loop="close 4")
    motions = loop_motions(plan)
    assert motions[9].translation == pytest.approx([0, 0, 2.0])  # the cut back to frame 0
    assert motions[6].translation == pytest.approx([0, 0, 8.0])  # frames 7, 8, 9 and the cut


def test_warp_by_follows_the_3d_motion_for_any_array():
    """The entry point noise and latents use: any channel count, float32, by the same map."""
    latents = np.random.default_rng(2).standard_normal((H, W, 6)).astype(np.float32)
    depth = np.full((H, W), 60.0, dtype=np.float32)
    depth[:, : W // 2] = 120.0
    motion = frame_motion(Camera(move_x=1.0, move_z=2.0), W, H)
    moved = warp_by(latents, motion, depth=depth, interpolation="linear")
    expected = remap(latents, *sampling_map(motion, W, H, depth), "reflect", "linear")
    assert moved.shape == latents.shape and moved.dtype == np.float32
    assert np.array_equal(moved, expected)


def test_the_preview_world_travels_with_the_3d_camera_at_the_middle_distance():
    assert flat_matrix(Camera(move_z=2.0), W, H) == pytest.approx(
        frame_motion(Camera(zoom=100 / 98), W, H).affine)
    f = focal_length(40.0, W)
    assert flat_matrix(Camera(move_x=2.0), W, H) == pytest.approx(frame_motion(Camera(pan_x=-f * 2 / 100), W, H).affine)
    assert flat_matrix(Camera(turn_z=3.0), W, H) == pytest.approx(frame_motion(Camera(rotate=3.0), W, H).affine)


# -- through the renderer ---------------------------------------------------------------------------

STILL = {"strength": 0, "noise": 0, "color_match": "off", "seed": "5"}


def frames_of(camera: dict, length: int = 6, **options) -> list[np.ndarray]:
    plan = make_plan(length=length, size=(W, H), camera=camera, **{**STILL, **options})
    return feedback_render(plan, PreviewEngine())


@pytest.mark.parametrize("three_d, two_d", [
    ({"move": "0, 0, 3", "depth": "128"}, {"zoom": "1.024"}),  # 128 / 125, exactly (the plan keeps 6 decimals)
    ({"move": "2, 0, 0", "depth": "80"}, {"pan": f"{-focal_length(40.0, W) * 2 / 80!r}, 0"}),
    ({"turn": "0, 0, 4"}, {"rotate": "4"}),  # depth auto: the preview's world depth
])
def test_rendered_frames_at_strength_0_are_the_2d_cameras(three_d, two_d):
    for a, b in zip(frames_of(three_d), frames_of(two_d)):
        assert np.array_equal(a, b)


def test_cadence_in_betweens_against_a_flat_wall_are_the_2d_cameras():
    three_d = frames_of({"move": "0, 0, 3", "depth": "128"}, length=7, cadence=3)
    two_d = frames_of({"zoom": "1.024"}, length=7, cadence=3)
    for a, b in zip(three_d, two_d):
        # in-betweens are aligned by a flow measured on the two warps (which may differ by a level), and
        # their fine detail is given back the strength interpolation takes: a level may become two
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 2


@pytest.mark.slow
def test_a_3d_render_is_the_same_run_to_run(tmp_path):
    options = {"camera": {"move": "0.5, 0, 2 + sin(t)", "turn": "0, 0.4, 0.2", "zoom": "1.01", "fov": "50"},
               "strength": 0.4, "seed": "3 iter", "cadence": 2, "loop": "close 3"}
    plan = make_plan(length=9, size=(W, H), **options)
    first = feedback_render(plan, PreviewEngine(), store=FrameStore(tmp_path / "a", PreviewEngine().identity()))
    again = feedback_render(make_plan(length=9, size=(W, H), **options), PreviewEngine())
    for a, b in zip(first, again):
        assert np.array_equal(a, b)
    assert not np.array_equal(first[4], frames_of({"zoom": "1.01"}, length=9)[4])  # the 3D camera moved it


def test_each_diffused_frames_depth_is_kept_beside_it(tmp_path):
    plan = make_plan(length=5, size=(W, H), camera={"move": "0, 0, 2"}, cadence=2)
    store = FrameStore(tmp_path, PreviewEngine().identity())
    feedback_render(plan, PreviewEngine(), store=store)
    keys = plan.keys()
    kept = [i for i in range(5) if store.get_depth(keys[i]) is not None]
    assert kept == [0, 2, 4]  # each diffused frame's, once the next one needed it (4: its in-betweens')
    depth = store.get_depth(keys[2])
    assert depth.shape == (H, W) and depth.dtype == np.float32
    assert np.median(depth) == pytest.approx(100.0, rel=1e-3)


def test_a_scene_without_3d_motion_makes_no_depth(tmp_path):
    plan = make_plan(length=4, size=(W, H), camera={"zoom": "1.02"})
    store = FrameStore(tmp_path, PreviewEngine().identity())
    feedback_render(plan, PreviewEngine(), store=store)
    assert not list(tmp_path.rglob("*.depth"))


# -- the language: vector forms, tracks, depth ----------------------------------------------------------

def test_move_and_turn_take_expressions_and_keys_per_component():
    plan = make_plan(length=5, camera={"move": "0, 0.5 * t, {0 0; 4 2}", "fov": "60"},
                     tracks={"turn_z": ["0 0", "4 8"]})
    column = plan.columns
    assert list(column["move_y"]) == [0, 0.5, 1.0, 1.5, 2.0]
    assert list(column["move_z"]) == [0, 0.5, 1.0, 1.5, 2.0]
    assert list(column["turn_y"]) == [0.0] * 5 and list(column["turn_z"]) == [0, 2, 4, 6, 8]
    assert plan.camera(2).fov == 60.0 and plan.camera(2).move_z == 1.0


def test_the_frame_keys_follow_the_3d_camera():
    still = make_plan(length=4, camera={"zoom": "1.01"})
    moving = make_plan(length=4, camera={"zoom": "1.01", "move": "0, 0, where(t > 1, 1, 0)"})
    assert still.keys()[:2] == moving.keys()[:2] and still.keys()[2] != moving.keys()[2]
    wider = make_plan(length=4, camera={"zoom": "1.01", "fov": "60"})
    assert wider.keys()[1] != still.keys()[1]


@pytest.mark.parametrize("written, kind, value", [
    ("auto", "auto", ""), ("none", "none", ""), ("250", "flat", "250"), ("12.5", "flat", "12.5"),
    ('"depth-anything/Depth-Anything-V2-Small-hf"', "model", "depth-anything/Depth-Anything-V2-Small-hf"),
])
def test_depth_is_a_scene_setting(written, kind, value):
    plan = make_plan(camera={"depth": written})
    assert (plan.settings.depth_kind, plan.settings.depth) == (kind, value)
    assert make_plan().settings.depth_kind == "auto"


def test_a_depth_maps_pixels_are_in_the_keys(tmp_path):
    text = scene_text(camera={"move": "0, 0, 1", "depth": '"near.png"'})
    Image.new("L", (8, 8), 200).save(tmp_path / "near.png")
    first = compile_scene(text, tmp_path)
    assert (first.settings.depth_kind, first.settings.depth) == ("map", "near.png")
    Image.new("L", (8, 8), 100).save(tmp_path / "near.png")
    assert compile_scene(text, tmp_path).keys()[0] != first.keys()[0]


def test_a_depth_map_picture_moves_white_things_more(tmp_path):
    picture = np.zeros((H, W), dtype=np.uint8)
    picture[H // 2:] = 255  # the lower half white: near
    Image.fromarray(picture).save(tmp_path / "depth.png")
    text = scene_text(length=3, size=(W, H), camera={"move": "1, 0, 0", "depth": '"depth.png"'},
                      strength=0, noise=0, color_match="off")
    plan = compile_scene(text, tmp_path)
    from ride.renderer.depth import FrameDepths

    depth = FrameDepths(plan, PreviewEngine(), None).of(1, np.zeros((H, W, 3), np.uint8))
    assert depth[H - 1, 0] < depth[0, 0]
    frames = feedback_render(plan, PreviewEngine())
    assert frames[1].shape == (H, W, 3)


def test_a_depth_goes_with_its_frame_when_the_cache_is_pruned(tmp_path):
    from ride.renderer.store import prune

    store = FrameStore(tmp_path, PreviewEngine().identity())
    depth = np.linspace(1, 500, W * H, dtype=np.float32).reshape(H, W)
    for key in ("aa11", "bb22"):
        store.put(key, textured())
        store.put_depth(key, depth)
    assert np.array_equal(store.get_depth("aa11"), depth)  # exactly: a resume warps by the same depth
    assert prune(tmp_path, keep={"bb22"}) == 1
    assert store.get_depth("aa11") is None and store.get_depth("bb22") is not None
    store.depth_path("bb22").write_bytes(b"damaged")
    assert store.get_depth("bb22") is None and not store.depth_path("bb22").exists()


def test_set_overrides_the_3d_camera():
    from ride.compile.compiler import Overrides, compile_text
    from ride.compile.overrides import SettingOverride

    text = scene_text(camera={"move": "0, 0, 1", "turn": "0, 0.5, 0", "depth": "100"})

    def plan(*pairs):
        return compile_text(text, overrides=Overrides(settings=tuple(SettingOverride(*p) for p in pairs)))

    changed = plan(("move_z", "3"), ("depth", "auto"), ("fov", "60"))
    assert changed.camera(1).move_z == 3.0 and changed.camera(1).fov == 60.0
    assert changed.camera(1).turn_y == 0.5 and changed.settings.depth_kind == "auto"
    assert plan(("turn", "0, 0, 2")).camera(1).turn_y == 0.0  # all three of `turn`, as the script's line


def test_a_far_3d_zoom_out_is_antialiased_as_the_2d_one():
    """A loop anchor after many frames of flying forward looks back a long way: the source is reduced
    first, as for the 2D zoom, instead of sampling every 11th pixel (unreduced: a std of 95)."""
    grid = np.zeros((H, W, 3), dtype=np.uint8)
    grid[:, ::3] = 255
    grid[::4] = 255  # fine detail: seen from far away it must average out, not alias
    back = compose_motion([Camera(move_z=9.0, move_x=0.37)] * 20, W, H).inverse()
    middle = warp_by(grid, back, depth=D)[H // 3:2 * H // 3, W // 3:2 * W // 3]
    assert abs(float(middle.mean()) - float(grid.mean())) < 10 and middle.std() < 30
