"""The feedback loop with the preview engine: determinism, loop closure, cadence, order, colour."""

import builders as B
import numpy as np
import pytest

import ride
from ride.engines.preview import PreviewEngine
from ride.renderer.publish import output_order, render
from ride.renderer.store import FrameStore

SCENE = """
size 64x64
fps 12
seed 7 iter
strength 0.45
camera {{
  zoom 1.03
  focus 0.5, 0.6
  rotate 0.5
}}
timeline {{
  0  "a road by the sea, sunny day"
  {k1} "a road going up a mountain, snow"   morph 3
  {k2} "a medieval town at night"
  {n} end
}}
{extra}
"""


def plan_of(tmp_path, n=36, extra="", name="scene.ride"):
    path = tmp_path / name
    path.write_text(SCENE.format(n=n, k1=n // 3, k2=2 * n // 3, extra=extra))
    return ride.load(path)


def frames_of(plan, store=None, stop=None):
    return dict(enumerate(B.feedback_render(plan, PreviewEngine(), store=store, stop=stop)))


def test_same_scene_renders_byte_identical_frames(tmp_path):
    plan = plan_of(tmp_path)
    a, b = frames_of(plan), frames_of(plan)
    assert sorted(a) == list(range(len(plan)))
    assert all(a[i].tobytes() == b[i].tobytes() for i in a)
    assert a[5].shape == (64, 64, 3) and a[5].dtype == np.uint8


@pytest.mark.slow
def test_loop_close_scores_far_better_than_an_open_scene(tmp_path):
    closed = render(plan_of(tmp_path, extra="loop close 12", name="closed.ride"), PreviewEngine(), None)
    opened = render(plan_of(tmp_path, name="open.ride"), PreviewEngine(), None)
    # seam: |last - first| / median |f(k) - f(k-1)|; about 1 means the cut is an ordinary one
    assert closed.seam < 0.5 * opened.seam
    assert closed.seam < 3.0


@pytest.mark.slow
def test_a_zooming_loop_closes_too(tmp_path):
    extra = "loop close 18"
    scene = SCENE.replace("zoom 1.03", "zoom 1.06")
    path = tmp_path / "zoom.ride"
    path.write_text(scene.format(n=36, k1=12, k2=24, extra=extra))
    closed = render(ride.load(path), PreviewEngine(), None)
    path.write_text(scene.format(n=36, k1=12, k2=24, extra=""))
    opened = render(ride.load(path), PreviewEngine(), None)
    assert closed.seam < 0.5 * opened.seam


def test_cadence_writes_every_frame_including_the_tail(tmp_path):
    plan = plan_of(tmp_path, n=27, extra="cadence 4")
    frames = frames_of(plan)
    assert sorted(frames) == list(range(27))
    # an in-between differs from both of its diffused neighbours (it is a blend, not a copy)
    assert not np.array_equal(frames[2], frames[0]) and not np.array_equal(frames[2], frames[4])


def test_reverse_and_pingpong_order(tmp_path):
    assert output_order(plan_of(tmp_path, n=5, extra="reverse"), 0, 5) == [4, 3, 2, 1, 0]
    assert output_order(plan_of(tmp_path, n=5, extra="loop pingpong"), 0, 5) == [0, 1, 2, 3, 4, 3, 2, 1]
    both = plan_of(tmp_path, n=5, extra="reverse\nloop pingpong")
    assert output_order(both, 0, 5) == [4, 3, 2, 1, 0, 1, 2, 3]


@pytest.mark.slow
def test_colour_match_reduces_drift_over_300_frames(tmp_path):
    # A strong repaint toward a prompt unlike frame 0's pulls colours away; matching holds them.
    scene = ("size 64x64\nstrength 0.3\nnoise 0.04\nseed 3 iter\ncamera {{ zoom 1.02 }}\n"
             "timeline {{\n  0 \"a green countryside, springtime\"\n  20 \"a red desert at sunset\"\n"
             "  300 end\n}}\n{extra}\n")

    def drift(extra):
        path = tmp_path / "drift.ride"
        path.write_text(scene.format(extra=extra))
        frames = frames_of(ride.load(path))
        first = frames[0].reshape(-1, 3).mean(0)
        return float(np.mean([np.abs(frames[i].reshape(-1, 3).mean(0) - first).sum() for i in range(250, 300)]))

    matched, unmatched = drift("color match frame0 lab"), drift("color match off")
    print(f"mean colour drift over frames 250-299: matched {matched:.1f}, off {unmatched:.1f}")
    assert matched < 0.5 * unmatched


@pytest.mark.slow
def test_resume_from_the_store_gives_the_same_frames(tmp_path):
    plan = plan_of(tmp_path, extra="cadence 3\nloop close 9")
    clean = frames_of(plan)
    store = FrameStore(tmp_path / "cache", PreviewEngine().identity())
    B.feedback_render(plan, PreviewEngine(), store=store, stop=17)  # stop part-way
    resumed = render(plan, PreviewEngine(), None, store=store)
    assert resumed.reused >= 17 and resumed.rendered == len(plan) - resumed.reused
    for i, key in enumerate(plan.keys()):
        assert np.array_equal(store.get(key), clean[i]), i


def test_init_image_is_frame_0(tmp_path):
    from PIL import Image

    Image.new("RGB", (32, 32), (200, 30, 30)).save(tmp_path / "start.png")
    plan = plan_of(tmp_path, extra='init "start.png"')
    first = frames_of(plan, stop=1)[0]
    assert first.shape == (64, 64, 3) and tuple(first[10, 10]) == (200, 30, 30)


def test_frames_outside_the_scene_are_an_error(tmp_path):
    path = tmp_path / "s.ride"
    path.write_text(SCENE.format(n=10, k1=3, k2=6, extra=""))
    with pytest.raises(ride.RideError):
        ride.render(path, frames=(5, 50), write_video=False, use_cache=False)


def test_editing_a_cadence_frame_changes_the_keys_of_earlier_in_betweens(tmp_path):
    # frame 1 is a blend of frames 0 and 4, carried back by the cameras of frames 2..4
    base = plan_of(tmp_path, n=13, extra="cadence 4", name="a.ride")
    edited = plan_of(tmp_path, n=13, extra="cadence 4\ntrack pan_x {\n  0 0\n  2 3 hold\n  3 0 hold\n}",
                     name="b.ride")
    assert base.keys()[0] == edited.keys()[0]
    assert base.keys()[1] != edited.keys()[1]


def test_a_closing_loop_keeps_strength_and_noise_for_the_engine(tmp_path):
    """Loops close in noise and conditioning space: the engine repaints closing frames as fully as any."""
    seen = {}

    class Recording(PreviewEngine):
        def generate(self, frame, init):
            seen[frame.index] = frame
            return super().generate(frame, init)

    plan = plan_of(tmp_path, n=20, extra="loop close 4\nnoise 0.04")
    B.feedback_render(plan, Recording())
    assert plan.frame(19).loop_blend == pytest.approx(0.8)
    assert seen[19].strength == pytest.approx(0.45) and seen[19].noise == pytest.approx(0.04)
    assert seen[19].seed == seen[0].seed and seen[19].conditioning.sources == plan.frame(0).conditioning.sources


def test_the_loop_anchor_pulls_only_where_frame_0_is(tmp_path):
    """Frame 0 carried back by a zoom in covers the middle of the frame: the mirrored rest is not pulled in."""
    from ride.camera import frame_motion
    from ride.plan import Camera
    from ride.renderer.feedback import close_toward, loop_anchor

    first = np.zeros((64, 64, 3), np.uint8)
    first[:, :32] = 200
    anchor, inside = loop_anchor(first, frame_motion(Camera(zoom=1.5), 64, 64))
    assert inside[32, 32] == pytest.approx(1) and inside[1, 1] == 0 and inside[62, 62] == 0
    image = np.full((64, 64, 3), 90, np.uint8)
    closed = close_toward(image, anchor, inside, 0.9)
    assert tuple(closed[1, 1]) == (90, 90, 90)  # beyond frame 0's footprint: untouched
    assert closed[32, 20, 0] > 150  # inside it: pulled most of the way to frame 0


def test_a_fully_cached_range_renders_nothing(tmp_path):
    class Counting(PreviewEngine):
        calls = 0

        def generate(self, frame, init):
            Counting.calls += 1
            return super().generate(frame, init)

    plan = plan_of(tmp_path, n=30, extra="cadence 4")
    store = FrameStore(tmp_path / "cache", PreviewEngine().identity())
    render(plan, Counting(), None, store=store, frames=(0, 10))
    Counting.calls = 0
    again = render(plan, Counting(), None, store=store, frames=(0, 10))
    assert again.rendered == 0 and Counting.calls == 0
