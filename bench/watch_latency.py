"""Watch mode's edit-to-first-new-frame latency, preview engine, on a copy of scenes/giro.ride.

    .venv/bin/python bench/watch_latency.py              # 512x512 as written (first pass ~35 s on 2 cores)
    .venv/bin/python bench/watch_latency.py --size 256x256 --edits 10 --debounce 0.05

A first full pass fills the frame cache; then each edit rewrites the prompt of the key at frame 225
(82% of the scene) and times the file write to the first newly rendered frame. Target: < 0.5 s.
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
    args = parser.parse_args()
    run(args.edits, args.size, args.debounce)


if __name__ == "__main__":
    main()
