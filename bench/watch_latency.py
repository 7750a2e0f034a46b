"""Watch mode's edit-to-first-new-frame latency, preview engine, on a copy of scenes/giro.ride.

    .venv/bin/python bench/watch_latency.py              # 512x512 as written (first pass ~35 s on 2 cores)
    .venv/bin/python bench/watch_latency.py --size 256x256 --edits 10 --debounce 0.05

A first full pass fills the frame cache; then each edit rewrites the prompt of the key at frame 225
(82% of the scene) and times the file write to the first newly rendered frame. Target: < 0.5 s.

    .venv/bin/python bench/watch_latency.py --length 100000     # an hour-long scene (issue 20: < 0.2 s)

With --length the scene runs to that frame and the edited key stands at 90% of it. Rendering the
90,000 frames before it would take an hour, so the cache is filled as a finished render would have
left it: frame 0 rendered, frames 1 to the edit hard links to it (the pass reads frame 0 and the
frame before the edit, nothing else of them). Each edit's pass is cancelled by the next edit, as
a user typing does, once its first new frame is out.
"""

from __future__ import annotations

import argparse
import queue
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from ride.api import FrameEvent, RenderRequest
from ride.watch import DEBOUNCE, Pass, Watcher

GIRO = Path(__file__).resolve().parent.parent / "scenes" / "giro.ride"
EDITED_PROMPT = "a narrow road through a medieval town in Tuscany, sunny day"
EDITED_KEY = 225


class Timings:
    """Callbacks from the watcher's thread: when the first new frame of a pass arrived, and each pass."""

    def __init__(self):
        self.passes: queue.Queue = queue.Queue()
        self.started: list[Pass] = []
        self.first_frame: float | None = None

    def on_start(self, current: Pass) -> None:
        self.started.append(current)
        self.first_frame = None

    def on_frame(self, event: FrameEvent) -> None:
        if not event.reused and self.first_frame is None:
            self.first_frame = time.perf_counter()

    def on_pass(self, result) -> None:
        self.passes.put(result)


def run(edits: int, size: str | None, debounce: float) -> None:
    width, height = (int(v) for v in size.split("x")) if size else (None, None)
    with tempfile.TemporaryDirectory(prefix="ride-bench-") as folder:
        script = Path(folder) / "giro.ride"
        shutil.copy(GIRO, script)
        text = script.read_text()
        timings = Timings()
        watcher = Watcher(RenderRequest(script, engine="preview", write_video=False, width=width, height=height),
                          on_start=timings.on_start, on_frame=timings.on_frame, on_pass=timings.on_pass,
                          on_error=lambda error: print(error), debounce=debounce)
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        began = time.perf_counter()
        first = timings.passes.get(timeout=900)
        print(f"first pass: {first.frames} frames at {size or '512x512'} in {time.perf_counter() - began:.1f} s "
              f"({first.rendered / first.seconds:.1f} fps)")
        rendered = []
        for how, save in (("written in place", write_in_place), ("renamed into place", save_by_rename)):
            latencies = []
            for i in range(edits):
                edited = text.replace(EDITED_PROMPT, f"{EDITED_PROMPT}, take {how} {i}")
                written = time.perf_counter()
                save(script, edited)
                result = timings.passes.get(timeout=300)
                latencies.append(timings.first_frame - written)
                rendered.append(result.rendered)
            report_latency(how, latencies, debounce)
        watcher.stop()
        thread.join()
        report_suffix(timings.started[-1], rendered, len(watcher.plan))


def run_long(length: int, edits: int, debounce: float) -> None:
    """The hour-long scene: see the module's docstring."""
    import os

    import ride
    from ride.api import load_plan
    from ride.engines.preview import PreviewEngine
    from ride.renderer.store import DEFAULT_FOLDER, FrameStore

    key = int(length * 0.9)
    text = GIRO.read_text().replace("  225   ", f"  {key} ").replace("  275   end", f"  {length} end")
    with tempfile.TemporaryDirectory(prefix="ride-bench-") as folder:
        script = Path(folder) / "giro.ride"
        script.write_text(text)
        ride.render(script, engine="preview", frames=(0, 1), write_video=False)  # frame 0, for real
        plan = load_plan(RenderRequest(script))
        script.write_text(text.replace(EDITED_PROMPT, f"{EDITED_PROMPT}, take -1"))
        changed = load_plan(RenderRequest(script)).frame_keys.changed_from(plan.frame_keys)
        script.write_text(text)
        store = FrameStore(Path(folder) / DEFAULT_FOLDER, PreviewEngine().identity())
        began = time.perf_counter()
        source = store.path(plan.frame_keys[0])
        for name in plan.frame_keys[1:changed]:
            path = store.path(name)
            path.parent.mkdir(exist_ok=True)
            try:
                os.link(source, path)
            except OSError:  # a file has at most 65,000 links: a copy starts the next 65,000
                shutil.copyfile(source, path)
                source = path
            store.index.added(name)
        print(f"{length:,}-frame scene, key edited at frame {key}: frames 0-{changed - 1} cached "
              f"({changed - 1:,} links made in {time.perf_counter() - began:.1f} s)")
        timings = Timings()
        watcher = Watcher(RenderRequest(script, engine="preview", write_video=False), on_start=timings.on_start,
                          on_frame=timings.on_frame, on_pass=timings.on_pass, on_error=lambda error: print(error),
                          on_cancel=lambda current: timings.passes.put(current), debounce=debounce)
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        latencies, resumes = [], []
        wait_for_first_frame(timings, None)
        for i in range(edits):
            written = time.perf_counter()
            save_by_rename(script, text.replace(EDITED_PROMPT, f"{EDITED_PROMPT}, take {i}"))
            latencies.append(wait_for_first_frame(timings, written) - written)
            resumes.append(timings.started[-1].resume)
        watcher.stop()
        thread.join()
        report_latency("renamed into place", latencies, debounce)
        print(f"each pass resumed at frame {sorted(set(resumes))} (the first changed frame: {changed})")


def wait_for_first_frame(timings: Timings, since: float | None) -> float:
    """When the current pass's first new frame came (after `since`)."""
    deadline = time.perf_counter() + 300
    while time.perf_counter() < deadline:
        first = timings.first_frame
        if first is not None and (since is None or first > since):
            return first
        time.sleep(0.001)
    raise TimeoutError("no new frame in 300 s")


def write_in_place(path: Path, text: str) -> None:
    path.write_text(text)


def save_by_rename(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    temporary.replace(path)


def report_latency(how: str, latencies: list[float], debounce: float) -> None:
    ms = sorted(1000 * s for s in latencies)
    print(f"edit -> first new frame, {how} ({len(ms)} edits, debounce {debounce * 1000:.0f} ms): "
          f"median {statistics.median(ms):.0f} ms, min {ms[0]:.0f} ms, max {ms[-1]:.0f} ms (target < 500 ms)")


def report_suffix(last: Pass, rendered: list[int], frames: int) -> None:
    print(f"edit of the key at frame {EDITED_KEY} ({EDITED_KEY / frames:.0%} of {frames}); its morph starts at "
          f"frame {last.changed}: re-rendered {sorted(set(rendered))} frames per edit, "
          f"expected {frames - last.changed} (the suffix {last.changed}-{frames - 1}), reused {last.resume}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--size", help="override the scene's size, e.g. 256x256")
    parser.add_argument("--debounce", type=float, default=DEBOUNCE, help="seconds of quiet that end a burst")
    parser.add_argument("--length", type=int, help="make the scene this many frames long (see above)")
    args = parser.parse_args()
    if args.length:
        run_long(args.length, args.edits, args.debounce)
    else:
        run(args.edits, args.size, args.debounce)


if __name__ == "__main__":
    main()
