"""Memory of a long watch session with the live page: many saves and re-renders, pages listening.

    .venv/bin/python bench/page_memory.py                      # 300 saves at 128x128, 2 event streams
    .venv/bin/python bench/page_memory.py --saves 600 --size 512x512

A watch session with `--serve` (preview engine, a copy of scenes/giro.ride) renders once; then
the script is saved again and again, each save changing the late part of the scene (frames
188-274 re-render) and, every tenth, a mistake (the page shows the error, then the next save
fixes it). Two event-stream clients read every event, and one fetches /status, /keys, /curves and
the frames the way the page does after each pass. The process's resident memory (RSS) is
sampled after each block of saves; the growth per save after the first block (allocator warm-up)
extrapolates to an hour: at one save every 10 s, an hour is 360 saves.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from live_page import LiveSession  # noqa: E402

EDITED = "a narrow road through a medieval town in Tuscany, sunny day"
SAVES_AN_HOUR = 360  # one save every 10 s


def listen(live: LiveSession, counts: list[int], stop: threading.Event) -> None:
    """An event-stream client that reads every event until the session ends."""
    connection = http.client.HTTPConnection(live.host, live.port, timeout=600)
    connection.request("GET", "/events")
    response = connection.getresponse()
    while not stop.is_set():
        line = response.readline()
        if not line:
            return
        if line.startswith(b"event:"):
            counts[0] += 1


def rss_mb() -> float:
    gc.collect()
    return psutil.Process().memory_info().rss / 1e6


def run(saves: int, size: str, block: int) -> None:
    width, height = (int(v) for v in size.split("x"))
    with tempfile.TemporaryDirectory(prefix="ride-bench-") as folder:
        script = Path(folder) / "giro.ride"
        shutil.copy(ROOT / "scenes" / "giro.ride", script)
        with LiveSession(script, width=width, height=height) as live:
            live.wait(lambda s: s["state"] == "done", timeout=900)
            counts, stop = [0], threading.Event()
            clients = [threading.Thread(target=listen, args=(live, counts, stop), daemon=True) for _ in range(2)]
            for client in clients:
                client.start()
            samples = [(0, rss_mb())]
            print(f"after the first pass: RSS {samples[0][1]:.1f} MB", flush=True)
            began = time.perf_counter()
            current = EDITED
            for n in range(1, saves + 1):
                if n % 10 == 0:
                    live.edit("fps", "fsp")  # a mistake: the page shows it, the frames stay
                    live.wait(lambda s: s["state"] == "error", timeout=120)
                    live.edit("fsp", "fps")
                new = f"{EDITED}, take {n}"
                live.edit(current, new)
                current = new
                status = live.wait(lambda s, n=n: s["state"] == "done" and s["pass"] >= n + 1, timeout=600)
                for path in ("/status", "/keys", "/curves", f"/frames/{status['rendered'] - 1}.png"):
                    live.get(path)
                if n % block == 0:
                    samples.append((n, rss_mb()))
                    print(f"{n} saves: RSS {samples[-1][1]:.1f} MB, {counts[0]} events read, "
                          f"{time.perf_counter() - began:.0f} s", flush=True)
            stop.set()
    warm = samples[1]
    growth = (samples[-1][1] - warm[1]) / max(samples[-1][0] - warm[0], 1)
    print(f"RSS: {samples[0][1]:.1f} MB after the first pass, {warm[1]:.1f} MB after {warm[0]} saves, "
          f"{samples[-1][1]:.1f} MB after {samples[-1][0]} saves")
    print(f"growth after warm-up: {growth * 1000:.1f} kB a save; an hour of watching ({SAVES_AN_HOUR} saves, "
          f"one every 10 s): {growth * SAVES_AN_HOUR:+.1f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--block", type=int, default=50, help="saves between RSS samples")
    parser.add_argument("--size", default="128x128", help="frame size (default 128x128: a save a second or so; "
                        "the frames live in the cache on disk, not in memory, at any size)")
    args = parser.parse_args()
    run(args.saves, args.size, args.block)
