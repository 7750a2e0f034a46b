"""The live page's save-to-screen latency: from writing the script to the first new frame shown
in the browser (Debian's chromium through playwright), preview engine, a copy of scenes/giro.ride.

    .venv/bin/python bench/page_latency.py                    # 512x512, 10 edits
    .venv/bin/python bench/page_latency.py --size 256x256 --edits 5

A first pass fills the frame cache; then each edit rewrites the prompt of the key at frame 225
(82% of the scene), and the time runs from the file write to the browser's `load` of an image
whose key is new (the page follows new frames as they arrive, as it does by default). Both
clocks are this machine's wall clock. Compare bench/watch_latency.py: the same edit to the
first new frame in the watcher, without the page.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser import CHROMIUM, MISSING, chromium  # noqa: E402
from live_page import LiveSession  # noqa: E402

EDITED_PROMPT = "a narrow road through a medieval town in Tuscany, sunny day"

# Records, in the page, when each frame image finished loading (epoch ms) and its key.
RECORD_LOADS = """() => { window.loads = []; const img = document.getElementById('frame');
    img.addEventListener('load', () => window.loads.push([performance.timeOrigin + performance.now(),
                                                          img.dataset.key])); }"""


def run(edits: int, size: str | None) -> None:
    if not CHROMIUM.exists():
        sys.exit(MISSING)
    width, height = (int(v) for v in size.split("x")) if size else (None, None)
    with tempfile.TemporaryDirectory(prefix="ride-bench-") as folder, chromium() as browser:
        script = Path(folder) / "giro.ride"
        shutil.copy(ROOT / "scenes" / "giro.ride", script)
        with LiveSession(script, width=width, height=height) as live:
            page = browser.new_page()
            page.goto(live.url)
            first = time.perf_counter()
            live.wait(lambda s: s["state"] == "done", timeout=600)
            print(f"first pass: {len(live.page.state.keys)} frames in {time.perf_counter() - first:.1f} s")
            page.evaluate(RECORD_LOADS)
            published: list[tuple[float, str]] = []  # (epoch ms, key) of each frame event the server sends
            live.page.state.listen(lambda event: event.kind == "frame" and published.append(
                (time.time() * 1000, event.data["key"])))
            latencies, servers = [], []
            for n in range(edits):
                old = set(live.page.state.keys)
                page.evaluate("() => { window.loads = []; }")
                published.clear()
                saved = time.time() * 1000
                live.edit(EDITED_PROMPT if n == 0 else f"{EDITED_PROMPT}, take {n}", f"{EDITED_PROMPT}, take {n + 1}")
                page.wait_for_function("(old) => window.loads.some(([t, k]) => !old.includes(k))",
                                       arg=sorted(old), timeout=60_000)
                loads = page.evaluate("() => window.loads")
                shown = min(t for t, k in loads if k not in old)
                latencies.append((shown - saved) / 1000)
                servers.append((min(t for t, k in published if k not in old) - saved) / 1000)
                live.wait(lambda s, n=n: s["pass"] == n + 2 and s["state"] == "done", timeout=600)
            page.close()
    for label, times in (("save -> first new frame sent by the server (event)", servers),
                         ("save -> first new frame shown on the page (image loaded)", latencies)):
        print(f"{label}, {edits} edits: median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
              f"max {max(times):.3f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--size", help="e.g. 256x256 (default: the scene's 512x512)")
    args = parser.parse_args()
    run(args.edits, args.size)
