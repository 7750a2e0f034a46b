"""Resume: a render killed at any frame continues where it stopped, and ends on the same frames.

The killed render runs as a user runs it (`ride render scene.ride`, in a subprocess); the rerun
and the clean reference render run in-process. Frames are compared by key, pixel for pixel,
through the frame caches of the two renders.
"""

import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import write_scene

from ride.api import RenderRequest, load_plan
from ride.api import render as render_script
from ride.cli import main
from ride.engines.preview import PreviewEngine
from ride.renderer.store import DEFAULT_FOLDER, FrameStore

BASE = """
size 64x64
fps 12
seed 11 iter
strength 0.45
camera {
  zoom 1.03
  focus 0.5, 0.6
}
timeline {
  0  "a road in the countryside, cypress trees, sunny day"
  20 "a road by the sea, sunset" morph 6
  30 "a road going up a mountain, snow"
  48 end
}
"""
SCENES = {
    "plain": BASE,
    "cadence": BASE + "cadence 3\n",  # in-betweens depend on the next diffused frame
    "loop": BASE + "loop close 12\n",  # the last frames depend on the motion still to come
    # the 3D camera warps by each frame's depth, kept beside it: a resumed render without it makes it again
    "3d": BASE.replace("zoom 1.03", "zoom 1.01\n  move 0.4, 0, 2\n  turn 0, 0.3, 0.2") + "cadence 2\nloop close 12\n",
}
FRAMES = 48
RIDE = [sys.executable, "-c", "import sys; from ride.cli import main; sys.exit(main())"]


def cached_frames(folder, plan) -> list:
    store = FrameStore(folder, PreviewEngine().identity())
    return [store.get(key) for key in plan.keys()]


def clean_frames(scene, folder) -> list:
    """The frames of an uninterrupted render from an empty cache."""
    render_script(scene, engine="preview", cache=folder, write_video=False)
    return cached_frames(folder, load_plan(RenderRequest(scene)))


def assert_same_frames(got: list, expected: list) -> None:
    assert len(got) == len(expected) == FRAMES
    for index, (a, b) in enumerate(zip(got, expected)):
        assert a is not None, f"frame {index} missing"
        assert np.array_equal(a, b), f"frame {index} differs from the uninterrupted render"


def stored_count(folder) -> int:
    return sum(1 for _ in folder.rglob("*.frame")) if folder.is_dir() else 0


def start_and_interrupt(scene, how: signal.Signals, after_frames: int = 4) -> subprocess.Popen:
    """`ride render scene.ride`, stopped by `how` once a few frames are in its cache."""
    cache = scene.parent / DEFAULT_FOLDER
    process = subprocess.Popen([*RIDE, "render", scene.name], cwd=scene.parent,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while stored_count(cache) < after_frames and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(how)
    process.communicate(timeout=30)
    return process


@pytest.mark.slow
@pytest.mark.parametrize("name, how", [("plain", signal.SIGKILL), ("cadence", signal.SIGKILL),
                                       ("loop", signal.SIGKILL), ("plain", signal.SIGINT)],
                         ids=["plain-kill-9", "cadence-kill-9", "loop-kill-9", "plain-ctrl-c"])
def test_interrupted_render_resumes_to_identical_frames(tmp_path, capsys, name, how):
    scene = write_scene(tmp_path, SCENES[name] + 'output "out.mp4"\n')
    earlier = tmp_path / "out.mp4"
    earlier.write_bytes(b"an earlier render's video")

    process = start_and_interrupt(scene, how)
    assert earlier.read_bytes() == b"an earlier render's video"  # never truncated while it ran
    if how == signal.SIGINT:
        assert process.returncode == 130
    stored = stored_count(scene.parent / DEFAULT_FOLDER)
    assert 0 < stored < FRAMES, "the render was not stopped mid-way"

    assert main(["render", str(scene)]) == 0
    summary = capsys.readouterr().out
    reused = int(summary.split("(")[1].split(" reused")[0])
    assert reused > 0 and f"{reused} reused, {FRAMES - reused} rendered" in summary
    assert earlier.read_bytes() != b"an earlier render's video"  # the finished render replaced it

    plan = load_plan(RenderRequest(scene))
    expected = clean_frames(scene, tmp_path / "clean-cache")
    assert_same_frames(cached_frames(scene.parent / DEFAULT_FOLDER, plan), expected)


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENES)
def test_resume_from_any_prefix_matches_a_clean_render(tmp_path, name):
    """Whatever prefix survived (kill -9 can stop at any frame), the rest continues exactly."""
    scene = write_scene(tmp_path, SCENES[name])
    expected = clean_frames(scene, tmp_path / "clean")
    plan = load_plan(RenderRequest(scene))
    for survived in (1, 2, 16, 31, 44, 47):  # in-betweens, diffused frames, inside the loop window
        cache = tmp_path / f"resumed-{survived}"
        store = FrameStore(cache, PreviewEngine().identity())
        for key, frame in zip(plan.keys()[:survived], expected):
            store.put(key, frame)
        result = render_script(scene, engine="preview", cache=cache, write_video=False)
        assert (result.reused, result.rendered) == (survived, FRAMES - survived)
        assert_same_frames(cached_frames(cache, plan), expected)


@pytest.mark.slow
@pytest.mark.parametrize("name, edit, first_changed", [
    ("cadence", ("mountain, snow", "mountain, fog"), 28),  # 30's in-betweens 28, 29 blend toward it
    ("loop", ("zoom 1.03", "zoom 1.03\n  rotate where(t > 45, 1, 0)"), 36),  # the loop window sees it
])
def test_keys_cover_the_later_frames_a_frame_depends_on(tmp_path, name, edit, first_changed):
    scene = write_scene(tmp_path, SCENES[name])
    render_script(scene, engine="preview", write_video=False)
    before = load_plan(RenderRequest(scene)).keys()
    scene.write_text(SCENES[name].replace(*edit))
    after = load_plan(RenderRequest(scene)).keys()
    assert before[:first_changed] == after[:first_changed] and before[first_changed] != after[first_changed]

    result = render_script(scene, engine="preview", write_video=False)
    assert (result.reused, result.rendered) == (first_changed, FRAMES - first_changed)
    expected = clean_frames(scene, tmp_path / "clean")
    assert_same_frames(cached_frames(scene.parent / DEFAULT_FOLDER, load_plan(RenderRequest(scene))), expected)


@pytest.mark.parametrize("name, damaged, lost, frames", [
    ("plain", 0, None, None),  # frame 0: every later frame is matched to its colours
    ("cadence", 39, 41, (40, 48)),  # the diffused frame a resume from 41 is warped from
    ("cadence", 40, None, (40, 48)),  # an in-between the video shows, read back in playing order
    ("plain", 47, None, (44, 48)),  # the last frame
], ids=["frame-0", "diffused-before-the-range", "shown-in-between", "last"])
@pytest.mark.parametrize("how", ["garbled", "empty", "cut-short"])
def test_a_damaged_cached_frame_is_redrawn_in_the_same_run(tmp_path, name, damaged, lost, frames, how):
    """The store drops a frame it cannot read back; the render goes on from it (the frames after it
    chain from its key) and ends on the frames an undamaged cache gives. `lost`: the frames from
    there on are not in the cache (a render stopped there)."""
    scene = write_scene(tmp_path, SCENES[name])
    expected = clean_frames(scene, tmp_path / "clean")
    cache = tmp_path / "cache"
    render_script(scene, engine="preview", cache=cache, write_video=False)
    plan = load_plan(RenderRequest(scene))
    store = FrameStore(cache, PreviewEngine().identity())
    for key in plan.keys()[lost or FRAMES:]:
        store.path(key).unlink()
    path = store.path(plan.keys()[damaged])
    data = path.read_bytes()
    path.write_bytes({"garbled": data[:40] + bytes(len(data) - 40), "empty": b"", "cut-short": data[:30]}[how])
    result = render_script(scene, engine="preview", cache=cache, write_video=False, frames=frames)
    assert (result.reused, result.rendered) == (damaged, FRAMES - damaged)
    assert_same_frames(cached_frames(cache, plan), expected)


def test_a_cache_that_keeps_losing_a_frame_is_an_error_not_a_loop(tmp_path, monkeypatch):
    from ride.errors import RideRenderError

    scene = write_scene(tmp_path, SCENES["plain"])
    render_script(scene, engine="preview", write_video=False)
    monkeypatch.setattr(FrameStore, "get", lambda self, key: None)  # a disk that reads nothing back
    with pytest.raises(RideRenderError) as caught:
        render_script(scene, engine="preview", write_video=False, frames=(40, 48))
    (problem,) = caught.value.problems
    assert problem.code == "R622" and "could not be read back" in problem.message
