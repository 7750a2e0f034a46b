"""Watch mode: edits re-render only from the first changed frame; bad edits keep the watcher alive."""

import io
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from conftest import write_scene

import ride.renderer.session
from ride.api import RenderRequest, load_plan
from ride.api import render as render_script
from ride.engines.preview import PreviewEngine
from ride.renderer.store import DEFAULT_FOLDER, FrameStore
from ride.watch import Watcher, first_changed_frame, watched_paths

SCENE = """
size 64x64
fps 12
seed 5
strength 0.45
camera {
  zoom 1.03
}
timeline {
  0  "a road in the countryside, cypress trees, sunny day"
  20 "a road by the sea, sunset" morph 6
  30 "a road going up a mountain, snow"
  40 end
}
"""
FRAMES = 40


class WatchSession:
    """A Watcher in a thread; every callback lands in one queue, in order."""

    def __init__(self, request: RenderRequest, **options):
        self.events: queue.Queue = queue.Queue()
        self.log: list[tuple[str, object]] = []
        callbacks = {f"on_{kind}": self._recorder(kind) for kind in ("pass", "error", "start", "cancel")}
        self.watcher = Watcher(request, **callbacks, **options)
        self.thread = threading.Thread(target=self.watcher.run, daemon=True)

    def _recorder(self, kind):
        return lambda value: self.events.put((kind, value))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.watcher.stop()
        self.thread.join(10)
        assert not self.thread.is_alive(), "the watcher did not stop"

    def until(self, kind: str, timeout: float = 20):
        """The value of the next `kind` event (earlier events of other kinds are logged)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.get(timeout=max(deadline - time.monotonic(), 0.01))
            self.log.append(event)
            if event[0] == kind:
                return event[1]

    def quiet(self, seconds: float) -> list:
        """Events that arrive within `seconds` (expected: none once settled)."""
        time.sleep(seconds)
        arrived = []
        while not self.events.empty():
            arrived.append(self.events.get())
        self.log.extend(arrived)
        return arrived

    def count(self, kind: str) -> int:
        return sum(1 for k, _ in self.log if k == kind)


def request_for(scene, **options) -> RenderRequest:
    return RenderRequest(scene, engine="preview", write_video=False, **options)


def save_by_rename(path, text: str) -> None:
    """How vim, VS Code (some setups) and JetBrains save: a temporary file renamed over the script."""
    temporary = path.with_name(f".{path.name}.tmp~")
    temporary.write_text(text)
    os.replace(temporary, path)


def frames_of(scene, cache) -> list:
    store = FrameStore(cache, PreviewEngine().identity())
    return [store.get(key) for key in load_plan(RenderRequest(scene)).keys()]


def assert_matches_clean_render(scene, cache, clean_cache) -> None:
    render_script(scene, engine="preview", cache=clean_cache, write_video=False)
    for index, (got, expected) in enumerate(zip(frames_of(scene, cache), frames_of(scene, clean_cache))):
        assert got is not None and np.array_equal(got, expected), f"frame {index} differs"


@pytest.mark.slow
@pytest.mark.parametrize("old, new, first_affected", [
    ("mountain, snow", "mountain, fog", 30),  # a cut at 30: frames 30.. change
    ("the sea, sunset", "the sea, sunrise", 14),  # `20 ... morph 6` starts arriving at frame 14
])
def test_an_edit_rerenders_exactly_from_the_first_affected_frame(tmp_path, old, new, first_affected):
    scene = write_scene(tmp_path, SCENE)
    with WatchSession(request_for(scene)) as session:
        first = session.until("pass")
        assert (first.reused, first.rendered) == (0, FRAMES)
        scene.write_text(SCENE.replace(old, new))
        started = session.until("start")
        assert (started.changed, started.resume) == (first_affected, first_affected)
        result = session.until("pass")
    assert (result.reused, result.rendered) == (first_affected, FRAMES - first_affected)
    assert_matches_clean_render(scene, tmp_path / DEFAULT_FOLDER, tmp_path / "clean")


@pytest.mark.slow
def test_a_bad_edit_keeps_watching_and_the_next_good_edit_renders(tmp_path):
    scene = write_scene(tmp_path, SCENE)
    with WatchSession(request_for(scene)) as session:
        session.until("pass")
        scene.write_text(SCENE.replace("zoom 1.03", "zom 1.03"))
        error = session.until("error")
        assert f"{scene}:7:3: error: unknown setting 'zom'" in str(error)
        assert "^^^" in str(error)
        assert session.watcher.plan is not None  # the last good plan stays
        scene.write_text(SCENE.replace("mountain, snow", "mountain, fog"))
        result = session.until("pass")
    assert (result.reused, result.rendered) == (30, FRAMES - 30)


@pytest.mark.slow
def test_a_rename_save_triggers_a_reload(tmp_path):
    scene = write_scene(tmp_path, SCENE)
    with WatchSession(request_for(scene)) as session:
        session.until("pass")
        save_by_rename(scene, SCENE.replace("mountain, snow", "mountain, fog"))
        result = session.until("pass")
    assert result.rendered == FRAMES - 30
    assert not list(tmp_path.glob("*.tmp~"))


@pytest.mark.slow
@pytest.mark.parametrize("spacing", [0.003, 0.03])  # 0.03: slower than the 20 ms grace of a lone save
def test_a_burst_of_saves_renders_a_few_times_and_ends_on_the_final_content(tmp_path, spacing):
    scene = write_scene(tmp_path, SCENE)
    with WatchSession(request_for(scene)) as session:
        session.until("pass")
        for i in range(50):
            save_by_rename(scene, SCENE.replace("mountain, snow", f"mountain, snow {i}"))
            time.sleep(spacing)
        session.until("pass")
        session.quiet(0.5)
        starts = [value for kind, value in session.log if kind == "start"]
    assert 2 <= len(starts) <= 5  # the first pass, then at most a few for the burst
    final = load_plan(RenderRequest(scene))
    assert "snow 49" in final.frame(35).conditioning.sources[0].source.value
    assert starts[-1].plan.keys() == final.keys()
    assert FrameStore(tmp_path / DEFAULT_FOLDER, PreviewEngine().identity()).first_missing(final.keys()) == FRAMES


@pytest.mark.slow
def test_an_edit_during_a_render_cancels_it_at_a_frame_boundary(tmp_path):
    long_scene = SCENE.replace("40 end", "400 end")
    scene = write_scene(tmp_path, long_scene)
    with WatchSession(request_for(scene)) as session:
        session.until("start")
        time.sleep(0.3)
        scene.write_text(long_scene.replace("40 end", "40 end".replace("40", "41")))
        cancelled = session.until("cancel")
        restarted = session.until("start")
    assert cancelled.number == 1 and restarted.number == 2
    assert 0 < restarted.resume < 400  # the frames made before the cancel are reused


@pytest.mark.slow
def test_an_image_the_script_uses_is_watched(tmp_path):
    from PIL import Image

    Image.new("RGB", (16, 16), (200, 40, 40)).save(tmp_path / "still.png")
    text = SCENE.replace('30 "a road going up a mountain, snow"', '30 image "still.png"')
    scene = write_scene(tmp_path, text)
    with WatchSession(request_for(scene)) as session:
        session.until("pass")
        assert (tmp_path / "still.png").resolve() in session.watcher.watched
        temporary = tmp_path / "still.tmp.png"
        Image.new("RGB", (16, 16), (40, 40, 200)).save(temporary)
        os.replace(temporary, tmp_path / "still.png")
        result = session.until("pass")
    assert result.rendered == FRAMES - 30


def test_watched_paths_cover_init_audio_and_image_sources(tmp_path):
    from PIL import Image

    (tmp_path / "stills").mkdir()
    for name in ("start.png", "stills/a.png"):
        Image.new("RGB", (8, 8)).save(tmp_path / name)
    (tmp_path / "music.wav").write_bytes(b"")
    text = SCENE.replace("seed 5", 'seed 5\ninit "start.png"\naudio "music.wav"').replace(
        '30 "a road going up a mountain, snow"', '30 image "stills/a.png"')
    scene = write_scene(tmp_path, text)
    paths = watched_paths(scene, load_plan(RenderRequest(scene)))
    assert paths == {(tmp_path / name).resolve() for name in ("scene.ride", "start.png", "music.wav", "stills/a.png")}
    assert watched_paths(scene, None) == {scene.resolve()}


def test_first_changed_frame():
    assert first_changed_frame(["a", "b", "c"], ["a", "x", "c"]) == 1
    assert first_changed_frame(["a", "b"], ["a", "b"]) == 2
    assert first_changed_frame(["a", "b"], ["a", "b", "c"]) == 2  # a longer scene: only the new frames


@pytest.mark.slow
def test_the_engine_and_a_random_seed_are_kept_across_reloads(tmp_path, monkeypatch):
    made = []
    real_make_engine = ride.renderer.session.make_engine
    monkeypatch.setattr(ride.renderer.session, "make_engine", lambda *a, **k: made.append(1) or real_make_engine(*a, **k))
    text = SCENE.replace("seed 5", "seed random")
    scene = write_scene(tmp_path, text)
    with WatchSession(request_for(scene)) as session:
        first = session.until("start")
        session.until("pass")
        scene.write_text(text.replace("mountain, snow", "mountain, fog"))
        second = session.until("start")
        result = session.until("pass")
    assert len(made) == 1
    assert first.plan.settings.random_seed == second.plan.settings.random_seed is not None
    assert (result.reused, result.rendered) == (30, FRAMES - 30)


@pytest.mark.slow
def test_no_cache_still_reuses_frames_within_the_session(tmp_path):
    scene = write_scene(tmp_path, SCENE)
    with WatchSession(request_for(scene, use_cache=False)) as session:
        session.until("pass")
        scene.write_text(SCENE.replace("mountain, snow", "mountain, fog"))
        result = session.until("pass")
    assert result.rendered == FRAMES - 30
    assert not (tmp_path / DEFAULT_FOLDER).exists()


def test_a_stop_event_ends_the_watcher(tmp_path):
    from ride.watch import watch

    scene = write_scene(tmp_path, SCENE.replace("40 end", "400 end"))
    stop = threading.Event()
    started = threading.Event()
    thread = threading.Thread(target=watch, args=(request_for(scene),),
                              kwargs={"stop_event": stop, "on_start": lambda p: started.set()})
    thread.start()
    assert started.wait(20)
    stop.set()  # mid-render: it stops at the next frame boundary
    thread.join(5)
    assert not thread.is_alive()


@pytest.mark.slow
def test_ride_render_watch_from_the_command_line(tmp_path):
    """As a user runs it: a bad edit keeps the video, a good one re-renders the suffix, Ctrl-C exits 0."""
    scene = write_scene(tmp_path, SCENE + 'output "out.mp4"\n')
    video = tmp_path / "out.mp4"
    command = [sys.executable, "-c", "import sys; from ride.cli import main; sys.exit(main())",
               "render", scene.name, "--watch", "--engine", "preview"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()

    def read_until(text: str) -> str:
        seen = []
        while not seen or text not in seen[-1]:
            seen.append(lines.get(timeout=30))
        return "".join(seen)

    try:
        assert f"{FRAMES} frames (0 reused, {FRAMES} rendered)" in read_until("watching for changes")
        first_video = video.read_bytes()
        scene.write_text(scene.read_text().replace("zoom 1.03", "zom 1.03"))
        shown = read_until("the last output is kept")
        assert "scene.ride:7:3: error: unknown setting 'zom'" in shown and "^^^" in shown
        assert video.read_bytes() == first_video
        scene.write_text(scene.read_text().replace("zom 1.03", "zoom 1.03").replace("snow", "fog"))
        shown = read_until("watching for changes")
        assert "30 reused, 10 rendered" in shown and "wrote" in shown
        assert video.read_bytes() != first_video
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()


def test_a_replaced_engine_is_closed_and_the_last_one_when_watching_ends(tmp_path, monkeypatch):
    from test_session import ClosingEngine

    log = []
    monkeypatch.setattr(ride.renderer.session, "make_engine", lambda *a, **k: ClosingEngine(log))
    scene = write_scene(tmp_path, SCENE)
    with WatchSession(request_for(scene)) as session:
        session.until("pass")
        scene.write_text(SCENE.replace("mountain, snow", "mountain, fog"))  # the same engine choice
        session.until("pass")
        assert log == [("made", 0)]
        scene.write_text(SCENE + 'model "some/model"\n')  # a new choice: a new engine, the old one freed
        result = session.until("pass")
        assert log == [("made", 0), ("made", 1), ("closed", 0)]
    assert log[-1] == ("closed", 1)
    assert result.reused == 0  # the model is in every frame's key


def test_a_bug_in_a_pass_is_reported_and_the_watcher_keeps_watching(tmp_path, monkeypatch):
    """Any exception, not only a RideError: a compiler bug (ZeroDivisionError once came out of
    `let a = 1/0`) must not end a watch session. Faked here, so it holds once that bug is fixed."""
    real_load = ride.renderer.session.RenderSession.load
    broken = {"yes": True}

    def load(self, random_seed=None):
        if broken["yes"]:
            raise ZeroDivisionError("float division by zero")
        return real_load(self, random_seed)

    monkeypatch.setattr(ride.renderer.session.RenderSession, "load", load)
    scene = write_scene(tmp_path, SCENE)
    with WatchSession(request_for(scene)) as session:
        error = session.until("error")
        assert isinstance(error, ZeroDivisionError)
        broken["yes"] = False
        scene.write_text(SCENE.replace("mountain, snow", "mountain, fog"))
        result = session.until("pass")
    assert result.rendered == FRAMES


def test_a_bug_mid_render_keeps_the_last_output_and_watching(tmp_path, monkeypatch):
    real_generate = PreviewEngine.generate
    calls = {"n": 0}

    def generate(self, frame, init):
        calls["n"] += 1
        if calls["n"] == FRAMES + 3:  # the second pass's third new frame
            raise IndexError("an engine bug")
        return real_generate(self, frame, init)

    monkeypatch.setattr(PreviewEngine, "generate", generate)
    scene = write_scene(tmp_path, SCENE)
    video = tmp_path / "out.gif"
    with WatchSession(RenderRequest(scene, engine="preview", output=video)) as session:
        session.until("pass")
        first_video = video.read_bytes()
        scene.write_text(SCENE.replace("seed 5", "seed 6"))
        assert isinstance(session.until("error"), IndexError)
        assert video.read_bytes() == first_video
        scene.write_text(SCENE.replace("seed 5", "seed 7"))
        result = session.until("pass")
    assert result.rendered == FRAMES and video.read_bytes() != first_video


def test_the_command_line_prints_a_bug_briefly_and_keeps_watching(tmp_path):
    from rich.console import Console

    from ride.cli.watch import WatchView

    err = Console(file=io.StringIO(), width=200)
    view = WatchView(Console(file=io.StringIO()), err, print_error=lambda console, error: None)
    try:
        {}["missing"]
    except KeyError as error:
        view.failed(error)
    text = err.file.getvalue()
    assert "error: this is a bug in ride: KeyError: 'missing'" in text
    assert "test_watch.py:" in text and "Traceback" not in text
    assert "the last output is kept" in text
