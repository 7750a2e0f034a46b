"""The render session: outputs get the frames in the right order, fail together, and engines are closed."""

import numpy as np
import pytest
from conftest import write_scene
from PIL import Image

import ride.renderer.session
from ride.api import FrameEvent, PngFolder, RenderRequest, RenderSession, render
from ride.engines.preview import PreviewEngine
from ride.errors import RideRenderError
from ride.renderer.store import DEFAULT_FOLDER, FrameStore

SCENE = """
size 64x64
fps 12
seed 3
camera {
  zoom 1.03
}
timeline {
  0  "a road in the countryside, sunny day"
  6  "a road by the sea, sunset"
  12 end
}
"""
FRAMES = 12


class Recording:
    """An output that keeps what it was given."""

    def __init__(self, live=False, fail_at=None, fail_close=False):
        self.live, self.fail_at, self.fail_close = live, fail_at, fail_close
        self.calls: list[str] = []
        self.indices: list[int] = []
        self.images: list[np.ndarray] = []
        self.frames = None

    def open(self, frames):
        self.frames = frames
        self.calls.append("open")

    def write(self, index, image):
        if index == self.fail_at:
            raise RideRenderError(f"cannot show frame {index}")
        self.indices.append(index)
        self.images.append(image)

    def close(self):
        self.calls.append("close")
        if self.fail_close:
            raise RideRenderError("cannot publish")

    def abort(self):
        self.calls.append("abort")


class ClosingEngine(PreviewEngine):
    """A preview engine that records its close() calls in a shared list."""

    def __init__(self, log: list):
        super().__init__()
        self.log = log
        self.number = sum(1 for entry in log if entry[0] == "made")
        log.append(("made", self.number))

    def close(self):
        self.log.append(("closed", self.number))
        super().close()


def cached(scene, cache=None):
    store = FrameStore(cache or scene.parent / DEFAULT_FOLDER, PreviewEngine().identity())
    return [store.get(key) for key in ride.load(scene).keys()]


def test_shown_outputs_get_the_playing_order_and_live_ones_the_making_order(tmp_path):
    scene = write_scene(tmp_path, SCENE + "reverse\nloop pingpong\n")
    shown, live = Recording(), Recording(live=True)
    render(scene, engine="preview", write_video=False, frames=(2, FRAMES), outputs=[shown, live])
    assert live.indices == list(range(FRAMES))  # frames before 2 are made too: feedback needs them
    assert shown.indices == [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert shown.calls == live.calls == ["open", "close"]
    assert (shown.frames.start, shown.frames.stop, shown.frames.resume) == (2, FRAMES, 0)
    assert (shown.frames.fps, shown.frames.size) == (12, (64, 64))
    frames = cached(scene)
    assert all(np.array_equal(image, frames[i]) for i, image in zip(shown.indices, shown.images))


def test_a_resumed_render_tells_the_callback_what_it_reused_then_every_new_frame(tmp_path):
    scene = write_scene(tmp_path, SCENE)
    render(scene, engine="preview", write_video=False, frames=(0, 5))
    events: list[FrameEvent] = []
    shown = Recording()
    result = render(scene, engine="preview", write_video=False, on_frame=events.append, outputs=[shown])
    assert (result.reused, result.rendered) == (5, FRAMES - 5)
    assert [(e.index, e.total, e.reused, e.image is None) for e in events[:2]] == [(4, 12, True, True),
                                                                                    (5, 12, False, False)]
    assert [e.index for e in events[1:]] == list(range(5, FRAMES))
    assert shown.indices == list(range(FRAMES))  # read back from the cache, in order


def test_a_png_folder_beside_the_video_holds_the_shown_frames(tmp_path):
    scene = write_scene(tmp_path, SCENE + "reverse\n")
    result = render(scene, tmp_path / "out.gif", engine="preview", outputs=[PngFolder(tmp_path / "stills")])
    assert result.output == tmp_path / "out.gif" and result.output.is_file()
    names = sorted(p.name for p in (tmp_path / "stills").glob("*.png"))
    assert names == [f"{i:06d}.png" for i in range(FRAMES)]
    frames = cached(scene)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "stills" / "000000.png")), frames[FRAMES - 1])


def test_a_failing_output_aborts_the_others_and_keeps_the_frames_made(tmp_path):
    scene = write_scene(tmp_path, SCENE)
    video = tmp_path / "out.gif"
    video.write_bytes(b"an earlier render's video")
    failing, other = Recording(fail_at=7), Recording()
    with pytest.raises(RideRenderError, match="cannot show frame 7"):
        render(scene, video, engine="preview", outputs=[failing, other])
    assert failing.calls == other.calls == ["open", "abort"]
    assert video.read_bytes() == b"an earlier render's video"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.gif")]  # no temporary left
    assert all(frame is not None for frame in cached(scene)[:8])  # frames 0..7 reached the cache


def test_an_output_that_fails_to_publish_aborts_those_after_it(tmp_path):
    scene = write_scene(tmp_path, SCENE)
    first, failing, last = Recording(), Recording(fail_close=True), Recording()
    with pytest.raises(RideRenderError, match="cannot publish"):
        render(scene, engine="preview", write_video=False, outputs=[first, failing, last])
    assert first.calls == ["open", "close"]  # published already: it stays
    assert failing.calls == ["open", "close", "abort"] and last.calls == ["open", "abort"]


def test_a_bad_output_path_fails_before_any_frame(tmp_path):
    scene = write_scene(tmp_path, SCENE)
    live = Recording(live=True)
    with pytest.raises(RideRenderError, match="unknown video format"):
        render(scene, tmp_path / "out.avi", engine="preview", outputs=[live])
    assert live.indices == [] and not (tmp_path / DEFAULT_FOLDER).exists()


def test_the_session_closes_the_engine_it_made_and_never_one_it_was_given(tmp_path, monkeypatch):
    log = []
    monkeypatch.setattr(ride.renderer.session, "make_engine", lambda *a, **k: ClosingEngine(log))
    scene = write_scene(tmp_path, SCENE)
    render(scene, engine="preview", write_video=False)
    assert log == [("made", 0), ("closed", 0)]
    given = ClosingEngine(log)
    render(scene, engine=given, write_video=False)
    render(scene, engine=given, write_video=False)
    assert log == [("made", 0), ("closed", 0), ("made", 1)]


def test_a_session_keeps_its_engine_while_the_choice_stands_and_closes_a_replaced_one(tmp_path, monkeypatch):
    log = []
    monkeypatch.setattr(ride.renderer.session, "make_engine", lambda *a, **k: ClosingEngine(log))
    scene = write_scene(tmp_path, SCENE)
    with RenderSession(RenderRequest(scene, engine="preview", write_video=False)) as session:
        first = session.engine(session.load())
        assert session.engine(session.load()) is first
        scene.write_text(SCENE + 'model "some/model"\n')  # the engine choice changes: a new engine
        second = session.engine(session.load())
        assert second is not first and log == [("made", 0), ("made", 1), ("closed", 0)]
        session.render(session.job(session.load()))
    assert log[-1] == ("closed", 1)
    session.close()  # idempotent
    assert log.count(("closed", 1)) == 1


def test_preview_engine_close_is_idempotent_and_it_renders_the_same_after(tmp_path):
    scene = write_scene(tmp_path, SCENE)
    engine = PreviewEngine()
    render(scene, engine=engine, cache=tmp_path / "a", write_video=False)
    engine.close()
    engine.close()
    assert engine._vectors == {} and engine._plan is None
    render(scene, engine=engine, cache=tmp_path / "b", write_video=False)
    assert all(np.array_equal(a, b) for a, b in zip(cached(scene, tmp_path / "a"), cached(scene, tmp_path / "b")))


@pytest.mark.parametrize("layout", ["output-is-the-cache", "cache-inside-the-output"])
def test_a_folder_output_and_its_cache_share_a_folder(tmp_path, capsys, layout):
    """Issue 10: publishing the frames deleted the cache in the folder; now the second render
    reuses every frame, and the folder holds the frames and the cache."""
    from ride.cli import main

    if layout == "output-is-the-cache":
        scene = write_scene(tmp_path, SCENE + 'output ".ride-cache/"\n')
        args, folder, cache = ["render", str(scene)], tmp_path / ".ride-cache", tmp_path / ".ride-cache"
    else:
        scene = write_scene(tmp_path, SCENE)
        folder = tmp_path / "D"
        args, cache = ["render", str(scene), "-o", f"{folder}/", "--cache", str(folder / "cache")], folder / "cache"
    assert main(args) == 0
    assert main(args) == 0
    assert f"{FRAMES} frames ({FRAMES} reused, 0 rendered)" in capsys.readouterr().out
    assert len(list(folder.glob("*.png"))) == FRAMES
    assert len(list(cache.rglob("*.frame"))) == FRAMES
    assert main(["cache", "info", str(cache)]) == 0  # still a frame cache, with the frames beside it
