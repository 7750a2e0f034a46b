import builders as B
import numpy as np
import pytest
from PIL import Image

from ride.engines import make_engine
from ride.engines.preview import FEATURES, PreviewEngine, encode_image, encode_prompt, read_features
from ride.errors import RideRenderError

SEA = "a road by the sea, trees on the right, sunny day, Italy"
MOUNTAIN = "a road going up a mountain, Dolomites, sunny day"


def make_plan(timeline, length: int = 3, size: int | tuple[int, int] = 96, seed: int = 1,
              strength: float = 0.35, zoom: float = 1.0, focus: str = "0.5, 0.62", folder="."):
    """`timeline`: one prompt, or the timeline's key lines (see builders.scene_text)."""
    return B.make_plan(timeline, length=length, size=size, seed=seed, strength=strength, steps=30, noise=0,
                       camera={"zoom": zoom, "focus": focus}, folder=folder)


def halfway(start: str, end: str, method: str) -> list[str]:
    """A timeline whose frame HALFWAY is a morph halfway from `start` to `end`."""
    return [f'0 "{start}"', f'5 "{end}" morph 4 {method}']


HALFWAY = 3


def first_frame(timeline, index: int = 0, **options) -> np.ndarray:
    """Frame `index` of the plan, generated from nothing (txt2img, as frame 0 is)."""
    plan = make_plan(timeline, length=index + 3, **options)
    engine = PreviewEngine()
    engine.prepare(plan)
    return engine.generate(plan.frame(index), None)


def luminance(image: np.ndarray) -> float:
    return float((image.astype(float) @ [0.299, 0.587, 0.114]).mean())


# -- words -> features ------------------------------------------------------------------------------

def features(text: str) -> dict[str, float]:
    return read_features(encode_prompt(text))[0]


def test_words_become_features_and_sides_follow_their_clause():
    f = features(SEA)
    assert (f["trees_right"], f["trees_left"]) == (1.0, 0.0)
    assert (f["sea_left"], f["sea_right"]) == (1.0, 0.0)  # the side the trees are not on
    assert (f["road"], f["day"], f["mountains"]) == (1.0, 1.0, 0.0)
    f = features("trees on the left and the sea")
    assert (f["trees_left"], f["sea_right"], f["sea_left"]) == (1.0, 1.0, 0.0)
    f = features(MOUNTAIN)
    assert (f["mountains"], f["peaks"], f["sea_left"]) == (1.0, 1.0, 0.0)


def test_unsaid_time_and_ground_default_to_a_day_meadow():
    f = features("a road")
    assert (f["day"], f["fields"], f["night"]) == (1.0, 1.0, 0.0)
    assert features("a road at night")["day"] == 0.0


def test_specific_trees_replace_round_ones_and_colours_tint():
    f = features("cypress trees, a red sky")
    assert (f["cypress"], f["round"], f["tint"]) == (1.0, 0.0, 1.0)
    assert f["tint_r"] > f["tint_g"]


def test_mix_weights_are_per_unit_of_prompt_weight():
    f, image_share = read_features(0.5 * encode_prompt("a road at night"))
    assert (f["night"], image_share) == (1.0, 0.0)


# -- engine -----------------------------------------------------------------------------------------

def test_identity_names_the_engine_and_version():
    identity = PreviewEngine().identity()
    assert identity["engine"] == "preview" and identity["version"].startswith("preview-")


def test_make_engine_picks_preview_without_a_model():
    assert isinstance(make_engine(make_plan("a road")), PreviewEngine)


def test_generate_is_deterministic():
    first, second = first_frame(SEA), first_frame(SEA)
    assert first.shape == (96, 96, 3) and first.dtype == np.uint8
    assert first.tobytes() == second.tobytes()


def test_seeds_vary_the_texture():
    assert np.abs(first_frame(SEA, seed=1).astype(int) - first_frame(SEA, seed=2)).mean() > 2


def test_a_road_by_the_sea_differs_clearly_from_a_mountain_road():
    # measured: about 31 levels of mean absolute difference at 96 and 512 px
    assert np.abs(first_frame(SEA).astype(int) - first_frame(MOUNTAIN)).mean() > 15


def test_night_is_dark():
    sunny, night = first_frame("a road by the sea, sunny day"), first_frame("a road by the sea at night")
    assert luminance(night) < 0.4 * luminance(sunny)  # measured: 38 vs 170


def test_strength_zero_keeps_the_init_and_one_repaints():
    plan = make_plan(SEA, strength=0.0)
    engine = PreviewEngine()
    engine.prepare(plan)
    init = np.random.default_rng(0).integers(0, 256, (96, 96, 3)).astype(np.uint8)
    assert np.array_equal(engine.generate(plan.frame(0), init), init)
    full = make_plan(SEA, strength=1.0)
    engine.prepare(full)
    painted = engine.generate(full.frame(0), init)
    assert np.array_equal(painted, engine.generate(full.frame(0), None))
    assert np.abs(painted.astype(int) - engine.target(full.frame(0))).mean() < 10  # texture only


def test_strength_blends_between_init_and_target():
    plan = make_plan(SEA, strength=0.25)
    engine = PreviewEngine()
    engine.prepare(plan)
    init = np.zeros((96, 96, 3), dtype=np.uint8)
    target = engine.generate(plan.frame(0), None).astype(float)
    assert engine.generate(plan.frame(0), init).mean() == pytest.approx(0.25 * target.mean(), abs=1.0)


def test_a_morph_halfway_gives_the_halfway_vector():
    start, end = "a road by the sea", "a road going up a mountain at night"
    plan = make_plan(halfway(start, end, "lerp"), length=6)
    assert plan.frame(HALFWAY).conditioning.morph.position == 0.5
    engine = PreviewEngine()
    engine.prepare(plan)
    vector = engine.scene_vector(plan.frame(HALFWAY))
    assert np.allclose(vector, (encode_prompt(start) + encode_prompt(end)) / 2)
    f = read_features(vector)[0]
    assert (f["night"], f["mountains"], f["sea_left"]) == (0.5, 0.5, 0.5)


def test_slerp_morph_paints_between_its_ends():
    morph = luminance(first_frame(halfway("a road, sunny day", "a road at night", "slerp"), index=HALFWAY))
    lum = [luminance(first_frame("a road, sunny day")), morph, luminance(first_frame("a road at night"))]
    assert lum[0] > lum[1] > lum[2]


def write_image(folder, colour=(150, 40, 160)) -> str:
    Image.new("RGB", (40, 30), colour).save(folder / "still.png")
    return "still.png"


def test_an_image_source_brings_its_palette(tmp_path):
    path, colour = write_image(tmp_path), np.array([150, 40, 160])
    mixed = [f'0 "{SEA}" * 0.5 + image "{path}" * 0.5']
    alone = first_frame(SEA).reshape(-1, 3).mean(axis=0)
    with_image = first_frame(mixed, folder=tmp_path).reshape(-1, 3).mean(axis=0)
    assert np.abs(with_image - colour).sum() < 0.6 * np.abs(alone - colour).sum()


def test_encode_image_records_palette_and_layout(tmp_path):
    vector = encode_image(str(tmp_path / write_image(tmp_path)))
    f, image_share = read_features(vector)
    assert image_share == 1.0 and not any(f.values())
    assert vector[2 + len(FEATURES):5 + len(FEATURES)] == pytest.approx([150 / 255, 40 / 255, 160 / 255], abs=0.01)


def test_an_unreadable_image_fails_in_prepare(tmp_path):
    plan = make_plan([f'0 image "{write_image(tmp_path)}"'], folder=tmp_path)  # there when checked,
    (tmp_path / "still.png").unlink()  # gone when the render starts
    with pytest.raises(RideRenderError, match="cannot read image"):
        PreviewEngine().prepare(plan)


def test_generate_needs_prepare():
    with pytest.raises(RideRenderError, match="not prepared"):
        PreviewEngine().generate(make_plan("a road").frame(0), None)


def test_zooming_forward_moves_what_the_road_passes():
    still, moving = make_plan(SEA, length=6), make_plan(SEA, length=6, zoom=1.05)
    engine = PreviewEngine()
    engine.prepare(still)
    assert np.array_equal(engine.target(still.frame(0)), engine.target(still.frame(5)))
    engine.prepare(moving)
    assert not np.array_equal(engine.target(moving.frame(0)), engine.target(moving.frame(5)))


def test_a_frame_depends_only_on_earlier_frames():
    # the frame cache keys frame k on frames 0..k: a longer plan must not change frame k's pixels
    short, long = make_plan(SEA, length=4, zoom=1.03), make_plan(SEA, length=9, zoom=1.03)
    shown = [B.feedback_render(plan, PreviewEngine(), stop=4)[-1] for plan in (short, long)]
    assert shown[0].tobytes() == shown[1].tobytes()


def test_other_sizes_and_focus_points():
    plan = make_plan(MOUNTAIN, size=(120, 80), focus="0.3, 0.62")
    engine = PreviewEngine()
    engine.prepare(plan)
    assert engine.generate(plan.frame(0), None).shape == (80, 120, 3)


def test_an_hour_of_zoom_and_sway_keeps_every_view_finite():
    # a zoom about a point multiplies any offset from it: 1.05^20000 is far past float range
    import math

    from ride.engines.preview.view import Views

    plan = B.make_plan("a road", length=20_000, camera={"zoom": "1.05", "pan": "sin(t / 9), 0"})
    views = Views(plan)
    last = views[len(plan) - 1]
    assert all(math.isfinite(v) for v in (last.vx, last.vy, last.turn, last.travel))
    assert views[1] == Views(plan)[1]  # made lazily, and the same each time
