"""The live page's HTTP contract (DESIGN 1b): GET /, /status, /frames/N.png and nothing else,
served while a watch session renders. The page in a real browser: test_page_browser.py."""

import io
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from builders import scene_text
from conftest import ROOT

pytest.importorskip("starlette", reason="the live page needs ride[serve]")
from live_page import LiveSession  # noqa: E402
from PIL import Image  # noqa: E402

from ride.cli import main  # noqa: E402
from ride.errors import RideError  # noqa: E402
from ride.serve.server import Address, bind, parse_address  # noqa: E402

pytestmark = pytest.mark.slow  # each test renders a scene behind a real server

TEXT = scene_text(['0 "a road"', '8 "a sea" morph 4'], length=16, size=64, fps=8,
                  tracks={"noise": ["0 0.02", "1s 0.05", "end 0.02"]})


@pytest.fixture
def live(tmp_path):
    script = tmp_path / "scene.ride"
    script.write_text(TEXT)
    with LiveSession(script) as session:
        session.wait(lambda s: s["state"] == "done")
        yield session


def png(body: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))


def test_status_frames_and_page(live):
    status = live.status()
    assert {k: status[k] for k in ("frames", "rendered", "state", "errors")} == \
        {"frames": 16, "rendered": 16, "state": "done", "errors": []}
    code, headers, body = live.get("/")
    assert code == 200 and headers["content-type"].startswith("text/html")
    assert b"EventSource" in body and b"<canvas" in body  # the script and page inlined: one file
    code, headers, body = live.get("/frames/15.png")
    assert code == 200 and headers["content-type"] == "image/png"
    assert png(body).shape == (64, 64, 3)
    key = live.page.state.keys[15]
    assert np.array_equal(png(body), live.page.state.store.get(key))  # the frame itself, lossless
    code, _, _ = live.get("/frames/15.png", {"If-None-Match": f'"{key}"'})
    assert code == 304
    curves = json.loads(live.get("/curves")[2])
    assert [k for k, _ in next(s for s in curves["series"] if s["name"] == "noise")["keys"]] == [0, 8, 15]


HOSTILE = [
    "/frames/16.png", "/frames/-1.png", "/frames/99999999999999999999.png", "/frames/abc.png", "/frames/1.5.png",
    "/frames/0.jpg", "/frames/0", "/frames/../scene.ride", "/frames/..%2fscene.ride", "/frames/%2e%2e/scene.ride",
    "/frames/..%252fscene.ride", "/../scene.ride", "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/etc/passwd",
    "/scene.ride", "/.ride-cache", "/frames/%00.png", "/frames/0.png/../../scene.ride", "/frames/link.png",
    "/link", "/static/page.js", "/page.js", "/frames/", "/frames/0.png%00.ride", "/frames/+1.png",
    "/frames/%30.pngx", "/FRAMES/0.png", "/frames/0.PNG",
]


def test_nothing_else_is_served(live, tmp_path):
    """Paths that reach for files (encoded ../, absolute paths, symlinks beside the script) and frame
    numbers out of range or not numbers: every one is 404 and shows nothing of a file."""
    (tmp_path / "link").symlink_to("/etc/passwd")
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "link.png").symlink_to(tmp_path / "scene.ride")
    for path in HOSTILE:
        code, _, body = live.get(path)
        assert code == 404, (path, code)
        assert b"root:" not in body and b"timeline" not in body


def test_a_bad_edit_shows_its_error_and_keeps_the_frames(live):
    before = live.get("/frames/3.png")[2]
    live.edit("size 64x64", "size 64x64\nstrenght 0.5")
    status = live.wait(lambda s: s["state"] == "error")
    assert status["rendered"] == 16
    (error,) = status["errors"]
    assert (error["line"], error["col"]) == (2, 1) and "strenght" in error["message"]
    assert error["source"] == "strenght 0.5" and "strength" in error["hint"] and error["code"] == "R201"
    assert live.get("/frames/3.png")[2] == before  # the last good frames stay


def test_an_edit_renders_again_and_the_page_gets_the_new_frames(live):
    old = live.page.state.keys[:]
    before_12 = live.get("/frames/12.png")[1]["etag"]
    live.edit('8 "a sea"', '8 "a forest"')
    status = live.wait(lambda s: s["pass"] == 2 and s["state"] == "done")
    assert status["errors"] == [] and status["rendered"] == 16
    keys = live.page.state.keys
    assert keys[:4] == old[:4] and keys[12] != old[12]  # the morph starts at 4: frames before it reused
    assert live.get("/frames/12.png")[1]["etag"] != before_12


def test_events_push_every_frame(tmp_path):
    script = tmp_path / "scene.ride"
    script.write_text(TEXT)
    with LiveSession(script) as live:
        live.wait(lambda s: s["state"] == "done")
        import http.client

        connection = http.client.HTTPConnection(live.host, live.port, timeout=10)
        connection.request("GET", "/events")
        response = connection.getresponse()
        assert response.getheader("content-type").startswith("text/event-stream")
        live.edit("0.05", "0.07")  # frames 1.. change
        events, frames = [], set()
        while "pass" not in events or events[-1] != "done":
            line = response.readline().decode().strip()
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                data = json.loads(line[5:])
                events.append(data["state"] if kind == "status" else kind)
                if kind == "frame":
                    frames.add(data["index"])
                    assert {"fps", "eta", "key", "rendered", "frames"} <= set(data)
        connection.close()
        assert events[0] == "done" and "pass" in events and frames == set(range(1, 16))


def test_addresses():
    assert parse_address(None) == Address("127.0.0.1", 8737)
    assert parse_address(":8800") == Address("127.0.0.1", 8800)
    assert parse_address("0.0.0.0:9000") == Address("0.0.0.0", 9000)
    assert parse_address("[::1]:8000") == Address("::1", 8000)
    for bad in ("a b", "host:port", "1.2.3.4:70000", "x/y:1"):
        with pytest.raises(RideError) as caught:
            parse_address(bad)
        assert caught.value.problems[0].code == "R750"


def test_a_port_in_use_is_r653():
    taken = bind(Address("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        with pytest.raises(RideError) as caught:
            bind(Address("127.0.0.1", port))
        assert caught.value.problems[0].code == "R653" and str(port + 1) in caught.value.problems[0].hint
    finally:
        taken.close()


def test_cli_mistakes(tmp_path, capsys, monkeypatch):
    script = tmp_path / "scene.ride"
    script.write_text(TEXT)
    assert main(["render", str(script), "--serve"]) == 1
    assert "[R756]" in capsys.readouterr().err
    assert main(["render", str(script), "--watch", "--serve", "nowhere:x"]) == 1
    assert "[R750]" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert main(["render", str(script), "--watch", "--serve"]) == 1
    err = capsys.readouterr().err
    assert "[R751]" in err and "pip install 'ride[serve]'" in err


def test_ctrl_c_stops_cleanly(tmp_path):
    """The command line: it prints the URL, serves, and Ctrl-C ends it with status 0, an event
    stream open or not."""
    script = tmp_path / "scene.ride"
    script.write_text(TEXT)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "ride.cli", "render", str(script), "--watch", "--serve",
                                "127.0.0.1:0", "--engine", "preview", "-o", str(tmp_path / "out.gif")],
                               env=env, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()
        assert line.startswith("live page: http://127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1].strip(" /\n"))
        import http.client

        deadline = time.monotonic() + 60
        while True:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/status")
            if json.loads(connection.getresponse().read())["state"] == "done":
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        stream = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        stream.request("GET", "/events")
        stream.getresponse().readline()
        process.send_signal(signal.SIGINT)
        assert process.wait(20) == 0
        assert "stopped watching" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
