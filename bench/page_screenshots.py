"""The screenshots of docs/watch.md: the live page of scenes/pulse.ride in Debian's chromium,
rendered, then with a mistake saved; and docs/cli.md's `ride plot` picture.

    .venv/bin/python bench/page_screenshots.py       # writes docs/img/live-page*.jpg, docs/img/pulse-curves.png
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser import CHROMIUM, MISSING, chromium  # noqa: E402
from live_page import LiveSession  # noqa: E402

from ride.cli import main  # noqa: E402

IMAGES = ROOT / "docs" / "img"


def run() -> None:
    if not CHROMIUM.exists():
        sys.exit(MISSING)
    with tempfile.TemporaryDirectory(prefix="ride-shots-") as folder, chromium(1280, 900) as browser:
        shutil.copy(ROOT / "scenes" / "pulse.ride", Path(folder) / "pulse.ride")
        os.chdir(folder)  # the errors name the script as a user in its folder would: pulse.ride:13:1
        with LiveSession("pulse.ride", width=256, height=256) as live:
            page = browser.new_page()
            page.goto(live.url)
            live.wait(lambda s: s["state"] == "done", timeout=600)
            page.wait_for_function("() => document.body.dataset.state === 'done'")
            page.fill("#scrub", "100")
            page.dispatch_event("#scrub", "input")
            page.wait_for_function("() => { const i = document.getElementById('frame'); "
                                   "return i.dataset.index === '100' && i.complete && i.naturalWidth > 0; }")
            page.screenshot(path=str(IMAGES / "live-page.jpg"), type="jpeg", quality=80, full_page=True)
            live.edit("bpm      96  #", "bpm      96\nnoize    0.03  #")
            page.wait_for_function("() => document.body.dataset.state === 'error'")
            page.screenshot(path=str(IMAGES / "live-page-error.jpg"), type="jpeg", quality=80, full_page=True)
            page.close()
    os.chdir(ROOT)
    main(["plot", str(ROOT / "scenes" / "pulse.ride"), "-o", str(IMAGES / "pulse-curves.png"), "--frames", "0:120"])
    print("wrote", *(p.relative_to(ROOT) for p in sorted(IMAGES.glob("*-*"))))


if __name__ == "__main__":
    run()
